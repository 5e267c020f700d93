"""How the gate shows the judge's verdict over every ticked box: the offender lines,
GitHub's annotations, the JSON and the summary table."""

from __future__ import annotations

from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.freshness import CodeNow
from pytest_tasktracker.rules.gate import EVERY, blocked_ids, gate_lines, split_stale
from pytest_tasktracker.rules.judge import OpenBlocker
from pytest_tasktracker.rules.summary import summary_markdown
from pytest_tasktracker.tracker.model import parse
from test_judge import PASSED, RERUN, offenders_of, proven_on


def test_the_gate_judges_every_ticked_box_also_after_an_open_one() -> None:
    tracker = parse(
        "### Step 1: S\n- [ ] Fix test_a.py\n- [x] Implement it\n- [x] Fix test_b.py\n"
        "### Step 2: T\n- [ ] Run tests\n- [x] Fix test_c.py (deferred to CI)\n",
        "T.md",
    )
    offenders = offenders_of(tracker, {}, [], RERUN)
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
    assert gate_lines("T.md", [], 0, github=False) == ["gate passed: no sub-task is ticked"]
    assert gate_lines("T.md", [], 3, github=False, backed=1) == [
        "gate passed: 3 ticked sub-tasks: 1 backed by passing evidence, 2 that need no passing run"
    ]
    assert gate_lines("T.md", offenders[:1], 3, github=True)[0] == (
        "::error file=T.md,line=4,title=tasktracker gate%3A 1.3::1.3 Fix test_b.py: is linked "
        f"to tests and has no passing evidence; run `{RERUN}`; it ticks what passes"
    )


def test_a_long_text_is_cut_at_sixty_characters_in_the_line() -> None:
    sixty = "Fix test_a.py " + "x" * 46
    tracker = parse(f"### Step 1: S\n- [x] {sixty}\n- [x] {sixty}y\n", "T.md")
    lines = gate_lines("T.md", offenders_of(tracker, {}, [], RERUN), 2, github=False)
    assert lines[0].startswith(f"T.md:2: 1.1 {sixty}: is linked")
    assert lines[1].startswith(f"T.md:3: 1.2 {sixty[:59]}\u2026: is linked")


def test_an_unreadable_report_blocks_every_sub_task() -> None:
    unreadable = OpenBlocker("b/bad.md", "unreadable", "'affected' is not a list", (EVERY,))
    named = OpenBlocker("b/x.md", "conftest-error", "s", ("1.2",))
    blocked = blocked_ids([named, unreadable])
    assert blocked.get("1.2") is named
    assert blocked.get("1.1") is unreadable
    assert blocked_ids([named]).get("1.1") is None


def test_an_offender_as_json() -> None:
    tracker = parse("### Step 1: S\n- [x] Fix test_a.py\n", "T.md")
    (offender,) = offenders_of(tracker, {}, [], RERUN)
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
    offenders = offenders_of(tracker, found, [], RERUN, current)
    assert [(o.subtask.id, [r.rule for r in o.reasons]) for o in offenders] == [
        ("1.1", ["stale"]),
        ("1.2", ["evidence"]),
    ]
    failing, stale = split_stale(offenders)
    assert [o.subtask.id for o in failing] == ["1.2"]
    assert [o.subtask.id for o in stale] == ["1.1"]


def test_github_shows_the_ten_most_important_annotations_and_says_how_many_more() -> None:
    lines = "".join(f"- [x] Fix test_{n}.py\n" for n in range(12))
    tracker = parse(f"### Step 1: S\n{lines}")
    failed = {
        "1.12": Evidence("1.12", "Fix test_11.py", "failed", "", (("t::x", "failed"),), None),
    }
    blocker = OpenBlocker("b/x.md", "no-tests", "nothing collected", ("1.11",))
    offenders = offenders_of(tracker, failed, [blocker], RERUN)
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
    offenders = offenders_of(tracker, found, [blocker], RERUN, code)
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
