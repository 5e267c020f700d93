"""The one verdict on a tick (rules.gate.verdict), table-driven and fast: every reason the
gate and ``check`` give, from the sub-task's words, its evidence and its blockers."""

from __future__ import annotations

import pytest

from pytest_tasktracker.rules.checks import CheckResult, named_checks
from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.freshness import CodeNow
from pytest_tasktracker.rules.gate import (
    EVERY,
    OpenBlocker,
    blocked_ids,
    find_offenders,
    gate_lines,
    split_stale,
    verdict,
)
from pytest_tasktracker.rules.summary import summary_markdown
from pytest_tasktracker.tracker.model import SubTask, parse

RERUN = "pytest --tracker T.md --tracker-update"


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


def test_the_gate_judges_every_ticked_box_also_after_an_open_one() -> None:
    tracker = parse(
        "### Step 1: S\n- [ ] Fix test_a.py\n- [x] Implement it\n- [x] Fix test_b.py\n"
        "### Step 2: T\n- [ ] Run tests\n- [x] Fix test_c.py (deferred to CI)\n",
        "T.md",
    )
    offenders = find_offenders(tracker, {}, [], RERUN)
    assert [o.subtask.id for o in offenders] == ["1.3", "2.2"]
    assert gate_lines("T.md", offenders, 3, github=False) == [
        "T.md:4: 1.3 Fix test_b.py: is linked to tests and has no passing evidence; "
        f"run `{RERUN}`; it ticks what passes",
        "T.md:7: 2.2 Fix test_c.py (deferred to CI): ticked with a claim, not evidence "
        f"('deferred to CI') (and 1 more); untick it, fix the cause, and let `{RERUN}` tick it",
        "gate failed: 2 of 3 ticked sub-tasks lack evidence (1.3, 2.2)",
    ]
    assert gate_lines("T.md", [], 3, github=True) == [
        "gate passed: every one of 3 ticked sub-tasks is backed by evidence"
    ]
    assert gate_lines("T.md", offenders[:1], 3, github=True)[0] == (
        "::error file=T.md,line=4,title=tasktracker gate%3A 1.3::1.3 Fix test_b.py: is linked "
        f"to tests and has no passing evidence; run `{RERUN}`; it ticks what passes"
    )


def test_a_long_text_is_cut_at_sixty_characters_in_the_line() -> None:
    sixty = "Fix test_a.py " + "x" * 46
    tracker = parse(f"### Step 1: S\n- [x] {sixty}\n- [x] {sixty}y\n", "T.md")
    lines = gate_lines("T.md", find_offenders(tracker, {}, [], RERUN), 2, github=False)
    assert lines[0].startswith(f"T.md:2: 1.1 {sixty}: is linked")
    assert lines[1].startswith(f"T.md:3: 1.2 {sixty[:59]}\u2026: is linked")


def test_at_most_three_failing_tests_are_named() -> None:
    rows = tuple((f"t.py::{name}", "failed") for name in "abcd")
    (reason,) = verdict(
        subtask("Fix test_a.py"), evidence("Fix test_a.py", "failed", rows), None, RERUN
    )
    assert reason.why == "its linked tests failed (t.py::a, t.py::b, t.py::c)"


def test_an_unreadable_report_blocks_every_sub_task() -> None:
    unreadable = OpenBlocker("b/bad.md", "unreadable", "'affected' is not a list", (EVERY,))
    named = OpenBlocker("b/x.md", "conftest-error", "s", ("1.2",))
    blocked = blocked_ids([named, unreadable])
    assert blocked.get("1.2") is named
    assert blocked.get("1.1") is unreadable
    assert blocked_ids([named]).get("1.1") is None


def test_an_offender_as_json() -> None:
    tracker = parse("### Step 1: S\n- [x] Fix test_a.py\n", "T.md")
    (offender,) = find_offenders(tracker, {}, [], RERUN)
    assert offender.to_json() == {
        "id": "1.1",
        "line": 2,
        "text": "Fix test_a.py",
        "reasons": [
            {
                "rule": "no-evidence",
                "why": "is linked to tests and has no passing evidence",
                "todo": f"run `{RERUN}`; it ticks what passes",
            }
        ],
    }


# Stale evidence: the code state it was proven on is not the code now.
OLD = {"test_a.py": "1", "src/a.py": "1", "src/b.py": "1", "src/c.py": "1", "src/d.py": "1"}


def proven_on(code: str | None, tests: tuple[tuple[str, str], ...] = PASSED) -> Evidence:
    return Evidence("1.1", "Fix test_a.py", "passed", "", tests, None, "named", code)


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


