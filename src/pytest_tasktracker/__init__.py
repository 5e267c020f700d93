"""pytest-tasktracker: tick a tracker's checkbox only when a test run proved it.

The tracker library (no pytest import) is public here; the pytest plugin lives in
``pytest_tasktracker.plugin`` and the command line in ``pytest_tasktracker.cli``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tasktracker.editing import Applied, Change, apply_changes, load, set_status
from pytest_tasktracker.errors import (
    ConcurrentEditError,
    EmptyTrackerError,
    SubTaskReferenceError,
    TrackerError,
    TrackerReadError,
    TrackerWriteError,
)
from pytest_tasktracker.tracker import Step, SubTask, Tracker, parse

if TYPE_CHECKING:
    __version__: str

__all__ = [
    "Applied",
    "Change",
    "ConcurrentEditError",
    "EmptyTrackerError",
    "Step",
    "SubTask",
    "SubTaskReferenceError",
    "Tracker",
    "TrackerError",
    "TrackerReadError",
    "TrackerWriteError",
    "__version__",
    "apply_changes",
    "load",
    "parse",
    "set_status",
]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("pytest-tasktracker")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
