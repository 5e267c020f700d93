"""pytest-tasktracker: tick a tracker's checkbox only when a test run proved it.

The tracker library (no pytest import) is public here; the pytest plugin lives in
``pytest_tasktracker.plugin`` and the command line in ``pytest_tasktracker.cli``.
Names are imported on first use, so loading the plugin on an idle run stays cheap.

PYTEST_DONT_REWRITE: this package needs no assertion rewriting, and ``tasktracker run``
imports it before pytest starts (pytest would otherwise warn that it cannot rewrite it).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: a hook's every start would import typing for it
if TYPE_CHECKING:
    from typing import Any

    from pytest_tasktracker.errors import (
        ConcurrentEditError,
        EmptyTrackerError,
        SubTaskReferenceError,
        TrackerError,
        TrackerReadError,
        TrackerWriteError,
    )
    from pytest_tasktracker.tracker.editing import Applied, Change, apply_changes, load, set_status
    from pytest_tasktracker.tracker.model import Step, SubTask, Tracker, parse

    __version__: str

_EXPORTS = {
    "Applied": "tracker.editing",
    "Change": "tracker.editing",
    "apply_changes": "tracker.editing",
    "load": "tracker.editing",
    "set_status": "tracker.editing",
    "ConcurrentEditError": "errors",
    "EmptyTrackerError": "errors",
    "SubTaskReferenceError": "errors",
    "TrackerError": "errors",
    "TrackerReadError": "errors",
    "TrackerWriteError": "errors",
    "Step": "tracker.model",
    "SubTask": "tracker.model",
    "Tracker": "tracker.model",
    "parse": "tracker.model",
}

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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        module = importlib.import_module(f"pytest_tasktracker.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("pytest-tasktracker")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
