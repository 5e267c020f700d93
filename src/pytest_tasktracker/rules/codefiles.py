"""Which files under a project's root are its code, and where to find them.

Git or not, the same things are left out (tests/test_codestate.py holds both ways to one
table):

- tool output and caches: every hidden folder (``.git``, ``.tox``, ``.venv``,
  ``.pytest_cache``, ``.github``), ``__pycache__``, ``node_modules``, ``htmlcov``,
  ``*.egg-info``, a virtualenv under any name (a folder holding ``pyvenv.cfg`` and its
  Python, where git tracks no file), and at
  the top of the root ``build/``, ``dist/`` and ``site/``; bytecode (``*.pyc``,
  ``*.pyo``), coverage data (``.coverage``, ``.coverage.*``) and logs (``*.log``: a test
  tool such as mcp-tools-py writes its own into ``logs/`` beside the code);
- editor and system files: vim's swap files (``*.swp``, ``*.swo``, ...), backups
  (``*~``), emacs's ``#name#`` and ``.#name``, ``.DS_Store``;
- documentation (``*.md``, ``*.rst``, ``*.adoc``, ``docs/`` at the top), unless a run
  collected the file (a doctest file; ``codecache.code_files``'s ``also``).

With git, the index has the hash of every tracked file, and ``git ls-files`` says which
of them changed and which files are untracked (those ``.gitignore`` leaves out are not
code). Without git, a walk finds the files.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from pytest_tasktracker.lazyre import Lazy
from pytest_tasktracker.rules import codeprint
from pytest_tasktracker.rules.codeprint import SETTLED_NS
from pytest_tasktracker.slotted import Slotted

_SUFFIXES = frozenset(
    {"pyc", "pyo", "log", "md", "rst", "adoc", *(f"sw{c}" for c in "abcdefghijklmnop")}
)
_NAMED = Lazy(r"\.coverage(?:\..*)?|\.DS_Store|#.*#|\.#.*", re.DOTALL)


def _named(name: str) -> bool:
    """Whether ``name`` (starting with "." or "#") is a tool's file by its name."""
    return _NAMED().fullmatch(name) is not None


STATE_MARKS = ("code.json", "code/run.json")  # beside results.json: another state folder

Identity = tuple[int, int, int, int, int]  # mode, size, modified, changed (ns), inode
identity = codeprint.identity
_folder_is_code = codeprint.folder_is_code
_Value = TypeVar("_Value")


def settled(since: Identity) -> bool:
    """Whether a file was last changed long enough ago that a change within the clock's
    step cannot hide behind the same times."""
    return since[3] < time.time_ns() - SETTLED_NS


def _name_is_code(name: str) -> bool:
    if name[-1:] == "~" or (name[:1] in (".", "#") and _named(name)):
        return False
    _, dot, suffix = name.rpartition(".")
    return not (dot and suffix in _SUFFIXES)


def counted_by_default(relative: str) -> bool:
    """Whether ``relative`` (a path under the root, ``/``-separated; a folder ends with
    ``/``) is code by its name alone: not tool output, an editor's file or
    documentation."""
    if relative.endswith("/"):
        return _folder_is_code(relative[:-1])
    folder, _, name = relative.rpartition("/")
    return _folder_is_code(folder) and _name_is_code(name)


class Rules:
    """``counted_by_default`` for many paths: each folder is judged once."""

    def __init__(self) -> None:
        self.folders: dict[str, bool] = {}

    def kept(self, found: Iterable[tuple[str, _Value]]) -> dict[str, _Value]:
        """The (path, value) pairs of ``found`` whose path is code by its name."""
        judged = self.folders
        kept: dict[str, _Value] = {}
        named = _named
        for path, value in found:
            folder, _, name = path.rpartition("/")
            fine = judged.get(folder)
            if fine is None:
                fine = judged[folder] = _folder_is_code(folder)
            if not fine or name[-1:] == "~" or (name[:1] in (".", "#") and named(name)):
                continue
            _, dot, suffix = name.rpartition(".")
            if not (dot and suffix in _SUFFIXES):
                kept[path] = value
        return kept

    def left_out(self, files: Mapping[str, object], tracked: Collection[str] = ()) -> list[str]:
        """The folders of ``files`` that are never code whatever they are called: a
        virtualenv (it holds ``pyvenv.cfg``, and git tracks no file in it: a
        ``pyvenv.cfg`` dropped into the tests' folder does not hide them) and another
        state folder of ours (a shard's, a CI artifact: ``results.json`` beside
        ``code/run.json`` or ``code.json``)."""
        return [
            folder
            for folder, fine in self.folders.items()
            if fine
            and folder
            and (
                (
                    f"{folder}/pyvenv.cfg" in files
                    and any(f"{folder}/{python}" in files for python in VENV_PYTHONS)
                    and not _holds(tracked, folder)
                )
                or (
                    f"{folder}/results.json" in files
                    and any(f"{folder}/{mark}" in files for mark in STATE_MARKS)
                )
            )
        ]


