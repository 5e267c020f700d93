"""``tasktracker combine`` and ``tasktracker update``: the evidence of CI shards put
together, and the ticks it backs, without running the tests again."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from pytest_tasktracker.blockers.reports import BlockerFileError, read
from pytest_tasktracker.paths import relative
from pytest_tasktracker.rules import journal
from pytest_tasktracker.rules.combine import (
    ShardError,
    as_text,
    blocker_files,
    distrust,
    read_shard,
    results_paths,
)
from pytest_tasktracker.rules.combine import combine as combine_shards
from pytest_tasktracker.rules.intent import read_intent
from pytest_tasktracker.rules.journal import tracker_key
from pytest_tasktracker.rules.update import change_for
from pytest_tasktracker.runinfo import now
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.state import read_record
from pytest_tasktracker.ticks import write_and_say
from pytest_tasktracker.tracker.fileio import atomic_write, locked, write_locked
from pytest_tasktracker.tracker.model import Tracker


def combine(settings: Settings, paths: list[str], out: TextIO) -> int:
    files = results_paths([Path(path) for path in paths])
    if not files:
        raise ShardError(" ".join(paths), "no results.json found there")
    shards = []
    for file in files:
        shard, digest = read_shard(file, relative(file))  # one read: see journal.read_once
        why = journal.read(file.parent).untrusted(file.name, digest)
        if why:
            distrust(shard, why)
            out.write(f"warning: {shard.name}: {why}; its entries are not trusted\n")
        shards.append(shard)
    data = combine_shards(shards, now())
    carried: dict[str, dict[str, Any]] = {}
    verified = {
        str(entry.get("id"))
        for entry in data["subtasks"]
        if entry.get("outcome") in ("passed", "failed", "error")
    }
    for file in files:
        for report in blocker_files(file):
            target = settings.blockers_folder / report.name
            if _verified_together(report, verified):
                continue  # one shard could not verify what the shards together did
            if report.resolve() != target.resolve() and not target.exists():
                write_locked(target, report.read_bytes())  # whole or not at all
                carried.update(opened_from(target))
    settings.state.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []

    def record(digest: str) -> None:
        warning = journal.append(
            settings.state,
            by="combine",
            tracker=tracker_key(settings),
            files={journal.RESULTS: digest},
            opened=carried,
            run={"time": data["last_run"]["time"], "shards": [s.name for s in shards]},
        )
        if warning:
            warnings.append(warning)

    with locked(settings.state):
        atomic_write(
            settings.results_file,
            as_text(data).encode("utf-8"),
            durable=False,
            before_replace=record,
        )
    for warning in warnings:
        out.write(f"warning: {warning}\n")
    counts = ", ".join(f"{n} {o}" for o, n in sorted(data["last_run"]["outcomes"].items()))
    out.write(
        f"combined {len(shards)} shards: {counts or 'no sub-tasks'} -> "
        f"{relative(settings.results_file)}\n"
    )
    if carried:
        out.write(
            f"carried over {len(carried)} blocker report(s) to "
            f"{relative(settings.blockers_folder)}\n"
        )
    return 0


def update(tracker: Tracker, settings: Settings, out: TextIO) -> int:
    """Tick what the evidence (of a run or of combined shards) backs on this code, and
    untick what it shows failing: the candidates of ``--tracker-update``
    (``rules.update``), every tick through the judge. Evidence no recorded run wrote
    unticks nothing; the tick it asks for is put to the judge, which says why not."""
    record = read_record(settings)
    changes = []
    for subtask in tracker.subtasks:
        evidence = record.evidence.get(subtask.id)
        if evidence is None or evidence.text != subtask.text:
            continue
        if evidence.untrusted and evidence.outcome != "passed":
            continue
        change = change_for(subtask, read_intent(subtask), evidence.outcome)
        if change is not None:
            changes.append(change)
    for warning in record.warnings:
        out.write(f"warning: {warning}\n")
    if not changes:
        out.write("nothing to change: the tracker agrees with the evidence\n")
        return 0
    write_and_say(tracker, settings, changes, record, out)
    return 0


def opened_from(report: Path) -> dict[str, dict[str, Any]]:
    """A blocker report carried over from a shard, as the journal records it: open."""
    try:
        front = read(report)
    except BlockerFileError:
        return {}
    if front.get("status") != "open":
        return {}
    affected = [str(a.get("id")) for a in front.get("affected") or [] if isinstance(a, dict)]
    return {
        report.name: journal.blocker_record(
            str(front.get("kind")), str(front.get("summary")), affected
        )
    }


def _verified_together(report: Path, verified: set[str]) -> bool:
    """Whether ``report`` is a shard's ``unverifiable`` blocker whose every sub-task the
    combined evidence verified."""
    try:
        front = read(report)
    except BlockerFileError:
        return False
    if front.get("kind") != "unverifiable":
        return False
    ids = [str(a.get("id")) for a in front.get("affected") or [] if isinstance(a, dict)]
    return bool(ids) and all(i in verified for i in ids)
