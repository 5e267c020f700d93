"""The CLI commands that judge ticks against evidence: ``gate``, ``blockers`` and the
guard of ``check``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, TextIO

from pytest_tasktracker.evidence import Evidence, ResultsError, evidence_by_id
from pytest_tasktracker.gate import Offender, OpenBlocker, annotation, judge, open_blockers
from pytest_tasktracker.paths import relative
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker import SubTask, Tracker


@dataclass
class Record:
    """What the state folder says: the evidence and the open blockers."""

    evidence: dict[str, Evidence]
    blockers: list[OpenBlocker]
    warning: str | None = None


def read_record(settings: Settings) -> Record:
    warning = None
    try:
        evidence = evidence_by_id(settings.results_file)
    except ResultsError as error:
        evidence, warning = {}, f"{error}; judging as if there were no evidence"
    return Record(
        evidence,
        open_blockers(settings.blockers_folder, relative(settings.blockers_folder)),
        warning,
    )


def rerun_command(tracker: Tracker) -> str:
    return f"pytest --tracker {tracker.path} --tracker-update"


def gate(tracker: Tracker, settings: Settings, as_json: bool, out: TextIO, err: TextIO) -> int:
    record = read_record(settings)
    if record.warning:
        err.write(f"tasktracker: warning: {record.warning}\n")
    offenders = judge(tracker, record.evidence, record.blockers, rerun_command(tracker))
    write_gate(tracker, offenders, as_json, out)
    return 1 if offenders else 0


def write_gate(tracker: Tracker, offenders: list[Offender], as_json: bool, out: TextIO) -> None:
    ticked = sum(1 for subtask in tracker.subtasks if subtask.done)
    if as_json:
        payload = {
            "tracker": tracker.path,
            "ok": not offenders,
            "ticked": ticked,
            "offenders": [offender.to_json() for offender in offenders],
        }
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for offender in offenders:
            out.write(annotation(tracker.path, offender) + "\n")
    for offender in offenders:
        out.write(offender.line(tracker.path) + "\n")
    if offenders:
        out.write(
            f"gate failed: {len(offenders)} of {ticked} ticked sub-tasks lack evidence "
            f"({', '.join(o.subtask.id for o in offenders)})\n"
        )
    else:
        out.write(f"gate passed: every one of {ticked} ticked sub-tasks is backed by evidence\n")


def blockers(settings: Settings, as_json: bool, out: TextIO) -> int:
    """List the open blockers; exit 1 while there are any."""
    from pytest_tasktracker.blocker_file import BlockerFileError, iter_reports

    rows: list[dict[str, Any]] = []
    unreadable = []
    for path, front in iter_reports(settings.blockers_folder):
        if isinstance(front, BlockerFileError):
            unreadable.append(str(front))
            continue
        if front.get("status") != "open":
            continue
        rows.append(
            {
                "file": relative(path),
                "kind": front.get("kind"),
                "summary": front.get("summary"),
                "affected": [a.get("id") for a in front.get("affected") or []],
                "remedies": front.get("remedies") or [],
                "occurrences": front.get("occurrences"),
                "last_seen": front.get("last_seen"),
            }
        )
    if as_json:
        out.write(json.dumps({"open": rows, "unreadable": unreadable}, indent=2) + "\n")
        return 1 if rows else 0
    for row in rows:
        affected = ", ".join(row["affected"]) or "nothing named"
        out.write(
            f"{row['file']}: {row['kind']}: {row['summary']} "
            f"(affects {affected}; seen {row['occurrences']}x, last {row['last_seen']})\n"
        )
        if row["remedies"]:
            out.write(f"  fix: {row['remedies'][0]['command']}\n")
    for problem in unreadable:
        out.write(f"unreadable: {problem}\n")
    if not rows:
        out.write(f"no open blockers in {relative(settings.blockers_folder)}\n")
    return 1 if rows else 0


def refusal(subtask: SubTask, record: Record) -> str | None:
    """Why ``check`` must not tick ``subtask``, or None when it may."""
    for blocker in record.blockers:
        if subtask.id in blocker.affected:
            return f"it has an open blocker: {blocker.path} ({blocker.kind}: {blocker.summary})"
    evidence = record.evidence.get(subtask.id)
    if evidence is not None and evidence.text == subtask.text:
        if evidence.outcome in ("failed", "error"):
            failing = [n for n, o in evidence.tests if o in ("failed", "error")]
            return f"its linked tests {evidence.outcome}: {', '.join(failing[:3])}"
        if evidence.outcome == "skipped":
            return "every linked test was skipped: nothing proves it"
        if evidence.outcome == "blocked":
            return f"the last run could not verify it ({evidence.reason})"
    return None
