"""The library side of the evidence: test outcomes from reports, and results.json text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from textwrap import dedent
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import evidence_file
from pytest_tasktracker.plugin.collection import Collected
from pytest_tasktracker.rules.evidence import (
    Evidence,
    ResultsError,
    earlier_entries,
    evidence_by_id,
    expand,
    results_parts,
    write_results,
)
from pytest_tasktracker.rules.journal import read_once
from pytest_tasktracker.rules.linking import link
from pytest_tasktracker.rules.outcomes import judge_subtasks, outcomes_of
from pytest_tasktracker.runinfo import RunInfo
from pytest_tasktracker.tracker.model import parse


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


def test_a_failed_call_report_wins_over_a_later_passing_one() -> None:
    """A failing subtest's report comes before the test's own passing call report."""
    reports = [
        report("t::a", "call", "failed"),
        report("t::a", "call", "passed"),
        report("t::b", "call", "passed"),
        report("t::b", "call", "failed"),
        report("t::b", "call", "passed"),
        report("t::c", "call", "passed"),
        report("t::c", "call", "passed"),
    ]
    assert outcomes_of(reports) == {"t::a": "failed", "t::b": "failed", "t::c": "passed"}


def results_text(*args: Any) -> str:
    """The whole text results_parts() writes."""
    return "".join(results_parts(*args))


RUN = RunInfo(
    "2026-11-25T10:00:00+00:00", ["-q"], None, "9.2.0", "CPython 3.11.7", 0, id="0123456789abcdef"
)


def test_results_are_written_one_sub_task_a_line_with_every_linked_test() -> None:
    tracker = parse(
        dedent("""\
        ### Step 1: Cache
        - [ ] Run pytest on tests/test_cache.py
        - [x] Write the "docs" \u00e9t\u00e9
        - [ ] Run the full test suite
        - [ ] Run the whole test suite again
        """),
        "TRACKER.md",
    )
    nodeids = ["tests/test_cache.py::test_a", 'tests/test_cache.py::test_b["q\\u00e9\t"]']
    links = link(tracker, nodeids, {})
    results = judge_subtasks(links, {nodeids[0]: "passed"}, None)
    text = results_text({}, tracker, results, RUN, 1, "TRACKER.md")
    run = (
        '{"time": "2026-11-25T10:00:00+00:00", "argv": ["-q"], "git_head": null, '
        '"pytest": "9.2.0", "python": "CPython 3.11.7", "workers": 0, "code": null, '
        '"id": "0123456789abcdef"}'
    )
    rows = (
        '{"passed": ["tests/test_cache.py::test_a"], '
        '"not-run": ["tests/test_cache.py::test_b[\\"q\\\\u00e9\\t\\"]"]}'
    )
    assert text == (
        '{"schema": "pytest-tasktracker/results/2", "tracker": "TRACKER.md", "last_run": '
        + run[:-1]
        + ', "exit_code": 1, "outcomes": {"not-run": 3, "unlinked": 1}}, '
        f'"runs": [{run}], "subtasks": [\n'
        '    {"id": "1.1", "text": "Run pytest on tests/test_cache.py", "step": "1", '
        '"line": 2, "status": " ", "outcome": "not-run", '
        '"reason": "1 of 2 linked tests ran (1 selected but not run)", "rule": "named", '
        f'"targets": ["tests/test_cache.py"], "scope": 2, "tests": {rows}, "run": 0}},\n'
        '    {"id": "1.2", "text": "Write the \\"docs\\" \u00e9t\u00e9", "step": "1", '
        '"line": 3, "status": "x", "outcome": "unlinked", '
        '"reason": "no test is linked to it", "rule": null, "targets": [], "scope": 0, '
        '"tests": {}, "run": 0},\n'
        '    {"id": "1.3", "text": "Run the full test suite", "step": "1", '
        '"line": 4, "status": " ", "outcome": "not-run", '
        '"reason": "1 of 2 linked tests ran (1 selected but not run)", "rule": "suite", '
        f'"targets": [], "scope": 2, "tests": {rows}, "run": 0}},\n'
        '    {"id": "1.4", "text": "Run the whole test suite again", "step": "1", '
        '"line": 5, "status": " ", "outcome": "not-run", '
        '"reason": "1 of 2 linked tests ran (1 selected but not run)", "rule": "suite", '
        '"targets": [], "scope": 2, "same_tests_as": "1.3", "run": 0}\n'
        "]}\n"
    )
    # Read back, every entry has its rows again: 1.4 shares the list of 1.3.
    data = expand(json.loads(text))
    expected = [
        {"nodeid": nodeids[0], "outcome": "passed"},
        {"nodeid": nodeids[1], "outcome": "not-run"},
    ]
    assert [e["tests"] for e in data["subtasks"]] == [expected, [], expected, expected]
    assert data["subtasks"][3]["tests"] is data["subtasks"][2]["tests"]
    assert {e["run"]["time"] for e in data["subtasks"]} == {RUN.time}


def test_a_results_1_file_reads_as_before(tmp_path: Path) -> None:
    """Files written before results/2 list a row per test and a run per entry."""
    entry = {
        "id": "1.1",
        "text": "Run pytest on t.py",
        "outcome": "passed",
        "rule": "named",
        "tests": [{"nodeid": "t.py::a", "outcome": "passed"}],
        "run": {"time": "2026-11-28T10:00:00+00:00", "code": "abc"},
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"schema": "pytest-tasktracker/results/1", "subtasks": [entry]}))
    (found,) = evidence_by_id(path).values()
    assert (found.tests, found.time, found.code) == (
        (("t.py::a", "passed"),),
        "2026-11-28T10:00:00+00:00",
        "abc",
    )
    assert earlier_entries(path, read_once(path), {"1.1"}) == {"1.1": entry}


T = "2026-11-28T10:00:00+00:00"
ROW = (("t.py::a", "passed"),)


@pytest.mark.parametrize(
    ("tests", "run", "expected"),
    [
        ({"same_tests_as": "9.9"}, 0, ((), T)),  # names a sub-task the file does not have
        ({"same_tests_as": "1.1"}, 0, ((), T)),  # names itself
        ({"tests": {"passed": "t.py::a"}}, 0, ((), T)),  # not a list
        ({"tests": {"passed": ["t.py::a", 7]}}, 0, (ROW, T)),  # not a node id: left out
        ({"tests": [["t.py::a", "passed"]]}, 0, ((), T)),  # not grouped
        ({"tests": {"passed": ["t.py::a"]}}, 3, (ROW, None)),  # no such run
        ({"tests": {"passed": ["t.py::a"]}}, True, (ROW, None)),  # not an index
    ],
)
def test_a_hand_edited_entry_is_read_for_what_it_proves(
    tmp_path: Path, tests: dict[str, Any], run: object, expected: tuple[object, object]
) -> None:
    entry = {"id": "1.1", "text": "T", "outcome": "passed", "rule": "named", **tests, "run": run}
    path = tmp_path / "results.json"
    data = {"schema": "pytest-tasktracker/results/2", "runs": [{"time": T}], "subtasks": [entry]}
    path.write_text(json.dumps(data))
    (found,) = evidence_by_id(path).values()
    assert (found.tests, found.time) == expected
    if not found.tests:
        assert found.contradiction() == "it says passed but lists no test"


def test_tests_a_run_did_not_select_are_counted_not_listed() -> None:
    tracker = parse("### Step 1: S\n- [ ] Run the full test suite\n", "T.md")
    nodeids = [f"t.py::test_{n}" for n in range(5)]
    results = judge_subtasks(link(tracker, nodeids, {}), {nodeids[0]: "passed"}, {nodeids[0]})
    (entry,) = expand(json.loads(results_text({}, tracker, results, RUN, 0, "T.md")))["subtasks"]
    assert (entry["outcome"], entry["scope"], entry["deselected"]) == ("not-run", 5, 4)
    assert entry["tests"] == [{"nodeid": "t.py::test_0", "outcome": "passed"}]
    assert entry["reason"] == "1 of 5 linked tests ran (4 not selected)"
    hand_made = Evidence.from_json({**entry, "outcome": "passed"})
    assert hand_made.contradiction() == "it says passed but lists 1 of the 5 tests of its scope"


def test_a_sub_task_this_run_did_not_verify_keeps_its_earlier_evidence(
    tmp_path: Path,
) -> None:
    tracker = parse("### Step 1: A\n- [ ] Run pytest on tests/test_a.py\n- [ ] Docs\n", "T.md")
    path = tmp_path / "results.json"
    test = "tests/test_a.py::test_x"
    verified = judge_subtasks(link(tracker, [test], {}), {test: "passed"}, None)
    assert write_results(path, tracker, verified, RUN, 0, "T.md") == []
    earlier = json.loads(path.read_text())
    unselected = judge_subtasks(link(tracker, [], {}), {}, None)
    assert write_results(path, tracker, unselected, RUN, 5, "T.md") == []
    kept = json.loads(path.read_text())
    assert kept["subtasks"] == earlier["subtasks"]  # the journal vouched for the earlier file
    assert kept["last_run"]["outcomes"] == {"not-run": 1, "unlinked": 1}


def test_the_earlier_file_is_read_once_for_its_digest_and_its_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two reads could be two files (a FIFO serving the journaled bytes, then a forgery):
    the entries kept are of the very bytes whose digest the journal vouched for."""
    from pytest_tasktracker.rules import journal

    tracker = parse("### Step 1: A\n- [ ] Run pytest on tests/test_a.py\n", "T.md")
    path = tmp_path / "results.json"
    test = "tests/test_a.py::test_x"
    verified = judge_subtasks(link(tracker, [test], {}), {test: "passed"}, None)
    assert write_results(path, tracker, verified, RUN, 0, "T.md") == []
    reads: list[Path] = []
    real = journal.read_once

    def counted(where: Path) -> bytes | None:
        reads.append(where)
        return real(where)

    monkeypatch.setattr(journal, "read_once", counted)
    monkeypatch.setattr(journal, "file_digest", None)  # no second look at the file
    unselected = judge_subtasks(link(tracker, [], {}), {}, None)
    assert write_results(path, tracker, unselected, RUN, 5, "T.md") == []
    assert reads == [path]


