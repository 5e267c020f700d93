"""Claude Code's events and answers (and the hosts that speak its wire format: Codex).

In: one JSON object on stdin with ``hook_event_name`` (PreToolUse, PostToolUse, Stop,
SessionStart, TaskCompleted, ...), ``tool_name``, ``tool_input``, ``cwd``. Out: a
PreToolUse denial as ``hookSpecificOutput.permissionDecision: "deny"`` with its reason;
``{"decision": "block", "reason"}`` after a tool (the reason reaches the agent) and at
Stop (let go when ``stop_hook_active``); a refused TaskCompleted as exit 2 and stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_tasktracker.agents.hosts import wire
from pytest_tasktracker.agents.hosts.protocol import Answer, Event, Kind, Reply, tool_event

KINDS: dict[str, Kind] = {
    "PreToolUse": "pre",
    "PostToolUse": "post",
    "Stop": "stop",
    "SubagentStop": "stop",
    "SessionStart": "session",
    "UserPromptSubmit": "session",
    "TaskCompleted": "task",
}


class ClaudeShaped:
    """A host that speaks Claude Code's hook format."""

    def __init__(self, name: str, config: str) -> None:
        self.name = name
        self.config = config

    def read(self, data: dict[str, Any], event: str | None) -> Event:
        name = str(data.get("hook_event_name") or event or "")
        kind = KINDS.get(name, "other")
        cwd = Path(str(data.get("cwd") or "."))
        tool = str(data.get("tool_name") or "")
        tool_input = data.get("tool_input")
        if not isinstance(tool_input, dict):
            tool_input = {}
        if kind == "task":
            return Event("task", cwd, task=str(data.get("task_subject") or ""))
        if kind == "pre" and tool == "TaskUpdate" and tool_input.get("status") == "completed":
            subject = tool_input.get("subject")
            return Event("task", cwd, tool=tool, task=subject if isinstance(subject, str) else "")
        return tool_event(
            kind,
            cwd,
            tool,
            tool_input,
            mcp=tool.startswith("mcp__"),
            stop_active=bool(data.get("stop_hook_active")),
        )

    def reply(self, event: Event, answer: Answer) -> Reply:
        if answer.deny is not None and event.kind == "task" and not event.tool:
            return Reply(stderr=answer.deny + "\n", code=2)  # TaskCompleted: exit codes only
        if answer.deny is not None:
            return Reply(stdout=wire.deny(self.name, answer.deny))
        said = answer.block or answer.tell
        if said is not None:
            return _json({"decision": "block", "reason": said})
        return Reply()


def _json(data: dict[str, Any]) -> Reply:
    return Reply(stdout=json.dumps(data) + "\n")


HOST = ClaudeShaped("claude", ".claude/settings.json")
