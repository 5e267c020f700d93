"""The state of the code a run proved something on: a digest of the files that can change
a test's result, and a manifest to say which of them changed since.

Counted: the test files and the project's source and configuration under the root,
tracked or not, ignored files left out. Not counted: the tracker, the state folder (and
any other folder holding our results.json and code.json: another shard's, an artifact),
and documentation (``*.md``, ``*.rst``, ``docs/``), whose edits change no test's result.

With git (the usual case) the index gives the hash of every unchanged tracked file, and
only the files ``git status`` names are read and hashed, as git hashes them. Without git,
a walk hashes every file (skipping hidden folders, virtualenvs and caches).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

MANIFEST = "code.json"  # in the state folder: the files of recent code states
KEPT_STATES = 8
_DOC_SUFFIXES = (".md", ".rst", ".adoc")
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "build", "dist", "site"})
_BIG = 4 * 1024 * 1024  # larger files (data) are known by size and time, not read


class CodeState(NamedTuple):
    digest: str
    files: dict[str, str]  # path relative to the root -> content hash

    def changed_since(self, old: Mapping[str, str]) -> list[str]:
        """The files added, removed or changed between ``old`` and this state, sorted."""
        paths = set(old) | set(self.files)
        return sorted(path for path in paths if old.get(path) != self.files.get(path))


def _blob_hash(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        if size > _BIG:
            stat = path.stat()
            return f"size-{size}-{stat.st_mtime_ns}"
        data = path.read_bytes()
    except OSError:
        return None
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _counted(relative: str, excluded: Sequence[str]) -> bool:
    if relative.endswith(_DOC_SUFFIXES) or relative.startswith("docs/"):
        return False
    return not any(relative == ex or relative.startswith(ex + "/") for ex in excluded)


def _git(root: Path, *args: str) -> bytes | None:
    import subprocess  # only where there is a repository

    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            check=False,
            timeout=60,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _from_git(root: Path) -> dict[str, str] | None:
    """Paths relative to ``root`` -> hashes, from the index and ``git status``."""
    prefix = _git(root, "rev-parse", "--show-prefix")
    if prefix is None:  # not in a repository (or no git): one call, not three
        return None
    staged = _git(root, "ls-files", "-s", "-z", "--", ".")
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if staged is None or status is None:
        return None
    top = prefix.decode("utf-8", "surrogateescape").strip()  # root within the repository
    files: dict[str, str] = {}
    for record in staged.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        if meta.startswith(b"160000"):  # a submodule: its commit
            continue
        files[name.decode("utf-8", "surrogateescape")] = meta.split()[1].decode()
    entries = status.split(b"\0")
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        kind, named = entry[:2], entry[3:].decode("utf-8", "surrogateescape")
        if kind[:1] in (b"R", b"C"):
            index += 1  # the source of a rename or copy follows
        relative = named.removeprefix(top)  # status names paths from the repository's top
        found = _blob_hash(root / relative)
        if found is None:
            files.pop(relative, None)
        else:
            files[relative] = found
    return files


def _from_walk(root: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in _SKIP_DIRS
            and not d.endswith(".egg-info")
            and not (Path(folder) / d / "pyvenv.cfg").exists()
        )
        for name in names:
            path = Path(folder) / name
            found = _blob_hash(path)
            if found is not None:
                files[path.relative_to(root).as_posix()] = found
    return files


def _state_folders(files: Mapping[str, str]) -> list[str]:
    """Other state folders under the root (another run's ``--tracker-state``, downloaded
    CI artifacts): a folder holding both our results.json and code.json is evidence, not
    code."""
    found = []
    for name in files:
        folder, _, base = name.rpartition("/")
        if folder and base == MANIFEST and f"{folder}/results.json" in files:
            found.append(folder)
    return found


def code_state(root: Path, excluded: Sequence[Path] = ()) -> CodeState:
    """The code state under ``root``, leaving out ``excluded`` files and folders."""
    in_git = any((folder / ".git").exists() for folder in (root, *root.parents))
    files = _from_git(root) if in_git else None  # no git process where there is no .git
    if files is None:
        files = _from_walk(root)
    skip = []
    for path in excluded:
        try:
            skip.append(Path(os.path.relpath(path, root)).as_posix())
        except ValueError:
            continue
    skip += _state_folders(files)
    counted = {name: digest for name, digest in files.items() if _counted(name, skip)}
    hasher = hashlib.sha256()
    for name in sorted(counted):
        hasher.update(f"{name}\0{counted[name]}\n".encode("utf-8", "surrogateescape"))
    return CodeState(hasher.hexdigest()[:16], counted)


def remember(state_folder: Path, state: CodeState) -> None:
    """Keep ``state``'s manifest (the most recent few) to name what changes later."""
    from pytest_tasktracker.tracker.fileio import write_locked

    known = manifests(state_folder)
    if state.digest in known:
        return
    known[state.digest] = state.files
    kept = dict(list(known.items())[-KEPT_STATES:])
    text = json.dumps({"states": kept}, separators=(",", ":"), sort_keys=False)
    write_locked(state_folder / MANIFEST, text.encode("utf-8", "surrogateescape"))


def manifests(state_folder: Path) -> dict[str, dict[str, str]]:
    """The remembered manifests by digest; a missing or hand-broken file is none."""
    try:
        data = json.loads((state_folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    states = data.get("states") if isinstance(data, dict) else None
    if not isinstance(states, dict):
        return {}
    return {
        str(digest): {str(k): str(v) for k, v in files.items()}
        for digest, files in states.items()
        if isinstance(files, dict)
    }
