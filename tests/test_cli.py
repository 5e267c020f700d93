"""The tasktracker command line, in-process through main() and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli


def test_next_names_step_2_and_its_open_sub_tasks(
    seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "next") == (
        0,
        "Step 2: Update Orchestrator to Use `additional_issues` (line 40) - 11 of 13 done\n"
        "  [ ]   2.12   Run mypy on modified files and fix all type errors\n"
        "  [ ]   2.13   Prepare git commit message for Step 2\n",
        "",
    )


def test_next_as_json(seed_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "next", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["step"]["id"] == "2"
    assert data["open"] == ["2.12", "2.13"]
    assert data["step"]["subtasks"][10] == {
        "id": "2.11",
        "text": "Run pytest on test_orchestrator_cache.py and fix all failures (BLOCKED: "
        "Environment issue - verified via code review - see "
        "step_2_11_pytest_execution_blocker.md)",
        "status": "x",
        "state": "done",
        "done": True,
        "optional": False,
        "line": 53,
        "step": "2",
    }


def test_next_when_everything_is_done(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tracker = tmp_path / "t.md"
    tracker.write_text("- [x] a\n")
    assert run_cli(capsys, "--tracker", str(tracker), "next") == (
        0,
        f"{tracker}: every sub-task is done\n",
        "",
    )


def test_status_lists_every_step_and_sub_task(
    seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "status")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "pr_info/TASK_TRACKER.md: 23 of 40 sub-tasks done"
    assert (
        lines[1] == "Step 1: Add `additional_issues` Parameter to Cache (line 24) - 12 of 12 done"
    )
    assert lines[2] == (
        "  [x]   1.1    Write test file `tests/utils/github_operations/test_issue_cache.py` "
        "with 5 test cases"
    )
    assert lines[-5] == "Pull Request (line 72) - 0 of 4 done"
    assert len(lines) == 1 + 4 + 40


def test_status_as_json(seed_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "status", "--json")
    data = json.loads(out)
    assert (code, data["done"], data["total"], data["next_step"]) == (0, 23, 40, "2")
    assert [step["id"] for step in data["steps"]] == ["1", "2", "3", "pull-request"]


def test_check_and_uncheck_by_id_and_by_text_prefix(
    seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker = seed_project / "pr_info" / "TASK_TRACKER.md"
    original = tracker.read_bytes()
    # mypy is a check no test proves: `tasktracker verify` records it, `check` will not
    assert run_cli(capsys, "check", "2.12", "prepare git commit message for step 2") == (
        1,
        "",
        "tasktracker: refused to tick 2.12: names checks without passing evidence on this "
        "code: mypy (not run); run `tasktracker verify 2.12`; it runs each check the project "
        "declares and ticks it once all passed\n",
    )
    assert tracker.read_bytes() == original
    assert run_cli(capsys, "check", "prepare git commit message for step 2", "2.13") == (
        0,
        "ticked 2.13 (line 55): Prepare git commit message for Step 2\n"
        "2.13 was already ticked (line 55): Prepare git commit message for Step 2\n",
        "",
    )
    assert tracker.read_bytes() == original.replace(
        b"- [ ] Prepare git commit message for Step 2",
        b"- [x] Prepare git commit message for Step 2",
    )
    code, out, _ = run_cli(capsys, "uncheck", "2.12", "2.13", "--json")
    assert code == 0
    assert [(c["id"], c["before"], c["after"]) for c in json.loads(out)["changes"]] == [
        ("2.12", " ", " "),
        ("2.13", "x", " "),
    ]
    assert tracker.read_bytes() == original


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["check", "9.9"],
            "pr_info/TASK_TRACKER.md: no sub-task '9.9' (did you mean 3.9, 2.9, 1.9?)",
        ),
        (
            ["check", "2.12", "Run"],
            "pr_info/TASK_TRACKER.md: 'Run' is ambiguous: it starts sub-tasks "
            "1.2, 1.7, 1.9, 1.10, 1.11, 2.2, 2.7, 2.10",
        ),
        (["--tracker", "missing.md", "status"], "missing.md: no such file"),
        (["--tracker", "pr_info", "status"], "pr_info: is a folder, not a tracker file"),
        (
            ["--tracker", "binary.md", "next"],
            "binary.md: is binary, not markdown (a NUL byte at offset 2)",
        ),
        (
            ["--tracker", "latin1.md", "next"],
            "latin1.md: is not UTF-8 (byte 0xe9 on line 1, offset 9)",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_the_tracker_untouched(
    seed_project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (seed_project / "binary.md").write_bytes(b"- \x00[ ] a\n")
    (seed_project / "latin1.md").write_bytes("- [ ] caf\u00e9\n".encode("latin-1"))
    (seed_project / "empty.md").write_bytes(b"# Nothing here\n\n```\n- [ ] in code\n```\n")
    before = (seed_project / "pr_info" / "TASK_TRACKER.md").read_bytes()
    assert run_cli(capsys, *argv) == (2, "", f"tasktracker: error: {message}\n")
    assert (seed_project / "pr_info" / "TASK_TRACKER.md").read_bytes() == before


@pytest.mark.parametrize("command", ["status", "next"])
def test_a_tracker_with_no_sub_tasks_yet_is_valid_and_empty(
    seed_project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """mcp-coder's template before its tasks are written."""
    (seed_project / "empty.md").write_bytes(b"# Nothing here\n\n```\n- [ ] in code\n```\n")
    assert run_cli(capsys, "--tracker", "empty.md", command) == (
        0,
        "empty.md: no sub-tasks yet (no '- [ ]' items outside code)\n",
        "",
    )


