"""The end of a tracked run, as named steps (``STEPS``), each reading and adding to one
``End``:

1. ``link``: the collected tests to sub-tasks, and what of each scope the run left out;
2. ``judge_outcomes``: each sub-task's outcome from its tests' reports;
3. ``diagnose``: why a troubled run could not verify (blockers), and which sub-tasks
   had every test skipped or deselected;
4. ``record_blockers``: write their reports; a blocked run's sub-tasks become
   ``blocked`` or ``not-run``;
5. ``resolve_blockers``: mark resolved the open reports this run verified;
6. ``write_evidence``: results.json, and its line in the run journal;
7. ``tick``: with ``--tracker-update``, tick what passed and untick what failed, every
   tick through the judge;
8. ``gate``: with ``--tracker-gate``, the judge over every ticked box, from this run's
   evidence alone;
9. ``attest``: with ``--tracker-attest``, the in-toto statement of what the run left;
10. ``write_junit``: with ``--tracker-junit``, JUnit XML naming the sub-tasks verified.

The plugin imports this module only when a tracked run ends (xdist workers never do).
A step that a verified run without options skips (diagnosing, recording and resolving
blockers, ticking, the gate, the statement, JUnit) imports what it needs itself: a
tracked run's fixed cost is mostly imports (docs/performance.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.rules.evidence import Evidence, JournalEntry, write_results
from pytest_tasktracker.rules.journal import blocker_record, tracker_key
from pytest_tasktracker.rules.linking import Link
from pytest_tasktracker.rules.linking import link as link_tests
from pytest_tasktracker.rules.outcomes import SubTaskResult, judge_subtasks, outcomes_of
from pytest_tasktracker.rules.scope import Reach, gaps
from pytest_tasktracker.runinfo import RunInfo, collection_digest
from pytest_tasktracker.tracker.editing import load
from pytest_tasktracker.tracker.model import Tracker

if TYPE_CHECKING:
    from pytest_tasktracker.blockers.model import Blocker
    from pytest_tasktracker.blockers.record import BlockerUpdate
    from pytest_tasktracker.plugin.tracker_run import TrackerRun
    from pytest_tasktracker.state import Record


class End:
    """What the end of one run has found so far, step by step."""

    def __init__(
        self,
        run: TrackerRun,
        tracker: Tracker,
        exit_code: int,
        reach: Reach,
        info: RunInfo,
        command: Callable[[], dict[str, Any]],
    ) -> None:
        self.run = run
        self.tracker = tracker
        self.exit_code = exit_code
        self.reach = reach
        self.info = info
        self.command = command
        self.known: list[str] = []  # the collected node ids
        self.links: list[Link] = []
        self.missing: dict[str, list[str]] = {}
        self.reports: list[Any] = []  # the test reports that tell something
        self.outcomes: Mapping[str, str] = {}  # of each test that ran
        self.results: list[SubTaskResult] = []
        self.blockers: list[Blocker] = []  # the run could not verify
        self.partial: Blocker | None = None  # sub-tasks it could not verify (all skipped, ...)
        self.resolved: list[str] = []  # blocker files this run resolved
        self.recorded = False  # results.json and its journal line were written

    @property
    def settings(self) -> Any:
        return self.run.settings

    def evidence(self) -> dict[str, Evidence]:
        """This run's results as evidence, as results.json now holds them."""
        run = self.info
        return {r.link.subtask.id: Evidence.of_result(r, run.time, run.code) for r in self.results}

    def record_of_run(self) -> Record:
        """The judge's facts from this run's evidence alone, with the state folder's
        open blockers and recorded checks."""
        from pytest_tasktracker.state import code_known, read_record

        run = self.run
        code = code_known(self.settings, run.code_state) if run.code_state else None
        return read_record(self.settings, code, evidence=self.evidence())


def link(end: End) -> None:
    collected = end.run.collected
    end.known = collected.nodeids + collected.extra if collected.extra else collected.nodeids
    # A whole-suite sub-task answers for everything the run collected: the configured
    # suite, and what else it was given (README.rst's doctests): a failure anywhere wins.
    end.links = link_tests(end.tracker, end.known, collected.tasks)
    end.missing = gaps(end.links, end.reach, end.known)


