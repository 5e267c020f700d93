"""``tasktracker run``: pytest in a child process, supervised.

The child is ``tasktracker run --in-process`` (pytest in-process with the early watch of
``runner``), in a process group of its own, its output streamed live. The supervisor
stops the whole group when ``--timeout`` passes (SIGTERM, then SIGKILL after a grace
period), and notices a child that died before its session ended (a signal, ``os._exit``,
the OOM killer). Either becomes a blocker (``timeout``, ``crash``) naming the test that
was running, from the heartbeat the plugin keeps (``plugin/supervised.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, TextIO

from pytest_tasktracker.blockers.model import Blocker, Remedy
from pytest_tasktracker.cli.runner import tracks, write_blockers
from pytest_tasktracker.plugin import supervised
from pytest_tasktracker.settings import Settings

EXIT_TIMEOUT = 124  # as timeout(1) says it
EXIT_CRASH = 125
GRACE_SECONDS = 5.0
_TAIL = 64 * 1024


def supervise(argv: list[str], settings: Settings, timeout: float | None, err: TextIO) -> int:
    status_file = settings.state / "run.status"
    supervised.create(status_file)

    tracker = ["--tracker", str(settings.tracker)] if tracks(settings) else []
    command = [
        sys.executable,
        "-m",
        "pytest_tasktracker",
        *tracker,
        "--tracker-state",
        str(settings.state),
        "run",
        "--in-process",
        "--",
        *argv,
    ]
    env = {**os.environ, supervised.STATUS_ENV: str(status_file)}
    with _ctrl_c_held() as held:
        child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, start_new_session=True)
        tail = _Tee(child, err)
    started = time.monotonic()
    try:
        if held:
            raise KeyboardInterrupt
        try:
            code = _wait(child, timeout)
        except subprocess.TimeoutExpired:
            status = supervised.read(status_file)  # before the stop: the test running now
            stopped_at, elapsed = time.time(), time.monotonic() - started
            killed = _stop(child, signal.SIGTERM)
            tail.join()
            _blocker(
                "timeout",
                argv,
                settings,
                err,
                status,
                tail.text(),
                timeout=timeout,
                elapsed=elapsed,
                killed=killed,
                stopped_at=stopped_at,
            )
            return EXIT_TIMEOUT
    except KeyboardInterrupt:  # the child is in a group of its own: pass Ctrl-C on
        _stop(child, signal.SIGINT)
        tail.join()
        return 2  # pytest's "interrupted", however the child ended
    tail.join()
    status = supervised.read(status_file)
    if code < 0 or (status.plugin_started and not status.ended):
        _blocker("crash", argv, settings, err, status, tail.text(), code=code)
        return EXIT_CRASH
    return code


def _wait(child: subprocess.Popen[bytes], timeout: float | None) -> int:
    """``child.wait(timeout)``, waking at least once a second: a Ctrl-C that the kernel
    gives to another thread (the tee's, or a tool's) only sets Python's flag, and a
    main thread blocked in ``waitpid`` would never see it."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
        try:
            return child.wait(timeout=max(left, 0.0))
        except subprocess.TimeoutExpired:
            if deadline is not None and time.monotonic() >= deadline:
                raise


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[list[int]]:
    """Hold a Ctrl-C that comes while the child starts, to be passed on once it has: a
    KeyboardInterrupt raised inside ``Popen`` after the fork would lose the child, which,
    in a session of its own, would run on unstopped. (Its exec resets the handler.)"""
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield held
        return
    previous = signal.signal(signal.SIGINT, lambda number, _frame: held.append(number))
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop(child: subprocess.Popen[bytes], first: signal.Signals) -> bool:
    """Stop the child's whole process group: ``first``, then SIGKILL after the grace.
    True when it took SIGKILL."""
    for sent in (first, signal.SIGKILL):
        try:
            os.killpg(child.pid, sent)
        except ProcessLookupError:
            break
        try:
            child.wait(timeout=GRACE_SECONDS)
            break
        except subprocess.TimeoutExpired:
            continue
    return sent == signal.SIGKILL


