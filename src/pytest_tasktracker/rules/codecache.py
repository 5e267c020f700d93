"""The files of a code state and their digest, without reading what has not changed.

Every tracked run and every judge takes the code state, so it must be cheap where nothing
changed (issue #28: under 50 ms on a clean 20,000-file repository; ``benchmarks/
bench_codestate.py``). Two records in the state folder make it so:

- ``code/digest.json``: the last digest, under a key made of everything that decides it:
  the root, the files left out and added, the git index as ``lstat`` sees it, git's list
  of changed and untracked files, and ``lstat`` of each of those (of every file without
  git). When the key is the same, so is the digest: the index's hashes are not listed and
  no file is read. Anything changed in the last two seconds is not trusted to the key.
- ``code/hashes.json``: the hash of each file hashed here (changed, untracked, every file
  without git), by its ``lstat``: a file is read again only when that changed.

The files themselves (path -> hash, for a manifest naming what changed) are listed only
when asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import stat
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.rules.codefiles import (
    Identity,
    Rules,
    changes,
    counted_by_default,
    flagged,
    identity,
    in_git,
    index_identity,
    tracked,
    walk,
)
from pytest_tasktracker.rules.codeprint import SETTLED_NS
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.fileio import write_locked

_VERSION = 1  # of the rules that decide a digest: a new one makes every key new
_BIG = 4 * 1024 * 1024  # larger files (data) are known by size and time, not read


def blob_hash(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def digest_of(files: Mapping[str, str]) -> str:
    """The digest of a set of files and their hashes (16 hex digits)."""
    lines = "".join(f"{name}\0{files[name]}\n" for name in sorted(files))
    return hashlib.sha256(lines.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _load(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(path: Path | None, data: object) -> None:
    if path is None:
        return

    text = json.dumps(data, separators=(",", ":"))
    # not written (a read-only state folder): the next look does the work again
    with contextlib.suppress(OSError, TrackerError):
        write_locked(path, text.encode("utf-8", "surrogateescape"))


class _Hashes:
    """``code/hashes.json``: files hashed before, by their ``lstat``."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        known = _load(path).get("files")
        self.known: dict[str, object] = known if isinstance(known, dict) else {}
        self.used: dict[str, object] = {}
        self.settled = time.time_ns() - SETTLED_NS

    def hash(self, root: str, relative: str, since: Identity) -> str | None:
        """The hash of ``root/relative`` as ``lstat`` said ``since``: of its bytes, of a
        symbolic link's target name (as git hashes a link); None for anything else, or
        a file gone."""
        earlier = self.known.get(relative)
        if isinstance(earlier, list) and len(earlier) == 6 and tuple(earlier[:5]) == since:
            self.used[relative] = earlier
            return str(earlier[5])
        mode, size = since[0], since[1]
        try:
            if stat.S_ISLNK(mode):
                digest = blob_hash(os.fsencode(os.readlink(f"{root}/{relative}")))
            elif not stat.S_ISREG(mode):
                return None
            elif size > _BIG:
                digest = f"size-{size}-{since[2]}"
            else:
                with open(f"{root}/{relative}", "rb") as file:
                    digest = blob_hash(file.read())
        except OSError:
            return None
        if since[3] < self.settled:
            self.used[relative] = [*since, digest]
        return digest

    def save(self) -> None:
        if self.used != self.known:
            _save(self.path, {"files": self.used})


class _Files(Mapping[str, str]):
    """A code state's files, listed when first asked for."""

    def __init__(self, make: Callable[[], dict[str, str]]) -> None:
        self._make: Callable[[], dict[str, str]] | None = make
        self._files: dict[str, str] = {}

    def _all(self) -> dict[str, str]:
        if self._make is not None:
            self._files, self._make = self._make(), None
        return self._files

    def __getitem__(self, path: str) -> str:
        return self._all()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


# The configuration files a run loads, code wherever they are (``also``; its modules, by
# their ``.py``).
LOADED = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


class Listing(Slotted):
    __slots__ = ("digest", "files", "also")

    def __init__(self, digest: str, files: Mapping[str, str], also: tuple[str, ...]) -> None:
        self.digest = digest  # of ``files``
        self.files = files  # path relative to the root -> hash
        # the files of ``also`` hashed here: not code by their name, or modules and
        # configuration a run loaded, which git may ignore
        self.also = also


