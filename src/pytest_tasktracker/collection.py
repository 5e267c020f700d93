"""What collection found: every test with its ``task`` marker ids, and which were selected.

A serial run records this in-process. Under pytest-xdist the controller collects
nothing, so each worker sends the same record through ``config.workeroutput`` and the
controller takes it from ``pytest_testnodedown``: both paths end in one ``Collected``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_tasktracker.linking import CollectedTest

WORKEROUTPUT_KEY = "tasktracker"
WORKER_ERROR_KEY = "tasktracker_usage_error"


@dataclass
class Collected:
    tests: list[CollectedTest] = field(default_factory=list)
    deselected: set[str] = field(default_factory=set)
    selected: list[str] | None = None  # None until collection finished

    def add(self, nodeid: str, tasks: Iterable[str]) -> None:
        self.tests.append(CollectedTest(nodeid, tuple(tasks)))

    def to_json(self) -> dict[str, Any]:
        """A compact form for ``workeroutput``: execnet serializes a list of 10,000 lists
        in pure Python, but one long string at once. Node ids hold no newline (pytest
        escapes parametrize ids), so they are joined by one; only marked tests carry ids."""
        return {
            "tests": "\n".join(test.nodeid for test in self.tests),
            "tasks": {test.nodeid: list(test.tasks) for test in self.tests if test.tasks},
            "deselected": "\n".join(sorted(self.deselected)),
            "selected": "\n".join(self.selected or []),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Collected:
        tasks = data["tasks"]
        nodeids = data["tests"].split("\n") if data["tests"] else []
        tests = [CollectedTest(nodeid, tuple(tasks.get(nodeid, ()))) for nodeid in nodeids]
        deselected = set(data["deselected"].split("\n")) if data["deselected"] else set()
        selected = data["selected"].split("\n") if data["selected"] else []
        return cls(tests, deselected, selected)


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