def written(tmp_path: Path, ids: int) -> Path:
    """A results file as write_results() writes it, for sub-tasks 1.1 .. 1.<ids>."""
    tracker = parse("### Step 1: A\n" + "- [ ] Run pytest on tests/test_a.py\n" * ids, "T.md")
    tests = ["tests/test_a.py::test_x", "tests/test_a.py::test_y"]
    results = judge_subtasks(link(tracker, tests, {}), dict.fromkeys(tests, "passed"), None)
    path = tmp_path / "results.json"
    path.write_text(results_text({}, tracker, results, RUN, 0, "T.md"))
    return path


def test_only_the_earlier_entries_a_run_keeps_are_read(tmp_path: Path) -> None:
    path = written(tmp_path, 3)
    everything = {e["id"]: e for e in expand(json.loads(path.read_text()))["subtasks"]}
    assert earlier_entries(path, read_once(path), {"1.2", "9.9"}) == {"1.2": everything["1.2"]}
    assert earlier_entries(path, read_once(path), set()) == {}
    assert earlier_entries(tmp_path / "none.json", read_once(tmp_path / "none.json"), {"1.1"}) == {}


def test_a_results_file_in_another_layout_is_read_whole(tmp_path: Path) -> None:
    path = written(tmp_path, 2)
    data = json.loads(path.read_text())
    path.write_text(json.dumps(data, indent=2))  # as a person might reformat it
    assert earlier_entries(path, read_once(path), {"1.1", "1.2"}) == {
        e["id"]: e for e in expand(data)["subtasks"]
    }


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: text.replace('"schema": "pytest-tasktracker/results/2"', '"schema": "x"'),
        lambda text: text.replace('{"id": "1.2"', '{"id": "1.2" broken'),
        lambda text: "\x00" + text,
    ],
)
def test_a_damaged_results_file_is_an_error_not_a_guess(
    tmp_path: Path, damage: Callable[[str], str]
) -> None:
    path = written(tmp_path, 3)
    path.write_text(damage(path.read_text()))
    with pytest.raises(ResultsError):
        earlier_entries(path, read_once(path), {"1.2"})


