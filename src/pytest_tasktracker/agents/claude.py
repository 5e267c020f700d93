"""``tasktracker hook``: Claude Code's hook events in, its decisions out.

Claude Code sends one event as JSON on stdin (``hook_event_name``, ``tool_name``,
``tool_input``, ``cwd``, ...) and reads the decision from stdout:

- PreToolUse on ``Edit``, ``MultiEdit``, ``Write`` (and the MCP edit tools named with
  ``--edit-tool``): an edit that ticks a sub-task the judge rejects, that writes into
  the state folder, or that changes which tracker, state folder or checks are used (or
  the hooks themselves) is denied with the reason; every other edit is allowed
  untouched. Before any tool it allows, the guard takes its look (also at SessionStart),
  so a session's first tool call is judged too.
- PostToolUse after any tool: a state folder the tool changed without a recorded run is
  put back, and what was ticked since the look without evidence is unticked,
  byte-exact; the agent is told why.
- Stop: the turn may not end while ticks lack evidence, or while the project's
  configuration names another tracker than the pinned one (let go when
  ``stop_hook_active``).

The hook never breaks the agent's session: bad input is one line on stderr, and the call
is allowed. The decisions are ``guard``'s; this module only speaks the JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pytest_tasktracker.agents import guard
from pytest_tasktracker.settings import Settings

EDIT_TOOLS = ("Edit", "MultiEdit", "Write")
# MCP file tools whose input is a path and edits or content (as the filesystem servers
# name them); more with --edit-tool.
MCP_EDIT_TOOLS = ("mcp__workspace__edit_file", "mcp__filesystem__edit_file")
MCP_WRITE_TOOLS = ("mcp__workspace__save_file", "mcp__filesystem__write_file")


class HookInputError(ValueError):
    """The event cannot be read."""


def _text(data: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def _replace(text: str, edit: dict[str, Any]) -> str | None:
    old = _text(edit, "old_string", "old_text", "oldText")
    new = _text(edit, "new_string", "new_text", "newText")
    if old is None or new is None or old not in text:
        return None  # the tool itself will refuse this edit
    return text.replace(old, new) if edit.get("replace_all") else text.replace(old, new, 1)


def edited_text(tool: str, tool_input: dict[str, Any], before: str) -> str | None:
    """The file's text after the edit, or None when the edit cannot apply."""
    content = _text(tool_input, "content")
    if content is not None and (tool == "Write" or "edits" not in tool_input):
        return content
    edits = tool_input.get("edits")
    if not isinstance(edits, list):
        edits = [tool_input]
    text: str | None = before
    for edit in edits:
        if not isinstance(edit, dict) or text is None:
            return None
        text = _replace(text, edit)
    return text


def _target(tool_input: dict[str, Any], cwd: Path) -> Path | None:
    path = _text(tool_input, "file_path", "path", "filePath")
    return cwd / path if path else None


def _deny(reason: str) -> dict[str, Any]:
    return {
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    }


def pre_tool_use(
    event: dict[str, Any], settings: Settings, cwd: Path, edit_tools: Sequence[str]
) -> dict[str, Any] | None:
    """Deny an edit the guard refuses; before any tool it allows, take the look."""
    decision = _edit_decision(event, settings, cwd, edit_tools)
    if decision is None:
        guard.look(settings)
    return decision


