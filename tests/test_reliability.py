"""Concurrent runs and faults: no lost tick, no corrupt evidence, pytest's result kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from conftest import evidence_file

pytestmark = pytest.mark.e2e

STEPS = 3
PER_STEP = 3


def make_project(root: Path) -> Path:
    """Three steps; each sub-task names its own test file; plus hand-ticked sub-tasks."""
    lines = ["# Tracker\n"]
    tests = root / "tests"
    tests.mkdir()
    for step in range(1, STEPS + 1):
        lines.append(f"\n### Step {step}: Part {step}\n")
        for n in range(1, PER_STEP + 1):
            name = f"test_s{step}_{n}.py"
            (tests / name).write_text("def test_it():\n    pass\n")
            lines.append(f"- [ ] Run pytest on tests/{name} and fix all failures\n")
        lines.append(f"- [ ] Prepare the commit message for step {step}\n")
    (root / "pr_info").mkdir()
    tracker = root / "pr_info" / "TASK_TRACKER.md"
    tracker.write_text("".join(lines))
    (root / "pytest.ini").write_text("[pytest]\ntracker = pr_info/TASK_TRACKER.md\n")
    return tracker


def test_parallel_pytest_runs_and_cli_checks_lose_nothing(tmp_path: Path) -> None:
    tracker = make_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-n",
                "2",
                "--tracker-update",
                *[f"tests/test_s{step}_{n}.py" for n in range(1, PER_STEP + 1)],
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for step in range(1, STEPS + 1)
    ]
    checks = [
        subprocess.Popen(
            [sys.executable, "-m", "pytest_tasktracker", "check", f"{step}.{PER_STEP + 1}"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for step in range(1, STEPS + 1)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in runs + checks]
    assert [process.returncode for process in runs + checks] == [0] * (2 * STEPS), outputs
    text = tracker.read_text()
    assert "- [ ]" not in text, text  # every tick landed: nine from the runs, three by hand
    assert text.count("- [x]") == STEPS * (PER_STEP + 1)
    results = evidence_file(tmp_path / "pr_info" / ".tasktracker" / "results.json")
    outcomes = {entry["id"]: entry["outcome"] for entry in results["subtasks"]}
    for step in range(1, STEPS + 1):
        for n in range(1, PER_STEP + 1):
            assert outcomes[f"{step}.{n}"] == "passed", outcomes
    assert not (tmp_path / "pr_info" / ".tasktracker" / "results.json.corrupt").exists()


def test_parallel_blocked_runs_write_one_valid_report(tmp_path: Path) -> None:
    make_project(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--timeout=5"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    for process in runs:
        process.communicate(timeout=120)
    (report,) = (tmp_path / "pr_info" / ".tasktracker" / "blockers").glob("*.md")
    text = report.read_text()
    front = YAML(typ="safe", pure=True).load(text[4 : text.index("\n---\n", 4) + 1])
    assert front["occurrences"] == 4
    assert front["kind"] == "missing-plugin"


def test_a_read_only_tracker_keeps_pytests_result_and_says_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = make_project(pytester.path)
    original = tracker.read_text()
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)  # as for a user without rights
    result = pytester.runpytest("--tracker-update")
    assert result.ret == 0
    result.assert_outcomes(passed=STEPS * PER_STEP)
    result.stdout.fnmatch_lines(
        ["tracker not updated: pr_info/TASK_TRACKER.md: is read-only; nothing was changed"]
    )
    assert tracker.read_text() == original


def test_a_full_disk_for_the_evidence_keeps_pytests_result(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    make_project(pytester.path)
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        if b"pytest-tasktracker/results/2" in bytes(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    result = pytester.runpytest()
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "task tracker warning: evidence not written: *results.json: cannot be written: "
            "the disk is full"
        ]
    )
    assert not list((pytester.path / "pr_info" / ".tasktracker").glob("*.tmp"))
