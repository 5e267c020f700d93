"""`tasktracker run` supervises pytest in a child process: hangs and hard crashes become
blockers that name the test, and the process group is gone afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import blocker_front, evidence_file, tasktracker

TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Run pytest on test_b.py\n"


def project(pytester: pytest.Pytester, body: str) -> Path:
    pytester.makepyfile(test_a="def test_first():\n    pass\n\n" + body)
    pytester.makepyfile(test_b="def test_b():\n    pass\n")
    (pytester.path / "TASKS.md").write_text(TRACKER)
    return pytester.path


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return tasktracker(root, "--tracker", "TASKS.md", "run", *args)


def no_process_left(marker: Path) -> bool:
    """The hanging test wrote its pid: that process is gone."""
    pid = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


HANG = """\
import os, signal, time

def test_hangs():
    {ignore}
    with open("pid.txt", "w") as file:
        file.write(str(os.getpid()))
    time.sleep(600)
"""


@pytest.mark.parametrize("ignore", ["pass", "signal.signal(signal.SIGTERM, signal.SIG_IGN)"])
def test_a_hang_past_the_timeout_is_stopped_and_names_the_test(
    pytester: pytest.Pytester, ignore: str
) -> None:
    root = project(pytester, HANG.format(ignore=ignore))
    # (the 600 s hang would pass the helper's own 120 s limit: no wall clock asserted here)
    result = run(root, "--timeout", "3", "--", "-p", "no:cacheprovider")
    assert result.returncode == 124, result.stderr
    assert no_process_left(root / "pid.txt")
    assert "BLOCKED (timeout): the run passed its 3 s timeout while test " in result.stderr
    front = blocker_front(root / ".tasktracker" / "blockers")
    assert front["kind"] == "timeout"
    assert front["cause"]["test"] == "test_a.py::test_hangs"
    assert front["cause"]["finished"] == 1
    assert [entry["id"] for entry in front["affected"]] == ["1.1", "1.2"]  # none finished
    assert "test_a.py::test_hangs" in front["remedies"][0]["command"]
    assert (root / "TASKS.md").read_text() == TRACKER


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_timeout_keeps_the_evidence_of_scopes_that_finished(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    """test_a.py finished and passed before test_z.py hung: its sub-task keeps "passed"
    evidence (and is ticked with --tracker-update); the hung file's sub-task is blocked by
    the timeout, and test_b.py, which never ran, is not evidence of anything."""
    pytester.makepyfile(test_a="def test_one():\n    pass\n\ndef test_two():\n    pass\n")
    pytester.makepyfile(test_z=HANG.format(ignore="pass"))
    tracker = (
        "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Run pytest on test_z.py\n"
        "- [ ] Run pytest on test_b.py\n"
    )
    pytester.makepyfile(test_b="def test_b():\n    pass\n")
    (pytester.path / "TASKS.md").write_text(tracker)
    result = run(
        pytester.path,
        "--timeout",
        "8" if workers else "3",  # two workers start slowly on a loaded machine
        "--",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "test_a.py",
        "test_z.py",
        "test_b.py",
        "--tracker-update",
        *workers,
    )
    assert result.returncode == 124, result.stderr
    evidence = evidence_file(pytester.path / ".tasktracker" / "results.json")
    outcomes = {entry["id"]: entry["outcome"] for entry in evidence["subtasks"]}
    # serially test_b.py never started; with two workers the other one may have run it
    assert outcomes["1.1"] == "passed"
    assert outcomes["1.2"] == "not-run"
    assert outcomes["1.3"] in (("not-run",) if not workers else ("not-run", "passed"))
    front = blocker_front(pytester.path / ".tasktracker" / "blockers")
    assert front["kind"] == "timeout"
    assert front["cause"]["test"] == "test_z.py::test_hangs"  # with workers too
    if not workers:  # with workers, test_b.py may have run on the other one
        assert front["cause"]["finished"] == 2
    ticked = tracker
    for number, name in (("1.1", "test_a"), ("1.3", "test_b")):
        if outcomes[number] == "passed":
            ticked = ticked.replace(f"- [ ] Run pytest on {name}", f"- [x] Run pytest on {name}")
    assert (pytester.path / "TASKS.md").read_text() == ticked
    assert no_process_left(pytester.path / "pid.txt")


WAITS = """\
import pathlib, time

def test_wait():
    for _ in range(600):
        if pathlib.Path("pid.txt").exists():
            return
        time.sleep(0.1)

def test_after():
    pass
