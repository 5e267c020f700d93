"""The CLI commands that judge ticks against evidence: ``gate`` and ``blockers``."""

from __future__ import annotations

import json
import os
from typing import TextIO

from pytest_tasktracker.blockers.record import STOP_RETRYING
from pytest_tasktracker.paths import relative
from pytest_tasktracker.redact import printable
from pytest_tasktracker.rules.gate import gate_lines
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.model import Tracker


def gate(
    tracker: Tracker,
    settings: Settings,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    allow_stale: bool = False,
    summary: str | None = None,
) -> int:
    from pytest_tasktracker.views import (
        find_gate_offenders,
        gate_view,
        summary_files,
        write_summary,
    )

    offenders, warnings, record = find_gate_offenders(tracker, settings, allow_stale)
    warnings += write_summary(tracker, offenders, record, summary_files(summary))
    for warning in warnings:
        err.write(f"tasktracker: warning: {warning}\n")
    if as_json:
        view = gate_view(tracker, offenders, relative(settings.state))
        out.write(json.dumps(view, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(
            f"judging {tracker.path} ({settings.tracker_source}) with the evidence in "
            f"{relative(settings.state)}\n"
        )
        github = os.environ.get("GITHUB_ACTIONS") == "true"
        for line in gate_lines(tracker.path, offenders, tracker.done_count, github):
            out.write(line + "\n")
    return 1 if offenders else 0


def blockers(settings: Settings, as_json: bool, out: TextIO) -> int:
    """List the open blockers; exit 1 while there are any."""

    from pytest_tasktracker.views import blocker_rows, fix_line

    rows, unreadable = blocker_rows(settings)
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
            out.write(f"  fix: {printable(fix_line(row['remedies'][0]))}\n")
    for problem in unreadable:
        out.write(f"unreadable: {printable(problem)}\n")
    if not rows:
        out.write(f"no open blockers in {relative(settings.blockers_folder)}\n")
    return 1 if rows else 0
