"""``tasktracker init``: one command sets a project up for agents, idempotently, merging
into what is there and never clobbering it."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_tasktracker.cli import main

PYPROJECT = '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'


def cli_in(root: Path, *argv: str) -> tuple[int, str, str]:
    """``tasktracker ARGV`` run in ``root``: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(err):
        patch.chdir(root)
        code = main(list(argv), out)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


def test_init_writes_the_four_pieces_and_a_second_run_changes_nothing(root: Path) -> None:
    code, out, err = cli_in(root, "init")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        'changed pyproject.toml: tracker = "pr_info/TASK_TRACKER.md" in [tool.pytest.ini_options]',
        "changed .claude/settings.json: hooks for SessionStart, PreToolUse, PostToolUse, Stop",
        "changed .mcp.json: the tasktracker MCP server",
        "changed CLAUDE.md: the agent guide block",
    ]
    assert (root / "pyproject.toml").read_text() == PYPROJECT.replace(
        "[tool.pytest.ini_options]\n",
        '[tool.pytest.ini_options]\ntracker = "pr_info/TASK_TRACKER.md"\n',
    )
    settings = json.loads((root / ".claude" / "settings.json").read_text())
    hook = [{"type": "command", "command": "tasktracker hook --tracker pr_info/TASK_TRACKER.md"}]
    assert settings == {  # the tracker pinned: a changed ini key does not move the guard
        "hooks": {
            "SessionStart": [{"hooks": hook}],
            "PreToolUse": [{"matcher": "*", "hooks": hook}],
            "PostToolUse": [{"matcher": "*", "hooks": hook}],
            "Stop": [{"hooks": hook}],
        }
    }
    assert json.loads((root / ".mcp.json").read_text()) == {
        "mcpServers": {"tasktracker": {"command": "tasktracker", "args": ["mcp"]}}
    }
    guide = (root / "CLAUDE.md").read_text()
    assert guide.startswith("<!-- tasktracker:begin -->\n## Task tracker\n")
    assert "`pr_info/TASK_TRACKER.md`" in guide
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert cli_in(root, "init") == (0, "already set up: nothing to change\n", "")
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_init_merges_into_existing_files(root: Path) -> None:
    claude = root / ".claude"
    claude.mkdir()
    theirs = {"matcher": "Bash", "hooks": [{"type": "command", "command": "x"}]}
    mine: dict[str, Any] = {
        "permissions": {"allow": ["Bash(pytest:*)"]},
        "hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "x"}]}]
        },
    }
    (claude / "settings.json").write_text(json.dumps(mine))
    (root / ".mcp.json").write_text('{"mcpServers": {"files": {"command": "fs"}}}')
    (root / "AGENTS.md").write_text("# Agents\n\nBe careful.\n")
    code, _out, _ = cli_in(root, "--tracker", "docs/tasks.md", "init")
    assert code == 0
    settings = json.loads((claude / "settings.json").read_text())
    assert settings["permissions"] == mine["permissions"]
    assert settings["hooks"]["PreToolUse"][0] == theirs
    assert settings["hooks"]["PreToolUse"][1]["hooks"][0]["command"] == (
        "tasktracker hook --tracker docs/tasks.md"
    )
    servers = json.loads((root / ".mcp.json").read_text())["mcpServers"]
    assert set(servers) == {"files", "tasktracker"}
    agents = (root / "AGENTS.md").read_text()
    assert agents.startswith("# Agents\n\nBe careful.\n\n<!-- tasktracker:begin -->\n")
    assert "`docs/tasks.md`" in agents
    assert not (root / "CLAUDE.md").exists()
    assert 'tracker = "docs/tasks.md"' in (root / "pyproject.toml").read_text()


def test_dry_run_says_what_it_would_change_and_writes_nothing(root: Path) -> None:
    code, out, _ = cli_in(root, "init", "--dry-run")
    assert code == 0
    assert out.splitlines()[0].startswith("would change pyproject.toml: tracker = ")
    assert len(out.splitlines()) == 4
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]
    assert (root / "pyproject.toml").read_text() == PYPROJECT


def test_without_any_pytest_configuration_a_pytest_ini_is_made(tmp_path: Path) -> None:
    assert cli_in(tmp_path, "init")[0] == 0
    assert (tmp_path / "pytest.ini").read_text() == "[pytest]\ntracker = pr_info/TASK_TRACKER.md\n"


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (".mcp.json", "{not json", "not valid JSON"),
        (".mcp.json", "[]", "not a JSON object"),
        (".claude/settings.json", '{"hooks": []}', "'hooks' is not an object"),
    ],
)
def test_a_broken_file_stops_init_before_anything_is_written(
    root: Path, name: str, text: str, problem: str
) -> None:
    (root / name).parent.mkdir(exist_ok=True)
    (root / name).write_text(text)
    code, out, err = cli_in(root, "init")
    assert (code, out) == (2, "")
    assert err.startswith(f"tasktracker: error: {root / name}: {problem}")
    assert err.count("\n") == 1
    assert (root / "pyproject.toml").read_text() == PYPROJECT
    assert (root / name).read_text() == text
