"""``tasktracker init``: one command sets a project up for agents, idempotently, merging
into what is there and never clobbering it."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_tasktracker.cli import main

PYPROJECT = '[project]\nname = "x"\n\n[tool.pytest.ini_options]\naddopts = "-q"\n'


def hook_command(agent: str, tracker: str = "pr_info/TASK_TRACKER.md", *extra: str) -> str:
    """The hook command init writes when the interpreter lives outside the project:
    ``-c``, not ``-m``, whose runpy costs three quarters of Python's start."""
    tail = " ".join(("--tracker", tracker, *extra))
    run = "'from pytest_tasktracker.agents.quick import main; main()'"
    return f"{sys.executable} -c {run} --agent {agent} {tail}"


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
        "changed .claude/settings.json: hooks for SessionStart, PreToolUse, PostToolUse, Stop, "
        "TaskCompleted",
        "changed .mcp.json: the tasktracker MCP server",
        "changed CLAUDE.md: the agent guide block",
    ]
    assert (root / "pyproject.toml").read_text() == PYPROJECT.replace(
        "[tool.pytest.ini_options]\n",
        '[tool.pytest.ini_options]\ntracker = "pr_info/TASK_TRACKER.md"\n',
    )
    settings = json.loads((root / ".claude" / "settings.json").read_text())
    hook = [{"type": "command", "command": hook_command("claude")}]
    assert settings == {  # the tracker pinned: a changed ini key does not move the guard
        "hooks": {
            "SessionStart": [{"hooks": hook}],
            "PreToolUse": [{"matcher": "*", "hooks": hook}],
            "PostToolUse": [{"matcher": "*", "hooks": hook}],
            "Stop": [{"hooks": hook}],
            "TaskCompleted": [{"hooks": hook}],
        }
    }
    server = {
        "command": sys.executable,
        "args": ["-m", "pytest_tasktracker", "--tracker", "pr_info/TASK_TRACKER.md", "mcp"],
    }
    assert json.loads((root / ".mcp.json").read_text()) == {"mcpServers": {"tasktracker": server}}
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
        hook_command("claude", "docs/tasks.md")
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


@pytest.mark.parametrize(
    ("name", "text", "written"),
    [
        (  # pytest 9's native table
            "pyproject.toml",
            '[tool.pytest]\nminversion = "9.0"\n',
            '[tool.pytest]\ntracker = "pr_info/TASK_TRACKER.md"\nminversion = "9.0"\n',
        ),
        (  # tox.ini's [pytest] is what pytest reads, not the pyproject without a table
            "tox.ini",
            "[tox]\nenvlist = py\n\n[pytest]\naddopts = -q\n",
            "[tox]\nenvlist = py\n\n[pytest]\ntracker = pr_info/TASK_TRACKER.md\naddopts = -q\n",
        ),
        (
            "setup.cfg",
            "[metadata]\nname = x\r\n\r\n[tool:pytest]\r\naddopts = -q\r\n",
            "[metadata]\nname = x\r\n\r\n[tool:pytest]\r\ntracker = pr_info/TASK_TRACKER.md\r\n"
            "addopts = -q\r\n",
        ),
    ],
    ids=["tool.pytest", "tox.ini", "setup.cfg-crlf"],
)
def test_the_tracker_key_goes_where_pytest_reads_it(
    tmp_path: Path, name: str, text: str, written: str
) -> None:
    (tmp_path / name).write_bytes(text.encode())
    if name != "pyproject.toml":
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert cli_in(tmp_path, "init")[0] == 0
    assert (tmp_path / name).read_bytes() == written.encode()
    if name != "pyproject.toml":
        assert (tmp_path / "pyproject.toml").read_text() == '[project]\nname = "x"\n'
    from pytest_tasktracker.inifile import find_inifile

    assert find_inifile(tmp_path).values["tracker"] == "pr_info/TASK_TRACKER.md"


def test_init_from_a_sub_folder_sets_up_the_project_root(root: Path) -> None:
    (root / "tests").mkdir()
    code, _out, err = cli_in(root / "tests", "init")
    assert (code, err) == (0, "")
    assert sorted(p.name for p in (root / "tests").iterdir()) == []
    assert (root / ".claude" / "settings.json").is_file()
    assert (root / "CLAUDE.md").is_file()