@pytest.mark.parametrize("selected", [["a.py::t1", "a.py::t2"], ["a.py::t2"], []])
def test_a_workers_collection_record_survives_the_trip_to_the_controller(
    selected: list[str],
) -> None:
    collected = Collected(["a.py::t1", "a.py::t2"], {"a.py::t2": ["1.1"]}, {"a.py::t1"}, selected)
    data = json.loads(json.dumps(collected.to_json()))  # execnet carries plain data
    assert Collected.from_json(data) == collected


def test_a_file_in_the_written_layout_is_read_line_by_line_without_decoding_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_tasktracker.rules import evidence

    path = written(tmp_path, 3)
    everything = {e["id"]: e for e in expand(json.loads(path.read_text()))["subtasks"]}

    def whole(*_args: object) -> None:
        raise AssertionError("decoded whole")

    monkeypatch.setattr(evidence, "_parse", whole)
    assert earlier_entries(path, read_once(path), {"1.1", "1.3"}) == {
        i: everything[i] for i in ("1.1", "1.3")
    }
    # 1.3 names 1.1's tests (same_tests_as): the line named is read back, wanted or not
    assert earlier_entries(path, read_once(path), {"1.3"}) == {"1.3": everything["1.3"]}
    assert everything["1.3"]["tests"] == everything["1.1"]["tests"]
    # A line that is not the layout's own (indented otherwise, a missing comma, a missing
    # end) is not trusted line by line: the file is decoded whole.
    text = path.read_text()
    path.write_text(text.replace('\n    {"id": "1.2"', '\n  {"id": "1.2"', 1))
    with pytest.raises(AssertionError, match="decoded whole"):
        earlier_entries(path, read_once(path), {"1.1"})
    path.write_text(text)
    for cut in ("},\n", "]}\n"):
        text = path.read_text()
        path.write_text(text.replace(cut, cut[:-2] + "\n", 1))
        with pytest.raises(AssertionError, match="decoded whole"):
            earlier_entries(path, read_once(path), {"1.1"})
        path.write_text(text)
    for changed in (text + "]}\n", text.removesuffix("\n")):  # after the end, no end
        path.write_text(changed)
        with pytest.raises(AssertionError, match="decoded whole"):
            earlier_entries(path, read_once(path), {"1.1"})


