"""``tasktracker verify``: checks that are not pytest become evidence, and a sub-task that
names several checks is ticked only when all of them passed on one code state. A check
runs with the command the project declares for it (here in pytest.ini); a check's name
is never the agent's word."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from conftest import run_pytest_in, tasktracker
from pytest_tasktracker.rules.checks import check_of

pytestmark = pytest.mark.e2e

TRACKER = (
    "### Step 1: S\n- [ ] Run pytest on test_a.py\n"
    "- [ ] Quality checks: pylint, pytest, mypy - fix all issues\n"
    "- [ ] Run pylint on modified files\n"
)
PASS = [sys.executable, "-c", "print('all good')"]
FAIL = [sys.executable, "-c", "import sys; print('E1: bad'); sys.exit(3)"]
HANG = [sys.executable, "-c", "import time; time.sleep(60)"]


def ini(**checks: list[str]) -> str:
    """pytest.ini naming the tracker and declaring ``checks`` (name -> command)."""
    lines = "".join(f"    {name} = {shlex.join(command)}\n" for name, command in checks.items())
    return f"[pytest]\ntracker = TASKS.md\ntracker_checks =\n{lines}"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text(ini(pylint=PASS, mypy=PASS))
    (tmp_path / "TASKS.md").write_text(TRACKER)
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "app.py").write_text("X = 1\n")  # not code.py: pdb imports the stdlib's code
    done = run_pytest_in(tmp_path, "--tracker-update")
    assert done.returncode == 0, done.stdout
    return tmp_path


def line(root: Path, number: int) -> str:
    return (root / "TASKS.md").read_text().splitlines()[number - 1]


def test_quality_checks_are_ticked_when_all_three_passed_on_one_state(project: Path) -> None:
    assert line(project, 3).startswith("- [ ] Quality checks")  # pytest alone does not tick it
    first = tasktracker(project, "verify", "1.2", "--check", "pylint")
    assert first.returncode == 0
    assert first.stdout.splitlines()[1:] == [
        "1.2 not ticked: names checks without passing evidence on this code: mypy (not run); "
        "run `tasktracker verify 1.2`; it runs each check the project declares and ticks it "
        "once all passed"
    ]
    second = tasktracker(project, "verify", "1.2", "--check", "mypy")
    assert second.stdout.splitlines()[1:] == [
        "ticked 1.2 (line 3): Quality checks: pylint, pytest, mypy - fix all issues"
    ]
    assert tasktracker(project, "gate").returncode == 0
    checks = json.loads((project / ".tasktracker" / "checks.json").read_text())
    assert checks["schema"] == "pytest-tasktracker/checks/1"
    assert set(checks["checks"]["1.2"]) == {"pylint", "mypy"}
    assert checks["checks"]["1.2"]["mypy"]["output_tail"] == "all good\n"


def test_a_source_change_between_the_checks_means_no_tick(project: Path) -> None:
    tasktracker(project, "verify", "1.2", "--check", "pylint")
    (project / "app.py").write_text("X = 2\n")
    after = tasktracker(project, "verify", "1.2", "--check", "mypy")
    assert after.stdout.splitlines()[1] == (
        "1.2 not ticked: names checks without passing evidence on this code: pylint (passed "
        "on other code), pytest (no passing run on this code); run `tasktracker verify 1.2`; "
        "it runs each check the project declares and ticks it once all passed"
    )
    assert line(project, 3).startswith("- [ ] ")
    refused = tasktracker(project, "check", "1.2")
    assert refused.returncode == 1
    assert "names checks without passing evidence on this code: pylint" in refused.stderr


def test_a_failing_check_is_evidence_against_the_tick(project: Path) -> None:
    assert tasktracker(project, "verify", "1.3").returncode == 0
    assert line(project, 4) == "- [x] Run pylint on modified files"
    (project / "pytest.ini").write_text(ini(pylint=FAIL, mypy=PASS))  # the user's own change
    failed = tasktracker(project, "verify", "1.3")
    assert failed.returncode == 1
    assert failed.stdout.splitlines() == [
        f"pylint failed (exit code 3): {sys.executable} -c 'import sys; print('\"'\"'E1: "
        "bad'\"'\"'); sys.exit(3)'",
        "  E1: bad",
        "1.3 not ticked: names checks without passing evidence on this code: pylint (failed, "
        "exit code 3); run `tasktracker verify 1.3`; it runs each check the project declares "
        "and ticks it once all passed",
        "unticked 1.3 (line 4): Run pylint on modified files",
    ]
    assert tasktracker(project, "check", "1.3").returncode == 1
    assert tasktracker(project, "check", "1.3", "--force").returncode == 0
    gate = tasktracker(project, "gate")
    assert gate.returncode == 1
    assert (
        "1.3 Run pylint on modified files: names checks without passing evidence on this "
        "code: pylint (failed, exit code 3)" in gate.stdout
    )


def test_a_command_that_does_not_exist_records_nothing(project: Path) -> None:
    (project / "pytest.ini").write_text(ini(pylint=["no-such-cmd-x"]))
    result = tasktracker(project, "verify", "1.3")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "tasktracker: error: no-such-cmd-x: command not found; nothing was recorded\n"
    )
    assert not (project / ".tasktracker" / "checks.json").exists()


def test_a_command_of_no_known_check_needs_its_name(project: Path) -> None:
    result = tasktracker(project, "verify", "1.3", "--", "ls")
    assert (result.returncode, result.stderr) == (
        2,
        "tasktracker: error: ls: which check is this? name it with --check NAME\n",
    )


def test_a_hanging_check_respects_the_timeout(project: Path) -> None:
    (project / "pytest.ini").write_text(ini(pylint=HANG))
    result = tasktracker(project, "verify", "1.3", "--timeout", "1")
    assert result.returncode == 1
    assert result.stdout.startswith("pylint error (timed out after 1 s): ")
    entry = json.loads((project / ".tasktracker" / "checks.json").read_text())["checks"]["1.3"]
    assert entry["pylint"]["outcome"] == "error"


@pytest.mark.parametrize(
    ("command", "check"),
    [
        (["mypy", "src"], "mypy"),
        (["python", "-m", "mypy", "src"], "mypy"),
        (["python3.11", "-m", "pylint", "pkg"], "pylint"),
        ([".venv/bin/ruff", "check", "."], "ruff"),
        (["C:/py/Scripts/flake8.exe"], "flake8"),
        (["python", "-c", "pass"], None),
        (["./check.sh"], None),
        ([], None),
    ],
)
def test_which_check_a_command_is(command: list[str], check: str | None) -> None:
    assert check_of(command) == check


def stub_pylint(folder: Path) -> None:
    """A ``pylint`` package whose ``python -m pylint`` passes whatever the code is."""
    (folder / "pylint").mkdir(parents=True)
    (folder / "pylint" / "__init__.py").write_text("")
    (folder / "pylint" / "__main__.py").write_text("print('10.00/10')\n")


@pytest.fixture
def linted(tmp_path: Path) -> Path:
    """A project whose declared pylint (the real one, installed) fails on its code."""
    pytest.importorskip("pylint")
    declared = [sys.executable, "-m", "pylint", "--disable=all", "--enable=W0612", "app.py"]
    (tmp_path / "pytest.ini").write_text(ini(pylint=declared).replace(sys.executable, "python"))
    (tmp_path / "TASKS.md").write_text(TRACKER)
    (tmp_path / "app.py").write_text('"""App."""\n\n\ndef f():\n    """F."""\n    unused = 1\n')
    return tmp_path


def test_a_stub_package_in_the_project_is_not_the_declared_check(linted: Path) -> None:
    stub_pylint(linted)
    done = tasktracker(linted, "verify", "1.3")
    assert done.returncode == 2
    assert done.stderr == (
        f"tasktracker: error: pylint: python -m pylint runs {linted / 'pylint' / '__init__.py'}, "
        "which is not an installed package of that interpreter; nothing was run\n"
    )
    assert "[x]" not in (linted / "TASKS.md").read_text()


def test_a_stub_on_pythonpath_or_a_python_first_on_path_runs_the_real_check(
    linted: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    stub_pylint(elsewhere)
    fake = tmp_path_factory.mktemp("fakebin")
    (fake / "python").write_text("#!/bin/sh\nexit 0\n")
    (fake / "python").chmod(0o755)
    import os

    env = {"PYTHONPATH": str(elsewhere)}
    refused = tasktracker(linted, "verify", "1.3", env=env)
    assert refused.returncode == 2
    assert "which is not an installed package of that interpreter" in refused.stderr
    path = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    real = tasktracker(linted, "verify", "1.3", env=path)  # the venv's python, first
    assert real.returncode == 1
    assert real.stdout.startswith("pylint failed (exit code 4)")


def test_a_program_in_the_project_named_like_the_check_is_refused(linted: Path) -> None:
    (linted / "pylint").write_text("#!/bin/sh\nexit 0\n")
    (linted / "pylint").chmod(0o755)
    (linted / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    done = tasktracker(linted, "verify", "1.3", "--", "./pylint", "app.py")
    assert done.returncode == 2
    assert done.stderr == (
        f"tasktracker: error: pylint: ./pylint is {linted / 'pylint'}, a file in the project, "
        "not an installed tool; nothing was run\n"
    )