class _Tee:
    """The child's stderr, passed on as it comes, its last 64 KB kept (a faulthandler
    traceback is there)."""

    def __init__(self, child: subprocess.Popen[bytes], err: TextIO) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        assert child.stderr is not None
        self._stream = child.stderr
        self._err = err
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        # Ctrl-C and SIGTERM are the main thread's to act on.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        read = getattr(self._stream, "read1", self._stream.read)
        while chunk := read(65536):
            self._err.write(chunk.decode("utf-8", "replace"))
            self._err.flush()
            self._chunks.append(chunk)
            self._size += len(chunk)
            while self._size > _TAIL and len(self._chunks) > 1:
                self._size -= len(self._chunks.pop(0))

    def join(self) -> None:
        self._thread.join(timeout=10)

    def text(self) -> str:
        return b"".join(self._chunks)[-_TAIL:].decode("utf-8", "replace")


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def _memory_was_high() -> bool:
    """Whether the child's peak memory was more than half of this machine's."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return False
    return peak > total / 2


def _blocker(
    kind: str,
    argv: list[str],
    settings: Settings,
    err: TextIO,
    status: supervised.Status,
    output: str,
    **facts: Any,
) -> None:
    running = [test.nodeid for test in status.running]  # one a worker, the oldest first
    python = sys.executable
    alone = [python, "-m", "pytest", *(running or argv)]
    done = f"{status.finished} test(s) finished before"
    if kind == "timeout":
        timeout = facts["timeout"]
        summary = (
            f"the run passed its {timeout:g} s timeout while "
            f"{_running_for(status, facts['stopped_at'])}; it was stopped"
        )
        cause: dict[str, Any] = {
            "timeout_s": timeout,
            "test": running[0] if running else None,
            "finished": status.finished,
        }
        if len(running) > 1:
            cause["tests"] = running
        which = "the test that hung alone" if len(running) < 2 else "the tests that were running"
        remedies = [
            Remedy(
                " ".join([*alone, "-x", "-vv"]),
                f"run {which}, and see where it waits ({done} {_them(running)})",
            )
        ]
        how = "SIGTERM, then SIGKILL" if facts["killed"] else "SIGTERM"
        error = f"no result after {facts['elapsed']:.0f} s; stopped with {how}"
        code = EXIT_TIMEOUT
    else:
        returned = facts["code"]
        if returned < 0:
            how = f"was killed by {_signal_name(returned)}"
            if -returned == signal.SIGKILL:
                how += (
                    " (its memory was high: the OOM killer is the likely cause)"
                    if _memory_was_high()
                    else " (from outside, or by the OOM killer)"
                )
        else:
            how = f"exited with code {returned} before its session ended (os._exit?)"
        what = f"while {_listed(running)} {_was(running)} running" if running else "between tests"
        summary = f"pytest {how} {what}"
        cause = {
            "returncode": returned,
            "test": running[0] if running else None,
            "finished": status.finished,
        }
        if len(running) > 1:
            cause["tests"] = running
        remedies = [
            Remedy(
                " ".join([*alone, "-p", "faulthandler", "-vv"]),
                f"run the test that died alone and read its traceback ({done} {_them(running)})",
            )
        ]
        marker = output.rfind("Fatal Python error")
        error = output[marker:] if marker >= 0 else output[-4000:]
        code = EXIT_CRASH
    blocker = Blocker(
        kind=kind,
        key=running[0] if running else kind,
        summary=summary,
        error=error or summary,
        exit_code=code,
        cause=cause,
        remedies=remedies,
        nodeids=running,
    )
    for line in write_blockers([blocker], argv, settings):
        err.write(line + "\n")


def _running_for(status: supervised.Status, now: float) -> str:
    """``test A, running for 12 s, was running``; under xdist one test a worker."""
    running = status.running
    if not running:
        when = "between tests" if status.started else "before any test started"
        return f"pytest ({when}) was running"
    times = [f"{test.nodeid}, running for {now - test.since:.0f} s" for test in running]
    if len(times) == 1:
        return f"test {times[0]}, was running"
    return f"{len(times)} tests were running (one a worker): {'; '.join(times)}"


def _listed(running: list[str]) -> str:
    return running[0] if len(running) == 1 else f"{len(running)} tests ({', '.join(running)})"


def _was(running: list[str]) -> str:
    return "was" if len(running) == 1 else "were"


def _them(running: list[str]) -> str:
    return "them" if len(running) > 1 else "it"
