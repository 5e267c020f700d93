"""What every coding-agent host is to the guard: a reader of its events and a writer of
its answers. The decisions are the same for all (``agents.hook``); each host module
only speaks its own JSON.

Adding a host is one module here that defines ``HOST``, and one folder of recorded
events under ``tests/data/hosts/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from pytest_tasktracker.agents.edits import Edit, edits_of

Kind = Literal["pre", "post", "stop", "session", "task", "other"]


class Event(NamedTuple):
    """One host event, as the guard needs it."""

    kind: Kind  # before a tool, after it, the end of a turn, a session's start, a task done
    cwd: Path
    tool: str = ""
    edits: tuple[Edit, ...] = ()  # what the tool would write (or wrote)
    command: str | None = None  # a shell command the tool runs
    mcp: bool = False  # an MCP tool: it may run the tests (the tasktracker server does)
    stop_active: bool = False  # the host already keeps the agent going for this hook
    task: str | None = None  # the subject of a task being marked completed


def tool_event(
    kind: Kind,
    cwd: object,
    tool: str,
    tool_input: object,
    *,
    mcp: bool = False,
    stop_active: bool = False,
) -> Event:
    """An event of a tool call, from what the host says of it: the tool's input (a JSON
    object, or its text) read for the files it writes and the command it runs."""
    if isinstance(tool_input, str):
        try:
            tool_input = json.loads(tool_input)
        except ValueError:
            tool_input = {}
    if not isinstance(tool_input, dict):
        tool_input = {}
    command = tool_input.get("command")
    return Event(
        kind,
        Path(str(cwd or ".")),
        tool=tool,
        edits=tuple(edits_of(tool_input)),
        command=command if isinstance(command, str) else None,
        mcp=mcp,
        stop_active=stop_active,
    )


class Answer(NamedTuple):
    """What the guard decided: refuse the tool call, keep the agent from stopping (or
    refuse a task's completion), or tell the agent what it did after a tool."""

    deny: str | None = None
    block: str | None = None
    tell: str | None = None


class Reply(NamedTuple):
    stdout: str = ""
    stderr: str = ""
    code: int = 0


class Host(Protocol):
    name: str
    config: str  # where its project hooks live, for messages

    def read(self, data: dict[str, Any], event: str | None) -> Event:
        """The event in ``data`` (``event``: the name the hook was configured for, for
        hosts whose events do not say it)."""
        ...

    def reply(self, event: Event, answer: Answer) -> Reply:
        """The answer in this host's shape; an empty Reply lets the call through."""
        ...
