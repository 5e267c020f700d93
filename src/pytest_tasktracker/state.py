"""The state folder as the judges read it: the evidence in results.json and the open
blocker reports, and the one question every tick answers to (``refusal``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_tasktracker.blockers.reports import open_blockers
from pytest_tasktracker.paths import relative
from pytest_tasktracker.rules.checks import CheckResult, read_checks
from pytest_tasktracker.rules.evidence import Evidence, ResultsError, evidence_by_id
from pytest_tasktracker.rules.freshness import CodeNow
from pytest_tasktracker.rules.gate import OpenBlocker, blocked_ids, verdict
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.model import SubTask, Tracker

if TYPE_CHECKING:
    from pytest_tasktracker.rules.codestate import CodeState


@dataclass
class Record:
    """What the state folder says: the evidence and the open blockers, and the code as
    it is now (to tell fresh evidence from stale)."""

    evidence: dict[str, Evidence]
    blockers: list[OpenBlocker]
    warning: str | None = None
    code: CodeNow | None = None
    checks: dict[str, dict[str, CheckResult]] | None = None  # None: verify never ran here


def read_record(settings: Settings, code: CodeNow | None = None) -> Record:
    """The state folder; ``code``: the code state when the caller has just taken it."""
    warning = None
    try:
        evidence = evidence_by_id(settings.results_file)
    except ResultsError as error:
        evidence, warning = {}, f"{error}; judging as if there were no evidence"
    checks = read_checks(settings.state)
    return Record(
        evidence,
        open_blockers(settings.blockers_folder, relative(settings.blockers_folder)),
        warning,
        code if code is not None else code_now(settings) if evidence or checks else None,
        checks,
    )


def code_now(settings: Settings) -> CodeNow | None:
    """The code state now, as the last run took it (its root, wherever this runs), with
    the manifests of the states evidence was proven on."""
    from pytest_tasktracker.rules.codestate import for_judge

    try:
        state = for_judge(settings)
    except OSError:
        return None
    return code_known(settings, state)


def code_known(settings: Settings, state: CodeState) -> CodeNow:
    """A code state just taken, with the remembered manifests, as a judge uses it."""
    from pytest_tasktracker.rules.codestate import manifests

    return CodeNow(state.digest, state.files, manifests(settings.state), state.root)


def rerun_command(tracker: Tracker, record: Record | None = None) -> str:
    """The run that proves ``tracker``'s sub-tasks, runnable from here: from the code's
    root when that is not the working folder (a tracker kept outside the project). There
    the tracker is ``--tracker=PATH``: pytest picks its rootdir and ini file before any
    plugin's options are known, and would take a separate ``PATH`` outside the project
    for a test path (its rootdir then the common folder, the project's ini unread)."""
    command = f"pytest --tracker {tracker.path} --tracker-update"
    root = record.code.root if record is not None and record.code is not None else None
    if root is None:
        return command
    import os
    from pathlib import Path

    cwd = Path.cwd()
    if os.path.realpath(root) == os.path.realpath(cwd):
        return command
    tracker_there = os.path.relpath(os.path.abspath(tracker.path), root)
    return f"cd {relative(root, cwd)} && pytest --tracker={tracker_there} --tracker-update"


def refusal(subtask: SubTask, record: Record, rerun: str) -> str | None:
    """Why ``check`` must not tick ``subtask``, or None when it may: the gate's verdict
    on the sub-task as if it were ticked."""
    blocker = blocked_ids(record.blockers).get(subtask.id)
    checks = (record.checks or {}).get(subtask.id, {})  # a tick by hand always needs them
    evidence = record.evidence.get(subtask.id)
    reasons = verdict(subtask, evidence, blocker, rerun, record.code, checks)
    if not reasons:
        return None
    return f"{reasons[0].why}; {reasons[0].todo}"
