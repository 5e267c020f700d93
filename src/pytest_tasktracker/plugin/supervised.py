"""The run's heartbeat for ``tasktracker run``: which test is running, how many finished,
whether the session ended, in a small memory-mapped file the supervisor reads when pytest
hangs or dies. Registered only under the supervisor (``TASKTRACKER_STATUS`` set); a test
costs one write into memory, no system call.
"""

from __future__ import annotations

import mmap
import os
import signal
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest

STATUS_ENV = "TASKTRACKER_STATUS"
SIZE = 8192
# written (1), tests started, start time of the last one, length of its id; then at
# _ENDED one byte (the session ended) and from _ID the id itself.
_HEAD = struct.Struct("<BQdH")
_STARTED = struct.Struct("<QdH")  # what a test's start rewrites, at offset 1
_ENDED = _HEAD.size
_ID = _HEAD.size + 1
_MAX_ID = SIZE - _ID


class Stopped(KeyboardInterrupt):
    """The supervisor stopped the run (its timeout passed). pytest ends the session as
    after Ctrl-C, so the tests that finished are reported and judged: a sub-task whose
    whole scope finished keeps its evidence; the rest are not run."""


class Recorder:
    """One pytest hook that keeps the status file current (controller or serial run):
    at each test's start its id and one ``pack_into``. The test that was running is the
    last one that started; those before it finished.

    It also turns the supervisor's SIGTERM into ``Stopped`` while tests run; once the
    session is finishing, SIGTERM is ignored so that the evidence is written (the
    supervisor's SIGKILL after its grace period still ends a run that takes too long)."""

    def __init__(self, path: Path) -> None:
        with path.open("r+b") as file:
            self._map = mmap.mmap(file.fileno(), SIZE)
        self.started = 0
        self.finishing = False
        _HEAD.pack_into(self._map, 0, 1, 0, 0.0, 0)
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._stop)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if not self.finishing:
            self.finishing = True
            raise Stopped("stopped by `tasktracker run`: its timeout passed")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self.finishing = True

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
