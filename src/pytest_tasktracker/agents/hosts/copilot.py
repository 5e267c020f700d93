"""GitHub Copilot's events and answers (the CLI and the cloud coding agent).

In: ``toolName`` and ``toolArgs`` (an object, or its JSON as a string) and ``cwd``; the
event is the one the hook is configured for (``--event preToolUse``), as the payload
does not name it. Tools: ``edit`` (``path``, ``old_str``, ``new_str``), ``create``
(``path``, ``file_text``), ``bash``. Out: ``{"permissionDecision": "deny",
"permissionDecisionReason"}`` before a tool; ``{"decision": "block", "reason"}`` at
``agentStop`` (another turn, with the reason as its prompt).
"""

from __future__ import annotations

import json
from typing import Any

from pytest_tasktracker.agents.hosts import wire
from pytest_tasktracker.agents.hosts.protocol import Answer, Event, Kind, Reply, tool_event

KINDS: dict[str, Kind] = {
    "preToolUse": "pre",
    "postToolUse": "post",
    "agentStop": "stop",
    "sessionStart": "session",
    "userPromptSubmitted": "session",
}


class Copilot:
    name = "copilot"
    config = ".github/hooks/tasktracker.json"

    def read(self, data: dict[str, Any], event: str | None) -> Event:
        name = str(data.get("hook_event_name") or data.get("hookEventName") or event or "")
        kind = KINDS.get(name, "other")
        tool = str(data.get("toolName") or data.get("tool_name") or "")
        return tool_event(
            kind,
            data.get("cwd"),
            tool,
            data.get("toolArgs", data.get("tool_input")),
            mcp="/" in tool or tool.startswith("mcp"),
            stop_active=bool(data.get("stop_hook_active") or data.get("stopHookActive")),
        )

    def reply(self, event: Event, answer: Answer) -> Reply:
        if answer.deny is not None:
            return Reply(stdout=wire.deny(self.name, answer.deny))
        said = answer.block or answer.tell
        if said is not None:
            return Reply(stdout=json.dumps({"decision": "block", "reason": said}) + "\n")
        return Reply()


HOST = Copilot()
