"""Byte-exact status edits, and the locked read-modify-write of a tracker file."""

# No ``from __future__ import annotations``: the public named tuples' fields are then
# types, not strings that typing.NamedTuple compiles one by one (1.8 M instructions a run).

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pytest_tasktracker.errors import ConcurrentEditError, SubTaskReferenceError, TrackerWriteError
from pytest_tasktracker.tracker.fileio import (
    decode,
    identity,
    locked,
    read_bytes,
    read_settled,
    replace_if_unchanged,
    writable_by_mode,
)
from pytest_tasktracker.tracker.leftovers import clean_stale_temporaries
from pytest_tasktracker.tracker.model import SubTask, Tracker, parse


def set_status(text: str, subtask: SubTask, done: bool) -> str:
    """Return ``text`` with the sub-task's box ticked (``x``) or unticked (a space).

    Exactly one character changes, and only when the status does: ``[ ]`` and ``[x]``
    swap one byte; an odd mark (``[-]``, ``[~]``) becomes ``[x]``; an empty ``[]`` gains
    one byte. Unticking leaves a box that is not done as it is.
    """
    if subtask.done == done:
        return text
    new = "x" if done else " "
    start = subtask.offset
    end = start + len(subtask.status)
    if text[start - 1 : start] != "[" or text[end : end + 1] != "]":
        raise ValueError(f"sub-task {subtask.id} does not point at its checkbox")
    return text[:start] + new + text[end:]


class Change(NamedTuple):
    """Tick (``done=True``) or untick a sub-task, named by id, expecting a text."""

    id: str
    done: bool
    text: str | None = None  # when given, the sub-task must still have this text


class Applied(NamedTuple):
    subtask: SubTask  # as it was before the change
    done: bool
    changed: bool  # False when the box already had the asked-for status


MAX_ATTEMPTS = 20
UNSETTLED_NS = 100_000_000  # as fileio.RECENT_NS


def apply_changes(
    path: Path,
    changes: Sequence[Change],
    name: str | None = None,
    known: Tracker | None = None,
) -> list[Applied]:
    """Apply ``changes`` to the tracker at ``path`` in one locked, atomic write.

    The file is read under the lock once it is not being written, and replaced only if
    it is still the file that was read (``fileio.replace_if_unchanged``); when an editor
    saved it in between, the whole read-modify-write is done again, so a concurrent edit
    is never lost. Each change is checked against the fresh parse: an unknown id raises
    before anything is written, and a sub-task whose text changed raises
    ``ConcurrentEditError``. A read-only tracker (by its mode bits, also for root) is
    refused, never replaced. ``known`` is a parse the caller already holds: when the file
    still has exactly its text, it is used instead of parsing the file again.
    """
    shown = name or str(path)
    real = Path(os.path.realpath(path))
    with locked(real.parent):
        clean_stale_temporaries(real)
        for attempt in range(MAX_ATTEMPTS):
            data, was = read_settled(real, shown)
            text = decode(Path(shown), data)
            tracker = known if known is not None and known.text == text else parse(text, shown)
            try:
                planned = _plan(tracker, changes, shown)
            except SubTaskReferenceError:
                # An editor saving in place may have paused half way (its file then
                # lacks the sub-task for a moment): an unknown id in a file written just
                # now is said to be unknown once the file stayed the same a while longer.
                if time.time_ns() - was.mtime_ns > UNSETTLED_NS or attempt == MAX_ATTEMPTS - 1:
                    raise
                time.sleep(UNSETTLED_NS / 1e9)
                if identity(real) == was:
                    raise
                continue
            new_text = text
            changed: dict[int, bool] = {}
            # Edit from the end so earlier offsets stay valid when an empty box gains a byte.
            for index, (subtask, done) in sorted(
                enumerate(planned), key=lambda pair: pair[1][0].offset, reverse=True
            ):
                edited = set_status(new_text, subtask, done)
                changed[index] = edited != new_text
                new_text = edited
            applied = [  # in the order asked for
                Applied(subtask, done, changed[index])
                for index, (subtask, done) in enumerate(planned)
            ]
            if new_text == text:
                return applied
            if not writable_by_mode(os.stat(real)) or not os.access(real, os.W_OK):
                raise TrackerWriteError(shown, "is read-only; nothing was changed")
            try:
                if replace_if_unchanged(real, new_text.encode("utf-8"), data, was):
                    return applied
            except TrackerWriteError as error:
                raise TrackerWriteError(shown, error.problem) from None
    raise ConcurrentEditError(
        shown, "kept changing while it was edited (an editor is saving it?); nothing was written"
    )


def _plan(tracker: Tracker, changes: Sequence[Change], shown: str) -> list[tuple[SubTask, bool]]:
    planned = []
    for change in changes:
        subtask = tracker.find(change.id)
        if change.text is not None and subtask.text != change.text:
            raise ConcurrentEditError(
                shown,
                f"sub-task {change.id} changed since it was read "
                f"(now {subtask.text[:60]!r}); nothing was written",
            )
        planned.append((subtask, change.done))
    return planned


def load(path: Path, name: str | None = None) -> Tracker:
    """Read and parse the tracker at ``path``; ``name`` is how messages show the path."""
    shown = name or str(path)
    return parse(decode(Path(shown), read_bytes(path, name=shown)), shown)
