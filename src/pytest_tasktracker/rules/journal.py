"""The run journal, ``<state>/journal.jsonl``: the tool's own record of what it wrote.

Every writer of evidence (a tracked run, ``verify``, ``combine``) appends one line under
the state folder's lock, after the file is written and before it replaces the old one:
the SHA-256 of each evidence file as written (``results.json``, ``checks.json``), the
run that wrote it (id, time, argv, code state, collection, tracker) and the blockers
open after it. Each line names the SHA-256 of the line before it (``prev``, its first
key), so a line changed or removed breaks the chain.

A judge trusts an evidence file only when its digest is the one the journal recorded
last for it, or the one before (a writer killed between its line and its replace
leaves the older file, which a run wrote too). Anything else was not written by a
recorded run: a hand edit, a ``python -c``, a file copied in. An open blocker the
journal recorded stays open until a run resolves it, whatever happens to its file.

This makes tampering detectable, not impossible: a process of the same user that
re-implements this writer can append a line of its own (docs/limits.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tasktracker.paths import relative
from pytest_tasktracker.runinfo import now
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.fileio import set_aside

if TYPE_CHECKING:
    from pytest_tasktracker.settings import Settings

SCHEMA = "pytest-tasktracker/journal/1"
FILE = "journal.jsonl"
RESULTS = "results.json"
CHECKS = "checks.json"
ROTATE_AT = 1000  # lines; the journal then starts again, its first line chained to the last
_PREV = '{"prev": "'  # every line starts so, then 64 hex digits
_ABSENT = "-"  # a file the journal knows was removed by the tool


class RecordedBlocker(Slotted):
    """An open blocker as the journal recorded it (its file may be gone)."""

    __slots__ = ("name", "kind", "summary", "affected")

    def __init__(self, name: str, kind: str, summary: str, affected: tuple[str, ...]) -> None:
        self.name = name  # the file name in blockers/
        self.kind = kind
        self.summary = summary
        self.affected = affected


class Journal(Slotted):
    """What the journal says now: the digests of the evidence files as last written (and
    as written before that), the open blockers, and why nothing in it can be trusted."""

    __slots__ = ("last", "before", "blockers", "problem", "tracker", "lines", "tail")

    def __init__(
        self,
        last: dict[str, str],
        before: dict[str, str],
        blockers: dict[str, RecordedBlocker],
        problem: str | None,
        tracker: str | None = None,
        lines: int = 0,
        tail: str = "",
    ) -> None:
        self.last = last
        self.before = before
        self.blockers = blockers
        self.problem = problem  # None: a sound journal; else why nothing in it is trusted
        self.tracker = tracker  # the tracker its last line's writer judged
        self.lines = lines
        self.tail = tail  # the SHA-256 of its last line: the next line's prev

    @property
    def exists(self) -> bool:
        return self.lines > 0 or self.problem is not None

    def untrusted(self, name: str, digest: str | None) -> str | None:
        """Why the evidence file ``name`` (its SHA-256, None when there is no file) is
        not to be trusted; None when a recorded writer wrote it."""
        if digest is None:
            return None  # no file: nothing to trust or distrust
        if self.problem is not None:
            return self.problem
        if not self.exists:
            return f"{name} was recorded before runs were journaled (no {FILE})"
        if digest in (self.last.get(name), self.before.get(name)):
            return None
        return f"{name} was not written by a recorded run"


def tracker_key(settings: Settings) -> str:
    """The tracker as the journal names it: from the state folder, with ``/``."""
    return Path(relative(settings.tracker, settings.state)).as_posix()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_once(path: Path) -> bytes | None:
    """The bytes of the state file at ``path``, in one read, for its digest and its
    contents to come from the same bytes; None when there is none. A file read twice
    could be two files (a FIFO that serves the journaled bytes to the digest and a
    forgery to the reader). Only a regular file is read: a FIFO would block, and a link
    is not the tool's; OSError for anything else."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        return None
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        return file.read()


def file_digest(path: Path) -> str | None:
    """The SHA-256 of the file at ``path``, read in pieces; None when there is none."""
    hasher = hashlib.sha256()
    try:
        with path.open("rb") as file:
            while chunk := file.read(1 << 20):
                hasher.update(chunk)
    except FileNotFoundError:
        return None
    return hasher.hexdigest()


NO_JOURNAL = Journal({}, {}, {}, None)


# The bytes of each journal this process has read, up to the end of its last line whose
# chain was verified: a journal only grows (until it rotates), so the next read checks
# that these bytes are still its start, a comparison, and hashes only the lines after
# them. A run reads its journal three times; a mature one holds 1,000 lines.
_verified: dict[Path, bytes] = {}


def read(state: Path) -> Journal:
    """The journal of ``state``; a missing one is NO_JOURNAL, a damaged one a Journal
    whose ``problem`` says where. A last line without its newline is an append that
    did not finish (a kill, a full disk): it is passed over."""
    path = state / FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return NO_JOURNAL
    except OSError as error:
        return Journal({}, {}, {}, f"{_shown(state)} cannot be read ({error.strerror})")
    known = _verified.get(path, b"")
    found = parse(raw, _shown(state), known if raw.startswith(known) else b"")
    if found.problem is None:
        _verified[path] = raw[: raw.rfind(b"\n") + 1]
    else:
        _verified.pop(path, None)
    return found


