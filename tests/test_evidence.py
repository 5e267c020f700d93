"""The library side of the evidence: test outcomes from reports, and results.json text."""

from __future__ import annotations

import json
from textwrap import dedent
from types import SimpleNamespace
from typing import Any

from pytest_tasktracker.evidence import render
from pytest_tasktracker.linking import link
from pytest_tasktracker.outcomes import judge_all, outcomes_of
from pytest_tasktracker.runinfo import RunInfo
from pytest_tasktracker.tracker import parse


def report(nodeid: str, when: str, outcome: str, **extra: Any) -> SimpleNamespace:
    return SimpleNamespace(nodeid=nodeid, when=when, outcome=outcome, **extra)


def test_each_test_is_judged_from_all_its_phases() -> None:
    reports = [
        report("t::pass", "call", "passed"),
        report("t::fail", "call", "failed"),
        report("t::setup_error", "setup", "failed"),
        report("t::teardown_error", "call", "passed"),
        report("t::teardown_error", "teardown", "failed"),
        report("t::fails_and_breaks_teardown", "call", "failed"),
        report("t::fails_and_breaks_teardown", "teardown", "failed"),
        report("t::skip_in_setup", "setup", "skipped"),
        report("t::skip", "call", "skipped"),
        report("t::xfail", "call", "skipped", wasxfail=""),
        report("t::xpass", "call", "passed", wasxfail=""),
        report("t::rerun_then_pass", "call", "rerun"),
        report("t::rerun_then_pass", "call", "passed"),
        report("t::teardown_only", "teardown", "skipped"),
    ]
    assert outcomes_of(reports) == {
        "t::pass": "passed",
        "t::fail": "failed",
        "t::setup_error": "error",
        "t::teardown_error": "error",
        "t::fails_and_breaks_teardown": "failed",
        "t::skip_in_setup": "skipped",
        "t::skip": "skipped",
        "t::xfail": "xfailed",
        "t::xpass": "xpassed",
        "t::rerun_then_pass": "passed",
    }


def test_of_two_final_reports_of_one_phase_the_later_counts() -> None:
    reports = [report("t::a", "call", "failed"), report("t::a", "call", "passed")]
    assert outcomes_of(reports) == {"t::a": "passed"}


RUN = RunInfo("2026-11-25T10:00:00+00:00", ["-q"], None, "9.2.0", "CPython 3.11.7", 0)


def test_results_are_written_one_sub_task_a_line_with_every_linked_test() -> None:
    tracker = parse(
        dedent("""\
        ### Step 1: Cache
        - [ ] Run pytest on tests/test_cache.py
        - [x] Write the "docs" \u00e9t\u00e9
        """),
        "TRACKER.md",
    )
    nodeids = ["tests/test_cache.py::test_a", 'tests/test_cache.py::test_b["q\\u00e9\t"]']
    links = link(tracker, nodeids, {})
    results = judge_all(links, {nodeids[0]: "passed"}, set(nodeids), narrowed=False)
    text = render(None, tracker, results, RUN, 1, "TRACKER.md")
    run = (
        '{"time": "2026-11-25T10:00:00+00:00", "argv": ["-q"], "git_head": null, '
        '"pytest": "9.2.0", "python": "CPython 3.11.7", "workers": 0}'
    )
    assert text == (
        '{"schema": "pytest-tasktracker/results/1", "tracker": "TRACKER.md", "last_run": '
        + run[:-1]
        + ', "exit_code": 1, "outcomes": {"not-run": 1, "unlinked": 1}}, "subtasks": [\n'
        '    {"id": "1.1", "text": "Run pytest on tests/test_cache.py", "step": "1", '
        '"line": 2, "status": " ", "outcome": "not-run", '
        '"reason": "1 selected linked test(s) did not run", "rule": "named", '
        '"targets": ["tests/test_cache.py"], "tests": ['
        '{"nodeid": "tests/test_cache.py::test_a", "outcome": "passed"}, '
        '{"nodeid": "tests/test_cache.py::test_b[\\"q\\\\u00e9\\t\\"]", "outcome": "not-run"}'
        f'], "run": {run}}},\n'
        '    {"id": "1.2", "text": "Write the \\"docs\\" \u00e9t\u00e9", "step": "1", '
        '"line": 3, "status": "x", "outcome": "unlinked", '
        '"reason": "no test is linked to it", "rule": null, "targets": [], "tests": [], '
        f'"run": {run}}}\n'
        "]}\n"
    )
    assert json.loads(text)["subtasks"][0]["tests"][1]["nodeid"] == nodeids[1]


def test_a_sub_task_this_run_did_not_verify_keeps_its_earlier_evidence() -> None:
    tracker = parse("### Step 1: A\n- [ ] Run pytest on tests/test_a.py\n", "T.md")
    earlier_links = link(tracker, ["tests/test_a.py::test_x"], {})
    earlier = json.loads(
        render(None, tracker, judge_all(earlier_links, {"tests/test_a.py::test_x": "passed"},
               {"tests/test_a.py::test_x"}, narrowed=False), RUN, 0, "T.md")
    )  # fmt: skip
    later = judge_all(link(tracker, [], {}), {}, set(), narrowed=False)
    kept = json.loads(render(earlier, tracker, later, RUN, 5, "T.md"))
    assert kept["subtasks"] == earlier["subtasks"]
    assert kept["last_run"]["outcomes"] == {"not-run": 1}