def judge_outcomes(end: End) -> None:
    ran = end.run.collected.selected or []
    selected = None
    if ran != end.known:  # usually the same ids in the same order: compared in C
        chosen = set(ran)
        selected = None if chosen.issuperset(end.known) else chosen
    end.reports = end.run.test_reports()
    end.outcomes = outcomes_of(end.reports)
    end.results = judge_subtasks(end.links, end.outcomes, selected, end.missing)


def diagnose(end: End) -> None:
    run = end.run
    run.facts.exit_code = end.exit_code
    if run.facts.troubled():  # a clean run (the usual case) needs no diagnosis
        from pytest_tasktracker.blockers.diagnose import diagnose as diagnose_facts

        end.blockers = diagnose_facts(run.facts)
    unfinished = any(r.outcome in ("skipped", "not-run") for r in end.results)
    if not end.blockers and not run.stopped and unfinished:
        from pytest_tasktracker.blockers.record import unverifiable

        end.partial = unverifiable(end.results, end.exit_code, bool(end.outcomes))


def record_blockers(end: End) -> None:
    if not end.blockers and end.partial is None:
        return
    from pytest_tasktracker.blockers.record import record
    from pytest_tasktracker.state import proven_on_this_code

    run = end.run
    verified = [
        r.link.subtask.id for r in end.results if r.outcome in ("passed", "failed", "error")
    ]
    run.blocked = record(
        [*end.blockers, *([end.partial] if end.partial else [])],
        settings=end.settings,
        tracker=end.tracker,
        tracker_name=run.tracker_name,
        links=end.links,
        run_paths=run.run_paths,
        facts=run.facts,
        command=end.command(),
        verified=[] if end.blockers else verified,
        proven=proven_on_this_code(end.settings, run.code_state) if end.blockers else (),
    )
    if end.blockers:
        # A blocked run is no evidence: its affected sub-tasks are "blocked", the rest
        # keep their earlier evidence (under xdist other modules may still have run;
        # their results are not used, so -n 2 and a serial run agree).
        blocked_ids = run.blocked.blocked_ids
        end.results = [
            SubTaskResult(r.link, "blocked", blocked_ids[r.link.subtask.id], ())
            if r.link.subtask.id in blocked_ids
            else r
            if r.outcome == "unlinked"
            else SubTaskResult(r.link, "not-run", "the run was blocked", ())
            for r in end.results
        ]


def resolve_blockers(end: End) -> None:
    run = end.run
    if end.blockers or not end.settings.blockers_folder.is_dir():
        return
    from pytest_tasktracker.blockers.record import BlockerUpdate, resolve_reports

    run.blocked = run.blocked or BlockerUpdate()
    written = [path for path, _ in run.blocked.written]
    resolved, warnings = resolve_reports(end.settings, end.results, written)
    run.blocked.resolved.extend(resolved)
    run.blocked.warnings.extend(warnings)
    end.resolved = [path.name for path in resolved]


def opened_blockers(blocked: BlockerUpdate | None) -> dict[str, dict[str, Any]]:
    """The blocker reports a run wrote, as its journal line records them."""
    if blocked is None:
        return {}
    return {
        path.name: blocker_record(
            str(front["kind"]),
            str(front["summary"]),
            [str(entry["id"]) for entry in front.get("affected") or []],
        )
        for path, front in blocked.written
    }


def write_evidence(end: End) -> None:
    run = end.run
    end.info = end.info._replace(collection=collection_digest(end.known))
    entry = JournalEntry(
        "run",
        tracker_key(end.settings),
        opened_blockers(run.blocked),
        tuple(end.resolved),
        end.info.to_json(),
    )
    try:
        warnings = write_results(
            end.settings.results_file,
            end.tracker,
            end.results,
            end.info,
            end.exit_code,
            run.tracker_name,
            entry,
        )
    except (OSError, TrackerError) as error:
        run.warnings.append(f"evidence not written: {describe(error)}")
        return
    run.warnings.extend(warnings)
    end.recorded = True