def test_every_host_gets_its_own_files_and_a_second_run_changes_nothing(root: Path) -> None:
    hosts = ["claude", "codex", "gemini", "cursor", "copilot"]
    code, out, _err = cli_in(root, "init", *(f"--agent={host}" for host in hosts))
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "changed pyproject.toml",
        "changed .claude/settings.json",
        "changed .mcp.json",
        "changed .codex/hooks.json",
        "changed .codex/config.toml",
        "changed .gemini/settings.json",
        "changed .cursor/hooks.json",
        "changed .cursor/mcp.json",
        "changed .github/hooks/tasktracker.json",
        "changed CLAUDE.md",
        "changed AGENTS.md",
        "changed GEMINI.md",
        "note",
        "note",
        "note",
    ]
    codex = json.loads((root / ".codex" / "hooks.json").read_text())
    assert codex["hooks"]["PreToolUse"] == [
        {"matcher": "*", "hooks": [{"type": "command", "command": hook_command("codex")}]}
    ]
    assert (root / ".codex" / "config.toml").read_text() == (
        "[mcp_servers.tasktracker]\n"
        f'command = "{sys.executable}"\n'
        'args = ["-m", "pytest_tasktracker", "--tracker", "pr_info/TASK_TRACKER.md", "mcp"]\n'
    )
    gemini = json.loads((root / ".gemini" / "settings.json").read_text())
    assert sorted(gemini["hooks"]) == ["AfterAgent", "AfterTool", "BeforeTool", "SessionStart"]
    assert gemini["hooks"]["BeforeTool"][0]["matcher"] == ".*"
    assert "tasktracker" in gemini["mcpServers"]
    cursor = json.loads((root / ".cursor" / "hooks.json").read_text())
    assert cursor["version"] == 1
    assert cursor["hooks"]["stop"] == [{"command": hook_command("cursor"), "loop_limit": 5}]
    copilot = json.loads((root / ".github" / "hooks" / "tasktracker.json").read_text())
    assert copilot["hooks"]["agentStop"] == [
        {
            "type": "command",
            "bash": hook_command("copilot", "pr_info/TASK_TRACKER.md", "--event", "agentStop"),
            "cwd": ".",
            "timeoutSec": 120,
        }
    ]
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert cli_in(root, "init", *(f"--agent={host}" for host in hosts))[1] == (
        "already set up: nothing to change\n"
    )
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_without_agent_init_sets_up_the_hosts_the_project_shows(root: Path) -> None:
    (root / ".cursor").mkdir()
    (root / "GEMINI.md").write_text("# Gemini\n")
    code, out, _err = cli_in(root, "init", "--dry-run")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "would change pyproject.toml",
        "would change .gemini/settings.json",
        "would change .cursor/hooks.json",
        "would change .cursor/mcp.json",
        "would change GEMINI.md",
        "would change AGENTS.md",
        "note",
    ]


def test_a_moved_interpreter_is_pinned_again_and_other_hooks_kept(root: Path) -> None:
    settings = root / ".claude" / "settings.json"
    settings.parent.mkdir()
    old = {"type": "command", "command": "tasktracker hook --tracker pr_info/TASK_TRACKER.md"}
    theirs = {"type": "command", "command": "lint-hook"}
    settings.write_text(json.dumps({"hooks": {"Stop": [{"hooks": [theirs, old]}]}}))
    assert cli_in(root, "init")[0] == 0
    stop = json.loads(settings.read_text())["hooks"]["Stop"]
    assert stop == [{"hooks": [theirs, {"type": "command", "command": hook_command("claude")}]}]


def test_an_interpreter_inside_the_project_is_named_under_the_hosts_variable(
    tmp_path: Path,
) -> None:
    from pytest_tasktracker.agents.setup import python_for

    python = tmp_path / ".venv" / "bin" / "python"
    assert python_for(tmp_path, "claude", str(python)) == '"$CLAUDE_PROJECT_DIR"/.venv/bin/python'
    assert python_for(tmp_path, "gemini", str(python)) == '"$GEMINI_PROJECT_DIR"/.venv/bin/python'
    assert python_for(tmp_path, "codex", str(python)) == ".venv/bin/python"
    assert python_for(tmp_path / "sub", "codex", str(python)) == str(python)


