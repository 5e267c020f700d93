"""Outcomes: of each test, from its final reports; of each sub-task, from its tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from pytest_tasktracker.linking import Link

TestOutcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed"]
Outcome = Literal["passed", "failed", "error", "skipped", "not-run", "blocked", "unlinked"]
PASSING = frozenset({"passed", "xfailed", "xpassed"})


@dataclass(slots=True)
class _Phases:
    setup: str | None = None
    call: str | None = None
    teardown: str | None = None
    xfail: bool = False


@dataclass
class TestOutcomes:
    """The outcome of each test, judged from its setup, call and teardown reports.

    Reports are taken as ``pytest_runtest_logreport`` gives them: after every
    ``pytest_runtest_makereport`` wrapper, so a plugin that turns a passing call into a
    failure (pytest-check) is honoured. A report of a rerun is not final and is ignored.
    """

    _phases: dict[str, _Phases] = field(default_factory=dict)

    def add(self, nodeid: str, when: str, outcome: str, wasxfail: bool) -> None:
        if outcome == "rerun" or when not in ("setup", "call", "teardown"):
            return
        phases = self._phases.setdefault(nodeid, _Phases())
        setattr(phases, when, outcome)
        if when == "call" and wasxfail:
            phases.xfail = True

    def get(self, nodeid: str) -> TestOutcome | None:
        """The test's outcome, or None when it did not run."""
        phases = self._phases.get(nodeid)
        if phases is None:
            return None
        if phases.setup == "failed":
            return "error"
        if phases.setup == "skipped":
            return "skipped"
        if phases.call == "failed":
            return "failed"
        if phases.teardown == "failed":
            return "error"
        if phases.call == "skipped":
            return "xfailed" if phases.xfail else "skipped"
        if phases.call == "passed":
            return "xpassed" if phases.xfail else "passed"
        return None

    def __len__(self) -> int:
        return len(self._phases)


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
    tests: TestOutcomes,
    selected: Collection[str],
    narrowed: bool,
) -> SubTaskResult:
    """The outcome of one sub-task in this run (DESIGN.md, "Outcomes per sub-task").

    ``passed`` needs at least one linked test to pass and none to fail, error or not
    run; skipped tests neither prove nor disprove, but all-skipped is ``skipped``.
    """
    if link.rule is None:
        return SubTaskResult(link, "unlinked", "no test is linked to it", ())
    rows = []
    for nodeid in link.nodeids:
        if nodeid not in selected:
            rows.append((nodeid, "deselected"))
        else:
            rows.append((nodeid, tests.get(nodeid) or "not-run"))
    result = tuple(rows)
    if not link.nodeids:
        names = ", ".join(link.targets) or "its step"
        return SubTaskResult(link, "not-run", f"no collected test matches {names}", result)
    if link.rule == "suite" and narrowed:
        return SubTaskResult(
            link,
            "not-run",
            "it asks for the whole suite; run pytest without paths, -k, -m or --lf",
            result,
        )
    ran = [outcome for _, outcome in rows if outcome not in ("deselected", "not-run")]
    if not any(outcome != "deselected" for _, outcome in rows):
        return SubTaskResult(link, "not-run", "every linked test was deselected", result)
    seen = Counter(outcome for _, outcome in rows)
    if seen["failed"]:
        return SubTaskResult(link, "failed", f"{seen['failed']} linked test(s) failed", result)
    if seen["error"]:
        return SubTaskResult(link, "error", f"{seen['error']} linked test(s) errored", result)
    if seen["not-run"]:
        return SubTaskResult(
            link, "not-run", f"{seen['not-run']} selected linked test(s) did not run", result
        )
    if not ran or all(outcome == "skipped" for outcome in ran):
        return SubTaskResult(link, "skipped", "every linked test was skipped", result)
    passing = sum(1 for outcome in ran if outcome in PASSING)
    return SubTaskResult(link, "passed", f"{passing} linked test(s) passed", result)


def judge_all(
    links: Iterable[Link],
    tests: TestOutcomes,
    selected: Collection[str],
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