def tick(end: End) -> None:
    run = end.run
    settings = end.settings
    if not settings.update:
        return
    from pytest_tasktracker.rules.update import plan
    from pytest_tasktracker.state import rerun_command
    from pytest_tasktracker.ticks import TickReport, write

    changes = plan(end.results)
    if end.blockers:
        run.update = TickReport(error="this run could not verify; nothing was ticked")
        return
    if not end.recorded:  # no tick without its evidence; an untick needs none
        changes = [change for change in changes if not change.done]
    report = write(
        settings.tracker,
        run.tracker_name,
        end.tracker,
        changes,
        end.record_of_run(),
        rerun_command(end.tracker),
    )
    if not end.recorded and not report.error:
        report.error = "the evidence could not be written; nothing was ticked"
    run.update = report


def gate(end: End) -> None:
    """The gate, on the tracker as this run left it (after its ticks), judged from this
    run's evidence alone: CI's own run trusts no evidence it did not make."""
    run = end.run
    if not end.settings.gate:
        return
    from pytest_tasktracker.rules.gate import backed_by_evidence, gate_lines
    from pytest_tasktracker.views import find_gate_offenders, summary_files, write_summary

    try:
        tracker = load(end.settings.tracker, run.tracker_name)
    except TrackerError as error:
        run.gate_lines, run.gate_failed = [f"gate could not read the tracker: {error}"], True
        return
    record = end.record_of_run()
    offenders, warnings, _ = find_gate_offenders(tracker, end.settings, record=record)
    warnings += write_summary(tracker, offenders, record, summary_files())
    github = os.environ.get("GITHUB_ACTIONS") == "true"
    lines = [f"gate warning: {warning}" for warning in warnings]
    backed = backed_by_evidence(tracker, record.evidence)
    lines += gate_lines(tracker.path, offenders, tracker.done_count, github, backed)
    run.gate_lines, run.gate_failed = lines, bool(offenders)


def attest(end: End) -> None:
    """With ``--tracker-attest``, the in-toto statement of this run: the tracker as it
    left it, the results.json it wrote, the code state it ran on."""
    run = end.run
    if run.attest is None:
        return
    if not end.recorded or run.code_state is None:
        run.warnings.append(f"no statement written to {run.display(run.attest)}: no evidence")
        return
    from pytest_tasktracker import attestation
    from pytest_tasktracker.tracker.fileio import atomic_write

    facts = run.facts
    ini_name = run.display(facts.inifile) if facts.inifile else ""
    manifest = end.settings.state / "code" / attestation.MANIFEST
    try:
        atomic_write(manifest, attestation.manifest_text(run.code_state.files))
        data = attestation.statement(
            tracker=(run.tracker_name, end.settings.tracker),
            results=(run.display(end.settings.results_file), end.settings.results_file),
            manifest=(run.display(manifest), manifest),
            outcomes=end.outcomes,
            blocked=bool(end.blockers),
            configuration=attestation.configuration_of(facts.inifile, ini_name, facts.argv),
        )
        atomic_write(run.attest, (json.dumps(data, indent=2) + "\n").encode())
        predicate = run.attest.with_name(f"{run.attest.stem}.predicate.json")
        atomic_write(predicate, (json.dumps(data["predicate"], indent=2) + "\n").encode())
    except (OSError, TrackerError) as error:
        run.warnings.append(f"statement not written: {describe(error)}")


def write_junit(end: End) -> None:
    """With ``--tracker-junit``, the JUnit XML of this run, each test case naming the
    sub-tasks it verifies."""
    run = end.run
    if run.junit is None:
        return
    from pytest_tasktracker.junit import junit_xml
    from pytest_tasktracker.tracker.fileio import atomic_write

    suite = {"tracker": run.tracker_name, "run": end.info.id or ""}
    if run.code_state is not None:
        suite["code_state"] = run.code_state.digest
    data = junit_xml(end.outcomes, end.reports, end.links, suite, end.known)
    try:
        atomic_write(run.junit, data)
    except (OSError, TrackerError) as error:
        run.warnings.append(f"JUnit XML not written: {describe(error)}")


STEPS: tuple[Callable[[End], None], ...] = (
    link,
    judge_outcomes,
    diagnose,
    record_blockers,
    resolve_blockers,
    write_evidence,
    tick,
    gate,
    attest,
    write_junit,
)


def finish(end: End) -> None:
    for step in STEPS:
        step(end)
    run = end.run
    run.results = end.results
    if run.blocked is not None:
        run.warnings.extend(run.blocked.warnings)


def describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return str(error)
