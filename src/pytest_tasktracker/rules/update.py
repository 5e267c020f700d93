"""Tick what passed and untick regressions: the plan, and applying it safely."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_tasktracker.errors import ConcurrentEditError, TrackerError
from pytest_tasktracker.rules.intent import Intent
from pytest_tasktracker.rules.outcomes import SubTaskResult
from pytest_tasktracker.tracker.editing import Change, apply_changes, load
from pytest_tasktracker.tracker.model import SubTask, Tracker


def plan(results: Sequence[SubTaskResult]) -> list[Change]:
    """Changes a verified run makes: tick each passed sub-task, untick each failed one.

    Never touched: red-phase sub-tasks (they expect failures), and, for ticking, those
    that also name checks no test proves (pylint, mypy, review), which only a person or
    ``tasktracker check`` may tick. A failure unticks them all the same.
    """
    found = (change_for(r.link.subtask, r.link.intent, r.outcome) for r in results)
    return [change for change in found if change is not None]


def change_for(subtask: SubTask, intent: Intent, outcome: str) -> Change | None:
    """The one rule of ``plan`` for one sub-task, also for evidence read back
    (``tasktracker update``): tick on a pass, untick on a failure, as said above."""
    if intent.red_phase:
        return None
    if outcome == "passed" and not subtask.done and not intent.other_checks:
        return Change(subtask.id, True, subtask.text)
    if outcome in ("failed", "error") and subtask.done:
        return Change(subtask.id, False, subtask.text)
    return None


@dataclass
class UpdateReport:
    ticked: list[str] = field(default_factory=list)
    unticked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # changed by someone during the run
    error: str | None = None


def apply(path: Path, name: str, tracker: Tracker, changes: Sequence[Change]) -> UpdateReport:
    """Apply ``changes``; sub-tasks edited by someone else during the run are left alone."""
    report = UpdateReport()
    if not changes:
        return report
    pending = list(changes)
    try:
        try:
            applied = apply_changes(path, pending, name, known=tracker)
        except ConcurrentEditError:
            fresh = load(path, name)
            still = []
            for change in pending:
                matches = fresh.by_id(change.id)
                if len(matches) == 1 and matches[0].text == change.text:
                    still.append(change)
                else:
                    report.skipped.append(change.id)
            applied = apply_changes(path, still, name, known=fresh)
    except TrackerError as error:
        report.error = str(error)
        return report
    for item in applied:
        if item.changed:
            (report.ticked if item.done else report.unticked).append(item.subtask.id)
    return report
