"""The CLI commands that judge ticks against evidence: ``gate`` and ``blockers``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

from pytest_tasktracker import attestation
from pytest_tasktracker.blockers.record import STOP_RETRYING
from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.paths import relative
from pytest_tasktracker.redact import printable
from pytest_tasktracker.rules.codestate import for_judge
from pytest_tasktracker.rules.freshness import CodeNow
from pytest_tasktracker.rules.gate import backed_by_evidence, gate_lines
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.state import code_known
from pytest_tasktracker.tracker.model import Tracker
from pytest_tasktracker.views import (
    blocker_rows,
    find_gate_offenders,
    fix_line,
    gate_view,
    summary_files,
    write_summary,
)


def gate(
    tracker: Tracker,
    settings: Settings,
    as_json: bool,
    out: TextIO,
    err: TextIO,
    allow_stale: bool = False,
    summary: str | None = None,
    attestation: str | None = None,
) -> int:
    code = None
    if attestation is not None:
        code = _attested(tracker, settings, attestation, out)
        if code is None:
            return 1

    offenders, warnings, record = find_gate_offenders(tracker, settings, allow_stale, code)
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
        backed = backed_by_evidence(tracker, record.evidence)
        for line in gate_lines(tracker.path, offenders, tracker.done_count, github, backed):
            out.write(line + "\n")
    return 1 if offenders else 0


def blockers(settings: Settings, as_json: bool, out: TextIO) -> int:
    """List the open blockers; exit 1 while there are any."""
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


def _attested(tracker: Tracker, settings: Settings, given: str, out: TextIO) -> CodeNow | None:
    """The code state to judge on when the tracker, results.json and code here are
    those the statement in ``given`` names (taken without the statement, put in the
    project to be read); None, having said which differ, when they are not. A file that
    is not a statement of ours raises AttestationError (one line, exit 2)."""
    data = attestation.read(Path(given), given)
    try:
        state = for_judge(settings, [Path(given)])
    except (OSError, TrackerError):
        state = None
    results = relative(settings.results_file)
    problems = attestation.differences(
        data,
        tracker=(str(tracker.path), settings.tracker),
        results=(results, settings.results_file),
        code_files=dict(state.files) if state is not None else None,
    )
    for problem in problems:
        out.write(f"attestation {given}: {problem}\n")
    if problems or state is None:
        return None
    result = data["predicate"]["result"]
    out.write(
        f"attestation {given}: {tracker.path}, {results} and the code are the attested "
        f"ones (result {result})\n"
    )
    return code_known(settings, state)