def test_evidence_is_read_entry_by_entry_and_a_bad_entry_is_left_out(tmp_path: Path) -> None:
    from pytest_tasktracker.rules.evidence import Evidence, evidence_by_id

    path = tmp_path / "results.json"
    good = {
        "id": "1.1",
        "text": "Run pytest on tests/test_a.py",
        "outcome": "passed",
        "reason": "2 linked test(s) passed",
        "rule": "named",
        "tests": [{"nodeid": "t.py::a", "outcome": "passed"}],
        "run": {"time": "2026-11-28T10:00:00+00:00"},
    }
    bad = [{"text": "no id"}, {"id": "1.2", "tests": [1]}, "not an entry"]
    unlinked = {"id": "1.3", "outcome": "unlinked", "rule": None}
    path.write_text(
        json.dumps({"schema": "pytest-tasktracker/results/1", "subtasks": [good, *bad, unlinked]})
    )
    assert evidence_by_id(path) == {
        "1.1": Evidence(
            "1.1",
            "Run pytest on tests/test_a.py",
            "passed",
            "2 linked test(s) passed",
            (("t.py::a", "passed"),),
            "2026-11-28T10:00:00+00:00",
            "named",
        ),
        "1.3": Evidence("1.3", "", "unlinked", "", (), None, None),
    }
    assert evidence_by_id(tmp_path / "none.json") == {}


files_and_tasks = st.tuples(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),  # tests per file
    st.lists(st.integers(-1, 3), min_size=1, max_size=8),  # a sub-task: -1 whole suite
    st.data(),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files_and_tasks)
