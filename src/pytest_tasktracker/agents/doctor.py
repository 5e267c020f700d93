"""``tasktracker doctor``: is the guard wired, and does it answer?

Every host lets an action through when its hook's command is missing or crashes, so a
guard that is not there looks the same as a guard that said yes. For each host whose
project configuration holds our hook, the doctor runs the configured command from the
project's root with a bare PATH (as a host started from a desktop launcher would) on a
probe event, starts the configured MCP server and lists its tools, and says which
tracker and state folder the guard judges.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from pytest_tasktracker.agents.quick import is_our_hook, options

BARE_PATH = "/usr/bin:/bin"
TIMEOUT = 30.0
# A harmless event for each host: the start of a session (nothing is judged or written
# but the guard's look).
PROBES: dict[str, dict[str, Any]] = {
    "claude": {"hook_event_name": "SessionStart", "source": "startup", "session_id": "doctor"},
    "codex": {"hook_event_name": "SessionStart", "source": "startup", "session_id": "doctor"},
    "gemini": {"hook_event_name": "SessionStart", "source": "startup", "session_id": "doctor"},
    "cursor": {"hook_event_name": "sessionStart", "conversation_id": "doctor"},
    "copilot": {"timestamp": 0},
}
HOOK_FILES = {
    "claude": ".claude/settings.json",
    "codex": ".codex/hooks.json",
    "gemini": ".gemini/settings.json",
    "cursor": ".cursor/hooks.json",
    "copilot": ".github/hooks/tasktracker.json",
}
MCP_FILES = {
    "claude": (".mcp.json", "mcpServers"),
    "gemini": (".gemini/settings.json", "mcpServers"),
    "cursor": (".cursor/mcp.json", "mcpServers"),
}


class Check(NamedTuple):
    host: str
    hook: str  # what the hook did on the probe
    mcp: str  # what the MCP server did
    tracker: str
    state: str
    problems: tuple[str, ...]


def _commands(data: Any) -> Iterator[str]:
    """Every command string anywhere in a hooks config."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("command", "bash") and isinstance(value, str):
                yield value
            else:
                yield from _commands(value)
    elif isinstance(data, list):
        for item in data:
            yield from _commands(item)


def _ours(root: Path, host: str) -> str | None:
    try:
        data = json.loads((root / HOOK_FILES[host]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = [command for command in _commands(data) if is_our_hook(command)]
    return found[0] if found else None


def _environment(root: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR", "SYSTEMROOT")}
    return {
        **keep,
        "PATH": BARE_PATH,
        "CLAUDE_PROJECT_DIR": str(root),
        "GEMINI_PROJECT_DIR": str(root),
    }


def probe(root: Path, host: str, command: str) -> str | None:
    """Run the hook's command on the probe event; why it failed, or None."""
    event = {**PROBES[host], "cwd": str(root), "workspace_roots": [str(root)]}
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            cwd=root,
            env=_environment(root),
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the hook did not run: {error}"
    if done.returncode == 127:
        return (
            f"the hook's command is not found with PATH={BARE_PATH} (exit 127): the host "
            "lets every action through. Run `tasktracker init` again to name the interpreter"
        )
    if done.returncode != 0 or done.stderr.strip():
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
        return f"the hook answered exit {done.returncode}: {said[0][:200]}"
    return None


def _rpc(process: subprocess.Popen[str], message: dict[str, Any]) -> dict[str, Any] | None:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()
    if "id" not in message:
        return None
    while True:
        line = process.stdout.readline()
        if not line:
            raise OSError("the server closed its output")
        answer = json.loads(line)
        if isinstance(answer, dict) and answer.get("id") == message["id"]:
            return answer


def mcp_tools(root: Path, server: dict[str, Any]) -> tuple[int | None, str | None]:
    """Start the MCP server as configured and list its tools: (how many, why not)."""
    command = server.get("command")
    args = server.get("args") or []
    if not isinstance(command, str) or not isinstance(args, list):
        return None, "its entry has no command"
    try:
        process = subprocess.Popen(
            [command, *map(str, args)],
            cwd=root,
            env=_environment(root),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
    except OSError as error:
        return None, f"it does not start: {error}"
    try:
        hello = {"protocolVersion": "2025-06-18", "capabilities": {}}
        hello["clientInfo"] = {"name": "tasktracker-doctor", "version": "1"}
        _rpc(process, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello})
        _rpc(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        listed = _rpc(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    except (OSError, ValueError) as error:
        return None, f"it did not answer: {error}"
    finally:
        process.kill()
        process.communicate()  # waits, and closes the pipes
    tools = ((listed or {}).get("result") or {}).get("tools")
    return (len(tools), None) if isinstance(tools, list) else (None, "no tools listed")


def _mcp_server(root: Path, host: str) -> dict[str, Any] | None:
    if host == "codex":
        return _codex_server(root)
    if host not in MCP_FILES:
        return None
    name, key = MCP_FILES[host]
    try:
        data = json.loads((root / name).read_text(encoding="utf-8"))
        server = data[key]["tasktracker"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if isinstance(server, dict) else None


def _codex_server(root: Path) -> dict[str, Any] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads((root / ".codex" / "config.toml").read_text(encoding="utf-8"))
        server = data["mcp_servers"]["tasktracker"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return server if isinstance(server, dict) else None


def check(root: Path, host: str) -> Check | None:
    """The doctor's look at one host; None when the project does not set it up."""
    command = _ours(root, host)
    if command is None:
        return None
    problems = []
    given = options(shlex.split(command))
    tracker = given.get("tracker", "(from the project's configuration)")
    state = given.get("tracker-state", "(beside the tracker)")
    failed = probe(root, host, command)
    hook = "answers" if failed is None else "FAILS"
    if failed:
        problems.append(f"{host}: {failed}")
    server = _mcp_server(root, host)
    if server is None:
        mcp = "not configured" if host in MCP_FILES or host == "codex" else "(your own config)"
    else:
        count, why = mcp_tools(root, server)
        mcp = f"{count} tools" if count is not None else "FAILS"
        if why:
            problems.append(f"{host}: the MCP server {why}")
    if "tracker" in given and not (root / given["tracker"]).is_file():
        problems.append(f"{host}: the pinned tracker {given['tracker']} is not there")
    return Check(host, hook, mcp, tracker, state, tuple(problems))