def _edit_decision(
    event: dict[str, Any], settings: Settings, cwd: Path, edit_tools: Sequence[str]
) -> dict[str, Any] | None:
    tool = str(event.get("tool_name", ""))
    tool_input = event.get("tool_input")
    if tool not in edit_tools or not isinstance(tool_input, dict):
        return None
    target = _target(tool_input, cwd)
    if target is None:
        return None
    if guard.in_state_folder(settings, target):
        return _deny(
            f"{target} is in the tracker's state folder: evidence and blocker reports are "
            "written only by test runs. Resolve a blocker by applying its remedy and running "
            "the tests again (tasktracker run), not by editing or deleting its file."
        )
    before = _read(target)
    if before is None:
        before = ""
        if guard.is_tracker(settings, target):
            return None  # the tool itself will refuse to edit what is not there
    after = edited_text(tool, tool_input, before)
    if after is None:
        return None
    setting = guard.guarded_setting(settings, target, before, after)
    if setting is not None:
        return _deny(setting)
    if not guard.is_tracker(settings, target):
        return None
    found = guard.false_ticks(settings, before, after)
    if not found:
        return None
    lines = "\n".join(f"- {tick.line()}" for tick in found)
    return _deny(
        f"This edit ticks sub-tasks that no passing test run backs:\n{lines}\n"
        "Run the tests instead (tasktracker run -- --tracker-update); a box is ticked by "
        "the run that proves it. If the run is blocked, report the blocker; do not tick."
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def post_tool_use(event: dict[str, Any], settings: Settings) -> dict[str, Any] | None:
    """Put back a state folder the tool changed without a recorded run, and untick what
    it ticked without evidence."""
    tool = str(event.get("tool_name", ""))
    tool_input = event.get("tool_input")
    command = tool_input.get("command") if isinstance(tool_input, dict) else None
    ran_tests = tool.startswith("mcp__") or (isinstance(command, str) and guard.runs_tests(command))
    restored = guard.restore_state(settings, ran_tests)
    unticked = guard.untick_false_ticks(settings)
    parts = []
    if restored:
        parts.append(
            f"tasktracker put back the state folder ({', '.join(restored)}): this tool call "
            "changed it without a recorded test run. Evidence and blocker reports are "
            "written only by test runs (tasktracker run -- --tracker-update)."
        )
    if unticked:
        lines = "\n".join(f"- {tick.line()}" for tick in unticked)
        parts.append(
            "tasktracker unticked sub-tasks ticked without passing evidence:\n"
            f"{lines}\nTick them by running their tests (tasktracker run -- --tracker-update)."
        )
    if not parts:
        return None
    return {"decision": "block", "reason": "\n".join(parts)}


def stop(event: dict[str, Any], settings: Settings, project: Path) -> dict[str, Any] | None:
    if event.get("stop_hook_active"):
        return None  # Claude Code is already continuing because of this hook
    swapped = guard.swapped_tracker(settings, project)
    if swapped:
        return {"decision": "block", "reason": f"tasktracker: {swapped}."}
    return _block(
        "The tracker holds ticks without evidence:",
        guard.open_false_ticks(settings),
        "Run their tests (tasktracker run -- --tracker-update), or untick them and say why "
        "they are not done.",
    )


def _block(head: str, ticks: list[guard.FalseTick], todo: str) -> dict[str, Any] | None:
    """Claude Code's "block" decision: its reason is shown to the agent."""
    if not ticks:
        return None
    lines = "\n".join(f"- {tick.line()}" for tick in ticks)
    return {"decision": "block", "reason": f"{head}\n{lines}\n{todo}"}


def handle(
    raw: str, settings_for: Any, out: TextIO, err: TextIO, edit_tools: Sequence[str] = ()
) -> int:
    """Read one event, write the decision; always 0 (a hook must not break the session)."""
    try:
        event = json.loads(raw)
        if not isinstance(event, dict):
            raise HookInputError("the event is not a JSON object")
        name = event.get("hook_event_name")
        cwd = Path(str(event.get("cwd") or os.getcwd()))
        settings: Settings = settings_for(cwd)
        tools = (*EDIT_TOOLS, *MCP_EDIT_TOOLS, *MCP_WRITE_TOOLS, *edit_tools)
        if name == "PreToolUse":
            decision = pre_tool_use(event, settings, cwd, tools)
        elif name == "PostToolUse":
            decision = post_tool_use(event, settings)
        elif name == "Stop":
            decision = stop(event, settings, cwd)
        elif name in ("SessionStart", "UserPromptSubmit"):
            guard.look(settings)
            decision = None
        else:
            decision = None
    except Exception as error:  # never break the agent's session over our problem
        err.write(f"tasktracker hook: {type(error).__name__}: {str(error)[:300]} (allowed)\n")
        return 0
    if decision is not None:
        out.write(json.dumps(decision) + "\n")
    return 0
