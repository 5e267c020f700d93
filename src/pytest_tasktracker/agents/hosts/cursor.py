"""Cursor's events and answers.

In: ``hook_event_name`` (preToolUse, postToolUse, beforeShellExecution, afterFileEdit,
stop, sessionStart), ``tool_name`` (``Write``, ``Edit``, ``StrReplace``, ``Shell``,
``MCP:<tool>``) and ``tool_input``, or the event's own fields (``command``;
``file_path`` and ``edits``), and ``workspace_roots``. Out: a denial as
``{"permission": "deny", "agent_message", "user_message"}``; at ``stop``, a
``followup_message`` (submitted as the next user message; Cursor bounds the loop).
Cursor always wants JSON on stdout: ``{}`` lets a call through.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_tasktracker.agents.hosts import wire
from pytest_tasktracker.agents.hosts.protocol import Answer, Event, Kind, Reply, tool_event

KINDS: dict[str, Kind] = {
    "preToolUse": "pre",
    "beforeShellExecution": "pre",
    "beforeMCPExecution": "pre",
    "postToolUse": "post",
    "afterFileEdit": "post",
    "afterShellExecution": "post",
    "stop": "stop",
    "sessionStart": "session",
    "beforeSubmitPrompt": "session",
}


class Cursor:
    name = "cursor"
    config = ".cursor/hooks.json"

    def read(self, data: dict[str, Any], event: str | None) -> Event:
        kind = KINDS.get(str(data.get("hook_event_name") or event or ""), "other")
        roots = data.get("workspace_roots")
        root = roots[0] if isinstance(roots, list) and roots else data.get("cwd")
        tool = str(data.get("tool_name") or "")
        tool_input = data.get("tool_input")
        if not isinstance(tool_input, (dict, str)):
            tool_input = {
                key: data[key] for key in ("file_path", "edits", "command") if key in data
            }
        mcp = tool.startswith("MCP") or data.get("hook_event_name") == "beforeMCPExecution"
        return tool_event(kind, root, tool, tool_input, mcp=mcp)

    def reply(self, event: Event, answer: Answer) -> Reply:
        if answer.deny is not None:
            out: dict[str, Any] = wire.refusal(self.name, answer.deny)
        elif answer.block is not None:
            out = {"followup_message": answer.block}
        elif answer.tell is not None:
            out = {"agent_message": answer.tell}
        else:
            return Reply(stdout=wire.let_through(self.name))
        return Reply(stdout=json.dumps(out) + "\n")


HOST = Cursor()
