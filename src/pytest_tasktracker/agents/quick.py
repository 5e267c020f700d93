"""The hook's quick path: a tool call that touched neither the tracker nor its state
folder is answered with a few ``stat`` calls, before anything else is imported.

Hooks run on every tool call, so the common case must cost little more than Python's
start: this module imports only the standard library's ``os`` and ``json``. It answers
"nothing to do" when the event is before or after a tool that writes no file by its
arguments (a shell command, a read, a search), or a session's start, and the tracker
and every record of the state folder are as the guard's last look saw them (the same
size, time and inode). Anything else goes to the full guard (``agents.hook``).

The tracker and state folder must be pinned in the hook's command (``--tracker``,
``--tracker-state``, as ``tasktracker init`` writes it): finding them otherwise needs the
project's configuration, which is the full guard's work.
"""

from __future__ import annotations

import json
import os
from typing import Any

SNAPSHOT = "ticks.json"
BACKUP = ".guard"
RECORDS = ("journal.jsonl", "results.json", "checks.json")
_QUIET_EVENTS = {
    # host: {event name: "pre" | "post" | "session"} for the events it may answer quickly
    "claude": {"PreToolUse": "pre", "PostToolUse": "post", "SessionStart": "session"},
    "codex": {"PreToolUse": "pre", "PostToolUse": "post", "SessionStart": "session"},
    "gemini": {"BeforeTool": "pre", "AfterTool": "post", "SessionStart": "session"},
    "cursor": {
        "preToolUse": "pre",
        "beforeShellExecution": "pre",
        "postToolUse": "post",
        "afterShellExecution": "post",
        "sessionStart": "session",
    },
    "copilot": {"preToolUse": "pre", "postToolUse": "post", "sessionStart": "session"},
}
_WRITES = ("file_path", "path", "filePath", "target_file", "absolute_path", "edits")


def options(argv: list[str]) -> dict[str, str]:
    """``--agent``, ``--event``, ``--tracker``, ``--tracker-state`` of a hook command
    line (``--name value`` or ``--name=value``); other arguments are the full parser's."""
    found: dict[str, str] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        name, equals, value = arg.partition("=")
        if name in ("--agent", "--event", "--tracker", "--tracker-state"):
            if not equals:
                index += 1
                value = argv[index] if index < len(argv) else ""
            found[name[2:]] = value
        index += 1
    return found


def _identity(path: str) -> list[int] | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ino]


def _project(start: str, tracker: str) -> str | None:
    """The folder the pinned (relative) tracker is found from: ``start`` or above."""
    folder = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(folder, tracker)):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _tool_input(data: dict[str, Any]) -> Any:
    for key in ("tool_input", "toolArgs"):
        if key in data:
            value = data[key]
            if isinstance(value, str):
                try:
                    return json.loads(value)
                except ValueError:
                    return None
            return value
    return {key: data[key] for key in _WRITES if key in data}


def _writes_a_file(tool_input: Any) -> bool:
    if not isinstance(tool_input, dict):
        return True  # unknown: the full guard reads it
    if any(key in tool_input for key in _WRITES):
        return True
    return any(
        "*** Begin Patch" in value
        for value in (tool_input.get("command"), tool_input.get("input"), tool_input.get("patch"))
        if isinstance(value, str)
    )


def _records_unchanged(state: str) -> bool:
    """Whether every record of the state folder is as the last look's copy of it."""
    backup = os.path.join(state, BACKUP)
    names = [name for name in RECORDS if os.path.isfile(os.path.join(state, name))]
    copies = [name for name in RECORDS if os.path.isfile(os.path.join(backup, name))]
    for folder, into in ((state, names), (backup, copies)):
        try:  # noqa: SIM105 - contextlib is one more import on every tool call
            into += [f"blockers/{n}" for n in os.listdir(os.path.join(folder, "blockers"))]
        except OSError:
            pass
    if sorted(names) != sorted(copies):
        return False
    for name in names:
        here, there = _identity(os.path.join(state, name)), _identity(os.path.join(backup, name))
        if here is None or there is None or here[:2] != there[:2]:
            return False
    return True


def nothing_to_do(data: dict[str, Any], given: dict[str, str], cwd: str) -> bool:
    """Whether the event needs no answer and no work: see the module's docstring."""
    host = given.get("agent", "claude")
    name = str(data.get("hook_event_name") or given.get("event") or "")
    kind = _QUIET_EVENTS.get(host, {}).get(name)
    tracker = given.get("tracker")
    if kind is None or not tracker:
        return False
    if host == "claude" and data.get("tool_name") == "TaskUpdate":
        return False
    if kind == "pre" and _writes_a_file(_tool_input(data)):
        return False
    if os.path.isabs(tracker):
        project = os.path.dirname(tracker)
    else:
        found = _project(cwd, tracker)
        if found is None:
            return False
        project = found
    tracker_path = os.path.join(project, tracker)
    state = given.get("tracker-state")
    state_path = (
        os.path.join(project, state)
        if state
        else os.path.join(os.path.dirname(tracker_path), ".tasktracker")
    )
    try:
        with open(os.path.join(state_path, SNAPSHOT), encoding="utf-8") as file:
            seen = json.load(file)
    except (OSError, ValueError):
        return False
    if not isinstance(seen, dict) or seen.get("identity") != _identity(tracker_path):
        return False
    has_journal = os.path.isfile(os.path.join(state_path, "journal.jsonl"))
    return not has_journal or _records_unchanged(state_path)


def run(argv: list[str], raw: str) -> int | None:
    """The hook's answer when the quick path has it (nothing to do: 0), else None."""
    given = options(argv)
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    roots = data.get("workspace_roots")
    cwd = str(data.get("cwd") or (roots[0] if isinstance(roots, list) and roots else "."))
    if not nothing_to_do(data, given, cwd):
        return None
    if given.get("agent") == "cursor":
        os.write(1, b"{}\n")  # Cursor wants JSON whatever it is told
    return 0
