"""Many writers at once lose no tick; a writer killed mid-write leaves a whole file."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from pytest_tasktracker import Change, apply_changes, load

WRITER = """
import sys, time
from pathlib import Path
from pytest_tasktracker import Change, apply_changes
path, subtask_id, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
while not go.exists():
    time.sleep(0.001)
apply_changes(path, [Change(subtask_id, True)])
"""

TOGGLER = """
import sys
from pathlib import Path
from pytest_tasktracker import Change, apply_changes
path = Path(sys.argv[1])
print("ready", flush=True)
while True:
    apply_changes(path, [Change("tasks.1", True)])
    apply_changes(path, [Change("tasks.1", False)])
"""


def test_twelve_processes_ticking_twelve_sub_tasks_all_land(tmp_path: Path) -> None:
    path = tmp_path / "TASK_TRACKER.md"
    original = "".join(f"- [ ] task {n}\r\n  note {n}\r\n" for n in range(1, 13)).encode()
    path.write_bytes(original)
    go = tmp_path / "go"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"tasks.{n}", str(go)])
        for n in range(1, 13)
    ]
    time.sleep(0.5)  # let every process start and wait at the line
    go.touch()
    assert [writer.wait(timeout=60) for writer in writers] == [0] * 12
    final = path.read_bytes()
    assert final == original.replace(b"- [ ]", b"- [x]")
    assert sum(1 for a, b in zip(original, final, strict=True) if a != b) == 12


def test_a_writer_killed_at_any_moment_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "TASK_TRACKER.md"
    filler = "".join(f"  detail line {n} {'.' * 60}\n" for n in range(20_000))
    untouched = f"- [ ] first\n{filler}- [ ] last\n".encode()
    ticked = untouched.replace(b"- [ ] first", b"- [x] first", 1)
    path.write_bytes(untouched)
    rng = random.Random(7)
    for _ in range(15):
        writer = subprocess.Popen(
            [sys.executable, "-c", TOGGLER, str(path)], stdout=subprocess.PIPE
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        assert path.read_bytes() in (untouched, ticked)
    assert len(load(path).subtasks) == 2
    # The next write clears the temporary files that the killed writers left behind.
    apply_changes(path, [Change("tasks.1", True)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["TASK_TRACKER.md"]
