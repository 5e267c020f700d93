"""The agent of the real case: it never runs pytest itself, it calls mcp-tools-py's
``run_pytest_check`` over stdio (the tool runs pytest with pytest-json-report and a
fresh temporary report file each call). Run with ``tox -e mcptools``: the tool lives in
the tox environment (it needs the MCP SDK 1.x), the project in a virtual environment of
its own with pytest-tasktracker, enabled by the ini ``tracker`` key.

Four cases, as the agent meets them: a failing test; ``addopts = "-n auto"`` without
pytest-xdist; a conftest that fails to import; then everything fixed. Three identical
blocked calls say stop retrying; a tick proven earlier on this code stays, and the gate
passes.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parent.parent.parent

TRACKER = """\
# Task Status Tracker

### Step 1: Parser
- [ ] Implement `parse`
- [ ] Run pytest on test_parse.py and fix all failures

### Step 2: Printer
- [ ] Run pytest on test_print.py and fix all failures
"""
INI = "[pytest]\ntracker = pr_info/TASK_TRACKER.md\ntestpaths = tests\n"


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's own environment: pytest-tasktracker, as the project installs it."""
    folder = tmp_path_factory.mktemp("project-venv")
    venv.create(folder, with_pip=True)
    bin_python = folder / "bin" / "python"
    subprocess.run(
        [bin_python, "-m", "pip", "install", "-q", "-e", str(ROOT), "pytest-json-report"],
        check=True,
    )
    return bin_python


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pr_info").mkdir(parents=True)
    (root / "pr_info" / "TASK_TRACKER.md").write_text(TRACKER)
    (root / "pytest.ini").write_text(INI)
    tests = root / "tests"
    tests.mkdir()
    (tests / "test_parse.py").write_text("def test_parse():\n    assert int('2') == 2\n")
    (tests / "test_print.py").write_text("def test_print():\n    assert str(2) == '3'\n")
    return root


def call(project: Path, python: Path, calls: list[list[str]]) -> list[str]:
    """Start the tool on ``project`` and call ``run_pytest_check`` once per extra-args
    list; the text the agent reads each time."""
    server = StdioServerParameters(
        command=sys.executable,
        args=[
            *("-m", "mcp_tools_py.main", "--project-dir", str(project)),
            *("--python-executable", str(python), "--test-folder", "tests"),
        ],
        cwd=str(project),
    )

    async def main() -> list[str]:
        answers = []
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            for extra in calls:
                result = await session.call_tool("run_pytest_check", {"extra_args": extra})
                answers.append("\n".join(getattr(c, "text", "") for c in result.content))
        return answers

    return anyio.run(main)


def tasktracker(project: Path, python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "pytest_tasktracker", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def first_blocked_line(text: str) -> str:
    """The BLOCKED line in what the tool said, as far as it kept it."""
    start = text.index("BLOCKED (")
    return text[start:].splitlines()[0]


def test_an_agent_behind_run_pytest_check_gets_every_decision(project: Path, python: Path) -> None:
    (failing,) = call(project, python, [["--tracker-update"]])
    assert "test_print" in failing  # a failing test: a plain result, no blocker
    tracker = (project / "pr_info" / "TASK_TRACKER.md").read_text()
    assert "- [x] Run pytest on test_parse.py" in tracker
    assert "- [ ] Run pytest on test_print.py" in tracker

    # As mcp-coder's instructions told the agent: -n auto, and xdist is not installed.
    blocked = call(project, python, [["-n", "auto", "--tracker-update"]] * 3)
    for number, text in enumerate(blocked, 1):
        line = first_blocked_line(text)
        assert line.endswith(".md"), text  # whole, to its report's path: the cut spared it
        assert line.startswith(
            "BLOCKED (missing-plugin, 3 runs in a row: stop retrying): "
            if number == 3
            else "BLOCKED (missing-plugin): "
        ), text
        assert "keep unticked: 2.1" in line, line
        assert "still proven on this code: 1.2" in line
        assert "pytest_runner_" not in line  # the tool's temporary report: no part of it
    gate = tasktracker(project, python, "gate")
    assert gate.returncode == 0, gate.stdout  # 1.2 stands: proven on this code
    blockers = tasktracker(project, python, "blockers", "--json")
    assert '"args": [' in blockers.stdout  # remedies an agent can pass to its tool
    assert "pytest_runner_" not in blockers.stdout

    (project / "pytest.ini").write_text(INI + "addopts = -n auto\n")  # the code changed
    (in_addopts,) = call(project, python, [["--tracker-update"]])
    line = first_blocked_line(in_addopts)
    assert line.startswith("BLOCKED (missing-plugin): option -n (from addopts in pytest.ini)")
    assert "keep unticked: 1.2, 2.1" in line  # 1.2 was proven on other code: stale now

    (project / "pytest.ini").write_text(INI)
    (project / "tests" / "conftest.py").write_text("import not_installed_anywhere\n")
    (conftest,) = call(project, python, [["--tracker-update"]])
    assert first_blocked_line(conftest).startswith("BLOCKED (conftest-error): ")

    (project / "tests" / "conftest.py").unlink()
    (project / "tests" / "test_print.py").write_text("def test_print():\n    assert '2'\n")
    (fixed,) = call(project, python, [["--tracker-update"]])
    assert "BLOCKED" not in fixed
    tracker = (project / "pr_info" / "TASK_TRACKER.md").read_text()
    assert "- [x] Run pytest on test_print.py" in tracker
    assert tasktracker(project, python, "gate").returncode == 0
    assert tasktracker(project, python, "blockers").returncode == 0  # all resolved
