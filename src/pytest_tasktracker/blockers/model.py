"""A blocker, as diagnosed: its kind, pytest's exact error, its cause and remedies.

Which sub-tasks it affects is decided later, from the tracker (``record``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Remedy:
    command: str
    why: str


@dataclass
class Blocker:
    kind: str
    key: str  # what makes the cause this cause, for the stable file name
    summary: str
    error: str
    exit_code: int
    location: dict[str, Any] | None = None
    cause: dict[str, Any] = field(default_factory=dict)
    remedies: list[Remedy] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # files or folders whose tests it stops
    nodeids: list[str] = field(default_factory=list)  # tests it stops
    subtask_ids: list[str] = field(default_factory=list)  # sub-tasks it stops, when known
