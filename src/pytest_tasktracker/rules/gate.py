"""The gate: every ticked sub-task must be backed by a test run, or by nothing that
contradicts it. Judged from the tracker, results.json and the open blockers alone.

A ticked sub-task fails the gate when:

1. its text or notes claim it was not verified ("BLOCKED", "verified via code review",
   "deferred to CI", "could not be run", ...);
2. an open blocker report lists it;
3. its linked tests failed, errored, or were all skipped in the evidence;
4. it is linked to tests by any rule (marker, explicit link, file name, step, suite) and
   has no ``passed`` evidence covering its scope;
5. its evidence contradicts itself (``passed`` with a failed or unrun test, or none).

Red-phase sub-tasks ("run tests to verify they fail") are judged by rules 1 and 2 only:
their tests are meant to pass later. Sub-tasks no test can verify (implementation,
pylint, mypy, review, a commit message) are judged by rules 1 and 2 only as well.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_tasktracker.rules.checks import CheckResult, missing_checks, named_checks
from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.freshness import CodeNow, passed_here
from pytest_tasktracker.rules.intent import read_intent, unverified_claim
from pytest_tasktracker.tracker.model import SubTask, Tracker


@dataclass(frozen=True)
class Reason:
    rule: str  # claim | blocker | checks | evidence | stale | no-evidence
    why: str
    todo: str


@dataclass
class Offender:
    subtask: SubTask
    reasons: list[Reason] = field(default_factory=list)

    def line(self, path: str) -> str:
        reason = self.reasons[0]
        more = f" (and {len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return (
            f"{path}:{self.subtask.line}: {self.subtask.id} {_short(self.subtask.text)}: "
            f"{reason.why}{more}; {reason.todo}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.subtask.id,
            "line": self.subtask.line,
            "text": self.subtask.text,
            "reasons": [{"rule": r.rule, "why": r.why, "todo": r.todo} for r in self.reasons],
        }


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


@dataclass(frozen=True)
class OpenBlocker:
    path: str  # as shown to the user
    kind: str
    summary: str
    affected: tuple[str, ...]


EVERY = "*"  # in OpenBlocker.affected: every sub-task (a report that cannot be read)


@dataclass
class Blocked:
    """The first open blocker of each sub-task, by id; one listing EVERY blocks all."""

    by_id: dict[str, OpenBlocker] = field(default_factory=dict)

    def get(self, subtask_id: str) -> OpenBlocker | None:
        return self.by_id.get(subtask_id) or self.by_id.get(EVERY)


def blocked_ids(blockers: Sequence[OpenBlocker]) -> Blocked:
    """The first open blocker of each sub-task it lists."""
    blocked = Blocked()
    for blocker in blockers:
        for subtask_id in blocker.affected:
            blocked.by_id.setdefault(subtask_id, blocker)
    return blocked


def find_offenders(
    tracker: Tracker,
    evidence: Mapping[str, Evidence],
    blockers: Sequence[OpenBlocker],
    rerun: str,
    code: CodeNow | None = None,
    checks: Mapping[str, Mapping[str, CheckResult]] | None = None,
) -> list[Offender]:
    """The ticked sub-tasks that fail the gate; ``rerun`` is the command that verifies.
    ``checks``: what ``tasktracker verify`` recorded, None when it never ran here."""
    blocked = blocked_ids(blockers)
    offenders = []
    for subtask in tracker.subtasks:
        if not subtask.done:
            continue
        found = evidence.get(subtask.id)
        mine = None if checks is None else checks.get(subtask.id, {})
        reasons = verdict(subtask, found, blocked.get(subtask.id), rerun, code, mine)
        if reasons:
            offenders.append(Offender(subtask, reasons))
    return offenders


def split_stale(offenders: Sequence[Offender]) -> tuple[list[Offender], list[Offender]]:
    """With ``tracker_stale = warn``: the offenders without their stale reasons, and the
    ticks that are only stale (to be warned about)."""
    failing, stale = [], []
    for offender in offenders:
        kept = [reason for reason in offender.reasons if reason.rule != "stale"]
        if kept:
            failing.append(Offender(offender.subtask, kept))
        else:
            stale.append(offender)
    return failing, stale


def verdict(
    subtask: SubTask,
    evidence: Evidence | None,
    blocker: OpenBlocker | None,
    rerun: str,
    code: CodeNow | None = None,
    checks: Mapping[str, CheckResult] | None = None,
) -> list[Reason]:
    """Why a tick of ``subtask`` is not backed by evidence; empty when it is.

    The one rule every tick answers to: the gate asks it of ticked sub-tasks, and
    ``tasktracker check`` of the sub-task it is asked to tick. ``checks``: the sub-task's
    results from ``tasktracker verify``; None where verify was never used, and then the
    checks it names (pylint, mypy) are not asked for.
    """
    reasons = []
    if checks is not None:
        reasons.extend(_check_problem(subtask, evidence, code, checks))
    untick = f"untick it, fix the cause, and let `{rerun}` tick it"
    claim = unverified_claim(subtask)
    if claim:
        reasons.append(Reason("claim", f"ticked with a claim, not evidence ({claim!r})", untick))
    if blocker is not None:
        reasons.append(
            Reason(
                "blocker",
                f"has an open blocker: {blocker.path} ({blocker.kind}: {blocker.summary})",
                f"follow the remedies in {blocker.path}, then run `{rerun}`",
            )
        )
    intent = read_intent(subtask)
    linked = intent.verifiable or _linked(evidence)
    if intent.red_phase or not linked:
        return reasons
    if evidence is not None and evidence.text == subtask.text:
        problem = _evidence_problem(evidence, rerun)
        if problem is not None:
            reasons.append(problem)
            return reasons
        if evidence.outcome == "passed":
            changed = code.stale(evidence) if code is not None else None
            if changed:
                reasons.append(
                    Reason(
                        "stale",
                        f"its evidence is from another code state: {changed}",
                        f"run `{rerun}` to prove it on this code",
                    )
                )
            return reasons
    asks = "asks for a test run" if intent.runs_tests else "is linked to tests"
    reasons.append(
        Reason(
            "no-evidence",
            f"{asks} and has no passing evidence",
            f"run `{rerun}`; it ticks what passes",
        )
    )
    return reasons


def _check_problem(
    subtask: SubTask,
    evidence: Evidence | None,
    code: CodeNow | None,
    checks: Mapping[str, CheckResult],
) -> list[Reason]:
    """What the non-pytest checks a sub-task names still lack on this code."""
    named = named_checks(subtask)
    if not any(name != "pytest" for name in named):
        return []
    pytest_fresh = passed_here(evidence, code)
    lacking = missing_checks(subtask, checks, pytest_fresh, code.digest if code else None)
    if not lacking:
        return []
    return [
        Reason(
            "checks",
            f"names checks without passing evidence on this code: {', '.join(lacking)}",
            f"run each with `tasktracker verify {subtask.id} -- COMMAND`; the last one to "
            "pass ticks it",
        )
    ]


def _evidence_problem(evidence: Evidence, rerun: str) -> Reason | None:
    """What in a sub-task's evidence speaks against a tick: failures, all-skipped, a
    blocked run, or evidence that contradicts itself."""
    contradiction = evidence.contradiction()
    if contradiction:
        return Reason(
            "evidence",
            f"its evidence contradicts itself ({contradiction})",
            f"run `{rerun}` to record evidence again",
        )
    outcome = evidence.outcome
    if outcome in ("failed", "error"):
        failing = [n for n, o in evidence.tests if o in ("failed", "error")]
        return Reason(
            "evidence",
            f"its linked tests {outcome} ({', '.join(failing[:3]) or evidence.reason})",
            f"fix them and run `{rerun}` (which unticks regressions)",
        )
    if outcome == "skipped":
        return Reason(
            "evidence",
            "every linked test was skipped, which proves nothing",
            f"make the tests run (install what they skip for), then run `{rerun}`",
        )
    if outcome == "blocked":
        return Reason(
            "evidence",
            f"the last run could not verify it ({evidence.reason})",
            f"fix the blocker, then run `{rerun}`",
        )
    return None


def _linked(evidence: Evidence | None) -> bool:
    """Whether a run linked tests to it (a ``task`` marker, which the words cannot show)."""
    if evidence is None or evidence.outcome == "unlinked":
        return False
    return evidence.rule is not None or bool(evidence.tests)


def gate_lines(path: str, offenders: Sequence[Offender], ticked: int, github: bool) -> list[str]:
    """The gate's verdict as lines, the same for ``tasktracker gate`` and
    ``pytest --tracker-gate``: GitHub annotations when ``github``, one line per
    offender, then the summary line."""
    lines = annotation_lines(path, offenders) if github else []
    lines.extend(offender.line(path) for offender in offenders)
    if offenders:
        ids = ", ".join(offender.subtask.id for offender in offenders)
        lines.append(
            f"gate failed: {len(offenders)} of {ticked} ticked sub-tasks lack evidence ({ids})"
        )
    else:
        lines.append(f"gate passed: every one of {ticked} ticked sub-tasks is backed by evidence")
    return lines


MAX_ANNOTATIONS = 10  # GitHub shows at most 10 error annotations per step


def _weight(offender: Offender) -> int:
    """Blocked and failed ticks first: they are what a reader must see."""
    rules = {reason.rule for reason in offender.reasons}
    failing = any("failed" in r.why or "error" in r.why for r in offender.reasons)
    return 0 if "blocker" in rules else 1 if failing else 2


def annotation_lines(path: str, offenders: Sequence[Offender]) -> list[str]:
    """The ``::error`` annotations GitHub will show: the 10 most important (blocked and
    failed first, in tracker order), and one line saying how many more there are."""
    ranked = sorted(offenders, key=_weight)  # stable: tracker order within a weight
    shown = ranked[:MAX_ANNOTATIONS]
    lines = [annotation(path, offender) for offender in shown]
    if len(ranked) > len(shown):
        lines.append(
            f"::notice title=tasktracker gate::{len(ranked) - len(shown)} more sub-tasks lack "
            "evidence; GitHub shows 10 annotations per step: see the job summary"
        )
    return lines


def annotation(path: str, offender: Offender) -> str:
    """A GitHub Actions ``::error`` workflow command at the sub-task's line."""

    def escape_data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def escape_property(text: str) -> str:
        return escape_data(text).replace(":", "%3A").replace(",", "%2C")

    reason = offender.reasons[0]
    subtask = offender.subtask
    title = escape_property(f"tasktracker gate: {subtask.id}")
    message = escape_data(f"{subtask.id} {subtask.text}: {reason.why}; {reason.todo}")
    return f"::error file={escape_property(path)},line={subtask.line},title={title}::{message}"
