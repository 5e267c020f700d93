"""The flows CI and agents really run: ``--lf`` after a fix, doctests, ``pytest tests``,
shards put together, and a shard step that forgot the tracker."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import blocker_front, cli_in, evidence_file

MANY = "\n".join(f"def test_{n}():\n    pass\n" for n in range(30))


def outcomes(pytester: pytest.Pytester) -> dict[str, str]:
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    return {entry["id"]: entry["outcome"] for entry in data["subtasks"]}


def reasons(pytester: pytest.Pytester) -> dict[str, str]:
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    return {entry["id"]: entry["reason"] for entry in data["subtasks"]}


def test_lf_after_a_fix_verifies_no_file_it_ran_in_part(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntracker = TASKS.md\ntestpaths = tests\n")
    (pytester.path / "TASKS.md").write_text(
        "### Step 1: S\n- [ ] Run pytest on tests/test_a.py\n- [ ] Run the full test suite\n"
    )
    tests = pytester.mkdir("tests")
    (tests / "test_a.py").write_text(MANY + "\ndef test_broken():\n    assert 0\n")
    assert pytester.runpytest("--tracker-update").ret == 1
    (tests / "test_a.py").write_text(MANY + "\ndef test_broken():\n    pass\n")
    fixed = pytester.runpytest("--tracker-update", "--lf", "-v")
    assert fixed.ret == 0
    fixed.stdout.fnmatch_lines(
        [
            "1.1  not-run  1 passed  Run pytest on tests/test_a.py",
            "*1 of 1 linked tests ran; tests/test_a.py was collected only in part (--lf ran "
            "only the tests that failed last time)",
            "*",
            "1.2  not-run  1 passed  Run the full test suite",
            "*1 of 1 linked tests ran; it asks for the whole suite, and --lf ran only the "
            "tests that failed last time",
        ]
    )
    assert outcomes(pytester) == {"1.1": "failed", "1.2": "failed"}  # kept: still the verdict
    assert (pytester.path / "TASKS.md").read_text().count("[x]") == 0
    again = pytester.runpytest("--tracker-update", "--lf")  # nothing failed last time: all
    assert again.ret == 0
    assert outcomes(pytester) == {"1.1": "passed", "1.2": "passed"}


def test_pytest_on_the_only_test_folder_is_the_whole_suite(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntracker = TASKS.md\n")  # no testpaths: the rootdir
    (pytester.path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run the whole test suite\n")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (pytester.path / "tool.py").write_text("X = 1\n")  # not a test file
    assert pytester.runpytest("tests").ret == 0
    assert outcomes(pytester) == {"1.1": "passed"}
    (pytester.path / "test_other.py").write_text("def test_o():\n    pass\n")
    narrowed = pytester.runpytest("tests", "-v")
    narrowed.stdout.fnmatch_lines(
        [
            "1.1  not-run  1 passed  Run the whole test suite",
            "*1 of 1 linked tests ran; it asks for the whole suite, and this run collected "
            "only tests",
        ]
    )


def full_suite_project(pytester: pytest.Pytester, ini: str = "") -> None:
    """A tracker asking for the whole suite, a passing tests/ folder, nothing else yet."""
    pytester.makeini(f"[pytest]\ntracker = TASKS.md\n{ini}")
    (pytester.path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run the full test suite\n")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")


def assert_tests_folder_is_not_the_suite(pytester: pytest.Pytester) -> None:
    """The oracle: plain pytest from the rootdir fails; `pytest tests` verifies nothing."""
    assert pytester.runpytest("-p", "no:tasktracker").ret == 1
    assert pytester.runpytest("tests", "--tracker-update").ret == 0
    assert outcomes(pytester) == {"1.1": "not-run"}
    assert "[x]" not in (pytester.path / "TASKS.md").read_text()


def test_python_files_with_a_folder_is_matched_as_pytest_matches_it(
    pytester: pytest.Pytester,
) -> None:
    """``python_files = checks/*.py`` collects checks/contract.py by its whole path: a run
    of tests/ alone is not the whole suite (adversarial round 10)."""
    full_suite_project(pytester, "python_files = test_*.py checks/*.py\n")
    pytester.mkdir("checks")
    (pytester.path / "checks" / "contract.py").write_text("def test_c():\n    assert 0\n")
    assert_tests_folder_is_not_the_suite(pytester)


def test_a_linked_test_folder_is_part_of_the_suite(pytester: pytest.Pytester) -> None:
    """pytest follows a linked folder; a run that did not look at it is not the whole
    suite (adversarial round 10)."""
    full_suite_project(pytester)
    shared = pytester.path.parent / f"{pytester.path.name}-shared"
    shared.mkdir()
    (shared / "test_shared.py").write_text("def test_s():\n    assert 0\n")
    (pytester.path / "integration").symlink_to(shared, target_is_directory=True)
    assert_tests_folder_is_not_the_suite(pytester)


def test_collect_in_virtualenv_collects_a_folder_holding_pyvenv_cfg(
    pytester: pytest.Pytester,
) -> None:
    """With ``--collect-in-virtualenv`` pytest collects a folder that looks like a
    virtual environment (adversarial round 10)."""
    full_suite_project(pytester, "addopts = --collect-in-virtualenv\n")
    pytester.mkdir("env1")
    (pytester.path / "env1" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (pytester.path / "env1" / "test_v.py").write_text("def test_v():\n    assert 0\n")
    assert_tests_folder_is_not_the_suite(pytester)


README = "Example\n\n>>> 1 + 1\n3\n"


def test_a_failing_readme_example_fails_the_whole_suite_and_its_own_link(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\ntracker = TASKS.md\ntestpaths = tests\n")
    (pytester.path / "TASKS.md").write_text(
        "### Step 1: S\n- [ ] Run the whole test suite\n"
        "- [ ] Keep the README's examples true <!-- tests: README.rst -->\n"
    )
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (pytester.path / "README.rst").write_text(README)
    result = pytester.runpytest("--tracker-update", "--doctest-glob=*.rst", ".")
    assert result.ret == 1
    assert outcomes(pytester) == {"1.1": "failed", "1.2": "failed"}
    assert "[x]" not in (pytester.path / "TASKS.md").read_text()
    (pytester.path / "README.rst").write_text(README.replace("3\n", "2\n"))
    assert pytester.runpytest("--tracker-update", "--doctest-glob=*.rst", ".").ret == 0
    assert outcomes(pytester) == {"1.1": "passed", "1.2": "passed"}


def test_a_shard_that_ran_none_of_a_sub_task_s_tests_writes_no_blocker(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makeini("[pytest]\ntracker = TASKS.md\n")
    (pytester.path / "TASKS.md").write_text(
        "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Run pytest on test_b.py\n"
    )
    pytester.makepyfile(test_a="def test_a():\n    pass\n", test_b="def test_b():\n    pass\n")
    for shard, other in (("1", "test_b.py"), ("2", "test_a.py")):
        result = pytester.runpytest("--tracker-state", f"shards/{shard}", "--deselect", other)
        assert result.ret == 0
        assert not (pytester.path / "shards" / shard / "blockers").exists()
    code, out, _ = cli_in(pytester, capsys, "combine", "shards")
    assert code == 0
    assert out == "combined 2 shards: 2 passed -> .tasktracker/results.json\n"
    assert cli_in(pytester, capsys, "update")[0] == 0
    assert cli_in(pytester, capsys, "gate")[0] == 0
    assert (pytester.path / "TASKS.md").read_text().count("[x]") == 2


def test_a_shard_step_without_a_tracker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    result = pytester.runpytest("--tracker-state", "shards/1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: --tracker-state needs a tracker: give --tracker PATH, set $PYTEST_TRACKER, "
            "or set the ini key 'tracker'"
        ]
    )
    assert not Path(pytester.path, "shards").exists()


def tool_project(pytester: pytest.Pytester) -> Path:
    """A project an agent tests through an MCP tool: the tool adds its own report file."""
    pytester.makeini("[pytest]\ntracker = TASKS.md\ntestpaths = tests\n")
    tracker = pytester.path / "TASKS.md"
    tracker.write_text(
        "### Step 1: S\n- [ ] Run pytest on tests/test_a.py\n- [ ] Run pytest on tests/test_b.py\n"
    )
    tests = pytester.mkdir("tests")
    (tests / "test_a.py").write_text("def test_a():\n    pass\n")
    (tests / "test_b.py").write_text("def test_b():\n    pass\n")
    return tracker


def tool_call(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    report = pytester.path / f"tmp{len(list(pytester.path.glob('tmp*')))}.xml"
    return pytester.runpytest(f"--junitxml={report}", "-p", "no:xdist", *args)


def test_the_same_cause_through_a_tool_says_stop_retrying_on_the_third_call(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tool_project(pytester)
    monkeypatch.setattr("tempfile.tempdir", str(pytester.path))  # the tool's temp folder
    for call in range(1, 4):
        result = tool_call(pytester, "-n", "auto")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        first = result.stderr.lines[0]
        assert first.startswith(
            "BLOCKED (missing-plugin, 3 runs in a row: stop retrying): "
            if call == 3
            else "BLOCKED (missing-plugin): "
        )
        assert "keep unticked: 1.1, 1.2; fix: " in first
        fix = first.partition("; fix: ")[2].partition(" -> ")[0]
        assert str(pytester.path) not in fix  # the tool's temporary report path
        assert "json-report" not in fix


def test_a_blocked_run_takes_nothing_from_a_pass_on_this_code(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker = tool_project(pytester)
    assert pytester.runpytest("--tracker-update", "tests/test_a.py").ret == 0
    assert tracker.read_text().count("[x]") == 1
    blocked = tool_call(pytester, "-n", "auto")
    assert blocked.ret == pytest.ExitCode.USAGE_ERROR
    blocked.stderr.fnmatch_lines(
        ["BLOCKED (missing-plugin): *; keep unticked: 1.2; still proven on this code: 1.1; *"]
    )
    front = blocker_front(pytester.path / ".tasktracker" / "blockers")
    assert [entry["id"] for entry in front["proven"]] == ["1.1"]
    assert [entry["id"] for entry in front["affected"]] == ["1.2"]
    assert all("tmp" not in arg for remedy in front["remedies"] for arg in remedy.get("args", []))
    assert outcomes(pytester)["1.1"] == "passed"
    code, out, _ = cli_in(pytester, capsys, "gate")
    assert (code, out.splitlines()[-1]) == (
        0,
        "gate passed: every one of 1 ticked sub-tasks is backed by evidence",
    )
    (pytester.path / "tests" / "test_a.py").write_text("def test_a():\n    assert 1\n")
    tool_call(pytester, "-n", "auto").stderr.fnmatch_lines(["*; keep unticked: 1.1, 1.2; fix: *"])
