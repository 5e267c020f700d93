"""Every tick true: a sub-task passes only when its whole scope ran and passed.

Each case is a way users narrow or break runs that once ticked a box whose tests fail
(issue "every tick true"). Each runs serially and with ``-n 2``, asserts the outcome,
that the tracker's bytes are unchanged where nothing may be ticked, and that the gate
rejects the same box ticked by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import evidence_file, run_cli

TRACKER = """\
# Tracker

### Step 1: Feature
- [ ] Run pytest on test_a.py and fix all failures
- [ ] Run pytest on tests/test_b.py and fix all failures
- [ ] Run tests to verify they pass
"""

TEST_A = """\
def test_ok():
    pass

def test_broken():
    assert 0
"""


@pytest.fixture(params=["serial", "xdist"])
def mode(request: pytest.FixtureRequest) -> list[str]:
    return [] if request.param == "serial" else ["-n", "2"]


def project(pytester: pytest.Pytester, tracker: str = TRACKER) -> Path:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    tests = pytester.mkdir("tests")
    (tests / "test_a.py").write_text(TEST_A)
    (tests / "test_b.py").write_text("def test_b():\n    pass\n")
    path = pytester.path / "TASKS.md"
    path.write_text(tracker)
    return path


def outcomes(pytester: pytest.Pytester) -> dict[str, tuple[str, str]]:
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    return {e["id"]: (e["outcome"], e["reason"]) for e in data["subtasks"]}


def update(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("--tracker", "TASKS.md", "--tracker-update", *args)


def ticked(path: Path) -> list[int]:
    """The numbers of the ticked boxes, counting from 1."""
    boxes = [line for line in path.read_text().splitlines() if line.startswith("- [")]
    return [n for n, line in enumerate(boxes, start=1) if line.startswith("- [x]")]


def gate_rejects_hand_tick(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], path: Path, subtask: str
) -> None:
    """Tick ``subtask`` by hand: the gate must fail on it."""
    text = path.read_text()
    lines = text.splitlines(keepends=True)
    boxes = [n for n, line in enumerate(lines) if line.startswith("- [")]
    index = boxes[int(subtask.split(".")[1]) - 1]
    lines[index] = lines[index].replace("- [ ]", "- [x]", 1)
    path.write_text("".join(lines))
    code, out, _ = run_cli(capsys, "gate", "--tracker", str(path))
    assert code == 1, out
    assert f": {subtask} " in out
    path.write_text(text)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["tests/test_a.py::test_ok"], {"1.1": "not-run", "1.2": "not-run", "1.3": "not-run"}),
        (["tests/test_b.py"], {"1.1": "not-run", "1.2": "passed", "1.3": "not-run"}),
        (["-k", "not broken"], {"1.1": "not-run", "1.2": "passed", "1.3": "not-run"}),
        (
            ["--deselect", "tests/test_a.py::test_broken"],
            {"1.1": "not-run", "1.2": "passed", "1.3": "not-run"},
        ),
        (["--ignore=tests/test_a.py"], {"1.1": "not-run", "1.2": "passed", "1.3": "not-run"}),
        (["-m", "not slow"], {"1.1": "failed", "1.2": "passed", "1.3": "failed"}),
        ([], {"1.1": "failed", "1.2": "passed", "1.3": "failed"}),
    ],
    ids=["node-id", "other-file", "-k", "--deselect", "--ignore", "-m-all", "whole"],
)
def test_a_narrowed_run_verifies_only_what_it_ran_in_whole(
    pytester: pytest.Pytester,
    capsys: pytest.CaptureFixture[str],
    mode: list[str],
    args: list[str],
    expected: dict[str, str],
) -> None:
    path = project(pytester)
    update(pytester, *args, *mode)
    assert {k: v[0] for k, v in outcomes(pytester).items()} == expected
    assert ticked(path) == [int(k[2:]) for k, v in expected.items() if v == "passed"]
    gate_rejects_hand_tick(pytester, capsys, path, "1.1")
    gate_rejects_hand_tick(pytester, capsys, path, "1.3")


def test_a_partial_run_says_how_much_of_the_scope_ran(pytester: pytest.Pytester) -> None:
    project(pytester)
    update(pytester, "tests/test_a.py::test_ok")
    outcome, reason = outcomes(pytester)["1.1"]
    assert outcome == "not-run"
    assert reason == "1 of 2 linked tests ran (1 not selected)"
    (pytester.path / ".tasktracker" / "results.json").unlink()  # else it keeps the earlier
    update(pytester, "tests/test_b.py")
    assert outcomes(pytester)["1.3"][1] == (
        "1 of 1 linked tests ran; tests/test_a.py was not collected"
    )


def test_a_class_node_id_run_leaves_the_rest_of_the_file_unverified(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    path = project(pytester, "- [ ] Run pytest on test_c.py and fix all failures\n")
    (pytester.path / "tests" / "test_c.py").write_text(
        "class TestOk:\n    def test_x(self):\n        pass\n\n"
        "class TestBroken:\n    def test_y(self):\n        assert 0\n"
    )
    update(pytester, "tests/test_c.py::TestOk", *mode)
    outcome, reason = next(iter(outcomes(pytester).values()))
    assert outcome == "not-run"
    assert "tests/test_c.py was collected only in part" in reason
    assert ticked(path) == []


WHOLE_SUITE = """\
### Step 1: Everything
- [ ] Run the full test suite
"""


def test_a_run_from_a_subfolder_does_not_verify_the_whole_suite(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    unit = pytester.mkdir("tests").joinpath("unit")
    unit.mkdir()
    (unit / "test_u.py").write_text("def test_u():\n    pass\n")
    integration = pytester.path / "tests" / "integration"
    integration.mkdir()
    (integration / "test_i.py").write_text("def test_i():\n    assert 0\n")
    path = pytester.path / "TASKS.md"
    path.write_text(WHOLE_SUITE)
    before = path.read_bytes()
    os.chdir(unit)
    result = pytester.runpytest("--tracker", "../../TASKS.md", "--tracker-update", *mode)
    assert result.ret == 0
    os.chdir(pytester.path)
    outcome, reason = outcomes(pytester)["1.1"]
    assert outcome == "not-run"
    assert "tests/unit" in reason
    assert path.read_bytes() == before
    # The same from the rootdir, with no narrowing: failed, as plain pytest says.
    update(pytester, *mode)
    assert outcomes(pytester)["1.1"][0] == "failed"


SUBTESTS = {
    "unittest-subTest": """\
