"""Scopes, table-driven: which part of a sub-task's tests a run did not collect."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pytest_tasktracker.rules.linking import Link, link, split_target
from pytest_tasktracker.rules.outcomes import judge_subtask
from pytest_tasktracker.rules.scope import DiskFiles, FileIndex, Reach, gaps, missing_parts
from pytest_tasktracker.tracker.model import parse

SUITE = ("tests",)
WHOLE = Reach(SUITE, SUITE)
NODES = [
    "tests/test_a.py::test_ok",
    "tests/test_a.py::test_broken",
    "tests/unit/test_b.py::TestX::test_y",
    "tests/unit/test_b.py::test_w[1]",
    "tests/unit/test_b.py::test_w[2]",
]


def one_link(
    text: str, nodeids: list[str] = NODES, tasks: dict[str, list[str]] | None = None
) -> Link:
    tracker = parse(f"### Step 1: S\n- [ ] {text}\n")
    (found,) = link(tracker, nodeids, tasks or {})
    return found


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("tests/test_a.py", ("tests/test_a.py", "")),
        ("./tests/test_a.py", ("tests/test_a.py", "")),
        ("tests\\test_a.py::test_ok", ("tests/test_a.py", "test_ok")),
        ("t.py::test_w[größe]", ("t.py", "test_w[gr\\xf6\\xdfe]")),
        ("t.py::test_w[gr\\xf6\\xdfe]", ("t.py", "test_w[gr\\xf6\\xdfe]")),
        ("t.py::T::test_w[\u00e9]", ("t.py", "T::test_w[\\xe9]")),
    ],
)
def test_a_target_is_split_as_pytest_writes_node_ids(
    target: str, expected: tuple[str, str]
) -> None:
    assert split_target(target) == expected


@pytest.mark.parametrize(
    ("reach", "text", "expected"),
    [
        (WHOLE, "Run pytest on test_a.py", []),
        (WHOLE, "Run the full test suite", []),
        (
            Reach(SUITE, ("tests/unit",), "this run collected only tests/unit"),
            "Run the full test suite",
            ["it asks for the whole suite, and this run collected only tests/unit"],
        ),
        (
            Reach(SUITE, SUITE, "--ignore left files out", filtered=True),
            "Implement it",  # linked by marker below
            ["its tests are found by @pytest.mark.task markers, and --ignore left files out"],
        ),
        (
            Reach(SUITE, SUITE, pending=frozenset({"tests/unit/test_b.py::TestX"})),
            "Run pytest on test_b.py",
            ["tests/unit/test_b.py was collected only in part"],
        ),
        (
            Reach(SUITE, SUITE, pending=frozenset({"tests/unit/test_b.py::TestX"})),
            "Fix tests/unit/test_b.py::test_w",
            [],
        ),
        (
            Reach(SUITE, SUITE, pending=frozenset({"tests/unit/test_b.py::TestX"})),
            "Fix tests/unit/test_b.py::TestX::test_y",
            ["tests/unit/test_b.py was collected only in part"],
        ),
        (
            Reach(SUITE, SUITE, pending=frozenset({"tests/unit/test_b.py::TestX::inner"})),
            "Fix tests/unit/test_b.py::TestX",
            ["tests/unit/test_b.py was collected only in part"],
        ),
        (WHOLE, "Check it <!-- tests: tests/unit/ -->", []),
        (
            Reach(SUITE, ("tests/unit",), "this run collected only tests/unit"),
            "Check it <!-- tests: tests/unit/ -->",
            [],
        ),
        (
            Reach(SUITE, ("tests/test_a.py",), "this run collected only tests/test_a.py"),
            "Check it <!-- tests: tests/unit/ -->",
            ["tests/unit/ was not collected in whole"],
        ),
        (
            Reach(SUITE, ("tests/unit",), "--ignore left files out", filtered=True),
            "Check it <!-- tests: tests/unit/ -->",
            ["tests/unit/ was not collected in whole"],
        ),
    ],
)
def test_the_missing_parts_of_a_scope_are_named(
    reach: Reach, text: str, expected: list[str]
) -> None:
    tasks = {"tests/test_a.py::test_ok": ["1.1"]} if text == "Implement it" else None
    found = one_link(text, tasks=tasks)
    files = FileIndex(n.partition("::")[0] for n in NODES)
    assert missing_parts(found, reach, files, None) == expected


def test_a_narrowed_run_finds_the_files_of_a_scope_it_did_not_collect(tmp_path: Path) -> None:
    for path in (
        "tests/test_a.py",
        "tests/deep/test_a.py",
        "tests/build/test_a.py",  # norecursedirs
        "tests/.hidden/test_a.py",
        "tests/env/test_a.py",  # a virtual environment
        "other/test_a.py",  # outside testpaths
    ):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("")
    (tmp_path / "tests/env/pyvenv.cfg").write_text("")
    disk = DiskFiles(tmp_path, ["tests"], ["build", ".*"])
    assert disk.named("test_a.py") == ["tests/deep/test_a.py", "tests/test_a.py"]
    reach = Reach(("tests",), ("tests/test_b.py",), "this run collected only tests/test_b.py")
    found = one_link("Run pytest on test_a.py", ["tests/test_a.py::test_ok"])
    assert missing_parts(found, reach, FileIndex(["tests/test_a.py"]), disk) == [
        "tests/deep/test_a.py was not collected"
    ]
    reach = Reach(("tests",), ("tests",), rootdir=tmp_path, norecurse=("build", ".*"))
    assert gaps([found], reach, ["tests/test_a.py::test_ok"]) == {}
    narrowed = Reach(("tests",), ("tests/test_a.py",), "x", rootdir=tmp_path)
    assert gaps([found], narrowed, ["tests/test_a.py::test_ok"]) == {
        "1.1": ["tests/deep/test_a.py was not collected"]
    }


def test_the_suite_is_the_tests_under_its_roots() -> None:
    reach = Reach(("tests/unit", "tests/test_a.py"), ())
    assert reach.suite_of([*NODES, "other/test_c.py::t", "tests/unitx/test_d.py::t"]) == NODES
    assert Reach(("",), ()).suite_of(NODES) is None


@pytest.mark.parametrize(
    ("tests", "selected", "missing", "expected"),
    [
        ({"a": "passed", "b": "passed"}, None, (), ("passed", "2 linked test(s) passed")),
        ({"a": "passed", "b": "skipped"}, None, (), ("passed", "1 linked test(s) passed")),
        ({"a": "skipped", "b": "skipped"}, None, (), ("skipped", "every linked test was skipped")),
        (
            {"a": "failed"},
            {"a"},
            ("f.py was not collected",),
            ("failed", "1 linked test(s) failed"),
        ),
        ({"a": "error", "b": "passed"}, None, (), ("error", "1 linked test(s) errored")),
        ({"a": "passed"}, {"a"}, (), ("not-run", "1 of 2 linked tests ran (1 not selected)")),
        (
            {"a": "passed"},
            None,
            (),
            ("not-run", "1 of 2 linked tests ran (1 selected but not run)"),
        ),
        (
            {"a": "passed", "b": "passed"},
            None,
            ("f.py was not collected",),
            ("not-run", "2 of 2 linked tests ran; f.py was not collected"),
        ),
        (
            {"a": "passed", "b": "passed"},
            None,
            ("1", "2", "3", "4", "5"),
            ("not-run", "2 of 2 linked tests ran; 1; 2; 3 and 2 more"),
        ),
        ({"a": "xfailed", "b": "xpassed"}, None, (), ("passed", "2 linked test(s) passed")),
    ],
)
def test_a_sub_task_passes_only_when_its_whole_scope_ran_and_passed(
    tests: dict[str, str],
    selected: set[str] | None,
    missing: tuple[str, ...],
    expected: tuple[str, str],
) -> None:
    found = one_link("Fix it <!-- tests: t.py -->", ["t.py::a", "t.py::b"])
    ran = {f"t.py::{name}": outcome for name, outcome in tests.items()}
    chosen = None if selected is None else {f"t.py::{name}" for name in selected}
    result = judge_subtask(found, ran, chosen, missing)
    assert (result.outcome, result.reason) == expected
    assert Counter(o for _, o in result.tests).total() == 2


def test_a_scope_with_no_collected_test_is_not_run() -> None:
    found = one_link("Fix it <!-- tests: t.py -->", [])
    result = judge_subtask(found, {}, None)
    assert (result.outcome, result.reason) == ("not-run", "no collected test matches t.py")
