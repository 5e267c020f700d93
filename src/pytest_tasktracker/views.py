"""The tracker, its evidence and its blockers as plain data: what ``--json`` prints and
what the MCP server returns. One place, so the two surfaces never disagree."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tasktracker.blockers.reports import BlockerFileError, iter_reports
from pytest_tasktracker.paths import relative
from pytest_tasktracker.rules.gate import blocked_ids, find_offenders, split_stale
from pytest_tasktracker.rules.intent import read_intent
from pytest_tasktracker.rules.summary import summary_markdown
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.state import Record, read_record, rerun_command
from pytest_tasktracker.ticks import judged, write
from pytest_tasktracker.tracker.editing import Change
from pytest_tasktracker.tracker.model import Step, SubTask, Tracker

if TYPE_CHECKING:
    from pytest_tasktracker.rules.freshness import CodeNow
    from pytest_tasktracker.rules.gate import Offender


def subtask_view(subtask: SubTask) -> dict[str, Any]:
    return {
        "id": subtask.id,
        "text": subtask.text,
        "status": subtask.status,
        "state": subtask.state,
        "done": subtask.done,
        "optional": subtask.optional,
        "line": subtask.line,
        "step": subtask.step,
    }


def step_view(step: Step) -> dict[str, Any]:
    return {
        "id": step.id,
        "title": step.plain_title,
        "link": step.link,
        "kind": step.kind,
        "line": step.line,
        "done": step.done_count,
        "total": len(step.subtasks),
        "subtasks": [subtask_view(subtask) for subtask in step.subtasks],
    }


def status_view(tracker: Tracker, record: Record | None = None) -> dict[str, Any]:
    """Every step and sub-task; with ``record``, each sub-task's latest evidence too."""
    following = tracker.next_step()
    steps = [step_view(step) for step in tracker.steps]
    if record is not None:
        for step in steps:
            for row in step["subtasks"]:
                row["evidence"] = evidence_view(record, row["id"])
    return {
        "tracker": tracker.path,
        "done": tracker.done_count,
        "total": len(tracker),
        "next_step": following.id if following else None,
        "steps": steps,
    }


def evidence_view(record: Record, subtask_id: str) -> dict[str, Any] | None:
    found = record.evidence.get(subtask_id)
    if found is None:
        return None
    stale = record.code.stale(found) if record.code is not None else None
    return {
        "outcome": found.outcome,
        "stale": stale,
        "reason": found.reason,
        "time": found.time,
        "tests": [{"nodeid": nodeid, "outcome": outcome} for nodeid, outcome in found.tests],
    }


def next_view(tracker: Tracker) -> dict[str, Any]:
    """The first step with open sub-tasks, and what each open one is linked to by its
    words (test files, node ids, ``<!-- tests: -->``, or "the tests" in general)."""
    step = tracker.next_step()
    payload: dict[str, Any] = {"tracker": tracker.path, "step": None, "open": []}
    if step is None:
        return payload
    payload["step"] = step_view(step)
    payload["open"] = [subtask.id for subtask in step.open_subtasks]
    links = {}
    for subtask in step.open_subtasks:
        intent = read_intent(subtask)
        links[subtask.id] = {
            "tests": [*intent.explicit, *intent.named],
            "whole_suite": intent.whole_suite,
            "runs_tests": intent.runs_tests,
            "red_phase": intent.red_phase,
            "other_checks": intent.other_checks,
        }
    payload["links"] = links
    return payload


