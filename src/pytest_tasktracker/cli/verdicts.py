"""The CLI commands that judge ticks against evidence: ``gate`` and ``blockers``."""

from __future__ import annotations

import json
import os
from typing import Any, TextIO

from pytest_tasktracker.blockers.record import STOP_RETRYING
from pytest_tasktracker.paths import relative
from pytest_tasktracker.redact import printable
from pytest_tasktracker.rules.gate import Offender, find_offenders, gate_lines
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.state import read_record, rerun_command
from pytest_tasktracker.tracker.model import Tracker


def gate(tracker: Tracker, settings: Settings, as_json: bool, out: TextIO, err: TextIO) -> int:
    record = read_record(settings)
    if record.warning:
        err.write(f"tasktracker: warning: {record.warning}\n")
    offenders = find_offenders(tracker, record.evidence, record.blockers, rerun_command(tracker))
    write_gate(tracker, offenders, as_json, out)
    return 1 if offenders else 0


def write_gate(tracker: Tracker, offenders: list[Offender], as_json: bool, out: TextIO) -> None:
    ticked = tracker.done_count
    if as_json:
        payload = {
            "tracker": tracker.path,
            "ok": not offenders,
            "ticked": ticked,
            "offenders": [offender.to_json() for offender in offenders],
        }
        out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    for line in gate_lines(tracker.path, offenders, ticked, github):
        out.write(line + "\n")


def blockers(settings: Settings, as_json: bool, out: TextIO) -> int:
    """List the open blockers; exit 1 while there are any."""
    from pytest_tasktracker.blockers.reports import BlockerFileError, iter_reports

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
                "repeats": front.get("repeats", 1),
                "stop_retrying": bool(front.get("stop_retrying")),
                "last_seen": front.get("last_seen"),
            }
        )
    if as_json:
        out.write(json.dumps({"open": rows, "unreadable": unreadable}, indent=2) + "\n")
        return 1 if rows else 0
    for row in rows:
        affected = ", ".join(row["affected"]) or "nothing named"
        out.write(
            f"{row['file']}: {row['kind']}: {printable(row['summary'])} "
            f"(affects {affected}; seen {row['occurrences']}x, last {row['last_seen']})\n"
        )
        if row["stop_retrying"]:
            out.write(f"  {STOP_RETRYING.format(repeats=row['repeats'])}\n")
        if row["remedies"]:
            out.write(f"  fix: {printable(row['remedies'][0]['command'])}\n")
    for problem in unreadable:
        out.write(f"unreadable: {printable(problem)}\n")
    if not rows:
        out.write(f"no open blockers in {relative(settings.blockers_folder)}\n")
    return 1 if rows else 0
