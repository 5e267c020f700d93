"""From a run's blockers to report files: affected sub-tasks, writing, resolution."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_tasktracker.blockers import decision
from pytest_tasktracker.blockers import reports as blocker_file
from pytest_tasktracker.blockers.facts import Facts
from pytest_tasktracker.blockers.invocation import remedy_entry
from pytest_tasktracker.blockers.model import Blocker
from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.paths import relative
from pytest_tasktracker.redact import (
    MAX_ERROR,
    capped,
    cut,
    redact_all,
    redact_text,
)
from pytest_tasktracker.rules.linking import Link, link
from pytest_tasktracker.rules.markers import marked_files
from pytest_tasktracker.rules.outcomes import SubTaskResult
from pytest_tasktracker.rules.scope import DiskFiles
from pytest_tasktracker.runinfo import now
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.fileio import atomic_write, locked, set_aside
from pytest_tasktracker.tracker.leftovers import clean_stale_temporaries
from pytest_tasktracker.tracker.model import SubTask, Tracker

VERDICTS = frozenset({"passed", "failed", "error"})
MAX_BLOCKED_LINE = 500
MAX_SUMMARY = 200
STOP_RETRYING = (
    "the same blocker, {repeats} runs in a row: retrying will not help; stop, and hand "
    "the report's remedies to a person"
)


def _under(target: str, path: str) -> bool:
    """Whether a linked target (file or node id) lies in ``path`` (a file or folder)."""
    file = target.split("::")[0].replace("\\", "/").removeprefix("./")
    path = path.replace("\\", "/").removeprefix("./").rstrip("/")
    if not path or path == ".":
        return True
    if path.endswith(".py"):
        return file == path or file.endswith("/" + path) or path.endswith("/" + file)
    return file.startswith(path + "/") or f"/{path}/" in f"/{file}"


def _meant(links: Sequence[Link], run_paths: Sequence[str]) -> list[SubTask]:
    linked = [lk for lk in links if lk.rule is not None]
    if run_paths:
        chosen = [
            lk
            for lk in linked
            if any(_under(t, p) for p in run_paths for t in (*lk.targets, *lk.nodeids))
        ]
        if chosen:
            return [lk.subtask for lk in chosen]
    return [lk.subtask for lk in linked]


def _test_files(rootdir: Path | None) -> list[str]:
    """The project's test files on disk, as pytest would find them by default: what a
    run that stopped before collecting would have collected, near enough."""
    if rootdir is None:
        return []

    names = re.compile(r"(?:^|/)(?:test_[^/]*|[^/]*_test)\.py$")
    return [file for file in DiskFiles(rootdir, [""], ()).files() if names.search(file)]


def affected(
    blocker: Blocker,
    tracker: Tracker,
    links: Sequence[Link] | None,
    run_paths: Sequence[str],
    rootdir: Path | None = None,
) -> list[SubTask]:
    """The sub-tasks a blocker stops: those it names, those whose scope holds what it
    broke (a whole-suite sub-task's scope holds everything), or else every sub-task the
    run was meant to verify."""
    if links is None:  # nothing was collected: link the tracker's words and the files'
        files = _test_files(rootdir)  # markers to the files here
        marked = marked_files(rootdir, files) if rootdir is not None else {}
        links = link(tracker, files, marked)
    if blocker.subtask_ids:
        wanted = set(blocker.subtask_ids)
        return [subtask for subtask in tracker.subtasks if subtask.id in wanted]
    if blocker.nodeids:
        crashed = set(blocker.nodeids)
        hit = [lk.subtask for lk in links if crashed.intersection(lk.nodeids)]
        if hit:
            return hit
    if blocker.paths:
        hit = [
            lk.subtask
            for lk in links
            if lk.rule == "suite"
            or (
                lk.rule is not None
                and any(_under(t, p) for p in blocker.paths for t in (*lk.targets, *lk.nodeids))
            )
        ]
        if hit:
            return hit
    return _meant(links, run_paths)


def unverifiable(
    results: Sequence[SubTaskResult], exit_code: int, ran_tests: bool = False
) -> Blocker | None:
    """A blocker for the sub-tasks whose every linked test was skipped, or, when the run
    ran no test at all (``ran_tests``), deselected. A run that ran tests and left a
    sub-task's out (a CI shard, ``-k``) verified what it ran: that is no blocker."""
    skipped = [r for r in results if r.outcome == "skipped"]
    verified_any = ran_tests or any(r.outcome in VERDICTS for r in results)
    deselected = [
        r
        for r in results
        if r.outcome == "not-run" and r.tests and all(o == "deselected" for _, o in r.tests)
    ]
    chosen = skipped + ([] if verified_any else deselected)
    if not chosen:
        return None
    reasons = "\n".join(
        f"{r.link.subtask.id}: {r.reason} ({', '.join(n for n, _ in r.tests[:5])})" for r in chosen
    )
    ids = [r.link.subtask.id for r in chosen]
    return Blocker(
        kind="unverifiable",
        key="skipped" if skipped else "deselected",
        summary=f"every test linked to {', '.join(ids[:6])}"
        f"{' and more' if len(ids) > 6 else ''} was skipped or deselected",
        error=reasons,
        exit_code=exit_code,
        cause={
            "skipped": [r.link.subtask.id for r in skipped],
            "deselected": [r.link.subtask.id for r in deselected if not verified_any],
        },
        remedies=[],
        subtask_ids=ids,
        nodeids=[n for r in chosen for n, _ in r.tests],
    )


@dataclass
class BlockerUpdate:
    """What the blocker handling did, for the terminal."""

    written: list[tuple[Path, dict[str, Any]]] = field(default_factory=list)
    resolved: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    blocked_ids: dict[str, str] = field(default_factory=dict)  # sub-task id -> reason

    def lines(self, cwd: Path) -> list[str]:
        """The decision first (blockers.decision), then the blockers this run resolved."""
        out = decision.lines(self.written, cwd)
        out.extend(f"resolved blocker {relative(path, cwd)}" for path in self.resolved)
        return out


def _row(subtask: SubTask) -> dict[str, Any]:
    return {"id": subtask.id, "text": subtask.text, "line": subtask.line, "step": subtask.step}


def record(
    blockers: Sequence[Blocker],
    *,
    settings: Settings,
    tracker: Tracker,
    tracker_name: str,
    links: Sequence[Link] | None,
    run_paths: Sequence[str],
    facts: Facts,
    command: dict[str, Any],
    verified: Sequence[str],
    proven: Collection[str] = (),
) -> BlockerUpdate:
    """Write (or update) one report per blocker, and the one-line blocked file. A
    sub-task in ``proven`` (a pass recorded on this very code) stands: the report lists
    it as still proven, not as one to keep unticked."""
    outcome = BlockerUpdate()
    stamp = now()
    for blocker in blockers:
        hit = affected(blocker, tracker, links, run_paths, facts.rootdir)
        standing = [subtask for subtask in hit if subtask.id in proven]
        hit = [subtask for subtask in hit if subtask.id not in proven]
        steps = list(dict.fromkeys(subtask.step for subtask in hit))
        step = steps[0] if len(steps) == 1 else None  # several steps: the name says none
        front: dict[str, Any] = {
            "schema": blocker_file.SCHEMA,
            "status": "open",
            "kind": blocker.kind,
            "exit_code": blocker.exit_code,
            "summary": cut(redact_text(blocker.summary), MAX_SUMMARY),
            "error": capped(blocker.error, redact_text, MAX_ERROR + 200),
            "location": redact_all(blocker.location),
            "cause": redact_all(blocker.cause),
            "remedies": [
                remedy_entry(redact_text(r.command), redact_text(r.why)) for r in blocker.remedies
            ],
            "affected": [_row(s) for s in hit],
            "proven": [_row(s) for s in standing],
            "verified": list(verified),
            "tracker": tracker_name,
            "command": command,
        }
        name = blocker_file.file_name(blocker.kind, redact_text(blocker.key), step)
        try:
            written = blocker_file.write(
                settings.blockers_folder, name, front, stamp, settings.retry_limit
            )
        except (OSError, TrackerError) as error:
            outcome.warnings.append(f"blocker report not written: {error}")
            continue
        if written.warning:
            outcome.warnings.append(written.warning)
        outcome.written.append((written.path, written.front))
        for subtask in hit:  # the reason results.json gives: redacted as the report's
            outcome.blocked_ids.setdefault(subtask.id, f"{blocker.kind}: {front['summary']}")
    if outcome.written and settings.blocked_file is not None:
        path, front = outcome.written[0]
        line = f"{front['kind']}: {front['summary']} (see {relative(path, facts.cwd)})"
        if front.get("stop_retrying"):
            line += f"; {STOP_RETRYING.format(repeats=front['repeats'])}"
        line = line.replace("\n", " ")[:MAX_BLOCKED_LINE]
        try:
            folder = settings.blocked_file.parent
            folder.mkdir(parents=True, exist_ok=True)
            with locked(folder):  # as the tracker's edits lock it: it is often the same folder
                clean_stale_temporaries(settings.blocked_file)  # what a killed run left
                atomic_write(settings.blocked_file, (line + "\n").encode("utf-8"))
        except (OSError, TrackerError) as error:
            outcome.warnings.append(f"blocked file not written: {error}")
    return outcome


def resolve_reports(
    settings: Settings, results: Sequence[SubTaskResult], written: Sequence[Path]
) -> tuple[list[Path], list[str]]:
    """Mark resolved the open reports whose affected sub-tasks this run verified."""
    verdicts = {r.link.subtask.id for r in results if r.outcome in VERDICTS}
    resolved: list[Path] = []
    warnings: list[str] = []
    stamp = now()
    try:
        reports, unreadable = blocker_file.open_reports(settings.blockers_folder)
    except OSError as error:
        return [], [f"blockers not read: {error}"]
    for problem in unreadable:  # a hand-edited or damaged report: set aside, never trusted
        try:
            aside = set_aside(Path(problem.path))
            warnings.append(f"{problem}; set it aside as {aside.name}")
        except (OSError, TrackerError) as error:
            warnings.append(f"{problem}; and it could not be set aside: {error}")
    for path, front in reports:
        if path in written:
            continue
        ids = [str(entry["id"]) for entry in front["affected"]]
        if front.get("kind") == "unverifiable":
            done = bool(ids) and all(i in verdicts for i in ids)
        else:
            done = bool(verdicts.intersection(ids)) if ids else bool(verdicts)
        if done:
            try:
                blocker_file.mark_resolved(path, front, stamp)
                resolved.append(path)
            except (OSError, TrackerError) as error:
                warnings.append(f"blocker {path.name} not updated: {error}")
    return resolved, warnings