@dataclass
class EditResult:
    """What ``check``/``uncheck`` did: the rows of the changes, or the refusals."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # id -> why
    forced: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused or bool(self.forced)


def edit(
    tracker: Tracker, settings: Settings, references: list[str], done: bool, force: bool = False
) -> EditResult:
    """Tick (``done``) or untick sub-tasks by id or text prefix, as ``check`` does: the
    judge is asked about every box to tick, also one already ticked (a tick it rejects
    is refused, and reported so); ``force`` writes it anyway and says so. All
    references resolve, or none is applied (``SubTaskReferenceError``)."""
    targets = [tracker.find(reference) for reference in references]
    result = EditResult()
    changes = [Change(subtask.id, done, subtask.text) for subtask in targets]
    record = read_record(settings) if done else None
    rerun = rerun_command(tracker, record)
    if record is not None:
        refused = judged(tracker, changes, record, rerun)
        if refused and not force:
            result.refused = refused
            return result
    report = write(
        settings.tracker,
        tracker.path,
        tracker,
        changes,
        record or Record({}, []),
        rerun,
        force=force,
        strict=True,
    )
    result.forced = report.forced
    applied = report.applied
    result.rows = [
        {
            "forced": item.subtask.id in result.forced,
            "id": item.subtask.id,
            "text": item.subtask.text,
            "line": item.subtask.line,
            "before": item.subtask.status,
            "after": ("x" if done else " ") if item.changed else item.subtask.status,
            "changed": item.changed,
        }
        for item in applied
    ]
    return result


def fix_line(remedy: dict[str, Any]) -> str:
    """A remedy as one line, what to do and then the command, as the report lists it:
    where the fix is an edit (rename a hook's argument), the command alone only checks
    it, so the line says the edit first."""
    return f"{remedy.get('why')}: {remedy.get('command')}"


def blocker_rows(settings: Settings) -> tuple[list[dict[str, Any]], list[str]]:
    """The open blocker reports, and the files that could not be read."""
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
                "error": front.get("error"),
                "affected": [a.get("id") for a in front.get("affected") or []],
                "remedies": front.get("remedies") or [],
                "occurrences": front.get("occurrences"),
                "repeats": front.get("repeats", 1),
                "stop_retrying": bool(front.get("stop_retrying")),
                "last_seen": front.get("last_seen"),
            }
        )
    return rows, unreadable


def find_gate_offenders(
    tracker: Tracker,
    settings: Settings,
    allow_stale: bool = False,
    code: CodeNow | None = None,
    record: Record | None = None,
) -> tuple[list[Offender], list[str], Record]:
    """The ticked sub-tasks the judge rejects, and warnings: about the evidence and the
    journal, and the stale ticks when stale evidence only warns (``--allow-stale``,
    ``tracker_stale``). ``record``: the facts to judge on (default: the state folder)."""
    if record is None:
        record = read_record(settings, code)
    rerun = rerun_command(tracker, record)
    offenders = find_offenders(tracker, lambda subtask: record.reasons(subtask, rerun))
    warnings = list(record.warnings)
    if allow_stale or not settings.stale_fails:
        offenders, stale = split_stale(offenders)
        warnings += [f"stale: {offender.line(tracker.path)}" for offender in stale]
    return offenders, warnings, record


def write_summary(
    tracker: Tracker, offenders: list[Offender], record: Record, files: list[Path]
) -> list[str]:
    """Append the gate's markdown table to each file (GitHub's job summary, --summary);
    the warnings of those that could not be written."""
    if not files:
        return []
    text = summary_markdown(
        tracker, offenders, record.evidence, blocked_ids(record.blockers), record.code
    )
    problems = []
    for file in files:
        try:
            with file.open("a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            problems.append(f"summary not written to {file}: {error.strerror}")
    return problems


def summary_files(explicit: str | None = None) -> list[Path]:
    """Where the gate's summary goes: ``--summary FILE``, and under GitHub Actions the
    job summary file."""
    files = [Path(explicit)] if explicit else []
    step = os.environ.get("GITHUB_STEP_SUMMARY")
    if os.environ.get("GITHUB_ACTIONS") == "true" and step:
        files.append(Path(step))
    return files


def gate_view(tracker: Tracker, offenders: list[Offender], state: str) -> dict[str, Any]:
    return {
        "tracker": tracker.path,
        "state": state,
        "ok": not offenders,
        "ticked": tracker.done_count,
        "offenders": [offender.to_json() for offender in offenders],
    }
