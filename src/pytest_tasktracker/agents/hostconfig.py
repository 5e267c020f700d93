"""Each host's project configuration: where its hooks and MCP servers go, in its shape.

``tasktracker init --agent NAME`` merges ours into what is there (a file another tool
wrote keeps all of its own entries), and a second run changes nothing. The hook command
pins the tracker and the state folder, and names the interpreter that has
pytest-tasktracker installed: a bare ``tasktracker`` that is not on the host's PATH
exits 127, and every host lets the action through then.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pytest_tasktracker.agents.quick import RUN, is_our_hook
from pytest_tasktracker.errors import TrackerReadError


class InitError(TrackerReadError):
    """A file init must change cannot be read as what it should be."""


class Planned(NamedTuple):
    path: Path
    text: str
    what: str  # one line: what changes


class Launch(NamedTuple):
    """How a host starts our commands: the interpreter, and the pinned paths."""

    python: str  # as the host's config writes it (may hold $CLAUDE_PROJECT_DIR)
    tracker: str  # relative to the project's root
    state: str | None
    mcp_python: str | None = None  # the MCP server's own interpreter, when it has one

    def hook(self, agent: str, event: str | None = None) -> str:
        """The hook command: ``python -c RUN`` rather than ``-m``, whose runpy costs three
        quarters of Python's start on every tool call (``agents.quick``)."""
        args = ["-c", RUN, "--agent", agent, "--tracker", self.tracker]
        if self.state:
            args += ["--tracker-state", self.state]
        if event:
            args += ["--event", event]
        return f"{self.python} {shlex.join(args)}"

    def mcp(self) -> dict[str, Any]:
        """The MCP server's entry: started from the project's root, by the project's
        interpreter, or by its own (``mcp_python``) that runs the tests with the
        project's."""
        python = self.python.replace('"$CLAUDE_PROJECT_DIR"/', "").replace(
            '"$GEMINI_PROJECT_DIR"/', ""
        )
        if python.startswith('"'):  # quoted for a shell; an argument list takes it bare
            python = json.loads(python)
        args = ["-m", "pytest_tasktracker", "--tracker", self.tracker]
        if self.state:
            args += ["--tracker-state", self.state]
        if self.mcp_python:
            return {"command": self.mcp_python, "args": [*args, "mcp", "--python", python]}
        return {"command": python, "args": [*args, "mcp"]}


def read_text(path: Path) -> str | None:
    try:  # newline="": a file's own line endings are kept
        with path.open(encoding="utf-8", newline="") as file:
            return file.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise InitError(path, f"cannot be read ({error})") from None


def json_object(path: Path) -> dict[str, Any]:
    text = read_text(path)
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as error:
        raise InitError(path, f"not valid JSON ({error}); nothing was changed") from None
    if not isinstance(data, dict):
        raise InitError(path, "not a JSON object; nothing was changed")
    return data


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


def _table(path: Path, data: dict[str, Any], key: str) -> dict[str, Any]:
    table = data.setdefault(key, {})
    if not isinstance(table, dict):
        raise InitError(path, f"'{key}' is not an object; nothing was changed")
    return table


def _merge(
    path: Path,
    hooks: dict[str, Any],
    event: str,
    entry: Callable[[str], dict[str, Any]],
    command: str,
    key: str = "command",
    nested: bool = True,
) -> bool:
    """Put our hook for ``event`` into ``hooks`` (an existing command of ours is
    replaced, pinned as now; others are kept); whether anything changed."""
    entries = hooks.setdefault(event, [])
    if not isinstance(entries, list):
        raise InitError(path, f"hooks.{event} is not a list; nothing was changed")
    handlers = [
        handler
        for item in entries
        if isinstance(item, dict)
        for handler in ((item.get("hooks") or []) if nested else [item])
        if isinstance(handler, dict) and is_our_hook(handler.get(key))
    ]
    if handlers and all(handler.get(key) == command for handler in handlers):
        return False
    for handler in handlers:
        handler[key] = command
    if not handlers:
        entries.append(entry(command))
    return True


def _claude_shaped(
    path: Path, agent: str, launch: Launch, events: dict[str, str | None]
) -> Planned | None:
    data = json_object(path)
    hooks = _table(path, data, "hooks")
    added = []
    for event, matcher in events.items():

        def entry(command: str, matcher: str | None = matcher) -> dict[str, Any]:
            found: dict[str, Any] = {"hooks": [{"type": "command", "command": command}]}
            return {"matcher": matcher, **found} if matcher is not None else found

        if _merge(path, hooks, event, entry, launch.hook(agent)):
            added.append(event)
    return Planned(path, _dump(data), f"hooks for {', '.join(added)}") if added else None


def _mcp_json(path: Path, launch: Launch, key: str = "mcpServers") -> Planned | None:
    data = json_object(path)
    servers = _table(path, data, key)
    if "tasktracker" in servers:
        return None
    servers["tasktracker"] = launch.mcp()
    return Planned(path, _dump(data), "the tasktracker MCP server")


