"""rules/update.py: the ticks and unticks a run's outcomes ask for, for every outcome
and every kind of sub-task (the candidates ``ticks.write`` then puts to the judge)."""

from __future__ import annotations

import pytest

from pytest_tasktracker.rules.intent import read_intent
from pytest_tasktracker.rules.linking import Link
from pytest_tasktracker.rules.outcomes import Outcome, SubTaskResult
from pytest_tasktracker.rules.update import change_for, plan
from pytest_tasktracker.tracker.editing import Change
from pytest_tasktracker.tracker.model import parse

TRACKER = """\
### Step 1: Cache
- [ ] Run pytest on test_cache.py
- [x] Run pytest on test_lru.py
- [ ] Write failing tests for test_ttl.py (red phase)
- [x] Write failing tests for test_old.py (red phase)
- [ ] Run pytest on test_cache.py and run pylint on the module
- [x] Run pytest on test_lru.py and run mypy
"""
TODO, DONE, RED_TODO, RED_DONE, CHECKS_TODO, CHECKS_DONE = (
    "1.1",
    "1.2",
    "1.3",
    "1.4",
    "1.5",
    "1.6",
)
OUTCOMES: tuple[Outcome, ...] = (
    "passed",
    "failed",
    "error",
    "skipped",
    "not-run",
    "blocked",
    "unlinked",
)


def result(sub_id: str, outcome: Outcome) -> SubTaskResult:
    subtask = parse(TRACKER).find(sub_id)
    link = Link(subtask, read_intent(subtask), "named", (), ())
    return SubTaskResult(link, outcome, "", ())


def changed(sub_id: str, outcome: Outcome) -> Change | None:
    found = result(sub_id, outcome)
    return change_for(found.link.subtask, found.link.intent, outcome)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_an_open_box_is_ticked_on_a_pass_and_on_nothing_else(outcome: Outcome) -> None:
    expected = Change(TODO, True, "Run pytest on test_cache.py") if outcome == "passed" else None
    assert changed(TODO, outcome) == expected


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_ticked_box_is_unticked_on_a_failure_or_an_error_only(outcome: Outcome) -> None:
    expected = (
        Change(DONE, False, "Run pytest on test_lru.py") if outcome in ("failed", "error") else None
    )
    assert changed(DONE, outcome) == expected


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("sub_id", [RED_TODO, RED_DONE])
def test_a_red_phase_box_is_never_touched(sub_id: str, outcome: Outcome) -> None:
    assert read_intent(parse(TRACKER).find(sub_id)).red_phase
    assert changed(sub_id, outcome) is None


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_a_box_that_names_another_check_is_never_ticked_by_tests(outcome: Outcome) -> None:
    assert read_intent(parse(TRACKER).find(CHECKS_TODO)).other_checks
    assert changed(CHECKS_TODO, outcome) is None


def test_a_box_that_names_another_check_is_unticked_by_a_failure() -> None:
    assert changed(CHECKS_DONE, "failed") == Change(
        CHECKS_DONE, False, "Run pytest on test_lru.py and run mypy"
    )
    assert changed(CHECKS_DONE, "passed") is None


def test_a_plan_keeps_the_results_order_and_leaves_out_what_changes_nothing() -> None:
    results = [
        result(DONE, "failed"),
        result(RED_TODO, "passed"),
        result(TODO, "passed"),
        result(CHECKS_TODO, "passed"),
        result(CHECKS_DONE, "error"),
    ]
    assert plan(results) == [
        Change(DONE, False, "Run pytest on test_lru.py"),
        Change(TODO, True, "Run pytest on test_cache.py"),
        Change(CHECKS_DONE, False, "Run pytest on test_lru.py and run mypy"),
    ]
    assert plan([]) == []
