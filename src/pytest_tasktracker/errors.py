"""Errors of the tracker library: each prints as one line naming the file and the problem."""

from __future__ import annotations


class TrackerError(Exception):
    """A tracker could not be read, understood, addressed or written."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = str(path)
        self.problem = problem


class TrackerReadError(TrackerError):
    """The tracker file is missing, unreadable, not text, or not UTF-8."""


class EmptyTrackerError(TrackerError):
    """The tracker holds no sub-tasks."""


class SubTaskReferenceError(TrackerError):
    """A sub-task reference (id or text prefix) matched nothing or more than one thing."""


class TrackerWriteError(TrackerError):
    """The tracker could not be written; the file on disk is unchanged."""


class ConcurrentEditError(TrackerError):
    """The sub-task changed under us between the read and the write."""


class VerifyUsageError(TrackerError):
    """A check that ``tasktracker verify`` cannot run or name (bad usage, exit 2)."""
