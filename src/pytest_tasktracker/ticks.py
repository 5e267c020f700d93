"""The one writer of ``[x]``: every tick this package writes into a tracker goes through
``write``, which asks the judge (``state.Record.reasons``) about each box it would tick.

``--tracker-update``, ``tasktracker update``, ``verify``, ``check``, the MCP tools and
the hooks all call it; ``tests/test_ticks.py`` fails when anything else in the package
edits a tracker's boxes. An untick needs no judge: taking a tick away never claims
anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from pytest_tasktracker.errors import ConcurrentEditError, TrackerError
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.state import Record, refusal, rerun_command
from pytest_tasktracker.tracker.editing import Applied, Change, apply_changes, load
from pytest_tasktracker.tracker.model import Tracker


class TickReport:
    """What a write did: the boxes ticked and unticked, the ticks the judge refused
    (id -> why), those written anyway with ``force``, and those someone else edited
    during the write (left alone)."""

    def __init__(self, refused: dict[str, str] | None = None, error: str | None = None) -> None:
        self.ticked: list[str] = []
        self.unticked: list[str] = []
        self.refused: dict[str, str] = {} if refused is None else refused
        self.forced: dict[str, str] = {}
        self.skipped: list[str] = []
        self.applied: list[Applied] = []
        self.error = error


def judged(
    tracker: Tracker, changes: Sequence[Change], record: Record, rerun: str
) -> dict[str, str]:
    """The ticks among ``changes`` that the judge refuses: id -> why."""
    refused = {}
    for change in changes:
        if not change.done:
            continue
        matches = tracker.by_id(change.id)
        if len(matches) != 1:
            continue  # apply_changes names the bad reference
        why = refusal(matches[0], record, rerun)
        if why:
            refused[change.id] = why
    return refused


def write(
    path: Path,
    name: str,
    tracker: Tracker,
    changes: Sequence[Change],
    record: Record,
    rerun: str,
    force: bool = False,
    strict: bool = False,
) -> TickReport:
    """Apply ``changes`` to the tracker at ``path``, each tick only when the judge
    allows it on ``record`` (or with ``force``, which the report says). A sub-task that
    someone edited in between is left alone (``skipped``), unless ``strict``: then the
    ConcurrentEditError, like a bad reference, is raised before anything is written.
    Other write errors are the report's ``error``."""
    report = TickReport(refused=judged(tracker, changes, record, rerun))
    if force:
        report.forced, report.refused = report.refused, {}
    pending = [c for c in changes if not (c.done and c.id in report.refused)]
    if not pending:
        return report
    try:
        applied = _apply(path, name, tracker, pending, report, strict)
    except TrackerError as error:
        if strict:
            raise
        report.error = str(error)
        return report
    report.applied = applied
    for item in applied:
        if item.changed:
            (report.ticked if item.done else report.unticked).append(item.subtask.id)
    return report


def _apply(
    path: Path,
    name: str,
    tracker: Tracker,
    pending: list[Change],
    report: TickReport,
    strict: bool,
) -> list[Applied]:
    try:
        return apply_changes(path, pending, name, known=tracker)
    except ConcurrentEditError:
        if strict:
            raise
    fresh = load(path, name)
    still = []
    for change in pending:
        matches = fresh.by_id(change.id)
        if len(matches) == 1 and matches[0].text == change.text:
            still.append(change)
        else:
            report.skipped.append(change.id)
    return apply_changes(path, still, name, known=fresh)


def write_and_say(
    tracker: Tracker, settings: Settings, changes: list[Change], record: Record, out: TextIO
) -> TickReport:
    """Write ``changes`` through the judge (``ticks.write``) and say, a line each, what
    was ticked or unticked, and which ticks the judge refused and why (``update``,
    ``verify``)."""
    rerun = rerun_command(tracker, record)
    report = write(settings.tracker, tracker.path, tracker, changes, record, rerun)
    by_id = {subtask.id: subtask for subtask in tracker.subtasks}
    for item in report.applied:
        if item.changed:
            verb = "ticked" if item.done else "unticked"
            subtask = item.subtask
            out.write(f"{verb} {subtask.id} (line {subtask.line}): {subtask.text}\n")
    for subtask_id, why in report.refused.items():
        line = by_id[subtask_id].line if subtask_id in by_id else "?"
        out.write(f"not ticked {subtask_id} (line {line}): {why}\n")
    if report.error:
        out.write(f"tracker not updated: {report.error}\n")
    return report
