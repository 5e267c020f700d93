"""The run's heartbeat for ``tasktracker run``: which tests are running, how many started
and finished, whether the session ended, in a small memory-mapped file the supervisor reads
when pytest hangs or dies. Registered only under the supervisor (``TASKTRACKER_STATUS``
set); a test costs a write into memory, no system call.

Under pytest-xdist the controller is told of each test's start and end on every worker
(xdist replays ``pytest_runtest_logstart`` and ``logfinish``), so the file names the test
running on each worker, not the last one to start anywhere; serially, the test that
started last is the one running.
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
from typing import Any, NamedTuple

import pytest

STATUS_ENV = "TASKTRACKER_STATUS"
SIZE = 8192
# written (1), tests started, tests finished, length of the running tests' text; then at
# _ENDED one byte (the session ended) and from _RUNNING the text: a line per running test,
# "<start time> <node id>", in the order they started.
_HEAD = struct.Struct("<BQQH")
_COUNTS = struct.Struct("<QQH")  # what a test's start or end rewrites, at offset 1
_ENDED = _HEAD.size
_RUNNING = _HEAD.size + 1
_MAX_TEXT = SIZE - _RUNNING


class Stopped(KeyboardInterrupt):
    """The supervisor stopped the run (its timeout passed). pytest ends the session as
    after Ctrl-C, so the tests that finished are reported and judged: a sub-task whose
    whole scope finished keeps its evidence; the rest are not run."""


class Recorder:
    """The hooks that keep the status file current (controller or serial run): at each
    test's start the running tests' text and one ``pack_into``. Serially a test's start
    is the end of the one before; under xdist each end is heard of too (``_Ends``,
    registered when the first worker is ready: a serial run pays no second hook).

    It also turns the supervisor's SIGTERM into ``Stopped`` while tests run; once the
    session is finishing, SIGTERM is ignored so that the evidence is written (the
    supervisor's SIGKILL after its grace period still ends a run that takes too long)."""

    def __init__(self, path: Path) -> None:
        with path.open("r+b") as file:
            self._map = mmap.mmap(file.fileno(), SIZE)
        self.started = 0
        self.finished = 0
        self.running: dict[str, bytes] = {}  # node id -> its line, in the order they started
        self.workers = False
        self.finishing = False
        _HEAD.pack_into(self._map, 0, 1, 0, 0, 0)
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
        if self.running and not self.workers:  # one test at a time: the one before ended
            self.running.clear()
            self.finished += 1
        self.running[nodeid] = f"{time.time():.3f} {nodeid}\n".encode("utf-8", "replace")
        self.started += 1
        self._write()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodeready(self, node: Any) -> None:
        """xdist: tests run side by side from now on; hear of each one's end."""
        config = getattr(node, "config", None)
        if not self.workers and config is not None:
            self.workers = True
            config.pluginmanager.register(_Ends(self), "tasktracker-heartbeat-ends")

    def ended(self, nodeid: str) -> None:
        if self.running.pop(nodeid, None) is not None:
            self.finished += 1
            self._write()

    def _write(self) -> None:
        data = b"".join(self.running.values())
        if len(data) > _MAX_TEXT:  # the tests that started first, whole lines
            data = data[: data.rfind(b"\n", 0, _MAX_TEXT) + 1]
        self._map[_RUNNING : _RUNNING + len(data)] = data
        _COUNTS.pack_into(self._map, 1, self.started, self.finished, len(data))

    def pytest_unconfigure(self) -> None:
        self._map[_ENDED] = 1
        self._map.flush()


class _Ends:
    """Under xdist, the end of each test on every worker (xdist replays ``logfinish`` on
    the controller), and of a test whose worker died (no ``logfinish`` comes)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.recorder.ended(nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: Any) -> None:
        self.recorder.ended(crashitem)


class Running(NamedTuple):
    nodeid: str
    since: float  # its start, as time.time() gives it


@dataclass(frozen=True)
class Status:
    """What the status file says (the supervisor's side)."""

    plugin_started: bool
    started: int
    finished: int
    running: tuple[Running, ...]  # the tests that had started and not finished, oldest first
    ended: bool


def create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0" * SIZE)


def read(path: Path) -> Status:
    try:
        raw = path.read_bytes()
    except OSError:
        raw = b""
    if len(raw) < _RUNNING or raw[0] != 1:
        return Status(False, 0, 0, (), False)
    _, started, finished, length = _HEAD.unpack(raw[: _HEAD.size])
    ended = bool(raw[_ENDED])
    running = []
    for line in raw[_RUNNING : _RUNNING + length].decode("utf-8", "replace").splitlines():
        since, _, nodeid = line.partition(" ")
        try:
            running.append(Running(nodeid, float(since)))
        except ValueError:
            continue
    if ended:
        return Status(True, started, started, (), True)
    return Status(True, started, finished, tuple(running), False)


def wanted() -> Path | None:
    value = os.environ.get(STATUS_ENV)
    return Path(value) if value else None
