"""What collection found: every test's node id, the ``task`` marker ids of the marked
ones, and which tests were deselected and selected.

A serial run records this in-process. Under pytest-xdist the controller collects
nothing, so each worker sends the same record through ``config.workeroutput`` and the
controller takes it from ``pytest_testnodedown``: both paths end in one ``Collected``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_tasktracker.slotted import Slotted

WORKEROUTPUT_KEY = "tasktracker"
WORKER_ERROR_KEY = "tasktracker_usage_error"
WORKER_LOADED_KEY = "tasktracker_loaded"  # the project's modules a worker imported


class Collected(Slotted):
    """The tests a run collected: node ids in collection order, the sub-task ids of the
    marked ones, and those deselected and selected (None until collection finished).

    ``extra``: tests that collectors made but the session left out, as node-id arguments
    do; they belong to the scope of their file, and did not run. ``pending``: collectors
    (classes, modules) that were made but never expanded, so their tests are unknown.
    Both are usually empty."""

    __slots__ = ("nodeids", "tasks", "deselected", "selected", "extra", "pending")

    def __init__(
        self,
        nodeids: list[str] | None = None,
        tasks: dict[str, list[str]] | None = None,
        deselected: set[str] | None = None,
        selected: list[str] | None = None,
        extra: list[str] | None = None,
        pending: list[str] | None = None,
    ) -> None:
        self.nodeids: list[str] = [] if nodeids is None else nodeids
        self.tasks: dict[str, list[str]] = {} if tasks is None else tasks
        self.deselected: set[str] = set() if deselected is None else deselected
        self.selected = selected
        self.extra: list[str] = [] if extra is None else extra
        self.pending: list[str] = [] if pending is None else pending

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
