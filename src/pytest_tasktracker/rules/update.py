"""Tick what passed and untick regressions: the changes a run's outcomes ask for.

These are candidates: ``ticks.write`` asks the judge about every tick before it is
written."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_tasktracker.rules.intent import Intent
from pytest_tasktracker.rules.outcomes import SubTaskResult
from pytest_tasktracker.tracker.editing import Change
from pytest_tasktracker.tracker.model import SubTask


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
