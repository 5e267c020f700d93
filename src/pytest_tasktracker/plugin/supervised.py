"""The run's heartbeat for ``tasktracker run``: which test is running, how many finished,
whether the session ended, in a small memory-mapped file the supervisor reads when pytest
hangs or dies. Registered only under the supervisor (``TASKTRACKER_STATUS`` set); a test
costs two writes into memory, no system call.
"""

from __future__ import annotations

import mmap
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

STATUS_ENV = "TASKTRACKER_STATUS"
# written, started, finished, start time of the running test, ended, length of its id
_HEAD = struct.Struct("<BQQdBH")
SIZE = 8192
_MAX_ID = SIZE - _HEAD.size


class Recorder:
    """pytest hooks that keep the status file current (controller or serial run)."""

    def __init__(self, path: Path) -> None:
        with path.open("r+b") as file:
            self._map = mmap.mmap(file.fileno(), SIZE)
        self.started = 0
        self.finished = 0
        self._write("", 0.0, ended=False)

    def _write(self, nodeid: str, since: float, ended: bool) -> None:
        data = nodeid.encode("utf-8", "replace")[:_MAX_ID]
        self._map[_HEAD.size : _HEAD.size + len(data)] = data
        self._map[: _HEAD.size] = _HEAD.pack(
            1, self.started, self.finished, since, ended, len(data)
        )

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.started += 1
        self._write(nodeid, time.time(), ended=False)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.finished += 1
        head = _HEAD.unpack(self._map[: _HEAD.size])
        self._map[: _HEAD.size] = _HEAD.pack(1, self.started, self.finished, *head[3:])

    def pytest_unconfigure(self) -> None:
        head = _HEAD.unpack(self._map[: _HEAD.size])
        self._map[: _HEAD.size] = _HEAD.pack(*head[:4], True, head[5])
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
    if len(raw) < _HEAD.size or raw[0] != 1:
        return Status(False, 0, 0, None, None, False)
    _, started, finished, since, ended, length = _HEAD.unpack(raw[: _HEAD.size])
    nodeid = raw[_HEAD.size : _HEAD.size + length].decode("utf-8", "replace")
    running = nodeid if nodeid and started > finished else None
    return Status(True, started, finished, running, since if running else None, bool(ended))


def wanted() -> Path | None:
    value = os.environ.get(STATUS_ENV)
    return Path(value) if value else None
