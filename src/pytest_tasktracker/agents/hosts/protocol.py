"""What every coding-agent host is to the guard: a reader of its events and a writer of
its answers. The decisions are the same for all (``agents.hook``); each host module
only speaks its own JSON.

Adding a host is one module here that defines ``HOST``, and one folder of recorded
events under ``tests/data/hosts/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, NamedTuple, Protocol

from pytest_tasktracker.agents.edits import Edit

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