def test_what_is_written_reads_back_entry_by_entry(
    tmp_path: Path, case: tuple[list[int], list[int], st.DataObject]
) -> None:
    """Any tracker, outcomes and selection: every entry reads back with its own rows
    (shared or not), whole and line by line, and the file matches the schema."""
    sizes, tasks, data = case
    nodeids = [f"tests/test_{f}.py::test_{n}" for f, size in enumerate(sizes) for n in range(size)]
    lines = [
        "- [ ] Run the full test suite\n"
        if task < 0
        else f"- [ ] Run pytest on tests/test_{task % len(sizes)}.py\n"
        for task in tasks
    ]
    tracker = parse("### Step 1: S\n" + "".join(lines), "T.md")
    outcome = st.sampled_from(["passed", "failed", "skipped", "xfailed", None])
    ran = {n: o for n in nodeids if (o := data.draw(outcome)) is not None}
    chosen = data.draw(st.none() | st.sets(st.sampled_from(nodeids)))
    results = judge_subtasks(link(tracker, nodeids, {}), ran, chosen)
    path = tmp_path / "results.json"
    path.write_text(results_text({}, tracker, results, RUN, 1, "T.md"))
    read = {entry["id"]: entry for entry in evidence_file(path)["subtasks"]}
    for result in results:
        rows = sorted((n, o) for n, o in result.tests if o != "deselected")
        entry = read[result.link.subtask.id]
        assert sorted((t["nodeid"], t["outcome"]) for t in entry["tests"]) == rows
        assert (entry["outcome"], entry["scope"]) == (result.outcome, len(result.tests))
    wanted = set(data.draw(st.sets(st.sampled_from(sorted(read)))))
    assert earlier_entries(path, read_once(path), wanted) == {i: read[i] for i in wanted}


@pytest.mark.parametrize(
    "tests",
    [
        [1, {"nodeid": "tests/test_a.py::test_x", "outcome": "passed"}],
        {"passed": ["tests/test_a.py::test_x"]},  # results/2's shape in a results/1 file
        "tests/test_a.py::test_x",
        [{"nodeid": "tests/test_a.py::test_x"}],  # no outcome
    ],
)
def test_a_hand_edited_results_1_entry_a_run_keeps_stays_untrusted(
    tmp_path: Path, tests: object
) -> None:
    """A run that keeps an earlier entry whose rows were hand-edited out of shape writes
    it on without crashing, and without making it trusted."""
    tracker = parse("### Step 1: A\n- [ ] Run pytest on tests/test_a.py\n", "T.md")
    entry = {
        "id": "1.1",
        "text": "Run pytest on tests/test_a.py",
        "outcome": "passed",
        "rule": "named",
        "tests": tests,
        "run": {"time": T},
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"schema": "pytest-tasktracker/results/1", "subtasks": [entry]}))
    unselected = judge_subtasks(link(tracker, [], {}), {}, None)
    assert write_results(path, tracker, unselected, RUN, 5, "T.md") == []
    (kept,) = evidence_by_id(path).values()
    assert (kept.outcome, kept.tests) == ("passed", ())
    assert kept.contradiction() == "it says passed but lists no test"
    assert (
        kept.untrusted == "results.json was recorded before runs were journaled (no journal.jsonl)"
    )


def test_a_run_as_json_is_a_copy() -> None:
    """RunInfo is a named tuple: its JSON form must not share the argv list with it."""
    data = RUN.to_json()
    assert data == {
        "time": "2026-11-25T10:00:00+00:00",
        "argv": ["-q"],
        "git_head": None,
        "pytest": "9.2.0",
        "python": "CPython 3.11.7",
        "workers": 0,
        "code": None,
        "collection": None,
        "id": "0123456789abcdef",
    }
    data["argv"].append("-x")
    assert RUN.argv == ["-q"]


def test_evidence_files_that_are_not_regular_files_are_not_read(tmp_path: Path) -> None:
    """results.json, checks.json and a shard as a FIFO: refused at once, never read
    twice (see journal.read_once)."""
    import os

    from pytest_tasktracker.rules.checks import read_checks
    from pytest_tasktracker.rules.combine import ShardError, read_shard
    from pytest_tasktracker.rules.evidence import read_evidence

    os.mkfifo(tmp_path / "results.json")
    os.mkfifo(tmp_path / "checks.json")
    with pytest.raises(ResultsError, match="is not a regular file"):
        read_evidence(tmp_path / "results.json")
    assert read_checks(tmp_path) == ({}, None)
    with pytest.raises(ShardError, match="is not a regular file"):
        read_shard(tmp_path / "results.json", "shard/results.json")
