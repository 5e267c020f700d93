"""Outcomes: of each test, from its final reports; of each sub-task, from its tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

from pytest_tasktracker.linking import Link

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
        outcome = _outcome(phases.get("setup"), calls.get(nodeid), phases.get("teardown"),
                           nodeid in xfail)  # fmt: skip
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


@dataclass(frozen=True)
class SubTaskResult:
    link: Link
    outcome: Outcome
    reason: str
    tests: tuple[tuple[str, str], ...]  # (node id, outcome or "not-run" / "deselected")

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(outcome for _, outcome in self.tests))


def judge(
    link: Link,
    tests: Mapping[str, str],
    selected: Collection[str] | None,
    narrowed: bool,
) -> SubTaskResult:
    """The outcome of one sub-task in this run (DESIGN.md, "Outcomes per sub-task").

    ``passed`` needs at least one linked test to pass and none to fail, error or not
    run; skipped tests neither prove nor disprove, but all-skipped is ``skipped``.
    ``selected`` is None when every collected test was selected. The rows are built by
    ``map`` and ``zip``: a whole-suite sub-task has one per collected test.
    """
    if link.rule is None:
        return SubTaskResult(link, "unlinked", "no test is linked to it", ())
    nodeids = link.nodeids
    outcomes = list(map(tests.get, nodeids, repeat("not-run")))
    if selected is not None:
        outcomes = [
            o if n in selected else "deselected" for n, o in zip(nodeids, outcomes, strict=True)
        ]
    result = tuple(zip(nodeids, outcomes, strict=True))
    if not nodeids:
        names = ", ".join(link.targets) or "its step"
        return SubTaskResult(link, "not-run", f"no collected test matches {names}", result)
    if link.rule == "suite" and narrowed:
        return SubTaskResult(
            link,
            "not-run",
            "it asks for the whole suite; run pytest without paths, -k, -m or --lf",
            result,
        )
    seen = Counter(outcomes)
    ran = len(outcomes) - seen["deselected"]
    if not ran:
        return SubTaskResult(link, "not-run", "every linked test was deselected", result)
    if seen["failed"]:
        return SubTaskResult(link, "failed", f"{seen['failed']} linked test(s) failed", result)
    if seen["error"]:
        return SubTaskResult(link, "error", f"{seen['error']} linked test(s) errored", result)
    if seen["not-run"]:
        return SubTaskResult(
            link, "not-run", f"{seen['not-run']} selected linked test(s) did not run", result
        )
    if seen["skipped"] == ran:
        return SubTaskResult(link, "skipped", "every linked test was skipped", result)
    passing = sum(seen[outcome] for outcome in PASSING)
    return SubTaskResult(link, "passed", f"{passing} linked test(s) passed", result)


def judge_all(
    links: Iterable[Link],
    tests: Mapping[str, str],
    selected: Collection[str] | None,
    narrowed: bool,
    blocked: Mapping[str, str] | None = None,
) -> list[SubTaskResult]:
    """Judge every sub-task; those in ``blocked`` (id -> reason) are ``blocked``."""
    results = []
    for link in links:
        result = judge(link, tests, selected, narrowed)
        if blocked and link.subtask.id in blocked and result.outcome != "unlinked":
            result = SubTaskResult(link, "blocked", blocked[link.subtask.id], result.tests)
        results.append(result)
    return results
