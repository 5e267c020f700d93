"""What collection found: every test's node id, the ``task`` marker ids of the marked
ones, and which tests were deselected and selected.

A serial run records this in-process. Under pytest-xdist the controller collects
nothing, so each worker sends the same record through ``config.workeroutput`` and the
controller takes it from ``pytest_testnodedown``: both paths end in one ``Collected``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WORKEROUTPUT_KEY = "tasktracker"
WORKER_ERROR_KEY = "tasktracker_usage_error"
WORKER_LOADED_KEY = "tasktracker_loaded"  # the project's modules a worker imported


@dataclass
class Collected:
    nodeids: list[str] = field(default_factory=list)  # in collection order
    tasks: dict[str, list[str]] = field(default_factory=dict)  # marked tests only
    deselected: set[str] = field(default_factory=set)
    selected: list[str] | None = None  # None until collection finished
    # Tests that collectors made but the session left out, as node-id arguments do: they
    # belong to the scope of their file, and did not run. Usually empty.
    extra: list[str] = field(default_factory=list)
    # Collectors (classes, modules) that were made but never expanded, so their tests
    # are unknown. Usually empty.
    pending: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A compact form for ``workeroutput``: execnet serializes a list of 10,000
        strings in pure Python, but one long string at once. Node ids hold no newline
        (pytest escapes parametrize ids), so they are joined by one."""
        data: dict[str, Any] = {
            "tests": "\n".join(self.nodeids),
            "tasks": self.tasks,
            "deselected": "\n".join(sorted(self.deselected)),
        }
        if self.selected != self.nodeids:  # left out in the usual case: all were selected
            data["selected"] = "\n".join(self.selected or [])
        if self.extra:
            data["extra"] = "\n".join(self.extra)
        if self.pending:
            data["pending"] = "\n".join(self.pending)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Collected:
        def lines(key: str) -> list[str]:
            text: str = data.get(key, "")
            return text.split("\n") if text else []

        tasks = {str(nodeid): [str(i) for i in ids] for nodeid, ids in data["tasks"].items()}
        nodeids = lines("tests")
        selected = lines("selected") if "selected" in data else list(nodeids)
        return cls(
            nodeids, tasks, set(lines("deselected")), selected, lines("extra"), lines("pending")
        )


def task_ids(marks: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Sub-task ids from ``task`` marks, and problems with marks that are malformed."""
    ids: list[str] = []
    problems: list[str] = []
    for mark in marks:
        if not mark.args:
            problems.append("@pytest.mark.task() needs at least one sub-task id")
        for arg in mark.args:
            if isinstance(arg, str) and arg.strip():
                ids.append(arg.strip())
            else:
                problems.append(f"@pytest.mark.task ids must be strings, got {arg!r}")
    return ids, problems
