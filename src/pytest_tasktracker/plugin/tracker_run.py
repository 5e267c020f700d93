"""The state of one pytest run on the controller, and what happens when it ends."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tasktracker.blockers.facts import Facts
from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.paths import relative
from pytest_tasktracker.plugin.collection import Collected
from pytest_tasktracker.settings import Settings

if TYPE_CHECKING:  # the rest is imported when the run ends: xdist workers never need it
    from pytest_tasktracker.blockers.record import BlockerUpdate
    from pytest_tasktracker.rules.codestate import CodeState
    from pytest_tasktracker.rules.outcomes import SubTaskResult
    from pytest_tasktracker.rules.scope import Reach
    from pytest_tasktracker.rules.update import UpdateReport
    from pytest_tasktracker.runinfo import RunInfo
    from pytest_tasktracker.tracker.model import Tracker

# Options whose value is not a path, for guessing the paths a run was given.
_VALUE_OPTIONS = frozenset(
    {
        "-k",
        "-m",
        "-p",
        "-o",
        "-c",
        "-n",
        "--tracker",
        "--tracker-state",
        "--rootdir",
        "--basetemp",
        "--confcutdir",
        "--deselect",
        "--ignore",
        "--ignore-glob",
        "-W",
        "--tb",
        "--junitxml",
        "--junit-xml",
        "--maxfail",
        "--durations",
        "--import-mode",
        "-r",
    }
)


@dataclass
class TrackerRun:
    """Everything the controller (or a serial run) learns during the session."""

    settings: Settings
    tracker_name: str
    facts: Facts
    tracker: Tracker | None = None
    reports: list[Any] = field(default_factory=list)  # as pytest_runtest_logreport gave them
    local: Collected = field(default_factory=Collected)
    from_workers: Collected | None = None
    worker_ids: set[str] = field(default_factory=set)
    run_paths: list[str] = field(default_factory=list)
    results: list[SubTaskResult] = field(default_factory=list)
    update: UpdateReport | None = None
    blocked: BlockerUpdate | None = None
    warnings: list[str] = field(default_factory=list)
    finished: bool = False
    stopped: bool = False  # by the supervisor's timeout: it writes the blocker
    code_state: CodeState | None = None  # the code this run ran on (code_digest)
    printed: bool = False
    gate_lines: list[str] = field(default_factory=list)  # --tracker-gate's verdict
    gate_failed: bool = False

    @property
    def collected(self) -> Collected:
        if self.local.selected is not None:
            return self.local
        return self.from_workers or Collected(selected=[])

    def display(self, path: Path) -> str:
        return relative(path, self.facts.cwd)

    def code_digest(self) -> str | None:
        """The code state this run ran on (the files it collected among it), remembered
        in the state folder; None when it cannot be taken (the evidence is then never
        called stale)."""
        from pytest_tasktracker.rules.codestate import for_run

        files = {nodeid.partition("::")[0] for nodeid in self.collected.nodeids}
        try:
            state = for_run(self.settings, files, self.facts.rootdir)
        except (OSError, TrackerError) as error:
            self.warnings.append(f"code state not recorded: {_describe(error)}")
            return None
        self.code_state = state
        return state.digest

    def load_tracker(self) -> Tracker | None:
        if self.tracker is None:
            from pytest_tasktracker.tracker.editing import load

            try:
                self.tracker = load(self.settings.tracker, self.tracker_name)
            except TrackerError:
                return None
        return self.tracker

    def finish(
        self, exit_code: int, reach: Reach, run: RunInfo, command: Callable[[], dict[str, Any]]
    ) -> None:
        """Judge every sub-task, write the evidence, the blockers and, when the run
        verified, the ticks.

        At the end of a session the heap is at its largest (every test item is alive),
        and this step makes a few objects per linked test: the cyclic collector would scan
        the whole heap several times for objects that hold no cycles. It is paused here, as
        in the parser; no user code runs in between.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._finish(exit_code, reach, run, command)
        finally:
            if enabled:
                gc.enable()

    def _finish(
        self, exit_code: int, reach: Reach, run: RunInfo, command: Callable[[], dict[str, Any]]
    ) -> None:
        from pytest_tasktracker.rules.linking import link
        from pytest_tasktracker.rules.outcomes import SubTaskResult, judge_subtasks, outcomes_of
        from pytest_tasktracker.rules.scope import gaps

        tracker = self.load_tracker()
        if tracker is None:
            return
        self.facts.exit_code = exit_code
        collected = self.collected
        known = collected.nodeids + collected.extra if collected.extra else collected.nodeids
        links = link(tracker, known, collected.tasks, reach.suite_of(known))
        chosen = set(collected.selected or ())
        selected = None if chosen.issuperset(known) else chosen
        missing = gaps(links, reach, known)
        results = judge_subtasks(links, outcomes_of(self.reports), selected, missing)
        # A clean run (the usual case) needs no diagnosis, and no blocker module at all.
        blockers = []
        if self.facts.troubled():
            from pytest_tasktracker.blockers.diagnose import diagnose

            blockers = diagnose(self.facts)
        partial = None
        unfinished = any(r.outcome in ("skipped", "not-run") for r in results)
        if not blockers and not self.stopped and unfinished:
            from pytest_tasktracker.blockers.record import unverifiable

            partial = unverifiable(results, exit_code)
        verified = [
            r.link.subtask.id for r in results if r.outcome in ("passed", "failed", "error")
        ]
        if blockers or partial:
            from pytest_tasktracker.blockers.record import record

            self.blocked = record(
                [*blockers, *([partial] if partial else [])],
                settings=self.settings,
                tracker=tracker,
                tracker_name=self.tracker_name,
                links=links,
                run_paths=self.run_paths,
                facts=self.facts,
                command=command(),
                verified=[] if blockers else verified,
            )
        if blockers:
            # A blocked run is no evidence: its affected sub-tasks are "blocked", the rest
            # keep their earlier evidence (under xdist other modules may still have run;
            # their results are not used, so -n 2 and a serial run agree).
            blocked_ids = self.blocked.blocked_ids if self.blocked else {}
            results = [
                SubTaskResult(r.link, "blocked", blocked_ids[r.link.subtask.id], ())
                if r.link.subtask.id in blocked_ids
                else r
                if r.outcome == "unlinked"
                else SubTaskResult(r.link, "not-run", "the run was blocked", ())
                for r in results
            ]
        self.results = results
        from pytest_tasktracker.runinfo import collection_digest

        run = run._replace(collection=collection_digest(known))
        recorded = self._write_evidence(tracker, run, exit_code)
        if self.settings.update:
            from pytest_tasktracker.rules.update import UpdateReport, apply, plan

            changes = plan(results)
            if blockers:
                self.update = UpdateReport(error="this run could not verify; nothing was ticked")
            elif not recorded:  # no tick without its evidence; an untick needs none
                unticks = [change for change in changes if not change.done]
                self.update = apply(self.settings.tracker, self.tracker_name, tracker, unticks)
                if len(unticks) < len(changes):
                    self.update.error = "the evidence could not be written; nothing was ticked"
            else:
                self.update = apply(self.settings.tracker, self.tracker_name, tracker, changes)
        if not blockers and self.settings.blockers_folder.is_dir():
            from pytest_tasktracker.blockers.record import BlockerUpdate, resolve_reports

            self.blocked = self.blocked or BlockerUpdate()
            written = [path for path, _ in self.blocked.written]
            resolved, warnings = resolve_reports(self.settings, results, written)
            self.blocked.resolved.extend(resolved)
            self.blocked.warnings.extend(warnings)
        if self.blocked is not None:
            self.warnings.extend(self.blocked.warnings)
        if self.settings.gate:
            self.gate_lines, self.gate_failed = self._gate()
        self.finished = True

    def _gate(self) -> tuple[list[str], bool]:
        """The gate, on the tracker as this run left it (after its ticks)."""
        from pytest_tasktracker.rules.gate import gate_lines
        from pytest_tasktracker.tracker.editing import load
        from pytest_tasktracker.views import find_gate_offenders, summary_files, write_summary

        try:
            tracker = load(self.settings.tracker, self.tracker_name)
        except TrackerError as error:
            return [f"gate could not read the tracker: {error}"], True
        from pytest_tasktracker.state import code_known

        known = self.code_state  # taken once for the evidence; the code has not changed
        code = code_known(self.settings, known) if known is not None else None
        offenders, warnings, record = find_gate_offenders(tracker, self.settings, code=code)
        warnings += write_summary(tracker, offenders, record, summary_files())
        github = os.environ.get("GITHUB_ACTIONS") == "true"
        lines = [f"gate warning: {warning}" for warning in warnings]
        lines += gate_lines(tracker.path, offenders, tracker.done_count, github)
        return lines, bool(offenders)

    def _write_evidence(self, tracker: Tracker, run: RunInfo, exit_code: int) -> bool:
        """Write results.json; False when it could not be written."""
        from pytest_tasktracker.rules.evidence import write_results

        try:
            warning = write_results(
                self.settings.results_file,
                tracker,
                self.results,
                run,
                exit_code,
                self.tracker_name,
            )
        except (OSError, TrackerError) as error:
            self.warnings.append(f"evidence not written: {_describe(error)}")
            return False
        if warning:
            self.warnings.append(warning)
        return True

    def conclude_early(self, command: Callable[[], dict[str, Any]]) -> None:
        """The run ended before its session finished (a usage or conftest error): write
        the blockers from what is known."""
        self.finished = True
        tracker = self.load_tracker()
        if tracker is None:
            return
        from pytest_tasktracker.blockers.diagnose import diagnose
        from pytest_tasktracker.blockers.record import record

        blockers = diagnose(self.facts)
        if not blockers:
            return
        self.blocked = record(
            blockers,
            settings=self.settings,
            tracker=tracker,
            tracker_name=self.tracker_name,
            links=None,
            run_paths=self.run_paths or guess_paths(self.facts.argv),
            facts=self.facts,
            command=command(),
            verified=[],
        )
        self.warnings.extend(self.blocked.warnings)

    def blocked_lines(self) -> list[str]:
        return self.blocked.lines(self.facts.cwd) if self.blocked is not None else []


def guess_paths(argv: Sequence[str]) -> list[str]:
    """The test paths in a command line, when pytest did not get far enough to say."""
    paths = []
    previous = ""
    for arg in argv:
        if not arg.startswith("-") and previous not in _VALUE_OPTIONS:
            file = arg.split("::")[0]
            if file.endswith(".py") or "::" in arg or os.path.isdir(file):
                paths.append(file)
        previous = arg
    return paths


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return str(error)
