"""What each host reads on stdout when the guard refuses a tool call or lets it through:
the one place these answers are written, as ``json.dumps`` writes them, without
importing ``json`` (the hook's quick path writes them too; ``agents.quick``)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs the quick path 40 M instructions (it imports re)
if TYPE_CHECKING:
    from typing import Any


def _string(text: str) -> str:
    try:
        from _json import encode_basestring_ascii
    except ImportError:  # pragma: no cover - a Python without the C accelerator
        import json

        return json.dumps(text)
    return str(encode_basestring_ascii(text))


def dumps(value: dict[str, Any]) -> str:
    """``json.dumps(value)`` for an object of strings and such objects."""
    items = []
    for key, item in value.items():
        shown = dumps(item) if isinstance(item, dict) else _string(item)
        items.append(f"{_string(key)}: {shown}")
    return "{" + ", ".join(items) + "}"


def refusal(host: str, reason: str) -> dict[str, Any]:
    """The object by which ``host`` refuses a tool call, the agent reading ``reason``."""
    if host == "gemini":
        return {"decision": "deny", "reason": reason}
    if host == "cursor":
        first = reason.splitlines()[0] if reason else ""
        return {
            "permission": "deny",
            "agent_message": reason,
            "user_message": "tasktracker: " + first,
        }
    if host == "copilot":
        return {"permissionDecision": "deny", "permissionDecisionReason": reason}
    return {  # Claude Code, and Codex, which speaks its format
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": reason,
        }
    }


def deny(host: str, reason: str) -> str:
    """``host``'s refusal of a tool call, as written to stdout."""
    return dumps(refusal(host, reason)) + "\n"


def let_through(host: str) -> str:
    """What ``host`` reads as "go on": nothing, or for Cursor, which always wants JSON,
    an empty object."""
    return "{}\n" if host == "cursor" else ""
