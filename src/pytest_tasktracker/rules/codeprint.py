"""What git and ``lstat`` say of the code under a root, with the standard library's
cheapest parts only: ``codefiles`` lists the code from it, and the hook's quick path
takes a fingerprint from it (no ``typing``, ``pathlib``, ``re`` or ``subprocess``: each
would cost a hook call a third of Python's start again).

``fingerprint`` is what, unchanged, means the code state's digest (``codestate``) is
unchanged too: git's index as ``lstat`` sees it, the files git says differ from it and
``lstat`` of each, and of each file marked ``--assume-unchanged`` or
``--skip-worktree``; without git, ``lstat`` of every file the walk finds; the files a
run collected though not code by their name; and the run's environment (its
interpreter and the folders of its installed distributions). It is taken only when
nothing in it changed in the last two seconds. Every git call overrides the settings
of a repository that would have git miss a change (``TRUSTED``).
"""

from __future__ import annotations

import os
import sys
import time

from pytest_tasktracker.jsonscan import loads

TYPE_CHECKING = False  # typing costs the quick path 40 M instructions (it imports re)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TypeAlias

    Identity: TypeAlias = tuple[int, int, int, int, int]  # mode, size, times (ns), inode

TOOL_FOLDERS = frozenset({"__pycache__", "node_modules", "htmlcov"})
TOP_FOLDERS = frozenset({"build", "dist", "site", "docs"})  # only at the top of the root
SETTLED_NS = 2_000_000_000  # a file changed more recently may change again unseen
GIT_TIMEOUT = 60.0  # seconds
# Settings of the repository that would have git miss a change: comparing fewer of a
# file's times (a change with its modification time set back), trusting stat data
# alone, or a file-system monitor's or cache's word. Each call overrides them.
TRUSTED = (
    *("-c", "core.checkStat=default", "-c", "core.trustctime=true"),
    *("-c", "core.ignoreStat=false", "-c", "core.fsmonitor=false"),
    *("-c", "core.untrackedCache=false"),
)
# what differs from git's index: changed (C), removed (R), unmerged (M), untracked (?)
CHANGED = (
    *("ls-files", "-z", "-t", "-m", "-d", "-o"),
    *("--directory", "--no-empty-directory", "--exclude-standard"),
)


def identity(found: os.stat_result) -> Identity:
    return (found.st_mode, found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)


def folder_is_code(folder: str) -> bool:
    """Whether files in ``folder`` (relative, ``/``-separated, "" for the root) can be
    code: it is not tool output, a cache or documentation."""
    if not folder:
        return True
    parts = folder.split("/")
    if parts[0] in TOP_FOLDERS:
        return False
    for part in parts:
        if part[:1] == "." or part in TOOL_FOLDERS or part.endswith(".egg-info"):
            return False
    return True


def walk(root: str) -> list[tuple[str, Identity]]:
    """Every file under ``root`` outside folders that are never code, relative to it,
    with what ``lstat`` says of it."""
    found: list[tuple[str, Identity]] = []
    stack = [("", root)]
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
                elif folder_is_code(relative) and not is_virtualenv(entry.path):
                    stack.append((relative + "/", entry.path))
    return found


def is_virtualenv(path: str) -> bool:
    """Whether the folder ``path`` is a virtualenv: its ``pyvenv.cfg`` and its Python
    (a ``pyvenv.cfg`` alone, dropped beside code, does not make code tool output)."""
    return os.path.exists(path + "/pyvenv.cfg") and (
        os.path.lexists(path + "/bin/python") or os.path.lexists(path + "/Scripts/python.exe")
    )


