"""Gemini CLI's events and answers.

In: ``hook_event_name`` (BeforeTool, AfterTool, AfterAgent, SessionStart, BeforeAgent),
``tool_name`` (``write_file``, ``replace``, ``run_shell_command``, ``mcp__srv__tool``),
``tool_input``, ``cwd``. Out: ``{"decision": "deny", "reason"}`` before a tool (the
reason reaches the agent as the tool's error) and after the agent's turn (the reason is
its next prompt; let go when ``stop_hook_active``); after a tool, what it did is
appended to the tool's result (``hookSpecificOutput.additionalContext``).
"""

from __future__ import annotations

import json
from typing import Any

from pytest_tasktracker.agents.hosts import wire
from pytest_tasktracker.agents.hosts.protocol import Answer, Event, Kind, Reply, tool_event

KINDS: dict[str, Kind] = {
    "BeforeTool": "pre",
    "AfterTool": "post",
    "AfterAgent": "stop",
    "SessionStart": "session",
    "BeforeAgent": "session",
}


class Gemini:
    name = "gemini"
    config = ".gemini/settings.json"

    def read(self, data: dict[str, Any], event: str | None) -> Event:
        kind = KINDS.get(str(data.get("hook_event_name") or event or ""), "other")
        tool = str(data.get("tool_name") or "")
        return tool_event(
            kind,
            data.get("cwd"),
            tool,
            data.get("tool_input"),
            mcp=tool.startswith("mcp_"),
            stop_active=bool(data.get("stop_hook_active")),
        )

    def reply(self, event: Event, answer: Answer) -> Reply:
        said = answer.deny or answer.block
        if said is not None:  # a refusal, and at the end of a turn the next prompt
            return Reply(stdout=wire.deny(self.name, said))
        if answer.tell is not None:
            extra = {"hookSpecificOutput": {"additionalContext": answer.tell}}
            return Reply(stdout=json.dumps(extra) + "\n")
        return Reply()


HOST = Gemini()
