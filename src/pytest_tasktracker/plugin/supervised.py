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


_COUNTS = struct.Struct("<QQd")  # started, finished, start time: at offset 1
_ENDED_AT = 1 + _COUNTS.size
_LENGTH = struct.Struct("<H")  # at _ENDED_AT + 1


class Recorder:
    """pytest hooks that keep the status file current (controller or serial run): per
    test one ``pack_into`` at its start (with its id) and one at its end."""

    def __init__(self, path: Path) -> None:
        with path.open("r+b") as file:
            self._map = mmap.mmap(file.fileno(), SIZE)
        self.started = 0
        self.finished = 0
        _HEAD.pack_into(self._map, 0, 1, 0, 0, 0.0, False, 0)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        data = nodeid.encode("utf-8", "replace")[:_MAX_ID]
        self._map[_HEAD.size : _HEAD.size + len(data)] = data
        _LENGTH.pack_into(self._map, _ENDED_AT + 1, len(data))
        self.started += 1
        _COUNTS.pack_into(self._map, 1, self.started, self.finished, time.time())

    def pytest_runtest_logfinish(self) -> None:
        self.finished += 1
        _FINISHED.pack_into(self._map, 1 + 8, self.finished)

    def pytest_unconfigure(self) -> None:
        self._map[_ENDED_AT] = 1
        self._map.flush()


_FINISHED = struct.Struct("<Q")


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
