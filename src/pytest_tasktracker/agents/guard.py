"""The decisions behind coding-agent hooks, independent of any agent's JSON shape.

- ``false_ticks``: which sub-tasks an edit of the tracker would tick without passing
  evidence covering their scope (the edit is denied).
- ``in_state_folder``: evidence is written only by runs; an edit there is denied.
- ``untick_false_ticks``: after any other tool (a shell's ``sed -i``), untick, byte-exact,
  what was ticked since the last look without evidence.
- ``open_false_ticks``: what keeps an agent from ending its turn.

``claude.py`` turns Claude Code's events into these calls; another agent's format is one
more small module beside it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.state import Record, read_record, refusal, rerun_command
from pytest_tasktracker.tracker.model import Tracker, parse

SNAPSHOT = "ticks.json"  # in the state folder: the ticks the hook last saw


@dataclass(frozen=True)
class FalseTick:
    id: str
    text: str
    why: str  # the gate's reason and what to run to tick it
    blocker: str | None  # the blocker file that holds it, if any

    def line(self) -> str:
        where = f" (blocker: {self.blocker})" if self.blocker else ""
        return f"{self.id} {self.text[:80]}: {self.why}{where}"


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def is_tracker(settings: Settings, path: Path) -> bool:
    return os.path.realpath(path) == os.path.realpath(settings.tracker)


def in_state_folder(settings: Settings, path: Path) -> bool:
    return _inside(path, settings.state)


def _judge(tracker: Tracker, ids: set[str], record: Record) -> list[FalseTick]:
    from pytest_tasktracker.rules.gate import blocked_ids

    rerun = rerun_command(tracker)
    blocked = blocked_ids(record.blockers)
    found = []
    for subtask in tracker.subtasks:
        if subtask.id in ids and subtask.done:
            why = refusal(subtask, record, rerun)
            if why:
                holder = blocked.get(subtask.id)
                found.append(
                    FalseTick(subtask.id, subtask.text, why, holder.path if holder else None)
                )
    return found


def false_ticks(settings: Settings, before: str, after: str) -> list[FalseTick]:
    """The sub-tasks that ``after`` ticks and ``before`` did not, without evidence."""
    old = parse(before, settings.tracker.name)
    new = parse(after, settings.tracker.name)
    was_done = {subtask.id for subtask in old.subtasks if subtask.done}
    newly = {subtask.id for subtask in new.subtasks if subtask.done} - was_done
    return _judge(new, newly, read_record(settings)) if newly else []


def _snapshot(settings: Settings) -> set[str] | None:
    """The ticks the hook last saw, or None when there is no usable snapshot."""
    try:
        data = json.loads((settings.state / SNAPSHOT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    done = data.get("done") if isinstance(data, dict) else None
    if not isinstance(done, list) or not all(isinstance(i, str) for i in done):
        return None
    return set(done)


def _save_snapshot(settings: Settings, tracker: Tracker) -> None:
    from pytest_tasktracker.tracker.fileio import write_locked

    done = sorted(subtask.id for subtask in tracker.subtasks if subtask.done)
    # not written: the next look compares with an older snapshot, and nothing is lost
    with contextlib.suppress(OSError, TrackerError):
        write_locked(settings.state / SNAPSHOT, (json.dumps({"done": done}) + "\n").encode())


def untick_false_ticks(settings: Settings) -> list[FalseTick]:
    """Untick what was ticked since the last look without evidence; returns what was
    unticked. The first look (no snapshot yet) only records the ticks it finds."""
    from pytest_tasktracker.paths import relative
    from pytest_tasktracker.tracker.editing import Change, apply_changes, load

    if not settings.tracker.is_file():
        return []
    name = relative(settings.tracker)
    tracker = load(settings.tracker, name)
    seen = _snapshot(settings)
    found: list[FalseTick] = []
    if seen is not None:
        newly = {subtask.id for subtask in tracker.subtasks if subtask.done} - seen
        found = _judge(tracker, newly, read_record(settings)) if newly else []
    if found:
        changes = [Change(tick.id, False, tick.text) for tick in found]
        apply_changes(settings.tracker, changes, name, known=tracker)
        tracker = load(settings.tracker, name)
    _save_snapshot(settings, tracker)
    return found


def open_false_ticks(settings: Settings) -> list[FalseTick]:
    """Every ticked sub-task the gate would reject (what must not be left behind)."""
    from pytest_tasktracker.paths import relative
    from pytest_tasktracker.tracker.editing import load

    if not settings.tracker.is_file():
        return []
    tracker = load(settings.tracker, relative(settings.tracker))
    done = {subtask.id for subtask in tracker.subtasks if subtask.done}
    return _judge(tracker, done, read_record(settings))