def test_stale_as_a_warning_keeps_the_other_reasons() -> None:
    tracker = parse(
        "### Step 1: S\n- [x] Fix test_a.py\n- [x] Fix test_b.py\n- [x] Fix test_c.py\n"
    )
    current = CodeNow("s1", {})
    found = {
        "1.1": proven_on("s0"),
        "1.2": Evidence(
            "1.2", "Fix test_b.py", "failed", "", (("t.py::b", "failed"),), None, "named", "s0"
        ),
        "1.3": Evidence("1.3", "Fix test_c.py", "passed", "", PASSED, None, "named", "s1"),
    }
    offenders = find_offenders(tracker, found, [], RERUN, current)
    assert [(o.subtask.id, [r.rule for r in o.reasons]) for o in offenders] == [
        ("1.1", ["stale"]),
        ("1.2", ["evidence"]),
    ]
    failing, stale = split_stale(offenders)
    assert [o.subtask.id for o in failing] == ["1.2"]
    assert [o.subtask.id for o in stale] == ["1.1"]


def check(name: str, outcome: str = "passed", code: str | None = "s1") -> CheckResult:
    return CheckResult(name, name, 0 if outcome == "passed" else 1, outcome, "", code, "t")


QUALITY = "Quality checks: pylint, pytest, mypy - fix all issues"


@pytest.mark.parametrize(
    ("checks", "pytest_code", "lacking"),
    [
        (None, "s1", None),  # verify never used here: the gate asks nothing
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
        "run each with `tasktracker verify 1.1 -- COMMAND`; the last one to pass ticks it"
    )


def test_a_sub_task_naming_no_check_needs_none() -> None:
    found = evidence("Fix test_a.py", "passed", PASSED)
    assert verdict(subtask("Fix test_a.py"), found, None, RERUN, None, {}) == []
    assert named_checks(subtask("Run PyLint and MYPY, then ruff")) == ["pylint", "mypy", "ruff"]


def test_github_shows_the_ten_most_important_annotations_and_says_how_many_more() -> None:
    lines = "".join(f"- [x] Fix test_{n}.py\n" for n in range(12))
    tracker = parse(f"### Step 1: S\n{lines}")
    failed = {
        "1.12": Evidence("1.12", "Fix test_11.py", "failed", "", (("t::x", "failed"),), None),
    }
    blocker = OpenBlocker("b/x.md", "no-tests", "nothing collected", ("1.11",))
    offenders = find_offenders(tracker, failed, [blocker], RERUN)
    assert len(offenders) == 12
    shown = gate_lines("T.md", offenders, 12, github=True)
    errors = [line for line in shown if line.startswith("::error")]
    assert len(errors) == 10
    assert [line.split("title=tasktracker gate%3A ")[1].split("::")[0] for line in errors] == [
        "1.11",  # blocked
        "1.12",  # failed
        *(f"1.{n}" for n in range(1, 9)),  # then tracker order
    ]
    assert shown[10] == (
        "::notice title=tasktracker gate::2 more sub-tasks lack evidence; GitHub shows 10 "
        "annotations per step: see the job summary"
    )
    assert len(gate_lines("T.md", offenders, 12, github=False)) == 13  # every line, no cap


def test_the_summary_table_line_by_line() -> None:
    tracker = parse(
        "### Step 1: S\n- [x] Fix test_a.py\n- [x] Fix test_b.py | pipes\n- [ ] Fix test_c.py\n"
        "- [x] Fix test_d.py\n- [ ] Fix test_e.py\n"
    )
    found = {
        "1.1": Evidence("1.1", "Fix test_a.py", "passed", "", PASSED, None, "named", "s1"),
        "1.2": Evidence("1.2", "Fix test_b.py | pipes", "failed", "", (("t::b", "failed"),), None),
        "1.4": Evidence("1.4", "Fix test_d.py", "passed", "", PASSED, None, "named", "s0"),
    }
    blocker = OpenBlocker("b/x.md", "collection-error", "test_c.py fails", ("1.3",))
    code = CodeNow("s1", {})
    offenders = find_offenders(tracker, found, [blocker], RERUN, code)
    text = summary_markdown(tracker, offenders, found, blocked_ids([blocker]), code)
    assert text.splitlines() == [
        "## Task tracker gate failed: 2 of 3 ticked sub-tasks lack evidence",
        "",
        "`<tracker>`",
        "",
        "| Sub-task | Status | Evidence | Blocker | Code |",
        "|---|---|---|---|---|",
        "| 1.1 Fix test_a.py | ✅ ticked, backed | passed (1 tests) |  | this code |",
        "| 1.2 Fix test_b.py \\| pipes | ❌ ticked: its linked tests failed (t::b) "
        "| failed (1 tests) |  | - |",
        "| 1.3 Fix test_c.py | ⛔ open, blocked | none | `b/x.md` (collection-error) | - |",
        "| 1.4 Fix test_d.py | ❌ ticked: its evidence is from another code state: the code "
        "changed since the run | passed (1 tests) |  | stale |",
    ]
