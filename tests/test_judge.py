"""The judge (rules/judge.py), table-driven and fast: every reason it gives against a
tick, from the sub-task's words, its evidence (and who wrote it), its blockers, its
checks and its markers."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_tasktracker.rules.checks import CheckResult, command_problem, named_checks
from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.freshness import CodeNow
from pytest_tasktracker.rules.gate import Offender, blocked_ids, find_offenders
from pytest_tasktracker.rules.judge import Facts, OpenBlocker, Reason, depends_on_code, judge
from pytest_tasktracker.tracker.model import SubTask, Tracker, parse

RERUN = "pytest --tracker T.md --tracker-update"


def verdict(
    found: SubTask,
    proof: Evidence | None,
    blocker: OpenBlocker | None,
    rerun: str,
    code: CodeNow | None = None,
    checks: dict[str, CheckResult] | None = None,
) -> list[Reason]:
    """The judge on one sub-task, from these facts alone."""
    return judge(found, Facts(proof, blocker, checks or {}, code), rerun)


def offenders_of(
    tracker: Tracker,
    evidence: dict[str, Evidence],
    blockers: list[OpenBlocker],
    rerun: str,
    code: CodeNow | None = None,
) -> list[Offender]:
    """The gate over every ticked box, on these facts alone."""
    blocked = blocked_ids(blockers)

    def reasons(found: SubTask) -> list[Reason]:
        return verdict(found, evidence.get(found.id), blocked.get(found.id), rerun, code)

    return find_offenders(tracker, reasons)


def subtask(text: str) -> SubTask:
    (found,) = parse(f"### Step 1: S\n- [x] {text}\n").subtasks
    return found


def evidence(
    text: str, outcome: str, tests: tuple[tuple[str, str], ...] = (), rule: str | None = "named"
) -> Evidence:
    return Evidence("1.1", text, outcome, "a reason", tests, None, rule)


PASSED = (("t.py::a", "passed"),)
NO_EVIDENCE = ("no-evidence", "is linked to tests and has no passing evidence")
RUN_NO_EVIDENCE = ("no-evidence", "asks for a test run and has no passing evidence")
BLOCKER = OpenBlocker("b/x.md", "conftest-error", "conftest.py fails", ("1.1",))


# Stale evidence: the code state it was proven on is not the code now.
OLD = {"test_a.py": "1", "src/a.py": "1", "src/b.py": "1", "src/c.py": "1", "src/d.py": "1"}


def proven_on(code: str | None, tests: tuple[tuple[str, str], ...] = PASSED) -> Evidence:
    return Evidence("1.1", "Fix test_a.py", "passed", "", tests, None, "named", code)


def check(
    name: str, outcome: str = "passed", code: str | None = "s1", command: str | None = None
) -> CheckResult:
    code_ = 0 if outcome == "passed" else 1
    return CheckResult(name, command or name, code_, outcome, "", code, "t")


QUALITY = "Quality checks: pylint, pytest, mypy - fix all issues"


@pytest.mark.parametrize(
    ("text", "outcome", "tests", "rule", "expected"),
    [
        ("Fix test_a.py", None, (), None, [NO_EVIDENCE]),
        ("Run tests to verify they pass", None, (), None, [RUN_NO_EVIDENCE]),
        ("Fix test_a.py", "passed", PASSED, "named", []),
        ("Fix test_a.py", "passed", (("t.py::a", "passed"), ("t.py::b", "skipped")), "named", []),
        ("Fix test_a.py", "passed", (("t.py::a", "xfailed"),), "named", []),
        (
            "Fix test_a.py",
            "failed",
            (("t.py::a", "failed"), ("t.py::b", "passed")),
            "named",
            [("evidence", "its linked tests failed (t.py::a)")],
        ),
        (
            "Fix test_a.py",
            "error",
            (("t.py::a", "error"),),
            "named",
            [("evidence", "its linked tests error (t.py::a)")],
        ),
        (
            "Fix test_a.py",
            "skipped",
            (("t.py::a", "skipped"),),
            "named",
            [("evidence", "every linked test was skipped, which proves nothing")],
        ),
        (
            "Fix test_a.py",
            "blocked",
            (),
            "named",
            [("evidence", "the last run could not verify it (a reason)")],
        ),
        ("Fix test_a.py", "not-run", PASSED, "named", [NO_EVIDENCE]),
        (
            "Fix test_a.py",
            "passed",
            (),
            "named",
            [("evidence", "its evidence contradicts itself (it says passed but lists no test)")],
        ),
        (
            "Fix test_a.py",
            "passed",
            (("t.py::a", "passed"), ("t.py::b", "failed")),
            "named",
            [
                (
                    "evidence",
                    "its evidence contradicts itself (it says passed but lists t.py::b failed)",
                )
            ],
        ),
        (
            "Fix test_a.py",
            "passed",
            (("t.py::a", "skipped"),),
            "named",
            [
                (
                    "evidence",
                    "its evidence contradicts itself "
                    "(it says passed but every test it lists was skipped)",
                )
            ],
        ),
        # Linked by a marker: the words say nothing, the evidence's rule does.
        ("Implement the cache", None, (), None, []),
        (
            "Implement the cache",
            "failed",
            (("t.py::a", "failed"),),
            "marker",
            [("evidence", "its linked tests failed (t.py::a)")],
        ),
        ("Implement the cache", "not-run", (), "marker", [NO_EVIDENCE]),
        ("Implement the cache", "unlinked", (), None, []),
        # The red phase is never judged on evidence.
        (
            "Run tests to verify they fail (TDD approach)",
            "failed",
            (("t.py::a", "failed"),),
            "step",
            [],
        ),
        (
            "Run tests (BLOCKED: no xdist)",
            None,
            (),
            None,
            [("claim", "ticked with a claim, not evidence ('BLOCKED')"), RUN_NO_EVIDENCE],
        ),
    ],
)
def test_the_verdict_on_a_tick(
    text: str,
    outcome: str | None,
    tests: tuple[tuple[str, str], ...],
    rule: str | None,
    expected: list[tuple[str, str]],
) -> None:
    found = subtask(text)
    proof = None if outcome is None else evidence(text, outcome, tests, rule)
    assert [(r.rule, r.why) for r in verdict(found, proof, None, RERUN)] == expected


def test_evidence_for_other_words_is_no_evidence() -> None:
    found = subtask("Fix test_a.py and test_b.py")
    proof = evidence("Fix test_a.py", "passed", PASSED)
    assert [r.rule for r in verdict(found, proof, None, RERUN)] == ["no-evidence"]


def test_an_open_blocker_names_its_file_and_what_to_do() -> None:
    (reason,) = verdict(subtask("Implement the cache"), None, BLOCKER, RERUN)
    assert (reason.rule, reason.why, reason.todo) == (
        "blocker",
        "has an open blocker: b/x.md (conftest-error: conftest.py fails)",
        f"follow the remedies in b/x.md, then run `{RERUN}`",
    )


def test_at_most_three_failing_tests_are_named() -> None:
    rows = tuple((f"t.py::{name}", "failed") for name in "abcd")
    (reason,) = verdict(
        subtask("Fix test_a.py"), evidence("Fix test_a.py", "failed", rows), None, RERUN
    )
    assert reason.why == "its linked tests failed (t.py::a, t.py::b, t.py::c)"


@pytest.mark.parametrize(
    ("code", "now", "earlier", "said"),
    [
        ("s1", {}, {}, None),  # same state
        (None, {}, {}, None),  # evidence from before code states: never stale
        ("s0", {}, {}, "the code changed since the run"),  # no manifest for it
        ("s0", OLD, {"s0": OLD}, "the code changed since the run"),  # manifests equal
        ("s0", {**OLD, "src/a.py": "2"}, {"s0": OLD}, "1 file changed since the run (src/a.py)"),
        (
            "s0",
            {**OLD, "test_a.py": "2", "src/a.py": "2"},
            {"s0": OLD},
            "2 files changed since the run, among them its test file test_a.py",
        ),
        (
            "s0",
            {"test_a.py": "1"},
            {"s0": OLD},
            "4 files changed since the run (src/a.py, src/b.py, src/c.py, ...)",
        ),
    ],
)
def test_what_changed_since_the_evidence(
    code: str | None, now: dict[str, str], earlier: dict[str, dict[str, str]], said: str | None
) -> None:
    current = CodeNow("s1", now, earlier)
    tests = (("test_a.py::t", "passed"),)
    assert current.stale(proven_on(code, tests)) == said
    reasons = verdict(subtask("Fix test_a.py"), proven_on(code, tests), None, RERUN, current)
    expected = (
        [] if said is None else [("stale", f"its evidence is from another code state: {said}")]
    )
    assert [(r.rule, r.why) for r in reasons] == expected
    if said:
        assert reasons[0].todo == f"run `{RERUN}` to prove it on this code"


@pytest.mark.parametrize(
    ("checks", "pytest_code", "lacking"),
    [
        (None, "s1", "pylint (not run), mypy (not run)"),  # never verified: still asked
        (
            {"pylint": check("pylint", command="true"), "mypy": check("mypy")},
            "s1",
            "pylint (`true` is not pylint)",
        ),
        ({"pylint": check("pylint"), "mypy": check("mypy")}, "s1", None),
        ({"pylint": check("pylint")}, "s1", "mypy (not run)"),
        (
            {"pylint": check("pylint", "failed"), "mypy": check("mypy")},
            "s1",
            "pylint (failed, exit code 1)",
        ),
        (
            {"pylint": check("pylint", code="s0"), "mypy": check("mypy")},
            "s1",
            "pylint (passed on other code)",
        ),
        (
            {"pylint": check("pylint"), "mypy": check("mypy")},
            "s0",
            "pytest (no passing run on this code)",
        ),
        ({}, "s1", "pylint (not run), mypy (not run)"),
    ],
)
def test_a_sub_task_naming_checks_needs_each_on_this_code(
    checks: dict[str, CheckResult] | None, pytest_code: str, lacking: str | None
) -> None:
    current = CodeNow("s1", {})
    found = Evidence("1.1", QUALITY, "passed", "", PASSED, None, "named", pytest_code)
    reasons = verdict(subtask(QUALITY), found, None, RERUN, current, checks)
    about_checks = [r for r in reasons if r.rule == "checks"]
    if lacking is None:
        assert about_checks == []
        return
    (reason,) = about_checks
    assert reason.why == f"names checks without passing evidence on this code: {lacking}"
    assert reason.todo == (
        "run `tasktracker verify 1.1`; it runs each check the project declares and ticks "
        "it once all passed"
    )


def test_a_sub_task_naming_no_check_needs_none() -> None:
    found = evidence("Fix test_a.py", "passed", PASSED)
    assert verdict(subtask("Fix test_a.py"), found, None, RERUN, None, {}) == []
    assert named_checks(subtask("Run PyLint and MYPY, then ruff")) == ["pylint", "mypy", "ruff"]


UNTRUSTED = "results.json was not written by a recorded run"


@pytest.mark.parametrize(
    ("outcome", "tests"),
    [("passed", PASSED), ("failed", (("t.py::a", "failed"),)), ("not-run", ())],
)
def test_evidence_no_recorded_run_wrote_backs_nothing(
    outcome: str, tests: tuple[tuple[str, str], ...]
) -> None:
    proof = evidence("Fix test_a.py", outcome, tests)._replace(untrusted=UNTRUSTED)
    (reason,) = verdict(subtask("Fix test_a.py"), proof, None, RERUN)
    assert (reason.rule, reason.why, reason.todo) == (
        "untrusted",
        f"its evidence is not trusted: {UNTRUSTED}",
        f"run `{RERUN}` to record it again",
    )


def test_untrusted_evidence_is_no_pytest_part_of_a_check() -> None:
    proof = Evidence("1.1", QUALITY, "passed", "", PASSED, None, "named", "s1")
    checks = {"pylint": check("pylint"), "mypy": check("mypy")}
    current = CodeNow("s1", {})
    assert verdict(subtask(QUALITY), proof, None, RERUN, current, checks) == []
    forged = verdict(
        subtask(QUALITY), proof._replace(untrusted=UNTRUSTED), None, RERUN, current, checks
    )
    assert [r.rule for r in forged] == ["checks", "untrusted"]
    assert forged[0].why.endswith("pytest (no passing run on this code)")


def test_a_marker_in_the_test_files_links_a_box_its_words_do_not() -> None:
    found = subtask("Implement the parser")
    assert judge(found, Facts(), RERUN) == []
    (reason,) = judge(found, Facts(marked=True), RERUN)
    assert (reason.rule, reason.why) == NO_EVIDENCE


def test_checks_that_no_recorded_verify_wrote_count_for_nothing() -> None:
    proof = Evidence("1.1", "Run pylint on x", "unlinked", "", (), None, None)
    facts = Facts(proof, None, {"pylint": check("pylint")}, CodeNow("s1", {}))
    assert judge(subtask("Run pylint on x"), facts, RERUN) == []
    forged = facts._replace(checks_untrusted="checks.json was not written by a recorded run")
    (reason,) = judge(subtask("Run pylint on x"), forged, RERUN)
    assert reason.why == (
        "names checks without passing evidence on this code: pylint (not run) "
        "(checks.json was not written by a recorded run)"
    )


@pytest.mark.parametrize(
    ("name", "command", "declared", "problem"),
    [
        ("pylint", "pylint src", {}, None),
        ("pylint", "python3 -m pylint src", {}, None),
        ("pylint", ".venv/bin/pylint", {}, None),
        ("pylint", "true", {}, "`true` is not pylint"),
        ("pylint", "sh -c 'pylint src'", {}, "`sh -c 'pylint src'` is not pylint"),
        ("pylint", "echo pylint", {}, "`echo pylint` is not pylint"),
        ("pylint", "pylint  src", {"pylint": "pylint src"}, None),
        ("pylint", "pylint", {"pylint": "pylint src"}, "not the declared command `pylint src`"),
        ("docs", "mkdocs build", {"docs": "mkdocs build"}, None),
        ("docs", "true", {}, "`true` is not docs"),
        ("pylint", "'unclosed", {}, "`'unclosed` is not pylint"),
    ],
)
def test_which_command_counts_for_a_check(
    name: str, command: str, declared: dict[str, str], problem: str | None
) -> None:
    assert command_problem(name, command, declared) == problem


def test_a_record_of_another_command_is_no_record_of_the_check() -> None:
    facts = Facts(checks={"pylint": check("pylint", command="true")}, code=CodeNow("s1", {}))
    (reason,) = judge(subtask("Run pylint on x"), facts, RERUN)
    assert reason.why == (
        "names checks without passing evidence on this code: pylint (`true` is not pylint)"
    )
    declared = facts._replace(declared={"pylint": "pylint src"})
    (reason,) = judge(subtask("Run pylint on x"), declared, RERUN)
    assert reason.why.endswith("pylint (not the declared command `pylint src`)")


def test_a_declared_check_is_named_by_its_word() -> None:
    found = subtask("Build the docs, then run mypy")
    assert named_checks(found) == ["mypy"]
    assert named_checks(found, {"docs": "mkdocs build --strict"}) == ["docs", "mypy"]
    assert named_checks(subtask("Update the documentation"), {"docs": "x"}) == []


CODE_FREE = {
    "no test verifies it": (subtask("Implement the parser"), Facts()),
    "a marker links it": (subtask("Implement the parser"), Facts(marked=True)),
    "never run": (subtask("Run pytest on test_b.py"), Facts()),
    "a pass": (subtask("Fix test_a.py"), Facts(proven_on("s1"))),
    "a failure": (subtask("Fix test_a.py"), Facts(evidence("Fix test_a.py", "failed", PASSED))),
    "named checks": (subtask("Run pylint on x"), Facts(checks={"pylint": check("pylint")})),
    "a red phase": (subtask("Write tests for x and run them to verify they fail"), Facts()),
    "a claim": (subtask("Implement x (verified via code review)"), Facts()),
    "a blocker": (subtask("Run pytest on test_b.py"), Facts(blocker=BLOCKER)),
}


@pytest.mark.parametrize("case", CODE_FREE)
@pytest.mark.parametrize("markers_known", [False, True])
def test_an_answer_that_does_not_depend_on_the_code_is_the_same_on_any_code(
    case: str, markers_known: bool
) -> None:
    """``depends_on_code`` False: the answer is the same whatever the code state and
    (unless the markers are known) whatever the markers say."""
    found, facts = CODE_FREE[case]
    if depends_on_code(found, facts, markers_known):
        return
    codes = [None, CodeNow("s1", OLD), CodeNow("s2", {**OLD, "src/a.py": "2"})]
    markers = [facts.marked] if markers_known else [False, True]
    answers = {
        tuple(judge(found, facts._replace(code=code, marked=marked), RERUN))
        for code in codes
        for marked in markers
    }
    assert answers == {tuple(judge(found, facts, RERUN))}


def test_which_answers_the_code_can_change() -> None:
    assert {
        case: (depends_on_code(*CODE_FREE[case]), depends_on_code(*CODE_FREE[case], True))
        for case in CODE_FREE
    } == {
        "no test verifies it": (True, False),  # a marker added to a test file links it
        "a marker links it": (True, False),
        "never run": (False, False),
        "a pass": (True, True),  # on this code, or stale?
        "a failure": (False, False),
        "named checks": (True, True),  # recorded per code state
        "a red phase": (False, False),
        "a claim": (True, False),
        "a blocker": (False, False),
    }


@given(
    st.lists(
        st.sampled_from(
            [
                *("pytest", "PyTest", "mypy", "mypy_", "pylint", "ruff", "ruffx", "flake8"),
                *("black", "isort", "pyright", "bandit", "2mypy", " ", ",", "-", "_", ".", "é"),
            ]
        ),
        max_size=12,
    ).map("".join)
)
@example("bandit, ruff_ mypy2 Black")
def test_the_named_checks_are_what_the_pattern_finds(text: str) -> None:
    """ASCII words are read as whole words, without the pattern; other text with it."""
    from pytest_tasktracker.rules import checks

    read = subtask(f"Run {text}")
    found = [match.lower() for match in checks._NAMED().findall(read.text)]
    assert named_checks(read) == list(dict.fromkeys(found))
