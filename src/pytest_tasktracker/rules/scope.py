"""Scopes: which part of a sub-task's tests a run did not collect in whole.

A sub-task's scope is every test item it claims, as an unnarrowed collection of its
linked paths gives it (DESIGN.md, "Outcomes per sub-task"). A run knows the items it
collected, including those that node-id arguments, ``-k``, ``-m`` or ``--deselect``
left unselected. What it cannot know is the items of files it never collected, or of
classes it never expanded: those parts are *missing*, and a sub-task with a missing
part is ``not-run``, never ``passed``.

Pure functions over plain data: the plugin fills in a ``Reach`` from pytest's config.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from pytest_tasktracker.rules.linking import Link, split_target
from pytest_tasktracker.slotted import Slotted

# pytest's own default for ``norecursedirs``.
DEFAULT_NORECURSE = (
    "*.egg",
    ".*",
    "_darcs",
    "build",
    "CVS",
    "dist",
    "node_modules",
    "venv",
    "{arch}",
)


class Reach(Slotted):
    """How much of the configured suite a run's collection covered.

    Paths are relative to the rootdir, with ``/``; ``""`` is the rootdir itself.
    """

    __slots__ = (
        "suite_roots",
        "run_roots",
        "short",
        "filtered",
        "pending",
        "rootdir",
        "norecurse",
        "in_part",
    )

    def __init__(
        self,
        suite_roots: tuple[str, ...],
        run_roots: tuple[str, ...],
        short: str | None = None,
        filtered: bool = False,
        pending: frozenset[str] = frozenset(),
        rootdir: Path | None = None,
        norecurse: tuple[str, ...] = DEFAULT_NORECURSE,
        in_part: bool = False,
    ) -> None:
        self.suite_roots = suite_roots  # what `pytest` from the rootdir collects (testpaths)
        self.run_roots = run_roots  # folders and files this run collected in whole
        self.short = short  # why the run did not collect the whole suite; None if it did
        self.filtered = filtered  # --ignore or --lf: files may be missing even under run_roots
        self.pending = pending  # collectors never expanded
        self.rootdir = rootdir  # for finding the files of the scope a run left out
        self.norecurse = norecurse
        self.in_part = in_part  # every file it collected may hold tests it left out (--lf)

    def suite_of(self, nodeids: Sequence[str]) -> list[str] | None:
        """The tests of ``nodeids`` in the configured suite; None when that is all."""
        if "" in self.suite_roots:
            return None
        prefixes = tuple(p for root in self.suite_roots for p in (root + "/", root + "::"))
        return [nodeid for nodeid in nodeids if nodeid.startswith(prefixes)]

    @property
    def whole(self) -> bool:
        return self.short is None

    def covers(self, folder: str) -> bool:
        """Whether this run collected everything under ``folder``."""
        if self.whole and any(under(folder, root) for root in self.suite_roots):
            return True
        return not self.filtered and any(under(folder, root) for root in self.run_roots)

    def partial(self, path: str, node: str) -> bool:
        """Whether a collector at or above ``path::node`` (or below it) was never expanded."""
        for pending in self.pending:
            file, rest = split_target(pending)
            if file != path:
                continue
            if not node or not rest or rest == node:
                return True
            if rest.startswith(node + "::") or node.startswith(rest + "::"):
                return True
        return False


def under(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or lies in it (both from the rootdir; "" is it)."""
    return not root or path == root or path.startswith(root.rstrip("/") + "/")


def suffix_match(path: str, target: str) -> bool:
    """Whether ``path`` is the file ``target`` names, matched by path suffix."""
    return path == target or path.endswith("/" + target)


_WILD = frozenset("*?[")