"""


def test_a_hang_under_two_workers_names_the_test_running_not_the_last_to_start(
    pytester: pytest.Pytester,
) -> None:
    """test_a.py hangs on one worker; on the other, test_b.py's first test waits until the
    hang started, then its second test starts and finishes: the last test to start was
    done long before the timeout, and the one still running is named."""
    pytester.makepyfile(test_a=HANG.format(ignore="pass"), test_b=WAITS)
    tracker = "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Run pytest on test_b.py\n"
    (pytester.path / "TASKS.md").write_text(tracker)
    result = run(
        pytester.path,
        "--timeout",
        "10",
        "--",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-n",
        "2",
        "--dist",
        "loadfile",
    )
    assert result.returncode == 124, result.stderr
    front = blocker_front(pytester.path / ".tasktracker" / "blockers")
    assert front["cause"] == {"timeout_s": 10, "test": "test_a.py::test_hangs", "finished": 2}
    assert front["summary"].startswith(
        "the run passed its 10 s timeout while test test_a.py::test_hangs, running for "
    )
    assert front["remedies"][0]["command"].endswith(" -m pytest test_a.py::test_hangs -x -vv")
    evidence = evidence_file(pytester.path / ".tasktracker" / "results.json")
    outcomes = {entry["id"]: entry["outcome"] for entry in evidence["subtasks"]}
    assert outcomes == {"1.1": "not-run", "1.2": "passed"}
    assert no_process_left(pytester.path / "pid.txt")


def test_the_heartbeat_names_every_test_running_oldest_first(tmp_path: Path) -> None:
    """Under xdist the controller hears of each worker's starts and ends: what is still
    running is every test started and not finished, not the last one to start."""
    from pytest_tasktracker.plugin import supervised

    path = tmp_path / "run.status"
    supervised.create(path)
    recorder = supervised.Recorder(path)
    registered = []

    class Plugins:
        def register(self, plugin: object, name: str) -> None:
            registered.append(plugin)

    class Worker:
        config = type("Config", (), {"pluginmanager": Plugins()})()

    recorder.pytest_testnodeready(Worker())
    recorder.pytest_testnodeready(Worker())  # the second worker: already listening
    (ends,) = registered
    assert isinstance(ends, supervised._Ends)
    for event, nodeid in [
        ("start", "t.py::a"),
        ("start", "t.py::b"),
        ("finish", "t.py::b"),
        ("start", "t.py::c"),
        ("start", "t.py::d"),
        ("finish", "t.py::d"),
    ]:
        if event == "start":
            recorder.pytest_runtest_logstart(nodeid)
        else:
            ends.pytest_runtest_logfinish(nodeid)
    status = supervised.read(path)
    assert (status.started, status.finished) == (4, 2)
    assert [test.nodeid for test in status.running] == ["t.py::a", "t.py::c"]
    ends.pytest_handlecrashitem("t.py::a", None)  # its worker died
    assert [test.nodeid for test in supervised.read(path).running] == ["t.py::c"]
    recorder.pytest_unconfigure()
    assert supervised.read(path).running == ()


def test_serially_the_test_that_started_last_is_running(tmp_path: Path) -> None:
    from pytest_tasktracker.plugin import supervised

    path = tmp_path / "run.status"
    supervised.create(path)
    recorder = supervised.Recorder(path)
    for nodeid in ("t.py::a", "t.py::b", "t.py::c"):
        recorder.pytest_runtest_logstart(nodeid)
    status = supervised.read(path)
    assert (status.started, status.finished) == (3, 2)
    assert [test.nodeid for test in status.running] == ["t.py::c"]
    recorder.pytest_unconfigure()
    assert (supervised.read(path).finished, supervised.read(path).running) == (3, ())


def test_a_timeout_with_two_tests_running_names_both() -> None:
    from pytest_tasktracker.cli.supervisor import _running_for
    from pytest_tasktracker.plugin.supervised import Running, Status

    running = (Running("t.py::a", 100.0), Running("t.py::b", 107.4))
    assert _running_for(Status(True, 5, 3, running, False), 110.0) == (
        "2 tests were running (one a worker): t.py::a, running for 10 s; t.py::b, running for 3 s"
    )
    assert _running_for(Status(True, 5, 4, running[:1], False), 110.0) == (
        "test t.py::a, running for 10 s, was running"
    )
    assert _running_for(Status(True, 5, 5, (), False), 110.0) == (
        "pytest (between tests) was running"
    )
    assert _running_for(Status(True, 0, 0, (), False), 110.0) == (
        "pytest (before any test started) was running"
    )


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("import os\n\ndef test_dies():\n    os._exit(3)\n", "exited with code 3 before"),
        (
            "import os, signal\n\ndef test_dies():\n    os.kill(os.getpid(), signal.SIGSEGV)\n",
            "was killed by SIGSEGV",
        ),
        (
            "import os, signal\n\ndef test_dies():\n    os.kill(os.getpid(), signal.SIGKILL)\n",
            "was killed by SIGKILL",
        ),
    ],
    ids=["os._exit", "SIGSEGV", "SIGKILL"],
)
def test_a_hard_crash_in_a_serial_run_is_a_blocker_naming_the_test(
    pytester: pytest.Pytester, body: str, said: str
) -> None:
    root = project(pytester, body)
    result = run(root, "--", "-p", "no:cacheprovider")
    assert result.returncode == 125, result.stderr
    assert f"BLOCKED (crash): pytest {said}" in result.stderr
    front = blocker_front(root / ".tasktracker" / "blockers")
    assert (front["kind"], front["cause"]["test"]) == ("crash", "test_a.py::test_dies")
    assert [entry["id"] for entry in front["affected"]] == ["1.1", "1.2"]  # none finished
    if "SIGSEGV" in said:
        assert "Fatal Python error" in front["error"]


def test_a_finished_run_keeps_pytests_exit_code_and_writes_no_blocker(
    pytester: pytest.Pytester,
) -> None:
    root = project(pytester, "def test_fails():\n    assert 0\n")
    result = run(root, "--timeout", "60")
    assert result.returncode == 1
    assert not (root / ".tasktracker" / "blockers").exists()


@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf"])
def test_a_bad_timeout_is_one_line_and_exit_2(pytester: pytest.Pytester, value: str) -> None:
    root = project(pytester, "")
    result = run(root, "--timeout", value)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        f"tasktracker run: error: argument --timeout: expected a number of seconds above 0, "
        f"got {value!r}"
    )


# The supervisor with Ctrl-C arriving inside Popen, just after the fork.
CTRL_C_AT_THE_FORK = """\
import os, runpy, signal, subprocess, sys

