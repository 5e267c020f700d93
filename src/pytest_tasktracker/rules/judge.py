"""The judge: may this box be ``[x]`` now, and if not, why.

Every writer of ``[x]`` asks it (``--tracker-update``, ``tasktracker update``,
``verify``, ``check``, the MCP tools, the hooks, through ``ticks.write``), and the gate is
the judge over every ticked box. It is pure: what the tool itself recorded comes in as
``Facts``; the reasons against the tick go out, the most important first.

A box may not be ``[x]`` when:

1. it names checks that are not pytest (pylint, mypy, ruff, ...) without a passing
   record of each on this code, run by ``verify`` with the project's declared command
   (or a command whose program is that check);
2. its text or notes claim it was not verified ("BLOCKED", "verified via code review",
   "deferred to CI", "could not be run", ...);
3. an open blocker report lists it;
4. its evidence was not written by a recorded run (the run journal does not vouch for
   it);
5. its linked tests failed, errored, or were all skipped, or the last run was blocked;
6. its evidence contradicts itself (``passed`` with a failed or unrun test, or none);
7. it is linked to tests by any rule (marker, explicit link, file name, step, suite)
   and has no ``passed`` evidence covering its scope, or that pass was on other code.

Red-phase boxes ("run tests to verify they fail") and boxes no test can verify
(implementation, review, a commit message) answer to rules 1 to 3 only.
"""

from __future__ import annotations

from collections.abc import Mapping

from pytest_tasktracker.rules.checks import CheckResult, missing_checks, named_checks
from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.freshness import CodeNow, passed_here
from pytest_tasktracker.rules.intent import read_intent, unverified_claim
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.model import SubTask


class Reason(Slotted):
    __slots__ = ("rule", "why", "todo")

    def __init__(self, rule: str, why: str, todo: str) -> None:
        self.rule = rule  # checks | claim | blocker | untrusted | evidence | stale | no-evidence
        self.why = why
        self.todo = todo


class OpenBlocker(Slotted):
    __slots__ = ("path", "kind", "summary", "affected")

    def __init__(self, path: str, kind: str, summary: str, affected: tuple[str, ...]) -> None:
        self.path = path  # as shown to the user
        self.kind = kind
        self.summary = summary
        self.affected = affected


class Facts(Slotted):
    """What the tool recorded about one sub-task."""

    __slots__ = ("evidence", "blocker", "checks", "code", "marked", "declared", "checks_untrusted")

    def __init__(
        self,
        evidence: Evidence | None = None,
        blocker: OpenBlocker | None = None,
        checks: Mapping[str, CheckResult] | None = None,
        code: CodeNow | None = None,
        marked: bool = False,
        declared: Mapping[str, str] | None = None,
        checks_untrusted: str | None = None,
    ) -> None:
        self.evidence = evidence  # its entry in results.json (trust included)
        self.blocker = blocker  # the first open blocker that lists it
        # its records from verify, by check name
        self.checks: Mapping[str, CheckResult] = {} if checks is None else checks
        self.code = code  # the code now; None: unknown (nothing is called stale)
        self.marked = marked  # a ``task`` marker in the test files names it
        # the project's named checks: name -> command
        self.declared: Mapping[str, str] = {} if declared is None else declared
        self.checks_untrusted = checks_untrusted  # why checks.json is not to be trusted


def judge(subtask: SubTask, facts: Facts, rerun: str) -> list[Reason]:
    """Why ``subtask`` may not be ``[x]`` now, most important first; empty when it may.
    ``rerun`` is the command that verifies (named in what to do)."""
    reasons = _check_problem(subtask, facts)
    untick = f"untick it, fix the cause, and let `{rerun}` tick it"
    claim = unverified_claim(subtask)
    if claim:
        reasons.append(Reason("claim", f"ticked with a claim, not evidence ({claim!r})", untick))
    blocker = facts.blocker
    if blocker is not None:
        reasons.append(
            Reason(
                "blocker",
                f"has an open blocker: {blocker.path} ({blocker.kind}: {blocker.summary})",
                f"follow the remedies in {blocker.path}, then run `{rerun}`",
            )
        )
    evidence = facts.evidence
    intent = read_intent(subtask)
    linked = intent.verifiable or facts.marked or _linked(evidence)
    if intent.red_phase or not linked:
        return reasons
    if evidence is not None and evidence.text == subtask.text:
        problem = _evidence_problem(evidence, rerun)
        if problem is not None:
            reasons.append(problem)
            return reasons
        if evidence.outcome == "passed":
            changed = facts.code.stale(evidence) if facts.code is not None else None
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


def depends_on_code(subtask: SubTask, facts: Facts, markers_known: bool = False) -> bool:
    """Whether ``judge``'s answer on ``subtask`` may change with the code alone (its files
    and environment), the other facts the same: it names checks (recorded per code
    state), its pass may be stale, or only a ``task`` marker in the test files would
    link it (unless ``markers_known``: the caller watches those files). ``facts.code``,
    and ``facts.marked`` unless ``markers_known``, are then not needed for the answer."""
    if any(name != "pytest" for name in named_checks(subtask, facts.declared)):
        return True
    intent = read_intent(subtask)
    if intent.red_phase:
        return False
    evidence = facts.evidence
    if not (intent.verifiable or _linked(evidence)):
        return not markers_known  # a marker added to a test file would link it
    return (
        evidence is not None
        and evidence.text == subtask.text
        and _evidence_problem(evidence, "") is None
        and evidence.outcome == "passed"
    )


def _check_problem(subtask: SubTask, facts: Facts) -> list[Reason]:
    """What the non-pytest checks a sub-task names still lack on this code."""
    named = named_checks(subtask, facts.declared)
    if not any(name != "pytest" for name in named):
        return []
    pytest_fresh = passed_here(facts.evidence, facts.code)
    checks = {} if facts.checks_untrusted else facts.checks
    digest = facts.code.digest if facts.code else None
    lacking = missing_checks(subtask, checks, pytest_fresh, digest, facts.declared)
    if not lacking:
        return []
    why = f"names checks without passing evidence on this code: {', '.join(lacking)}"
    if facts.checks_untrusted and facts.checks:
        why += f" ({facts.checks_untrusted})"
    return [
        Reason(
            "checks",
            why,
            f"run `tasktracker verify {subtask.id}`; it runs each check the project "
            "declares and ticks it once all passed",
        )
    ]


def _evidence_problem(evidence: Evidence, rerun: str) -> Reason | None:
    """What in a sub-task's evidence speaks against a tick: no recorded run wrote it,
    failures, all-skipped, a blocked run, or evidence that contradicts itself."""
    if evidence.untrusted:
        return Reason(
            "untrusted",
            f"its evidence is not trusted: {evidence.untrusted}",
            f"run `{rerun}` to record it again",
        )
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
