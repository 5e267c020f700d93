"""The gate, the guarded check and the blockers listing, end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import cli_in, run_cli

RERUN = "`pytest --tracker pr_info/TASK_TRACKER.md --tracker-update`"
JUDGING = "judging pr_info/TASK_TRACKER.md (the default) with the evidence in pr_info/.tasktracker"


def test_the_gate_fails_the_7129c046_tracker_on_exactly_its_unverified_ticks(
    seed_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "gate")
    judging, *lines = out.splitlines()
    assert code == 1
    assert judging == JUDGING
    assert lines[0] == (
        "pr_info/TASK_TRACKER.md:27: 1.1 Write test file `tests/utils/github_operations/"
        "test_issue_c\u2026: is linked to tests and has no passing evidence; run "
        f"{RERUN}; it ticks what passes"
    )
    assert lines[1] == (
        "pr_info/TASK_TRACKER.md:33: 1.7 Run tests to verify they pass (BLOCKED: MCP code "
        "checker co\u2026: ticked with a claim, not evidence ('BLOCKED') (and 1 more); untick "
        f"it, fix the cause, and let {RERUN} tick it"
    )
    assert lines[3] == (
        "pr_info/TASK_TRACKER.md:35: 1.9 Run pylint on modified files and fix all issues: names "
        "checks without passing evidence on this code: pylint (not run); run `tasktracker "
        "verify 1.9`; it runs each check the project declares and ticks it once all passed"
    )
    assert lines[9] == (
        "pr_info/TASK_TRACKER.md:51: 2.9 Manual test with real closed issues (verified via "
        "code revi\u2026: ticked with a claim, not evidence ('verified via code review'); untick "
        f"it, fix the cause, and let {RERUN} tick it"
    )
    assert lines[-1] == (
        "gate failed: 12 of 23 ticked sub-tasks lack evidence "
        "(1.1, 1.7, 1.8, 1.9, 1.10, 1.11, 2.1, 2.7, 2.8, 2.9, 2.10, 2.11)"
    )


def test_the_gate_as_json(seed_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "gate", "--json")
    data = json.loads(out)
    assert (code, data["ok"], data["ticked"]) == (1, False, 23)
    assert [o["id"] for o in data["offenders"]] == [
        "1.1",
        "1.7",
        "1.8",
        "1.9",
        "1.10",
        "1.11",
        "2.1",
        "2.7",
        "2.8",
        "2.9",
        "2.10",
        "2.11",
    ]
    assert (data["tracker"], data["state"]) == ("pr_info/TASK_TRACKER.md", "pr_info/.tasktracker")
    assert data["offenders"][1]["reasons"] == [
        {
            "rule": "claim",
            "why": "ticked with a claim, not evidence ('BLOCKED')",
            "todo": f"untick it, fix the cause, and let {RERUN} tick it",
        },
        {
            "rule": "no-evidence",
            "why": "asks for a test run and has no passing evidence",
            "todo": f"run {RERUN}; it ticks what passes",
        },
    ]


def test_under_github_actions_the_gate_annotates_the_line(
    seed_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out, _ = run_cli(capsys, "gate")
    assert out.splitlines()[10] == (
        "::error file=pr_info/TASK_TRACKER.md,line=51,title=tasktracker gate%3A 2.9::2.9 Manual "
        "test with real closed issues (verified via code review - see "
        "step_2_9_manual_test.md): ticked with a claim, not evidence ('verified via code "
        f"review'); untick it, fix the cause, and let {RERUN} tick it"
    )
    assert out.splitlines()[11] == (
        "::notice title=tasktracker gate::2 more sub-tasks lack evidence; GitHub shows 10 "
        "annotations per step: see the job summary"
    )


TRACKER = """\
### Step 1: Cache
- [x] Run tests to verify they pass
- [x] Run tests to verify they fail (TDD approach)
- [x] Implement the cache
- [x] Write tests/test_cache.py
"""


def project(pytester: pytest.Pytester, tests: str, tracker: str = TRACKER) -> Path:
    (pytester.path / "pr_info").mkdir(exist_ok=True)
    path = pytester.path / "pr_info" / "TASK_TRACKER.md"
    path.write_text(tracker)
    (pytester.path / "tests").mkdir(exist_ok=True)
    (pytester.path / "tests" / "test_cache.py").write_text(tests)
    return path


def gate(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code, out, _ = cli_in(pytester, capsys, "gate")
    return code, out


def test_a_clean_tracker_passes_the_gate(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(pytester, "def test_a():\n    pass\n")
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    assert gate(pytester, capsys) == (
        0,
        f"{JUDGING}\ngate passed: 4 ticked sub-tasks: 3 backed by passing evidence, 1 that "
        "needs no passing run\n",
    )


def test_failing_evidence_fails_the_gate_but_not_the_red_phase(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(pytester, "def test_a():\n    assert 0\n")
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    code, out = gate(pytester, capsys)
    assert code == 1
    assert out.splitlines() == [
        JUDGING,
        "pr_info/TASK_TRACKER.md:2: 1.1 Run tests to verify they pass: its linked tests failed "
        "(tests/test_cache.py::test_a); fix them and run "
        f"{RERUN} (which unticks regressions)",
        "pr_info/TASK_TRACKER.md:5: 1.4 Write tests/test_cache.py: its linked tests failed "
        "(tests/test_cache.py::test_a); fix them and run "
        f"{RERUN} (which unticks regressions)",
        "gate failed: 2 of 4 ticked sub-tasks lack evidence (1.1, 1.4)",
    ]


def test_all_skipped_evidence_fails_the_gate(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(pytester, "import pytest\n\n@pytest.mark.skip\ndef test_a():\n    pass\n")
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    code, out, _ = cli_in(pytester, capsys, "gate", "--json")
    assert code == 1
    offender = json.loads(out)["offenders"][0]
    assert offender["id"] == "1.1"
    assert [(r["rule"], r["why"]) for r in offender["reasons"]] == [
        (
            "blocker",
            "has an open blocker: pr_info/.tasktracker/blockers/unverifiable-skipped-step-1.md "
            "(unverifiable: every test linked to 1.1, 1.2, 1.4 was skipped or deselected)",
        ),
        ("evidence", "every linked test was skipped, which proves nothing"),
    ]


def test_no_evidence_at_all_fails_a_tick_that_asks_for_a_run(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(pytester, "def test_a():\n    pass\n")
    code, out = gate(pytester, capsys)
    assert code == 1
    assert out.splitlines() == [
        JUDGING,
        "pr_info/TASK_TRACKER.md:2: 1.1 Run tests to verify they pass: asks for a test run and "
        f"has no passing evidence; run {RERUN}; it ticks what passes",
        "pr_info/TASK_TRACKER.md:5: 1.4 Write tests/test_cache.py: is linked to tests and "
        f"has no passing evidence; run {RERUN}; it ticks what passes",
        "gate failed: 2 of 4 ticked sub-tasks lack evidence (1.1, 1.4)",
    ]


def test_a_claim_in_a_continuation_line_fails_the_gate(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(
        pytester,
        "def test_a():\n    pass\n",
        "- [x] Commit message prepared\n  - pytest could not be executed locally; deferred to CI\n",
    )
    code, out = gate(pytester, capsys)
    assert code == 1
    assert "ticked with a claim, not evidence ('could not be executed')" in out


def test_an_open_blocker_fails_the_gate_and_check_refuses_it(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(pytester, "import missing_mod\n", TRACKER.replace("[x]", "[ ]"))
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    path.write_text(TRACKER.replace("- [ ]", "- [x]"))
    blocker = "pr_info/.tasktracker/blockers/collection-error-tests-test-cache-py-step-1.md"
    code, out = gate(pytester, capsys)
    assert code == 1
    assert f"1.1 Run tests to verify they pass: has an open blocker: {blocker} " in out
    path.write_text(TRACKER.replace("[x]", "[ ]"))
    code, out, err = cli_in(pytester, capsys, "check", "1.4")
    assert (code, out) == (1, "")
    assert err == (
        f"tasktracker: refused to tick 1.4: has an open blocker: {blocker} "
        "(collection-error: tests/test_cache.py could not be collected, so none of its "
        f"tests ran); follow the remedies in {blocker}, then run `pytest --tracker "
        "pr_info/TASK_TRACKER.md --tracker-update`\n"
    )
    assert path.read_text() == TRACKER.replace("[x]", "[ ]")
    code, out, _ = cli_in(pytester, capsys, "check", "1.4", "--force")
    assert code == 0
    assert out.startswith("ticked 1.4 (line 5) WITHOUT evidence, because of --force: ")
    assert "- [x] Write tests/test_cache.py" in path.read_text()
    code, out, _ = cli_in(pytester, capsys, "blockers")
    assert code == 1
    assert out.splitlines()[0].startswith(
        f"{blocker}: collection-error: tests/test_cache.py could not be collected, so none "
        "of its tests ran (affects 1.1, 1.2, 1.4; seen 1x, last "
    )
    code, out, _ = cli_in(pytester, capsys, "blockers", "--json")
    assert json.loads(out)["open"][0]["affected"] == ["1.1", "1.2", "1.4"]


def test_check_refuses_a_sub_task_whose_tests_failed(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project(pytester, "def test_a():\n    assert 0\n", TRACKER.replace("[x]", "[ ]"))
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    code, _, err = cli_in(pytester, capsys, "check", "Run tests to verify they pass")
    assert code == 1
    assert err.startswith(
        "tasktracker: refused to tick 1.1: its linked tests failed "
        "(tests/test_cache.py::test_a); fix them and run"
    )


def test_no_open_blockers(pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]) -> None:
    project(pytester, "def test_a():\n    pass\n")
    assert cli_in(pytester, capsys, "blockers") == (
        0,
        "no open blockers in pr_info/.tasktracker/blockers\n",
        "",
    )


@pytest.mark.parametrize("mode", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_tracker_gate_option_fails_a_passing_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: list[str]
) -> None:
    project(
        pytester,
        "def test_a():\n    pass\n",
        TRACKER + "- [x] Run the integration tests (BLOCKED: no database)\n",
    )
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "--tracker-gate", *mode)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "::error file=pr_info/TASK_TRACKER.md,line=6,title=tasktracker gate%3A 1.5::1.5 "
            "Run the integration tests (BLOCKED: no database): ticked with a claim*",
            "pr_info/TASK_TRACKER.md:6: 1.5 Run the integration tests (BLOCKED: no database): "
            "ticked with a claim, not evidence ('BLOCKED')*",
            "gate failed: 1 of 5 ticked sub-tasks lack evidence (1.5)",
        ]
    )
    monkeypatch.delenv("GITHUB_ACTIONS")
    (pytester.path / "pr_info" / "TASK_TRACKER.md").write_text(TRACKER)
    assert (
        pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "--tracker-gate", *mode).ret == 0
    )


def test_the_gate_ini_key(pytester: pytest.Pytester) -> None:
    project(pytester, "def test_a():\n    pass\n", "- [x] Run pytest (could not run it)\n")
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ntracker = "pr_info/TASK_TRACKER.md"\ntracker_gate = true\n'
    )
    assert pytester.runpytest().ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.e2e
def test_the_gate_is_also_a_real_command(seed_project: Path) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "pytest_tasktracker", "gate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.endswith(
        "gate failed: 12 of 23 ticked sub-tasks lack evidence "
        "(1.1, 1.7, 1.8, 1.9, 1.10, 1.11, 2.1, 2.7, 2.8, 2.9, 2.10, 2.11)\n"
    )