class Popen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)

subprocess.Popen = Popen
sys.argv = ["tasktracker", "--tracker", "TASKS.md", "run"]
runpy.run_module("pytest_tasktracker", run_name="__main__")
"""


def supervisor_in(root: Path, script: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """``tasktracker run`` as ``script`` (Python) starts it in ``root``."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_ctrl_c_while_the_child_starts_still_stops_it(pytester: pytest.Pytester) -> None:
    # Unstopped, the child would run in a session of its own, holding the pipe.
    root = project(pytester, "import time\n\ndef test_slow():\n    time.sleep(30)\n")
    done = supervisor_in(root, CTRL_C_AT_THE_FORK, timeout=25)
    assert done.returncode == 2, done.stderr
    # (the child, stopped during its own start, may print its traceback; not ours)
    assert "supervisor.py" not in done.stderr


# The supervisor with Ctrl-C handled by a thread other than the main one (the kernel
# gives a process's signal to any thread that does not block it).
CTRL_C_ON_ANOTHER_THREAD = """\
import os, runpy, signal, sys, threading, time

def interrupt():
    while not (os.path.exists("pid.txt") and open("pid.txt").read()):
        time.sleep(0.05)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)

threading.Thread(target=interrupt, daemon=True).start()
sys.argv = ["tasktracker", "--tracker", "TASKS.md", "run"]
runpy.run_module("pytest_tasktracker", run_name="__main__")
"""


def test_ctrl_c_taken_by_another_thread_still_stops_the_run(pytester: pytest.Pytester) -> None:
    root = project(pytester, HANG.format(ignore="pass"))
    done = supervisor_in(root, CTRL_C_ON_ANOTHER_THREAD, timeout=60)
    assert done.returncode == 2, done.stderr
    assert no_process_left(root / "pid.txt")
    assert blocker_front(root / ".tasktracker" / "blockers")["kind"] == "interrupted"


def test_ctrl_c_stops_the_child_and_leaves_an_interrupted_blocker(
    pytester: pytest.Pytester,
) -> None:
    root = project(pytester, HANG.format(ignore="pass"))
    child = subprocess.Popen(
        [sys.executable, "-m", "pytest_tasktracker", "--tracker", "TASKS.md", "run"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Ctrl-C only once the test runs (a loaded machine, under coverage, can take many
    # seconds to get there); a Ctrl-C during the child's start has its own test above.
    deadline = time.monotonic() + 120
    while not ((root / "pid.txt").exists() and (root / "pid.txt").read_text()):
        assert time.monotonic() < deadline, "the test never started"
        time.sleep(0.1)
    child.send_signal(signal.SIGINT)
    try:
        _, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # say who is still there, then clean up
        tree = subprocess.run(
            ["ps", "-eo", "pid,ppid,pgid,stat,wchan:20,args"], capture_output=True, text=True
        ).stdout
        child.kill()
        os.kill(int((root / "pid.txt").read_text()), signal.SIGKILL)
        child.communicate()
        pytest.fail(f"the supervisor did not end within 60 s of Ctrl-C:\n{tree}")
    assert child.returncode == 2, err
    assert no_process_left(root / "pid.txt")
    assert blocker_front(root / ".tasktracker" / "blockers")["kind"] == "interrupted"
