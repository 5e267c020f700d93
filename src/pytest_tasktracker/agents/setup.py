"""``tasktracker init``: set a project up for agents in one command.

Writes, each only when missing and never clobbering what is there:
- the ini ``tracker`` key (pyproject.toml's ``[tool.pytest.ini_options]``, or pytest.ini);
- the hooks in ``.claude/settings.json`` (merged into an existing file);
- the MCP server in ``.mcp.json``;
- the agent guide as a marked block in ``CLAUDE.md`` (or ``AGENTS.md``).

Every file is read and checked before any is written: a file that cannot be read as
what it should be stops the command with one line naming it, and nothing is written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tasktracker.errors import TrackerReadError

HOOK_COMMAND = "tasktracker hook"
HOOKS = {
    "SessionStart": None,
    "PreToolUse": "*",
    "PostToolUse": "*",
    "Stop": None,
}
BEGIN = "<!-- tasktracker:begin -->"
END = "<!-- tasktracker:end -->"
GUIDE = f"""{BEGIN}
## Task tracker

This project's task tracker is `{{tracker}}`. A box is ticked only by a test run that
proved it:

- Pick work with `tasktracker next` (or the MCP tool `next_step`).
- Run the tests with `tasktracker run -- --tracker-update` (or `run_tests`): it ticks what
  passed and unticks what failed.
- If the run is BLOCKED, read the blocker file it names and apply its remedy, or hand it
  to a person. Never tick a box by hand to get past it; hooks untick such ticks.
- `tasktracker --agent-help` has the whole guide.
{END}
"""


class InitError(TrackerReadError):
    """A file init must change cannot be read as what it should be."""


@dataclass
class Planned:
    path: Path
    text: str
    what: str  # one line: what changes


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise InitError(path, f"cannot be read ({error})") from None


def _json_object(path: Path) -> dict[str, Any]:
    text = _read(path)
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as error:
        raise InitError(path, f"not valid JSON ({error}); nothing was changed") from None
    if not isinstance(data, dict):
        raise InitError(path, "not a JSON object; nothing was changed")
    return data


def _ini_change(root: Path, tracker: str) -> Planned | None:
    pyproject = root / "pyproject.toml"
    text = _read(pyproject)
    if text is not None and "[tool.pytest.ini_options]" in text:
        if re.search(r"^\s*tracker\s*=", _section(text, "[tool.pytest.ini_options]"), re.M):
            return None
        new = text.replace(
            "[tool.pytest.ini_options]\n",
            f"[tool.pytest.ini_options]\ntracker = {json.dumps(tracker)}\n",
            1,
        )
        return Planned(
            pyproject, new, f"tracker = {json.dumps(tracker)} in [tool.pytest.ini_options]"
        )
    ini = root / "pytest.ini"
    ini_text = _read(ini)
    if ini_text is not None and "[pytest]" in ini_text:
        if re.search(r"^\s*tracker\s*=", _section(ini_text, "[pytest]"), re.M):
            return None
        new = ini_text.replace("[pytest]\n", f"[pytest]\ntracker = {tracker}\n", 1)
        return Planned(ini, new, f"tracker = {tracker} in [pytest]")
    if text is not None:
        sep = "" if text.endswith("\n") or not text else "\n"
        new = f"{text}{sep}\n[tool.pytest.ini_options]\ntracker = {json.dumps(tracker)}\n"
        return Planned(pyproject, new, "a [tool.pytest.ini_options] section with tracker")
    return Planned(ini, f"[pytest]\ntracker = {tracker}\n", "a new pytest.ini with tracker")


def _section(text: str, header: str) -> str:
    start = text.index(header) + len(header)
    following = re.search(r"^\[", text[start:], re.M)
    return text[start : start + following.start()] if following else text[start:]


def hook_command(tracker: str) -> str:
    """The hook's command, its tracker pinned: a later change of the ini ``tracker`` key
    does not change what the guard judges."""
    import shlex

    return f"{HOOK_COMMAND} --tracker {shlex.quote(tracker)}"


def _ours(command: object) -> bool:
    return isinstance(command, str) and command.startswith(HOOK_COMMAND)


def _hooks_change(root: Path, tracker: str) -> Planned | None:
    path = root / ".claude" / "settings.json"
    data = _json_object(path)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise InitError(path, "'hooks' is not an object; nothing was changed")
    command = hook_command(tracker)
    added = []
    for event, matcher in HOOKS.items():
        entries = hooks.setdefault(event, [])
        if not isinstance(entries, list):
            raise InitError(path, f"hooks.{event} is not a list; nothing was changed")
        mine = [
            hook
            for entry in entries
            if isinstance(entry, dict)
            for hook in entry.get("hooks") or []
            if isinstance(hook, dict) and _ours(hook.get("command"))
        ]
        if mine and all(hook.get("command") == command for hook in mine):
            continue
        if mine:  # an older command (not pinned): pinned now
            for hook in mine:
                hook["command"] = command
        else:
            entry: dict[str, Any] = {"hooks": [{"type": "command", "command": command}]}
            if matcher is not None:
                entry = {"matcher": matcher, **entry}
            entries.append(entry)
        added.append(event)
    if not added:
        return None
    return Planned(path, json.dumps(data, indent=2) + "\n", f"hooks for {', '.join(added)}")


def _mcp_change(root: Path) -> Planned | None:
    path = root / ".mcp.json"
    data = _json_object(path)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise InitError(path, "'mcpServers' is not an object; nothing was changed")
    if "tasktracker" in servers:
        return None
    servers["tasktracker"] = {"command": "tasktracker", "args": ["mcp"]}
    return Planned(path, json.dumps(data, indent=2) + "\n", "the tasktracker MCP server")


def _guide_change(root: Path, tracker: str) -> Planned | None:
    path = root / "CLAUDE.md"
    if not path.exists() and (root / "AGENTS.md").exists():
        path = root / "AGENTS.md"
    text = _read(path) or ""
    block = GUIDE.format(tracker=tracker)
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END) + 1
        new = text[:start] + block + text[end:]
        return None if new == text else Planned(path, new, "the agent guide block, updated")
    sep = "" if not text or text.endswith("\n\n") else "\n" if text.endswith("\n") else "\n\n"
    return Planned(path, text + sep + block, "the agent guide block")


def plan(root: Path, tracker: str) -> list[Planned]:
    """Every change init would make, checked; raises InitError before anything is written."""
    changes = [
        _ini_change(root, tracker),
        _hooks_change(root, tracker),
        _mcp_change(root),
        _guide_change(root, tracker),
    ]
    return [change for change in changes if change is not None]


def apply(changes: list[Planned]) -> None:
    from pytest_tasktracker.tracker.fileio import atomic_write

    for change in changes:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(change.path, change.text.encode("utf-8"))
