"""Which files under a project's root are its code, and where to find them.

Git or not, the same things are left out (tests/test_codestate.py holds both ways to one
table):

- tool output and caches: every hidden folder (``.git``, ``.tox``, ``.venv``,
  ``.pytest_cache``, ``.github``), ``__pycache__``, ``node_modules``, ``htmlcov``,
  ``*.egg-info``, a virtualenv under any name (a folder holding ``pyvenv.cfg``), and at
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
import os
import re
import stat
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple, TypeVar

_TOOL_FOLDERS = frozenset({"__pycache__", "node_modules", "htmlcov"})
_TOP_FOLDERS = frozenset({"build", "dist", "site", "docs"})  # only at the top of the root
_SUFFIXES = frozenset(
    {"pyc", "pyo", "log", "md", "rst", "adoc", *(f"sw{c}" for c in "abcdefghijklmnop")}
)
_NAMED = re.compile(r"\.coverage(?:\..*)?|\.DS_Store|#.*#|\.#.*", re.DOTALL)
STATE_MARKS = ("code.json", "code/run.json")  # beside results.json: another state folder
SETTLED_NS = 2_000_000_000  # a file changed more recently may change again unseen

Identity = tuple[int, int, int, int, int]  # mode, size, modified, changed (ns), inode
_Value = TypeVar("_Value")


def identity(found: os.stat_result) -> Identity:
    return (found.st_mode, found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


def settled(since: Identity) -> bool:
    """Whether a file was last changed long enough ago that a change within the clock's
    step cannot hide behind the same times."""
    return since[3] < time.time_ns() - SETTLED_NS


def _folder_is_code(folder: str) -> bool:
    """Whether files in ``folder`` (relative, ``/``-separated, "" for the root) can be
    code: it is not tool output, a cache or documentation."""
    if not folder:
        return True
    parts = folder.split("/")
    if parts[0] in _TOP_FOLDERS:
        return False
    for part in parts:
        if part[:1] == "." or part in _TOOL_FOLDERS or part.endswith(".egg-info"):
            return False
    return True


def _name_is_code(name: str) -> bool:
    if name[-1:] == "~" or (name[:1] in (".", "#") and _NAMED.fullmatch(name)):
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
        named = _NAMED.fullmatch
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

    def left_out(self, files: Mapping[str, object]) -> list[str]:
        """The folders of ``files`` that are never code whatever they are called: a
        virtualenv (it holds ``pyvenv.cfg``) and another state folder of ours (a shard's,
        a CI artifact: ``results.json`` beside ``code/run.json`` or ``code.json``)."""
        return [
            folder
            for folder, fine in self.folders.items()
            if fine
            and folder
            and (
                f"{folder}/pyvenv.cfg" in files
                or (
                    f"{folder}/results.json" in files
                    and any(f"{folder}/{mark}" in files for mark in STATE_MARKS)
                )
            )
        ]


def walk(root: Path) -> list[tuple[str, Identity]]:
    """Every file under ``root`` outside folders that are never code, relative to it,
    with what ``lstat`` says of it."""
    found: list[tuple[str, Identity]] = []
    stack = [("", str(root))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                relative = prefix + entry.name
                if not entry.is_dir(follow_symlinks=False):
                    try:
                        got = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    since = (got.st_mode, got.st_size, got.st_mtime_ns, got.st_ctime_ns, got.st_ino)
                    found.append((relative, since))
                elif _folder_is_code(relative) and not os.path.exists(entry.path + "/pyvenv.cfg"):
                    stack.append((relative + "/", entry.path))
    return found


def _git(root: Path, *args: str) -> bytes | None:
    import subprocess  # only where there is a repository

    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=60,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_LITERAL_PATHSPECS": "1"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


class Changes(NamedTuple):
    """What differs from git's index under a root: the tracked files that changed (or
    are gone, or unmerged) and the untracked ones, relative to the root; ``said``: git's
    own words, which name every change."""

    said: bytes
    changed: list[str]
    untracked: list[str]


def changes(root: Path) -> Changes | None:
    """What git says differs from its index under ``root``; None when ``root`` is not in
    a git work tree. Untracked folders that are tool output or a virtualenv are not
    looked into."""
    listed = _git(
        root,
        "ls-files",
        "-z",
        "-t",
        "-m",
        "-d",
        "-o",
        "--directory",
        "--no-empty-directory",
        "--exclude-standard",
    )
    if listed is None:
        return None
    changed: list[str] = []
    untracked: list[str] = []
    folders: list[str] = []
    for record in listed.decode("utf-8", "surrogateescape").split("\0"):
        if record[:1] == "?":
            (folders if record.endswith("/") else untracked).append(record[2:])
        elif record:  # C changed, R removed, M unmerged, K in the way
            changed.append(record[2:])
    inside = [
        "." if folder == "./" else folder
        for folder in folders
        if folder == "./"
        or (_folder_is_code(folder[:-1]) and not os.path.exists(f"{root}/{folder}pyvenv.cfg"))
    ]
    if inside:
        more = _git(root, "ls-files", "-z", "-o", "--exclude-standard", "--", *inside)
        if more is None:
            return None
        listed += b"\0\0" + more
        untracked += [path for path in more.decode("utf-8", "surrogateescape").split("\0") if path]
    return Changes(listed, changed, untracked)


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
    listed = _git(root, "ls-files", "-z", "-v")
    if listed is None:
        return None
    paths = [
        entry[2:]
        for entry in listed.decode("utf-8", "surrogateescape").split("\0")
        if len(entry) > 2 and (entry[0].islower() or entry[0] == "S")
    ]
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
    for folder in (root, *root.parents):
        marker = folder / ".git"
        if os.path.exists(marker):
            return marker
    return None


def index_identity(marker: Path) -> Identity | None:
    """What ``lstat`` says of the git index beside ``marker`` (a ``.git`` folder, or a
    worktree's ``.git`` file naming its own); None when it cannot be told, or it was
    written in the last two seconds."""
    if "GIT_DIR" in os.environ or "GIT_INDEX_FILE" in os.environ:
        return None
    folder = marker
    try:
        if not marker.is_dir():
            text = marker.read_text(encoding="utf-8").strip()
            if not text.startswith("gitdir:"):
                return None
            folder = marker.parent / text[len("gitdir:") :].strip()
        found = identity(os.lstat(folder / "index"))
    except FileNotFoundError:
        return (0, 0, 0, 0, 0)  # nothing was ever added
    except (OSError, UnicodeError):
        return None
    return found if settled(found) and stat.S_ISREG(found[0]) else None