def test_the_gate_without_a_tracker_on_main_has_nothing_to_judge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The PR deleted pr_info/: the configured tracker is gone, the gate passes; named
    with --tracker, a missing tracker is an error."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTEST_TRACKER", raising=False)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntracker = "pr_info/TASK_TRACKER.md"\n'
    )
    assert run_cli(capsys, "gate") == (
        0,
        "gate passed: no tracker at pr_info/TASK_TRACKER.md ('tracker' in pyproject.toml), "
        "nothing to judge\n",
        "",
    )
    code, _, err = run_cli(capsys, "gate", "--tracker", "pr_info/TASK_TRACKER.md")
    assert (code, err) == (2, "tasktracker: error: pr_info/TASK_TRACKER.md: no such file\n")


def test_options_are_accepted_after_the_subcommand(
    seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (seed_project / "other.md").write_text("### Step 1: S\n- [ ] Implement it\n")
    code, out, _ = run_cli(capsys, "status", "--json", "--tracker", "other.md")
    assert (code, json.loads(out)["tracker"]) == (0, "other.md")
    code, out, _ = run_cli(capsys, "check", "1.1", "--tracker", "other.md")
    assert (code, out) == (0, "ticked 1.1 (line 2): Implement it\n")
    code, out, _ = run_cli(capsys, "--tracker", "other.md", "gate", "--tracker-state", "st")
    assert code == 0


def test_the_default_tracker_is_named_when_it_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTEST_TRACKER", raising=False)
    assert run_cli(capsys, "status") == (
        2,
        "",
        "tasktracker: error: pr_info/TASK_TRACKER.md (the default): no such file\n",
    )


def test_the_tracker_comes_from_the_environment_then_the_ini_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "plan.md").write_text("- [ ] from ini\n")
    (tmp_path / "env.md").write_text("- [ ] from env\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ntracker = "docs/plan.md"\n'
    )
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    monkeypatch.delenv("PYTEST_TRACKER", raising=False)
    assert run_cli(capsys, "next")[1] == "Tasks (line 1) - 0 of 1 done\n  [ ]   tasks.1 from ini\n"
    monkeypatch.setenv("PYTEST_TRACKER", "../env.md")
    assert run_cli(capsys, "next")[1] == "Tasks (line 1) - 0 of 1 done\n  [ ]   tasks.1 from env\n"


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0
    assert "exit codes:\n  0  all good\n" in out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "frobnicate")
    assert code == 2
    assert "invalid choice: 'frobnicate'" in err


@pytest.mark.e2e
def test_the_console_script_runs_as_a_real_process(seed_project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest_tasktracker", "check", "2.13"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "ticked 2.13 (line 55): Prepare git commit message for Step 2\n",
        "",
    )


@pytest.mark.parametrize(
    "heading",
    [
        "### Step 1: Build the cache [step_1.md](./steps/step_1.md)",
        "### Step 1: Build the cache - [Details](./steps/step_1.md)",
    ],
)
def test_a_step_title_is_shown_without_its_link_which_json_keeps(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    heading: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.md").write_text(f"{heading}\n- [ ] Implement it\n")
    code, out, _ = run_cli(capsys, "--tracker", "t.md", "next")
    assert (code, out.splitlines()[0]) == (0, "Step 1: Build the cache (line 1) - 0 of 1 done")
    code, out, _ = run_cli(capsys, "--tracker", "t.md", "status", "--json")
    (step,) = json.loads(out)["steps"]
    assert (step["title"], step["link"]) == ("Build the cache", "./steps/step_1.md")