def name_matches(name: str, pattern: str) -> bool:
    """``fnmatch.fnmatch(name, pattern)``, without compiling a pattern for the shapes
    ``norecursedirs`` and ``python_files`` mostly hold: ``build``, ``*.egg``, ``.*``,
    ``test_*``. Each costs ``fnmatch`` a regular expression: 2 M instructions a run for
    pytest's nine default ``norecursedirs``."""
    name, pattern = os.path.normcase(name), os.path.normcase(pattern)
    body = pattern.strip("*")
    if _WILD.isdisjoint(body):
        if pattern == body:
            return name == body
        if pattern == "*" + body:
            return name.endswith(body)
        if pattern == body + "*":
            return name.startswith(body)
    return fnmatch.fnmatchcase(name, pattern)


class DiskFiles:
    """The ``.py`` files under the suite's roots, read once, as pytest would walk them:
    folders that ``norecursedirs`` names and virtual environments are left out."""

    def __init__(self, rootdir: Path, roots: Sequence[str], norecurse: Sequence[str]) -> None:
        self.rootdir = rootdir
        self.roots = roots
        self.norecurse = tuple(norecurse) or DEFAULT_NORECURSE
        self._files: list[str] | None = None
        self.folders: list[str] = []  # every folder walked or left out, once walked

    def files(self) -> list[str]:
        if self._files is None:
            self._files = sorted(set(self._walk()))
        return self._files

    def _walk(self) -> Iterable[str]:
        for root in self.roots:
            top = self.rootdir / root if root else self.rootdir
            if top.is_file():
                yield root
                continue
            self.folders += [str(top), str(top.parent)]
            for folder, dirs, files in os.walk(top):
                named = [d for d in dirs if not self._named(d)]
                # a folder left out for what it holds (a venv) is in by the next look
                self.folders += [folder, *(os.path.join(folder, d) for d in named)]
                dirs[:] = [d for d in named if not (Path(folder, d) / "pyvenv.cfg").is_file()]
                base = Path(folder).relative_to(self.rootdir).as_posix()
                prefix = "" if base == "." else base + "/"
                yield from (prefix + name for name in files if name.endswith(".py"))

    def _named(self, name: str) -> bool:
        """Whether ``norecursedirs`` leaves a folder out by its name."""
        return any(name_matches(name, pattern) for pattern in self.norecurse)

    def named(self, target: str) -> list[str]:
        return [path for path in self.files() if suffix_match(path, target)]


def collectable_outside(
    rootdir: Path,
    suite_roots: Sequence[str],
    run_roots: Sequence[str],
    patterns: Sequence[str],
    norecurse: Sequence[str] = DEFAULT_NORECURSE,
    venvs: bool = False,
) -> str | None:
    """A file under the suite's roots but under none of the run's roots whose name
    matches one of ``patterns`` (``python_files``, doctest globs): one that `pytest`
    from the rootdir would collect and this run did not look at. None when there is
    none: then a run of those roots (``pytest tests``) collected the whole suite.

    Read as pytest reads them: a pattern with a "/" is matched against the whole path
    (``checks/*.py``); a folder holding ``pyvenv.cfg`` is left out unless ``venvs``
    (``--collect-in-virtualenv``). pytest follows a linked folder, which is not walked
    here: one that the run did not look at is named instead, as a part it may have
    left out."""
    skip = tuple(norecurse) or DEFAULT_NORECURSE
    for root in suite_roots:
        top = rootdir / root if root else rootdir
        for folder, dirs, files in os.walk(top):
            base = Path(folder).relative_to(rootdir).as_posix()
            prefix = "" if base == "." else base + "/"
            if any(under(base if prefix else "", given) for given in run_roots if given):
                dirs[:] = []
                continue
            dirs[:] = [
                d
                for d in dirs
                if not any(_pytest_matches(os.path.join(folder, d), d, p) for p in skip)
                and (venvs or not (Path(folder, d) / "pyvenv.cfg").is_file())
            ]
            for d in dirs:
                if os.path.islink(os.path.join(folder, d)) and not any(
                    under(prefix + d, given) for given in run_roots
                ):
                    return prefix + d
            for name in files:
                path = prefix + name
                if any(under(path, given) for given in run_roots):
                    continue
                where = os.path.join(folder, name)
                if any(_pytest_matches(where, name, pattern) for pattern in patterns):
                    return path
    return None