def claude(root: Path, launch: Launch) -> list[Planned | None]:
    events = {
        "SessionStart": None,
        "PreToolUse": "*",
        "PostToolUse": "*",
        "Stop": None,
        "TaskCompleted": None,
    }
    return [
        _claude_shaped(root / ".claude" / "settings.json", "claude", launch, events),
        _mcp_json(root / ".mcp.json", launch),
    ]


def codex(root: Path, launch: Launch) -> list[Planned | None]:
    events = {"SessionStart": None, "PreToolUse": "*", "PostToolUse": "*", "Stop": None}
    return [
        _claude_shaped(root / ".codex" / "hooks.json", "codex", launch, events),
        _codex_mcp(root / ".codex" / "config.toml", launch),
    ]


def _codex_mcp(path: Path, launch: Launch) -> Planned | None:
    text = read_text(path) or ""
    if re.search(r"^\s*\[mcp_servers\.tasktracker\]", text, re.M):
        return None
    server = launch.mcp()
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = [
        "[mcp_servers.tasktracker]",
        f"command = {json.dumps(server['command'])}",
        f"args = {json.dumps(server['args'])}",
    ]
    sep = "" if not text or text.endswith(newline * 2) else newline * (2 - text.endswith(newline))
    return Planned(path, text + sep + newline.join(lines) + newline, "the tasktracker MCP server")


def gemini(root: Path, launch: Launch) -> list[Planned | None]:
    path = root / ".gemini" / "settings.json"
    data = json_object(path)
    hooks = _table(path, data, "hooks")
    added = []
    for event, matcher in (
        ("SessionStart", None),
        ("BeforeTool", ".*"),
        ("AfterTool", ".*"),
        ("AfterAgent", None),
    ):

        def entry(command: str, matcher: str | None = matcher) -> dict[str, Any]:
            handler = {"type": "command", "command": command, "name": "tasktracker"}
            found: dict[str, Any] = {"hooks": [handler]}
            return {"matcher": matcher, **found} if matcher is not None else found

        if _merge(path, hooks, event, entry, launch.hook("gemini")):
            added.append(event)
    servers = _table(path, data, "mcpServers")
    if "tasktracker" not in servers:
        servers["tasktracker"] = launch.mcp()
        added.append("the MCP server")
    return [Planned(path, _dump(data), f"hooks for {', '.join(added)}") if added else None]


def cursor(root: Path, launch: Launch) -> list[Planned | None]:
    path = root / ".cursor" / "hooks.json"
    data = json_object(path)
    data.setdefault("version", 1)
    hooks = _table(path, data, "hooks")
    added = []
    for event in ("sessionStart", "preToolUse", "postToolUse", "stop"):
        extra = {"loop_limit": 5} if event == "stop" else {}

        def entry(command: str, extra: dict[str, int] = extra) -> dict[str, Any]:
            return {"command": command, **extra}

        if _merge(path, hooks, event, entry, launch.hook("cursor"), nested=False):
            added.append(event)
    hooks_file = Planned(path, _dump(data), f"hooks for {', '.join(added)}") if added else None
    return [hooks_file, _mcp_json(root / ".cursor" / "mcp.json", launch)]


def copilot(root: Path, launch: Launch) -> list[Planned | None]:
    path = root / ".github" / "hooks" / "tasktracker.json"
    data = json_object(path)
    data.setdefault("version", 1)
    hooks = _table(path, data, "hooks")
    added = []
    for event in ("sessionStart", "preToolUse", "postToolUse", "agentStop"):

        def entry(command: str) -> dict[str, Any]:
            # not Copilot's 30 s: a first look hashes a large project's code, and a
            # hook the host kills decides nothing
            return {"type": "command", "bash": command, "cwd": ".", "timeoutSec": 120}

        command = launch.hook("copilot", event)
        if _merge(path, hooks, event, entry, command, key="bash", nested=False):
            added.append(event)
    return [Planned(path, _dump(data), f"hooks for {', '.join(added)}") if added else None]


PLANNERS: dict[str, Callable[[Path, Launch], list[Planned | None]]] = {
    "claude": claude,
    "codex": codex,
    "gemini": gemini,
    "cursor": cursor,
    "copilot": copilot,
}
NOTES = {
    "codex": "Codex runs a project's hooks only after you review and trust them (its "
    "/hooks view), and reads .codex/config.toml only in a trusted project.",
    "copilot": "Copilot reads MCP servers from your own ~/.copilot/mcp-config.json (the "
    "CLI) or the repository's settings (the cloud agent): add the tasktracker server there.",
    "gemini": "Gemini CLI runs the hooks of .gemini/settings.json when hooks are enabled "
    "in its settings.",
}
PRESENT = {  # what in a project says a host is used there
    "claude": (".claude", "CLAUDE.md", ".mcp.json"),
    "codex": (".codex",),
    "gemini": (".gemini", "GEMINI.md"),
    "cursor": (".cursor", ".cursorrules"),
    "copilot": (".github/copilot-instructions.md", ".github/hooks"),
}


def present(root: Path) -> list[str]:
    """The hosts a project shows signs of using, in NAMES order."""
    return [name for name, marks in PRESENT.items() if any((root / m).exists() for m in marks)]