import unittest

class TestSub(unittest.TestCase):
    def test_values(self):
        for value in (0, 1):
            with self.subTest(value=value):
                self.assertEqual(value, 0)
""",
    "subtests-fixture": """\
def test_values(subtests):
    for value in (0, 1):
        with subtests.test(value=value):
            assert value == 0
""",
}


@pytest.mark.parametrize("source", SUBTESTS.values(), ids=SUBTESTS.keys())
def test_a_failing_subtest_fails_its_sub_task(
    pytester: pytest.Pytester,
    capsys: pytest.CaptureFixture[str],
    mode: list[str],
    source: str,
) -> None:
    if int(pytest.__version__.split(".")[0]) < 9:
        pytest.importorskip("pytest_subtests")
    path = project(pytester, "### Step 1: S\n- [ ] Run pytest on test_sub.py\n")
    (pytester.path / "tests" / "test_sub.py").write_text(source)
    plain = pytester.runpytest("-p", "no:tasktracker", "tests/test_sub.py")
    assert plain.ret == 1
    update(pytester, "tests/test_sub.py", *mode)
    assert outcomes(pytester)["1.1"][0] == "failed"
    assert ticked(path) == []
    gate_rejects_hand_tick(pytester, capsys, path, "1.1")


def test_the_gate_rejects_a_hand_tick_of_a_sub_task_linked_by_file_name(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(pytester, "## Phase 1\n- [x] T007 Unit tests for easter in tests/test_a.py\n")
    code, out, _ = run_cli(capsys, "gate", "--tracker", str(path))
    assert code == 1
    assert "T007" in out
    assert "no passing evidence" in out


def test_nothing_is_ticked_when_the_evidence_cannot_be_written(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    path = project(pytester)
    (pytester.path / ".tasktracker").write_text("a file where the state folder should be\n")
    before = path.read_bytes()
    result = update(pytester, "tests/test_b.py", *mode)
    assert result.ret == 0
    assert path.read_bytes() == before
    assert "evidence not written" in result.stdout.str()
    assert "nothing was ticked" in result.stdout.str()


def write_results(pytester: pytest.Pytester, entry: dict[str, Any]) -> None:
    state = pytester.path / ".tasktracker"
    state.mkdir(exist_ok=True)
    data = {"schema": "pytest-tasktracker/results/1", "tracker": "TASKS.md", "subtasks": [entry]}
    (state / "results.json").write_text(json.dumps(data))


@pytest.mark.parametrize(
    "tests",
    [
        [{"nodeid": "tests/test_a.py::test_broken", "outcome": "failed"}],
        [],
        [{"nodeid": "tests/test_a.py::test_ok", "outcome": "not-run"}],
    ],
    ids=["a-failed-row", "no-rows", "a-row-not-run"],
)
def test_the_gate_rejects_hand_written_evidence_that_contradicts_itself(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], tests: list[dict[str, str]]
) -> None:
    text = "Run pytest on test_a.py and fix all failures"
    path = project(pytester, f"### Step 1: F\n- [x] {text}\n")
    write_results(
        pytester,
        {
            "id": "1.1",
            "text": text,
            "outcome": "passed",
            "reason": "",
            "rule": "named",
            "tests": tests,
        },
    )
    code, out, _ = run_cli(capsys, "gate", "--tracker", str(path))
    assert code == 1, out
    assert (
        "its evidence is not trusted: results.json was recorded before runs were journaled "
        "(no journal.jsonl)" in out
    )


def test_stepwise_stopping_at_a_failure_is_a_failed_run_not_a_blocker(
    pytester: pytest.Pytester,
) -> None:
    path = project(
        pytester,
        "### Step 1: F\n- [x] Run pytest on test_a.py and fix all failures\n"
        "- [ ] Run pytest on test_b.py\n",
    )
    (pytester.path / "tests" / "test_a.py").write_text(
        "def test_broken():\n    assert 0\n\ndef test_ok():\n    pass\n"
    )
    result = update(pytester, "--sw", "-p", "cacheprovider")
    assert not (pytester.path / ".tasktracker" / "blockers").exists() or not list(
        (pytester.path / ".tasktracker" / "blockers").iterdir()
    ), result.stdout.str()
    found = outcomes(pytester)
    assert found["1.1"][0] == "failed"
    assert found["1.2"][0] == "not-run"
    assert ticked(path) == []


@pytest.mark.parametrize(
    "link", ["tests/test_w.py::test_w[größe]", "tests/test_w.py::test_w[gr\\xf6\\xdfe]"]
)
def test_a_parametrized_case_with_a_non_ascii_id_can_be_linked(
    pytester: pytest.Pytester, mode: list[str], link: str
) -> None:
    path = project(pytester, f"- [ ] The size case <!-- tests: {link} -->\n")
    (pytester.path / "tests" / "test_w.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('word', ['größe', 'x'])\n"
        "def test_w(word):\n    assert word != 'x'\n"
    )
    update(pytester, *mode)
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    (entry,) = data["subtasks"]
    assert entry["tests"] == [
        {"nodeid": "tests/test_w.py::test_w[gr\\xf6\\xdfe]", "outcome": "passed"}
    ]
    assert entry["outcome"] == "passed"
    assert ticked(path) == [1]