def code_files(
    root: Path,
    excluded: Collection[str] = (),
    also: Collection[str] = (),
    folder: Path | None = None,
) -> Listing:
    """The code under ``root``: its files and their digest, the records kept in
    ``folder`` (None: none kept).

    ``excluded``: files and folders (relative) never counted (the tracker, the state
    folder). ``also``: files counted though their name says they are not code (the
    documentation a run collected), where they exist."""
    text = str(root)
    marker = in_git(root)
    said = changes(root) if marker is not None else None
    if said is not None and marker is not None:
        hidden = flagged(root, marker, folder)
        if hidden is None:
            said = None  # git cannot say which files it ignores: walk, as without git
        elif hidden:
            said = said._replace(changed=[*said.changed, *hidden])
    rules = Rules()
    seen: dict[str, Identity | None]  # the files hashed here: changed, untracked, all without git
    if said is None:
        seen, index = dict(rules.kept(walk(root))), None
    else:
        named = rules.kept((path, path) for path in [*said.changed, *said.untracked])
        seen, index = _identities(text, named), index_identity(marker) if marker else None
    # a module, conftest.py or configuration file a run loaded is counted wherever it is,
    # also where git ignores it: hashed here (a tracked, unchanged one hashes as its
    # index entry does)
    wanted = sorted(
        path
        for path in set(also) - set(seen)
        if not counted_by_default(path) or path.endswith(".py") or path.rpartition("/")[2] in LOADED
    )
    extra = {path: _lstat(text, path) for path in wanted}
    key = None
    if said is None or index is not None:
        key = _key(root, excluded, wanted, index, said.said if said else None, seen, extra)
    cached = _load(folder / "digest.json" if folder else None)
    if key is not None and cached.get("key") == key:
        counted = cached.get("also")
        if isinstance(cached.get("digest"), str) and isinstance(counted, list):
            make = _maker(root, said is not None, seen, extra, excluded, folder)
            return Listing(str(cached["digest"]), _Files(make), tuple(map(str, counted)))
    files = _maker(root, said is not None, seen, extra, excluded, folder)()
    listing = Listing(
        digest_of(files), files, tuple(p for p in wanted if p in files and extra[p] is not None)
    )
    limit = time.time_ns() - SETTLED_NS
    if key is not None and folder and _settled([*seen.values(), *extra.values()], limit):
        _save(folder / "digest.json", {"key": key, "digest": listing.digest, "also": listing.also})
    return listing


def _settled(identities: Sequence[Identity | None], limit: int) -> bool:
    return all(since[3] < limit for since in identities if since is not None)


def _lstat(root: str, path: str) -> Identity | None:
    try:
        return identity(os.lstat(f"{root}/{path}"))
    except OSError:
        return None  # gone


def _identities(root: str, paths: Iterable[str]) -> dict[str, Identity | None]:
    """``_lstat`` of each of ``paths`` (inline: it runs for every untracked file)."""
    found: dict[str, Identity | None] = {}
    lstat = os.lstat
    for path in paths:
        try:
            got = lstat(f"{root}/{path}")
        except OSError:
            found[path] = None  # gone
            continue
        found[path] = (got.st_mode, got.st_size, got.st_mtime_ns, got.st_ctime_ns, got.st_ino)
    return found


def _key(
    root: Path,
    excluded: Collection[str],
    wanted: Sequence[str],
    index: Identity | None,
    said: bytes | None,
    seen: Mapping[str, Identity | None],
    extra: Mapping[str, Identity | None],
) -> str:
    parts = (_VERSION, str(root), sorted(excluded), index, said, list(seen.items()))
    data = marshal.dumps((parts, list(wanted), list(extra.items())))
    return hashlib.sha256(data).hexdigest()


def _maker(
    root: Path,
    with_git: bool,
    seen: Mapping[str, Identity | None],
    extra: Mapping[str, Identity | None],
    excluded: Collection[str],
    folder: Path | None,
) -> Callable[[], dict[str, str]]:
    """What lists the files: the index's hashes, with the files git does not know as they
    are (hashed here, or remembered), then what is never counted left out."""

    def make() -> dict[str, str]:
        text = str(root)
        rules = Rules()
        indexed = tracked(root) if with_git else []
        if indexed is None:  # git answered a moment ago: say so rather than guess
            raise OSError(f"git ls-files failed in {root}")
        files = rules.kept(indexed)
        in_index = list(files)
        for path in seen:
            files.pop(path, None)
        hashes = _Hashes(folder / "hashes.json" if folder else None)
        for path, since in seen.items():
            found = hashes.hash(text, path, since) if since is not None else None
            if found is not None:
                files[path] = found
        rules.kept((path, "") for path in seen)  # their folders, for left_out
        leave = rules.left_out(files, in_index)
        leave += [
            path
            for path in excluded
            if path in files or any(f"{place}/".startswith(f"{path}/") for place in rules.folders)
        ]
        if leave:
            prefixes = tuple(f"{place}/" for place in leave)
            files = {
                path: digest
                for path, digest in files.items()
                if not path.startswith(prefixes) and path not in leave
            }
            extras = {p: s for p, s in extra.items() if not p.startswith(prefixes)}
        else:
            extras = dict(extra)
        for path, since in extras.items():
            found = hashes.hash(text, path, since) if since is not None else None
            if found is not None and path not in leave:
                files[path] = found
        hashes.save()
        return files

    return make
