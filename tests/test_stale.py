"""Evidence is bound to the code it was proven on: change a test file after the run and
the tick is stale; revert it and the tick is fresh again; a doc edit changes nothing.
With git and without it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import run_pytest_in, tasktracker

TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Run pytest on test_b.py\n"


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture(params=["git", "plain"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text(TRACKER)
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "test_b.py").write_text("def test_b():\n    pass\n")
    (tmp_path / "README.md").write_text("# x\n")
    if request.param == "git":
        (tmp_path / ".gitignore").write_text(".tasktracker/\n__pycache__/\n")
        git(tmp_path, "init", "-q")
        git(tmp_path, "add", ".")
        git(tmp_path, "commit", "-q", "-m", "start")
    done = run_pytest_in(tmp_path, "--tracker-update")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "TASKS.md").read_text() == TRACKER.replace("[ ]", "[x]")
    return tmp_path


def test_a_changed_test_file_makes_its_tick_stale_and_a_revert_makes_it_fresh(
    project: Path,
) -> None:
    assert tasktracker(project, "gate").returncode == 0
    test_a = project / "test_a.py"
    original = test_a.read_bytes()
    test_a.write_text("def test_a():\n    assert 1\n")
    gate = tasktracker(project, "gate")
    assert gate.returncode == 1
    assert gate.stdout.splitlines()[1:] == [
        "TASKS.md:2: 1.1 Run pytest on test_a.py: its evidence is from another code state: "
        "1 file changed since the run, among them its test file test_a.py; run `pytest "
        "--tracker TASKS.md --tracker-update` to prove it on this code",
        "TASKS.md:3: 1.2 Run pytest on test_b.py: its evidence is from another code state: "
        "1 file changed since the run (test_a.py); run `pytest --tracker TASKS.md "
        "--tracker-update` to prove it on this code",
        "gate failed: 2 of 2 ticked sub-tasks lack evidence (1.1, 1.2)",
    ]
    status = tasktracker(project, "status").stdout.splitlines()
    assert status[2] == (
        "  [x]   1.1    Run pytest on test_a.py  (stale evidence: 1 file changed since the run, "
        "among them its test file test_a.py)"
    )
    rows = json.loads(tasktracker(project, "status", "--json").stdout)["steps"][0]["subtasks"]
    assert rows[0]["evidence"]["stale"].startswith("1 file changed since the run")
    allowed = tasktracker(project, "gate", "--allow-stale")
    assert allowed.returncode == 0
    assert allowed.stderr.startswith("tasktracker: warning: stale: TASKS.md:2: 1.1 ")
    tasktracker(project, "uncheck", "1.1")
    refused = tasktracker(project, "check", "1.1")
    assert refused.returncode == 1
    assert "its evidence is from another code state" in refused.stderr
    test_a.write_bytes(original)
    assert "stale" not in tasktracker(project, "status").stdout
    assert tasktracker(project, "check", "1.1").returncode == 0
    assert tasktracker(project, "gate").returncode == 0


def test_docs_and_the_tracker_are_not_code(project: Path) -> None:
    (project / "README.md").write_text("# changed\n")
    (project / "docs").mkdir()
    (project / "docs" / "guide.txt").write_text("new")
    (project / "TASKS.md").write_text(TRACKER.replace("[ ]", "[x]") + "\nnotes\n")
    assert tasktracker(project, "gate").returncode == 0


def test_a_new_source_file_makes_evidence_stale(project: Path) -> None:
    (project / "helpers.py").write_text("X = 1\n")
    gate = tasktracker(project, "gate")
    assert gate.returncode == 1
    assert "1 file changed since the run (helpers.py)" in gate.stdout


def test_stale_can_be_a_warning_in_the_ini(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\ntracker_stale = warn\n")
    gate = tasktracker(project, "gate")
    assert gate.returncode == 0
    assert "tasktracker: warning: stale: TASKS.md:2: 1.1" in gate.stderr
    (project / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\ntracker_stale = maybe\n")
    bad = tasktracker(project, "gate")
    assert bad.returncode == 2
    assert bad.stderr == (
        "tasktracker: error: 'tracker_stale' in pytest.ini: expected fail or warn, got 'maybe'\n"
    )
