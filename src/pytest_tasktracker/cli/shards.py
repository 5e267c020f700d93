"""``tasktracker combine`` and ``tasktracker update``: the evidence of CI shards put
together, and the ticks it backs, without running the tests again."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TextIO

from pytest_tasktracker.paths import relative
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.model import Tracker


def combine(settings: Settings, paths: list[str], out: TextIO) -> int:
    from pytest_tasktracker.rules.combine import (
        ShardError,
        as_text,
        blocker_files,
        combine,
        read_shard,
        results_paths,
    )
    from pytest_tasktracker.runinfo import now
    from pytest_tasktracker.tracker.fileio import atomic_write, locked

    files = results_paths([Path(path) for path in paths])
    if not files:
        raise ShardError(" ".join(paths), "no results.json found there")
    shards = [read_shard(file, relative(file)) for file in files]
    data = combine(shards, now())
    settings.state.mkdir(parents=True, exist_ok=True)
    with locked(settings.state):
        atomic_write(settings.results_file, as_text(data).encode("utf-8"), durable=False)
    carried = 0
    for file in files:
        for report in blocker_files(file):
            target = settings.blockers_folder / report.name
            if report.resolve() != target.resolve() and not target.exists():
                settings.blockers_folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(report, target)
                carried += 1
    counts = ", ".join(f"{n} {o}" for o, n in sorted(data["last_run"]["outcomes"].items()))
    out.write(
        f"combined {len(shards)} shards: {counts or 'no sub-tasks'} -> "
        f"{relative(settings.results_file)}\n"
    )
    if carried:
        out.write(
            f"carried over {carried} blocker report(s) to {relative(settings.blockers_folder)}\n"
        )
    return 0


def update(tracker: Tracker, settings: Settings, out: TextIO) -> int:
    """Tick what the evidence (of a run or of combined shards) backs on this code, and
    untick what it shows failing; as ``--tracker-update`` does at the end of a run."""
    from pytest_tasktracker.rules.intent import read_intent
    from pytest_tasktracker.state import read_record
    from pytest_tasktracker.tracker.editing import Change, apply_changes

    record = read_record(settings)
    changes = []
    for subtask in tracker.subtasks:
        evidence = record.evidence.get(subtask.id)
        if evidence is None or evidence.text != subtask.text:
            continue
        intent = read_intent(subtask)
        if intent.red_phase:
            continue
        stale = record.code is not None and record.code.stale(evidence) is not None
        if evidence.outcome == "passed" and not subtask.done and not intent.other_checks:
            if not stale and evidence.contradiction() is None:
                changes.append(Change(subtask.id, True, subtask.text))
        elif evidence.outcome in ("failed", "error") and subtask.done:
            changes.append(Change(subtask.id, False, subtask.text))
    if not changes:
        out.write("nothing to change: the tracker agrees with the evidence\n")
        return 0
    applied = apply_changes(settings.tracker, changes, tracker.path, known=tracker)
    ticking = {change.id for change in changes if change.done}
    for item in applied:
        if item.changed:
            verb = "ticked" if item.subtask.id in ticking else "unticked"
            subtask = item.subtask
            out.write(f"{verb} {subtask.id} (line {subtask.line}): {subtask.text}\n")
    return 0
