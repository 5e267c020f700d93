"""The run's heartbeat for ``tasktracker run``: which test is running, how many finished,
whether the session ended, in a small memory-mapped file the supervisor reads when pytest
hangs or dies. Registered only under the supervisor (``TASKTRACKER_STATUS`` set); a test
costs one write into memory, no system call.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

STATUS_ENV = "TASKTRACKER_STATUS"
SIZE = 8192
# written (1), tests started, start time of the last one, length of its id; then at
# _ENDED one byte (the session ended) and from _ID the id itself.
_HEAD = struct.Struct("<BQdH")
_STARTED = struct.Struct("<QdH")  # what a test's start rewrites, at offset 1
_ENDED = _HEAD.size
_ID = _HEAD.size + 1
_MAX_ID = SIZE - _ID


class Recorder:
    """One pytest hook that keeps the status file current (controller or serial run):
    at each test's start its id and one ``pack_into``. The test that was running is the
    last one that started; those before it finished."""

    def __init__(self, path: Path) -> None:
        with path.open("r+b") as file:
            self._map = mmap.mmap(file.fileno(), SIZE)
        self.started = 0
        _HEAD.pack_into(self._map, 0, 1, 0, 0.0, 0)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        data = nodeid.encode("utf-8", "replace")[:_MAX_ID]
        self._map[_ID : _ID + len(data)] = data
        self.started += 1
        _STARTED.pack_into(self._map, 1, self.started, time.time(), len(data))

    def pytest_unconfigure(self) -> None:
        self._map[_ENDED] = 1
        self._map.flush()


@dataclass(frozen=True)
class Status:
    """What the status file says (the supervisor's side)."""

    plugin_started: bool
    started: int
    finished: int
    running: str | None  # the test that had started and not finished
    running_since: float | None
    ended: bool


def create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * SIZE)


def read(path: Path) -> Status:
    try:
        raw = path.read_bytes()
    except OSError:
        raw = b""
    if len(raw) < _ID or raw[0] != 1:
        return Status(False, 0, 0, None, None, False)
    _, started, since, length = _HEAD.unpack(raw[: _HEAD.size])
    ended = bool(raw[_ENDED])
    nodeid = raw[_ID : _ID + length].decode("utf-8", "replace")
    running = nodeid if nodeid and not ended else None
    finished = started if ended else max(started - 1, 0)
    return Status(True, started, finished, running, since if running else None, ended)


def wanted() -> Path | None:
    value = os.environ.get(STATUS_ENV)
    return Path(value) if value else None