def git(root: str, *args: str) -> bytes | None:
    """What ``git -C root ARGS`` prints, or None when it fails or takes over a minute."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_LITERAL_PATHSPECS": "1"}
    if not hasattr(os, "posix_spawnp"):  # pragma: no cover - Windows
        return _git_by_subprocess(root, args, env)
    read, write = os.pipe()
    actions = [
        (os.POSIX_SPAWN_DUP2, write, 1),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_CLOSE, read),
    ]
    try:
        try:
            argv = ["git", *TRUSTED, "-C", root, *args]
            pid = os.posix_spawnp("git", argv, env, file_actions=actions)
        finally:
            os.close(write)
    except OSError:
        os.close(read)
        return None
    chunks = []
    deadline = time.monotonic() + GIT_TIMEOUT
    try:
        import select  # a C module: the pipe is read with a deadline

        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([read], [], [], left)[0]:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                return None
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read)
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else None


def _git_by_subprocess(
    root: str, args: tuple[str, ...], env: dict[str, str]
) -> bytes | None:  # pragma: no cover - Windows
    import subprocess

    try:
        done = subprocess.run(
            ["git", *TRUSTED, "-C", root, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=GIT_TIMEOUT,
            env=env,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def in_git(root: str) -> str | None:
    """The ``.git`` of the repository ``root`` is in, if any: no git process where none."""
    folder = os.path.abspath(root)
    while True:
        marker = os.path.join(folder, ".git")
        if os.path.exists(marker):
            return marker
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def index_identity(marker: str) -> Identity | None:
    """What ``lstat`` says of the git index beside ``marker`` (a ``.git`` folder, or a
    worktree's ``.git`` file naming its own); None when it cannot be told, or it was
    written in the last two seconds."""
    if "GIT_DIR" in os.environ or "GIT_INDEX_FILE" in os.environ:
        return None
    folder = marker
    try:
        if not os.path.isdir(marker):
            with open(marker, encoding="utf-8") as file:
                text = file.read().strip()
            if not text.startswith("gitdir:"):
                return None
            folder = os.path.join(os.path.dirname(marker), text[len("gitdir:") :].strip())
        found = identity(os.lstat(os.path.join(folder, "index")))
    except FileNotFoundError:
        return (0, 0, 0, 0, 0)  # nothing was ever added
    except (OSError, UnicodeError):
        return None
    settled = found[3] < time.time_ns() - SETTLED_NS
    return found if settled and (found[0] & 0o170000) == 0o100000 else None


def changes(root: str) -> tuple[bytes, list[str], list[str]] | None:
    """What git says differs from its index under ``root`` (its words, the changed
    files, the untracked ones); None when ``root`` is not in a git work tree. Untracked
    folders that are tool output or a virtualenv are not looked into."""
    listed = git(root, *CHANGED)
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
        or (folder_is_code(folder[:-1]) and not is_virtualenv(f"{root}/{folder[:-1]}"))
    ]
    if inside:
        more = git(root, "ls-files", "-z", "-o", "--exclude-standard", "--", *inside)
        if more is None:
            return None
        listed += b"\0\0" + more
        untracked += [path for path in more.decode("utf-8", "surrogateescape").split("\0") if path]
    return listed, changed, untracked


def _lstat(path: str) -> list[int] | None:
    try:
        return list(identity(os.lstat(path)))
    except OSError:
        return None


def flagged_paths(root: str) -> list[str] | None:
    """The files under ``root`` marked ``--assume-unchanged`` or ``--skip-worktree`` in
    git's index (``git ls-files -v``: a lowercase tag, or ``S``); None when git cannot
    say."""
    listed = git(root, "ls-files", "-z", "-v")
    if listed is None:
        return None
    return [
        entry[2:]
        for entry in listed.decode("utf-8", "surrogateescape").split("\0")
        if len(entry) > 2 and (entry[0].islower() or entry[0] == "S")
    ]


def _flagged(records: str, index: Identity, root: str) -> list[str] | None:
    """The files marked ``--assume-unchanged`` or ``--skip-worktree``: as the code state
    last listed them for this index (``codefiles.flagged``), else from git."""
    try:
        with open(os.path.join(records, "flagged.json"), encoding="utf-8") as file:
            kept = loads(file.read())
    except (OSError, ValueError):
        kept = None
    if isinstance(kept, dict) and kept.get("index") == list(index) and kept.get("root") == root:
        paths = kept.get("paths")
        if isinstance(paths, list):
            return [str(path) for path in paths]
    return flagged_paths(root)


def host() -> str:
    """This machine's name (a run's environment is looked at again only on its machine)."""
    uname = getattr(os, "uname", None)
    return uname().nodename if uname is not None else os.environ.get("COMPUTERNAME", "")


def fingerprint(
    root: str, skip: Iterable[str], also: Iterable[str], where: Any, records: str
) -> list[Any] | None:
    """The code's fingerprint under ``root`` (see the module's docstring); None when it
    cannot be taken (git fails, a file changed in the last two seconds). ``skip``: files
    and folders never counted, relative (the tracker, the state folder); ``also``: files
    counted though not code by their name; ``where``: the run's environment as
    ``code/run.json`` records it (None: not looked at); ``records``: the state folder's
    ``code/``, where the code state keeps git's flagged files."""
    left_out = tuple(f"{path.rstrip('/')}/" for path in skip)
    skipped = set(skip)
    parts: list[Any] = []
    paths: list[str] = []
    marker = in_git(root)
    if marker is not None:
        index = index_identity(marker)
        said = changes(root)
        if index is None or said is None:
            return None
        flagged = _flagged(records, index, root)
        if flagged is None:
            return None
        parts.append(list(index))
        paths += [*said[1], "", *said[2], "", *flagged]
    else:
        paths += [path for path, _found in walk(root)]
    found: list[tuple[str, list[int] | None]] = [  # "" parts the lists
        (path, _lstat(f"{root}/{path}") if path else None)
        for path in [*paths, "", *also]
        if not path or (path not in skipped and not path.startswith(left_out))
    ]
    if isinstance(where, dict):
        sites = where.get("sites")
        parts += [host(), os.path.realpath(sys.executable)]
        for path in [str(where.get("executable")), *(sites if isinstance(sites, list) else [])]:
            found.append((f"/environment/{path}", _lstat(str(path))))
    limit = time.time_ns() - SETTLED_NS
    if any(path and since is not None and since[3] >= limit for path, since in found):
        return None
    return [*parts, [[path, since] for path, since in found]]  # as JSON reads it back