def test_crlf_files_keep_their_line_endings(tmp_path: Path) -> None:
    text = '[project]\r\nname = "x"\r\n\r\n[tool.pytest.ini_options]\r\naddopts = "-q"\r\n'
    (tmp_path / "pyproject.toml").write_bytes(text.encode())
    (tmp_path / "CLAUDE.md").write_bytes(b"# Notes\r\n")
    assert cli_in(tmp_path, "init")[0] == 0
    pyproject = (tmp_path / "pyproject.toml").read_bytes()
    assert (
        pyproject
        == text.replace(
            "ini_options]\r\n", 'ini_options]\r\ntracker = "pr_info/TASK_TRACKER.md"\r\n'
        ).encode()
    )
    guide = (tmp_path / "CLAUDE.md").read_bytes()
    assert guide.startswith(b"# Notes\r\n\r\n<!-- tasktracker:begin -->\r\n")
    assert b"\n" not in guide.replace(b"\r\n", b"")


@pytest.mark.e2e
def test_doctor_says_the_guard_answers_and_names_what_it_judges(root: Path) -> None:
    (root / "pr_info").mkdir()
    (root / "pr_info" / "TASK_TRACKER.md").write_text("### Step 1: x\n- [ ] a\n")
    assert cli_in(root, "init", "--agent", "claude", "--agent", "cursor")[0] == 0
    code, out, _err = cli_in(root, "doctor")
    assert (code, out.splitlines()) == (
        0,
        [
            "agent   hook     MCP server  tracker                  state folder",
            "claude  answers  8 tools     pr_info/TASK_TRACKER.md  (beside the tracker)",
            "cursor  answers  8 tools     pr_info/TASK_TRACKER.md  (beside the tracker)",
        ],
    )


def test_doctor_fails_on_a_hook_the_host_cannot_start(root: Path) -> None:
    """A hook command that is not found exits 127, and the host lets every action
    through: the doctor says so, and exits 1."""
    assert cli_in(root, "init")[0] == 0
    settings = root / ".claude" / "settings.json"
    missing = str(root / "gone" / "bin" / "python")
    settings.write_text(settings.read_text().replace(sys.executable, missing))
    server = root / ".mcp.json"
    server.write_text(server.read_text().replace(sys.executable, missing))
    code, out, _err = cli_in(root, "doctor")
    assert code == 1
    assert out.splitlines() == [
        "agent   hook   MCP server  tracker                  state folder",
        "claude  FAILS  FAILS       pr_info/TASK_TRACKER.md  (beside the tracker)",
        "problem: claude: the hook's command is not found with PATH=/usr/bin:/bin (exit 127): "
        "the host lets every action through. Run `tasktracker init` again to name the "
        "interpreter",
        f"problem: claude: the MCP server it does not start: [Errno 2] No such file or "
        f"directory: '{missing}'",
        "problem: claude: the pinned tracker pr_info/TASK_TRACKER.md is not there",
    ]


def test_doctor_without_hooks_says_the_guard_is_off(root: Path) -> None:
    code, out, _err = cli_in(root, "doctor")
    assert code == 1
    assert out == (
        "no coding agent's hooks run tasktracker in .: the guard is off. Run `tasktracker "
        "init` (--agent NAME for another host than Claude Code)\n"
    )


def test_the_mcp_server_may_run_from_an_environment_of_its_own(root: Path) -> None:
    """The `mcp` extra brings anyio's pytest plugin into every test run: a server with its
    own interpreter keeps it out, and runs the tests with the project's."""
    server = root.parent / "mcp-env" / "bin" / "python"
    code, _out, _err = cli_in(root, "init", "--mcp-python", str(server))
    assert code == 0
    entry = json.loads((root / ".mcp.json").read_text())["mcpServers"]["tasktracker"]
    assert entry == {
        "command": str(server),
        "args": [
            "-m",
            "pytest_tasktracker",
            "--tracker",
            "pr_info/TASK_TRACKER.md",
            "mcp",
            "--python",
            sys.executable,
        ],
    }
