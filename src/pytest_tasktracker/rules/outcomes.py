"""Outcomes: of each test, from its final reports; of each sub-task, from its tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any, Literal

from pytest_tasktracker.rules.linking import Link
from pytest_tasktracker.slotted import Slotted

TestOutcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
Outcome = Literal["passed", "failed", "error", "skipped", "not-run", "blocked", "unlinked"]
PASSING = frozenset({"passed", "xfailed", "xpassed"})


def outcomes_of(reports: Iterable[Any]) -> dict[str, TestOutcome]:
    """The outcome of each test that ran, judged from its setup, call and teardown reports.

    ``reports`` are those ``pytest_runtest_logreport`` gave, in order: after every
    ``pytest_runtest_makereport`` wrapper, so a plugin that turns a passing call into a
    failure (pytest-check) is honoured. A report of a rerun is not final and is ignored;
    of two final reports of one phase, the later counts. A passing setup or teardown
    tells nothing that the call does not, and may be left out.
    """
    calls: dict[str, str] = {}
    xfail: set[str] = set()
    fixtures: dict[str, dict[str, str]] = {}  # setup and teardown that did not pass
    for report in reports:
        when, outcome, nodeid = report.when, report.outcome, report.nodeid
        if outcome == "rerun":
            continue
        if when == "call":
            if calls.get(nodeid) != "failed":
                calls[nodeid] = outcome
            if hasattr(report, "wasxfail"):
                xfail.add(nodeid)
        elif when in ("setup", "teardown") and outcome != "passed":
            fixtures.setdefault(nodeid, {})[when] = outcome
    judged: dict[str, TestOutcome] = {}
    for nodeid, call in calls.items():
        if nodeid not in fixtures and nodeid not in xfail:
            judged[nodeid] = (
                "passed" if call == "passed" else "failed" if call == "failed" else "skipped"
            )
    for nodeid in (*fixtures, *xfail):
        phases = fixtures.get(nodeid, {})
        outcome = _outcome(
            phases.get("setup"), calls.get(nodeid), phases.get("teardown"), nodeid in xfail
        )
        if outcome is not None:
            judged[nodeid] = outcome
    return judged


def _outcome(
    setup: str | None, call: str | None, teardown: str | None, xfail: bool
) -> TestOutcome | None:
    if setup == "failed":
        return "error"
    if setup == "skipped":
        return "skipped"
    if call == "failed":
        return "failed"
    if teardown == "failed":
        return "error"
    if call == "skipped":
        return "xfailed" if xfail else "skipped"
    if call == "passed":
        return "xpassed" if xfail else "passed"
    return None


class SubTaskResult(Slotted):
    __slots__ = ("link", "outcome", "reason", "tests")

    def __init__(
        self, link: Link, outcome: Outcome, reason: str, tests: tuple[tuple[str, str], ...]
    ) -> None:
        self.link = link
        self.outcome = outcome
        self.reason = reason
        self.tests = tests  # (node id, outcome or "not-run" / "deselected")

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(outcome for _, outcome in self.tests))


def judge_subtask(
    link: Link,
    tests: Mapping[str, str],
    selected: Collection[str] | None,
    missing: Sequence[str] = (),
) -> SubTaskResult:
    """The outcome of one sub-task in this run (DESIGN.md, "Outcomes per sub-task").

    ``link.nodeids`` are the tests of its scope this run collected; ``missing`` names
    the parts of its scope the run did not collect (scope.missing_parts). ``passed``
    needs every test of the scope to have run, none to fail or error, and at least one
    to pass: all-skipped is ``skipped``. A failure wins over everything else.
    ``selected`` is None when every collected test was selected. The rows are built by
    ``map`` and ``zip``: a whole-suite sub-task has one per collected test.
    """
    if link.rule is None:
        return SubTaskResult(link, "unlinked", "no test is linked to it", ())
    nodeids = link.nodeids
    outcomes = list(map(tests.get, nodeids, repeat("not-run")))
    if selected is not None:
        outcomes = [
            o if n in selected or o != "not-run" else "deselected"
            for n, o in zip(nodeids, outcomes, strict=True)
        ]
    result = tuple(zip(nodeids, outcomes, strict=True))
    seen = Counter(outcomes)
    if seen["failed"]:
        return SubTaskResult(link, "failed", f"{seen['failed']} linked test(s) failed", result)
    if seen["error"]:
        return SubTaskResult(link, "error", f"{seen['error']} linked test(s) errored", result)
    if not nodeids and not missing:
        names = ", ".join(link.targets) or "its step"
        return SubTaskResult(link, "not-run", f"no collected test matches {names}", result)
    unrun = seen["not-run"] + seen["deselected"]
    if missing or unrun:
        return SubTaskResult(link, "not-run", _partly(len(nodeids), seen, missing), result)
    if seen["skipped"] == len(outcomes):
        return SubTaskResult(link, "skipped", "every linked test was skipped", result)
    passing = sum(seen[outcome] for outcome in PASSING)
    return SubTaskResult(link, "passed", f"{passing} linked test(s) passed", result)


def _partly(total: int, seen: Counter[str], missing: Sequence[str]) -> str:
    """How much of a scope ran: "1 of 3 linked tests ran (2 not selected); ..."."""
    unrun = seen["not-run"] + seen["deselected"]
    why = []
    if seen["deselected"]:
        why.append(f"{seen['deselected']} not selected")
    if seen["not-run"]:
        why.append(f"{seen['not-run']} selected but not run")
    text = f"{total - unrun} of {total} linked tests ran" + (f" ({', '.join(why)})" if why else "")
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        text += "; " + "; ".join(missing[:3]) + more
    return text


def judge_subtasks(
    links: Iterable[Link],
    tests: Mapping[str, str],
    selected: Collection[str] | None,
    missing: Mapping[str, Sequence[str]] | None = None,
) -> list[SubTaskResult]:
    """Judge every sub-task; ``missing`` maps a sub-task id to the parts of its scope the
    run did not collect. Sub-tasks linked to the same tests (every whole-suite sub-task;
    several naming one file) are judged once and share their rows."""
    missing = missing or {}
    judged: dict[int, SubTaskResult] = {}  # id of a links' nodeids tuple -> its result
    results = []
    for link in links:
        gaps = missing.get(link.subtask.id, ())
        # The reason of an empty scope names its targets: judged one by one.
        shared = link.rule is not None and bool(link.nodeids) and not gaps
        same = judged.get(id(link.nodeids)) if shared else None
        if same is not None:
            results.append(SubTaskResult(link, same.outcome, same.reason, same.tests))
            continue
        result = judge_subtask(link, tests, selected, gaps)
        if shared:
            judged[id(link.nodeids)] = result
        results.append(result)
    return results
