"""``tasktracker combine`` and ``tasktracker update``: the evidence of CI shards put
together, and the ticks it backs, without running the tests again."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from pytest_tasktracker.paths import relative
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.editing import Change
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
    from pytest_tasktracker.tracker.fileio import atomic_write, locked, write_locked

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
                write_locked(target, report.read_bytes())  # whole or not at all
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
    untick what it shows failing; the rule of ``--tracker-update`` (``rules.update``)."""
    from pytest_tasktracker.rules.freshness import passed_here
    from pytest_tasktracker.rules.intent import read_intent
    from pytest_tasktracker.rules.update import change_for
    from pytest_tasktracker.state import read_record

    record = read_record(settings)
    changes = []
    for subtask in tracker.subtasks:
        evidence = record.evidence.get(subtask.id)
        if evidence is None or evidence.text != subtask.text:
            continue
        outcome = evidence.outcome
        if outcome == "passed" and (
            not passed_here(evidence, record.code) or evidence.contradiction() is not None
        ):
            continue  # a pass on other code, or one that contradicts itself, ticks nothing
        change = change_for(subtask, read_intent(subtask), outcome)
        if change is not None:
            changes.append(change)
    if not changes:
        out.write("nothing to change: the tracker agrees with the evidence\n")
        return 0
    apply_and_say(tracker, settings, changes, out)
    return 0


def apply_and_say(tracker: Tracker, settings: Settings, changes: list[Change], out: TextIO) -> None:
    """Apply ``changes`` to the tracker and say, a line each, what was ticked or
    unticked (``update``, ``verify``)."""
    from pytest_tasktracker.tracker.editing import apply_changes

    ticking = {change.id for change in changes if change.done}
    for item in apply_changes(settings.tracker, changes, tracker.path, known=tracker):
        if item.changed:
            verb = "ticked" if item.subtask.id in ticking else "unticked"
            subtask = item.subtask
            out.write(f"{verb} {subtask.id} (line {subtask.line}): {subtask.text}\n")
