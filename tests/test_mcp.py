"""``tasktracker mcp``: the agent that has only MCP tools, on the bundled example project.

The seed case: addopts asks for ``-n 2`` and pytest-xdist is not loaded. ``run_tests``
returns the blocker as data, ``check`` is refused, the blocker's remedy fixes it, and a
second ``run_tests`` ticks and resolves. Tools are called through the SDK's in-process
client; one test talks to a real ``tasktracker mcp`` subprocess over stdio.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")
import anyio
from mcp import Client, StdioServerParameters

from pytest_tasktracker.agents.mcp_server import Project, build_server

EXAMPLE = Path(__file__).parent.parent / "examples" / "cache-project"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "cache-project"
    shutil.copytree(EXAMPLE, root)
    return root


def talk(root: Path, session: Callable[[Client], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with Client(build_server(Project(root))) as client:
            return await session(client)

    return anyio.run(main)


def test_the_tools_have_output_schemas_and_the_server_says_how_to_work(project: Path) -> None:
    async def session(client: Client) -> Any:
        return client.instructions, await client.list_tools()

    instructions, listed = talk(project, session)
    names = {tool.name: tool for tool in listed.tools}
    assert set(names) == {
        "next_step",
        "status",
        "run_tests",
        "check",
        "uncheck",
        "blockers",
        "gate",
        "verify",
    }
    for tool in names.values():
        assert tool.output_schema is not None
        assert tool.output_schema["type"] == "object"
    assert "force" not in names["check"].input_schema["properties"]
    assert "Never tick a box" in instructions


@pytest.mark.e2e
def test_a_blocked_run_is_data_check_is_refused_and_the_remedy_fixes_it(project: Path) -> None:
    tracker = project / "pr_info" / "TASK_TRACKER.md"
    before = tracker.read_bytes()

    async def session(client: Client) -> dict[str, Any]:
        calls: dict[str, Any] = {}
        calls["next"] = await client.call_tool("next_step", {})
        calls["blocked"] = await client.call_tool("run_tests", {"args": ["-p", "no:xdist"]})
        calls["check"] = await client.call_tool("check", {"ids": ["1.3"]})
        calls["tracker_while_blocked"] = tracker.read_bytes()
        calls["blockers"] = await client.call_tool("blockers", {})
        remedy = calls["blocked"].structured_content["blockers"][0]["remedies"][0]["command"]
        calls["remedy"] = remedy
        calls["verified"] = await client.call_tool("run_tests", {})
        calls["after"] = await client.call_tool("blockers", {})
        calls["gate"] = await client.call_tool("gate", {})
        calls["status"] = await client.call_tool("status", {})
        return calls

    calls = talk(project, session)
    following = calls["next"].structured_content
    assert following["open"] == ["1.1", "1.2", "1.3", "1.4"]
    assert following["links"]["1.1"]["tests"] == ["tests/test_cache.py"]
    assert following["links"]["1.3"]["runs_tests"] is True

    blocked = calls["blocked"]
    assert blocked.is_error is False  # a blocked run is a result, not a protocol error
    data = blocked.structured_content
    assert data["exit_code"] == 4
    assert data["verified"] is False
    assert data["ticked"] == []
    assert data["unticked"] == []
    (blocker,) = data["blockers"]
    assert blocker["kind"] == "missing-plugin"
    assert "needs pytest-xdist, which is installed but not loaded" in blocker["summary"]
    assert "unrecognized arguments: -n" in blocker["error"]
    assert "1.3" in blocker["affected"]
    assert blocked.content[0].text.startswith("BLOCKED (missing-plugin): option -n")

    refused = calls["check"].structured_content
    assert refused["ok"] is False
    assert refused["changes"] == []
    assert "1.3" in refused["refused"]
    assert "blocked" in refused["refused"]["1.3"]
    assert calls["tracker_while_blocked"] == before
    assert calls["blockers"].structured_content["open"][0]["file"] == blocker["file"]
    assert "-p no:xdist" not in calls["remedy"]  # the remedy: let pytest load xdist

    verified = calls["verified"].structured_content
    assert verified["exit_code"] == 0
    assert verified["verified"] is True
    assert verified["blockers"] == []
    assert verified["outcomes"]["1.3"] == "passed"
    assert verified["outcomes"]["2.1"] == "passed"
    assert "1.3" in verified["ticked"]
    assert "1.4" not in verified["ticked"]
    assert calls["after"].structured_content["open"] == []
    assert calls["gate"].structured_content["ok"] is True
    rows = {
        row["id"]: row
        for step in calls["status"].structured_content["steps"]
        for row in step["subtasks"]
    }
    assert rows["1.3"]["done"] is True
    assert rows["1.3"]["evidence"]["outcome"] == "passed"


def test_uncheck_and_bad_ids_are_results_too(project: Path) -> None:
    async def session(client: Client) -> tuple[Any, Any]:
        unknown = await client.call_tool("check", {"ids": ["9.9"]})
        untick = await client.call_tool("uncheck", {"ids": ["1.1"]})
        return unknown, untick

    unknown, untick = talk(project, session)
    assert unknown.is_error is True
    assert "9.9" in unknown.structured_content["error"]
    assert untick.structured_content["ok"] is True
    assert untick.structured_content["changes"][0]["changed"] is False


BAD_ARGUMENTS: dict[str, tuple[str, dict[str, Any], str]] = {
    "a 1 MB argument": ("run_tests", {"args": ["x" * 1_000_000]}, "args[0] is 1,000,000"),
    "a NUL in an argument": ("run_tests", {"args": ["-k", "a\0b"]}, "args[1] holds a NUL"),
    "update as a string": ("run_tests", {"update": "yes"}, "update"),
    "update as a number": ("run_tests", {"update": 1}, "update"),
    "a 1 MB command": (
        "verify",
        {"ids": ["1.4"], "command": ["echo", "y" * 1_000_000], "check": "pylint"},
        "command[1] is 1,000,000",
    ),
}


@pytest.mark.parametrize("case", BAD_ARGUMENTS)
def test_a_bad_argument_is_an_error_result_never_a_crash_and_runs_nothing(
    project: Path, case: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    tool, arguments, says = BAD_ARGUMENTS[case]
    tracker = project / "pr_info" / "TASK_TRACKER.md"
    before = tracker.read_bytes()

    async def session(client: Client) -> Any:
        return await client.call_tool(tool, arguments)

    result = talk(project, session)
    assert result.is_error is True
    assert says in result.content[0].text
    if tool == "run_tests" and "update" not in arguments:  # ours; pydantic's says less
        assert result.structured_content == {"error": result.content[0].text}
    assert not (project / "pr_info" / ".tasktracker").exists()  # nothing ran
    assert tracker.read_bytes() == before
    assert "Traceback" not in capfd.readouterr().err + caplog.text


@pytest.mark.e2e
def test_verify_runs_the_declared_check_and_ticks_when_it_is_whole(project: Path) -> None:
    # passes only when run in the project, whatever the server's own folder
    in_project = "import pathlib, sys; sys.exit(not pathlib.Path('tinycache.py').exists())"
    pyproject = project / "pyproject.toml"
    declared = f"pylint = {json.dumps(shlex.join([sys.executable, '-c', in_project]))}"
    pyproject.write_text(
        pyproject.read_text().replace('pylint = "python -m pylint tinycache.py"', declared)
    )

    async def session(client: Client) -> tuple[Any, Any, Any]:
        await client.call_tool("run_tests", {})
        named = await client.call_tool(
            "verify", {"ids": ["1.4"], "command": ["true"], "check": "pylint"}
        )
        lint = await client.call_tool("verify", {"ids": ["1.4"]})
        unknown = await client.call_tool("verify", {"ids": ["1.4"], "command": ["ls"]})
        return named, lint, unknown

    named, lint, unknown = talk(project, session)
    assert named.is_error is True  # the agent's word does not make `true` pylint
    assert named.structured_content["error"].startswith("pylint: not the declared command `")
    assert lint.structured_content["passed"] is True
    assert "ticked 1.4 (line 10): Run pylint on modified files" in lint.content[0].text
    assert unknown.is_error is True
    assert "which check is this?" in unknown.structured_content["error"]


@pytest.mark.e2e
def test_a_real_stdio_server(project: Path) -> None:
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "pytest_tasktracker", "mcp"], cwd=str(project)
    )

    async def main() -> Any:
        async with Client(parameters) as client:
            return await client.call_tool("next_step", {})

    result = anyio.run(main)
    assert result.structured_content["step"]["id"] == "1"
    assert result.content[0].text.startswith("Step 1: A bounded LRU cache - open: 1.1")


@pytest.mark.e2e
def test_a_server_in_its_own_environment_runs_the_tests_with_the_projects(
    project: Path, tmp_path: Path
) -> None:
    """``mcp --python PATH``: the server's environment need not hold the project's
    dependencies, nor the tests' environment the MCP SDK."""
    log = tmp_path / "started.log"
    python = tmp_path / "project-python"
    python.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "pytest_tasktracker", "mcp", "--python", str(python)],
        cwd=str(project),
    )

    async def main() -> Any:
        async with Client(parameters) as client:
            return await client.call_tool("run_tests", {"args": ["tests/test_cache.py"]})

    result = anyio.run(main)
    assert result.structured_content["exit_code"] == 0
    assert log.read_text().splitlines()[0] == (
        "-m pytest_tasktracker run --timeout 900 -- --tracker-update tests/test_cache.py"
    )


def test_without_the_sdk_the_command_says_what_to_install(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_tasktracker.cli import main

    monkeypatch.chdir(project)
    monkeypatch.setitem(sys.modules, "mcp.server", None)
    monkeypatch.delitem(sys.modules, "pytest_tasktracker.agents.mcp_server")
    assert main(["mcp"]) == 2
    assert capsys.readouterr().err == (
        "tasktracker: error: 'tasktracker mcp' needs the MCP SDK: "
        "pip install 'pytest-tasktracker[mcp]'\n"
    )