def _shown(state: Path) -> str:
    return relative(state / FILE)


def parse(raw: bytes, shown: str = FILE, verified: bytes = b"") -> Journal:
    """A journal's bytes as a Journal (see ``read``); ``verified``: whole lines at the
    start of ``raw`` whose chain is known to hold (their links are not hashed again)."""
    lines = raw.split(b"\n")
    lines.pop()  # what follows the last newline: empty, or an unfinished append
    skip = verified.count(b"\n")
    previous = lines[skip - 1] if skip else b""
    for number, line in enumerate(lines[skip:], skip + 1):
        start = line[: len(_PREV) + 64].decode("ascii", "replace")
        if not start.startswith(_PREV):
            return _damaged(shown, number, "it is not a journal line")
        if number > 1 and start[len(_PREV) :] != sha256(previous + b"\n"):
            return _damaged(shown, number, "it does not follow the line before it")
        previous = line
    if not lines:
        return Journal({}, {}, {}, None)
    try:
        last = _line(lines[-1])
        before = _line(lines[-2]) if len(lines) > 1 else {}
    except ValueError as error:
        return _damaged(shown, len(lines), str(error))
    return Journal(
        _files(last),
        _files(before),
        _blockers(last),
        None,
        str(last["tracker"]) if isinstance(last.get("tracker"), str) else None,
        len(lines),
        sha256(lines[-1] + b"\n"),
    )


def _damaged(shown: str, number: int, why: str) -> Journal:
    return Journal({}, {}, {}, f"{shown} is damaged at line {number} ({why})")


def _line(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValueError("not JSON") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ValueError(f"not a {SCHEMA} line")
    if not isinstance(data.get("files"), dict) or not isinstance(data.get("blockers"), dict):
        raise ValueError("no files or blockers")
    return data


def _files(line: Mapping[str, Any]) -> dict[str, str]:
    files = line.get("files") or {}
    return {str(k): str(v) for k, v in files.items() if isinstance(v, str) and v != _ABSENT}


def _blockers(line: Mapping[str, Any]) -> dict[str, RecordedBlocker]:
    found = {}
    for name, data in (line.get("blockers") or {}).items():
        if not isinstance(data, dict):
            continue
        affected = data.get("affected")
        found[str(name)] = RecordedBlocker(
            str(name),
            str(data.get("kind", "")),
            str(data.get("summary", "")),
            tuple(str(i) for i in affected) if isinstance(affected, list) else (),
        )
    return found


def blocker_record(kind: str, summary: str, affected: list[str]) -> dict[str, Any]:
    """A blocker as a journal line keeps it."""
    return {"kind": kind, "summary": summary[:200], "affected": affected}


def append(
    state: Path,
    *,
    by: str,
    tracker: str,
    files: Mapping[str, str | None] | None = None,
    opened: Mapping[str, Mapping[str, Any]] | None = None,
    resolved: tuple[str, ...] | list[str] = (),
    run: Mapping[str, Any] | None = None,
) -> str | None:
    """Append one line: ``files`` written (name -> digest, None when removed), blockers
    ``opened`` (name -> blocker_record) and ``resolved``, by ``by`` (run, verify,
    combine), with the ``run`` that wrote them. Call it under the state folder's lock.
    Returns a warning when the journal was damaged: it is then set aside and started
    again (nothing in the damaged one is trusted, and nothing is lost)."""
    warning = None
    journal = read(state)
    path = state / FILE
    if journal.problem is not None:
        aside = set_aside(path)
        warning = f"{journal.problem}; moved it to {aside.name} and started a new one"
        journal = NO_JOURNAL
    elif journal.lines >= ROTATE_AT:
        os.replace(path, path.with_name(FILE + ".1"))
    current = dict(journal.last)
    for name, digest in (files or {}).items():
        if digest is None:
            current.pop(name, None)
        else:
            current[name] = digest
    blockers = {
        name: blocker_record(b.kind, b.summary, list(b.affected))
        for name, b in journal.blockers.items()
        if name not in resolved
    }
    blockers.update({name: dict(data) for name, data in (opened or {}).items()})

    line: dict[str, Any] = {
        "prev": journal.tail or "0" * 64,
        "schema": SCHEMA,
        "time": now(),
        "by": by,
        "tracker": tracker,
        "files": current,
        "blockers": blockers,
    }
    if run is not None:
        line["run"] = dict(run)
    text = json.dumps(line, ensure_ascii=False, separators=(", ", ": ")) + "\n"
    _append_line(path, text.encode("utf-8"))
    return warning


def _append_line(path: Path, data: bytes) -> None:
    """One write of one line, at the end: a kill leaves the line whole or absent. A line
    an earlier append left unfinished is cut away first; a short write is undone."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
    try:
        size = os.fstat(fd).st_size
        if size:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                kept = _last_newline(fd, size)
                os.ftruncate(fd, kept)
                size = kept
        written = os.write(fd, data)
        if written != len(data):
            os.ftruncate(fd, size)
            raise OSError(28, "the line could not be written whole")
    finally:
        os.close(fd)


def _last_newline(fd: int, size: int) -> int:
    """The length of the file up to and with its last newline (0 when it has none)."""
    position = size
    while position > 0:
        start = max(0, position - 4096)
        chunk = os.pread(fd, position - start, start)
        found = chunk.rfind(b"\n")
        if found >= 0:
            return start + found + 1
        position = start
    return 0