def _pytest_matches(path: str, name: str, pattern: str) -> bool:
    """Whether ``pattern`` matches the file or folder at ``path`` as pytest matches
    ``python_files`` and ``norecursedirs`` (``_pytest.pathlib.fnmatch_ex``): by name,
    or, for a pattern with a "/", by the whole path."""
    if "/" not in pattern and os.sep not in pattern:
        return name_matches(name, pattern)
    pattern = pattern.replace("/", os.sep)
    if not os.path.isabs(pattern):
        pattern = f"*{os.sep}{pattern}"
    return fnmatch.fnmatch(path, pattern)


class FileIndex:
    """The files a run collected, by file name: a named file is found by path suffix
    among the few of that name, not by a look at every file."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = frozenset(files)
        self.by_name: dict[str, list[str]] = {}
        for file in sorted(self.files):
            self.by_name.setdefault(file.rpartition("/")[2], []).append(file)

    def __contains__(self, file: str) -> bool:
        return file in self.files

    def named(self, target: str) -> list[str]:
        candidates = self.by_name.get(target.rpartition("/")[2], ())
        return [file for file in candidates if suffix_match(file, target)]


def gaps(links: Sequence[Link], reach: Reach, nodeids: Sequence[str]) -> dict[str, list[str]]:
    """For each sub-task id, the parts of its scope the run did not collect in whole.
    Sub-tasks linked through the same names have the same gaps: found once."""
    files: FileIndex | None = None
    disk = None
    if not reach.whole and reach.rootdir is not None:
        disk = DiskFiles(reach.rootdir, reach.suite_roots, reach.norecurse)
    found: dict[str, list[str]] = {}
    known: dict[tuple[str | None, tuple[str, ...]], list[str]] = {}
    for link in links:
        key = (link.rule, link.targets)
        missing = known.get(key)
        if missing is None:
            if link.rule in ("explicit", "named", "step") and files is None:
                files = FileIndex(nodeid.partition("::")[0] for nodeid in nodeids)
            missing = known[key] = missing_parts(link, reach, files or FileIndex(()), disk)
        if missing:
            found[link.subtask.id] = missing
    return found


def missing_parts(
    link: Link, reach: Reach, collected_files: FileIndex, disk: DiskFiles | None
) -> list[str]:
    """The parts of ``link``'s scope this run did not collect in whole, in words."""
    if link.rule is None:
        return []
    if link.rule == "marker":
        if reach.whole:
            return []
        return [f"its tests are found by @pytest.mark.task markers, and {reach.short}"]
    if link.rule == "suite":
        return [] if reach.whole else [f"it asks for the whole suite, and {reach.short}"]
    missing: list[str] = []
    for target in link.targets:
        path, node = split_target(target)
        if not path.endswith(".py") and not collected_files.named(path):
            folder = path.rstrip("/")
            if reach.rootdir is not None and (reach.rootdir / folder).is_file():
                # A file the run could not collect (README.rst without --doctest-glob):
                # a run of its folder did not run it.
                missing.append(f"{folder} was not collected")
            elif not reach.covers(folder):
                missing.append(f"{folder}/ was not collected in whole")
            continue
        found = collected_files.named(path)
        if not reach.whole and disk is not None:
            found.extend(file for file in disk.named(path) if file not in found)
        if not found and len(link.targets) > 1:  # one name of several matches nothing
            missing.append(f"no collected test matches {target}")
        for file in found:
            if file not in collected_files:
                missing.append(f"{file} was not collected")
            elif reach.in_part:
                missing.append(f"{file} was collected only in part ({reach.short})")
            elif reach.partial(file, node):
                missing.append(f"{file} was collected only in part")
    return list(dict.fromkeys(missing))
