"""Ticks racing an editor that saves the tracker while we edit it: nothing is lost.

An editor saves either by rename (write a temporary file, then ``os.replace``) or in
place (truncate, then write line by line). Neither takes our lock. Each loop is bounded
in time; the editor counts the saves of its own that a tick undid (lost edits) and the
times it found the tracker shorter than it left it (truncations).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from pytest_tasktracker import Change, apply_changes
from pytest_tasktracker.errors import ConcurrentEditError

pytestmark = pytest.mark.e2e


def tracker_text(counter: int, lines: int) -> str:
    body = "".join(f"  - note line {n}\n" for n in range(lines))
    return f"### Step 1: S\n- [ ] Run pytest on test_a.py\n{body}counter: {counter}\n"


class Editor(threading.Thread):
    def __init__(self, path: Path, in_place: bool, seconds: float, lines: int) -> None:
        super().__init__(daemon=True)
        self.lines = lines
        self.path = path
        self.in_place = in_place
        self.seconds = seconds
        self.saves = 0
        self.lost = 0
        self.truncated = 0

    def run(self) -> None:
        deadline = time.monotonic() + self.seconds
        counter = 0
        while time.monotonic() < deadline:
            text = self.path.read_text()
            if text.count("\n") < self.lines + 3:
                self.truncated += 1
            if f"counter: {counter}\n" not in text:
                self.lost += 1
            counter += 1
            new = text.rsplit("counter: ", 1)[0] + f"counter: {counter}\n"
            if self.in_place:
                with self.path.open("r+") as file:
                    file.truncate(0)
                    for line in new.splitlines(keepends=True):
                        file.write(line)
                        file.flush()
            else:
                temp = self.path.with_name(f".editor-{counter}.tmp")
                temp.write_text(new)
                os.replace(temp, self.path)
            self.saves += 1
            time.sleep(0.02)


def tick_while_editing(path: Path, editor: Editor) -> tuple[int, int]:
    """Tick and untick until the editor stops: (ticks written, ticks refused)."""
    editor.start()
    written = refused = 0
    done = True
    while editor.is_alive():
        try:
            apply_changes(path, [Change("1.1", done)])
            written += 1
        except ConcurrentEditError:
            refused += 1
        done = not done
    editor.join()
    return written, refused


@pytest.mark.parametrize(
    ("in_place", "lines"), [(False, 200), (True, 2000)], ids=["saves-by-rename", "saves-in-place"]
)
def test_a_tick_never_undoes_or_truncates_an_editors_save(
    tmp_path: Path, in_place: bool, lines: int
) -> None:
    path = tmp_path / "TASK_TRACKER.md"
    path.write_text(tracker_text(0, lines))
    editor = Editor(path, in_place, seconds=3.0, lines=lines)
    written, refused = tick_while_editing(path, editor)
    print(f"ticks written {written}, refused {refused}; editor saves {editor.saves}")
    assert (editor.lost, editor.truncated) == (0, 0), (written, refused, editor.saves)
    assert editor.saves > 20
    assert written > 0
    text = path.read_text()
    assert text.count("\n") == lines + 3
    assert text.endswith(f"counter: {editor.saves}\n")
