"""`tasktracker run` reports what fails before any plugin loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import tasktracker

pytestmark = pytest.mark.e2e

TRACKER = "### Step 1: Cache\n- [ ] Write test file `tests/test_cache.py`\n- [ ] Implement it\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pr_info").mkdir()
    (tmp_path / "pr_info" / "TASK_TRACKER.md").write_text(TRACKER)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_cache.py").write_text("def test_a():\n    pass\n")
    return tmp_path


def the_report(project: Path) -> dict[str, Any]:
    (path,) = (project / "pr_info" / ".tasktracker" / "blockers").glob("*.md")
    text = path.read_text()
    front = YAML(typ="safe", pure=True).load(text[4 : text.index("\n---\n", 4) + 1])
    assert isinstance(front, dict)
    return front


@pytest.mark.parametrize(
    ("setup", "args", "kind", "summary", "location"),
    [
        (
            None,
            ["--tb=bogus"],
            "usage-error",
            "pytest rejected its arguments: argument --tb: invalid choice: 'bogus' (choose "
            "from 'auto', 'long', 'short', 'no', 'line', 'native')",
            None,
        ),
        (
            "[tool.pytest.ini_options\n",
            [],
            "usage-error",
            "pytest rejected its arguments: pyproject.toml: Expected ']' at the end of a "
            "table declaration (at line 1, column 25)",
            {"file": "pyproject.toml", "line": 1},
        ),
        (
            '[tool.pytest.ini_options]\nminversion = "99"\n',
            [],
            "usage-error",
            "pytest rejected its arguments: pyproject.toml: 'minversion' requires pytest-99, "
            f"actual pytest-{pytest.__version__}'",
            {"file": "pyproject.toml", "line": None},
        ),
        (
            None,
            ["-p", "missing_plugin_xyz"],
            "missing-plugin",
            "plugin 'missing_plugin_xyz' (from the command line) cannot be imported",
            None,
        ),
    ],
    ids=["bad-option-value", "broken-pyproject", "minversion", "p-missing"],
)
def test_run_reports_errors_no_plugin_can_see(
    project: Path,
    setup: str | None,
    args: list[str],
    kind: str,
    summary: str,
    location: dict[str, object] | None,
) -> None:
    if setup is not None:
        (project / "pyproject.toml").write_text(setup)
    result = tasktracker(project, "run", "--", *args)
    assert result.returncode in (1, 4)  # pytest 8 lets `-p missing` escape with 1
    front = the_report(project)
    assert (front["kind"], front["summary"], front["location"]) == (kind, summary, location)
    assert [entry["id"] for entry in front["affected"]] == ["1.1"]
    first = result.stderr.splitlines()[0]  # the decision first, pytest's error after it
    assert first.startswith(f"BLOCKED ({kind}): {summary}; keep unticked: 1.1; fix: ")
    assert " -> pr_info/.tasktracker/blockers/" in first
    assert (project / "pr_info" / "TASK_TRACKER.md").read_text() == TRACKER


def test_run_passes_a_good_run_through_with_the_tracker_enabled(project: Path) -> None:
    result = tasktracker(project, "run", "--", "-q", "-W", "error", "--tracker-update")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "task tracker pr_info/TASK_TRACKER.md: 1 linked sub-tasks: 1 passed" in result.stdout
    assert (project / "pr_info" / "TASK_TRACKER.md").read_text() == TRACKER.replace(
        "- [ ] Write test file", "- [x] Write test file"
    )


def test_run_returns_pytests_own_exit_code(project: Path) -> None:
    (project / "tests" / "test_cache.py").write_text("def test_a():\n    assert 0\n")
    assert tasktracker(project, "run").returncode == 1


def test_run_takes_the_tracker_and_state_folder_after_the_subcommand(project: Path) -> None:
    """`tasktracker run --tracker X --tracker-state S --timeout T -- ARGS`, as every other
    subcommand takes them: pytest's evidence and the supervisor's files go to S."""
    (project / "TASKS.md").write_text(TRACKER)
    result = tasktracker(
        project,
        "run",
        "--tracker",
        "TASKS.md",
        "--tracker-state",
        "state",
        "--timeout",
        "60",
        "--",
        "-q",
        "-p",
        "no:cacheprovider",
        "--tracker-update",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "task tracker TASKS.md: 1 linked sub-tasks: 1 passed" in result.stdout
    assert (project / "TASKS.md").read_text() == TRACKER.replace("- [ ] Write", "- [x] Write")
    assert (project / "pr_info" / "TASK_TRACKER.md").read_text() == TRACKER
    assert {"results.json", "run.status"} <= {path.name for path in (project / "state").iterdir()}
    assert not (project / ".tasktracker").exists()