VENV_PYTHONS = ("bin/python", "Scripts/python.exe")  # as codeprint.is_virtualenv reads


def _holds(paths: Collection[str], folder: str) -> bool:
    """Whether any of ``paths`` is inside ``folder``."""
    inside = f"{folder}/"
    return any(path.startswith(inside) for path in paths)


def walk(root: Path) -> list[tuple[str, Identity]]:
    """Every file under ``root`` outside folders that are never code, relative to it,
    with what ``lstat`` says of it."""
    return codeprint.walk(str(root))


def _git(root: Path, *args: str) -> bytes | None:
    return codeprint.git(str(root), *args)


class Changes(Slotted):
    """What differs from git's index under a root: the tracked files that changed (or
    are gone, or unmerged) and the untracked ones, relative to the root; ``said``: git's
    own words, which name every change."""

    __slots__ = ("said", "changed", "untracked")

    def __init__(self, said: bytes, changed: list[str], untracked: list[str]) -> None:
        self.said = said
        self.changed = changed
        self.untracked = untracked


def changes(root: Path) -> Changes | None:
    """What git says differs from its index under ``root``; None when ``root`` is not in
    a git work tree. Untracked folders that are tool output or a virtualenv are not
    looked into."""
    found = codeprint.changes(str(root))
    return Changes(*found) if found is not None else None


def flagged(root: Path, marker: Path, folder: Path | None) -> list[str] | None:
    """The files under ``root`` whose changes git does not look for: marked
    ``--assume-unchanged`` or ``--skip-worktree`` in its index (``git ls-files -v``: a
    lowercase tag, or ``S``). They are hashed as untracked files are, or a changed file
    would hide behind its index hash. Listed again only when the index changed (kept in
    ``folder``); None when git cannot say."""
    index = index_identity(marker)
    record = folder / "flagged.json" if folder is not None else None
    if index is not None and record is not None:
        try:
            kept = json.loads(record.read_text(encoding="utf-8"))
            if kept["index"] == list(index) and kept["root"] == str(root):
                return [str(path) for path in kept["paths"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    paths = codeprint.flagged_paths(str(root))
    if paths is None:
        return None
    if index is not None and record is not None:
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            data = {"index": list(index), "root": str(root), "paths": paths}
            record.write_text(json.dumps(data), encoding="utf-8")
        except OSError:
            pass
    return paths


def tracked(root: Path) -> list[tuple[str, str]] | None:
    """Every file in git's index under ``root`` with the hash git has for it (the file's
    content when git finds it unchanged); submodules left out."""
    listed = _git(root, "ls-files", "-z", "-s")
    if listed is None:
        return None
    found = []
    for record in listed.decode("utf-8", "surrogateescape").split("\0"):
        tab = record.find("\t", 9)
        if tab > 0 and record[:6] != "160000":
            found.append((record[tab + 1 :], record[7 : tab - 2]))
    return found


def in_git(root: Path) -> Path | None:
    """The ``.git`` of the repository ``root`` is in, if any: no git process where none."""
    found = codeprint.in_git(str(root))
    return Path(found) if found is not None else None


def index_identity(marker: Path) -> Identity | None:
    """What ``lstat`` says of the git index beside ``marker`` (a ``.git`` folder, or a
    worktree's ``.git`` file naming its own); None when it cannot be told, or it was
    written in the last two seconds."""
    return codeprint.index_identity(str(marker))
