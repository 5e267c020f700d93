"""The state folder as the judge reads it, and the judge's answer on a sub-task.

``read_record`` gathers the facts of ``rules.judge`` from what the tool itself recorded:
the evidence in results.json and the checks in checks.json (each trusted only when the
run journal vouches for the file), the open blocker reports (and the blockers the
journal recorded open, whatever became of their files), the code as it is now, the
project's declared checks and the ``task`` markers in its test files.
``Record.reasons`` is the judge's answer: every writer of ``[x]`` asks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pytest_tasktracker.blockers.reports import open_blockers
from pytest_tasktracker.paths import relative
from pytest_tasktracker.rules import journal
from pytest_tasktracker.rules.checks import CheckResult, read_checks
from pytest_tasktracker.rules.codestate import CodeState, for_judge, manifests
from pytest_tasktracker.rules.evidence import Evidence, ResultsError, read_evidence
from pytest_tasktracker.rules.freshness import CodeNow, passed_here, same_state
from pytest_tasktracker.rules.gate import Blocked, blocked_ids
from pytest_tasktracker.rules.journal import tracker_key
from pytest_tasktracker.rules.judge import Facts, OpenBlocker, Reason, depends_on_code, judge
from pytest_tasktracker.rules.markers import marked_ids
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.model import SubTask, Tracker


class Record:
    """What the state folder says, as the judge's facts: the evidence and the open
    blockers, the checks verify recorded, and the code as it is now. ``settings``: to
    find task markers in the test files, when asked."""

    def __init__(
        self,
        evidence: dict[str, Evidence],
        blockers: list[OpenBlocker],
        warnings: list[str] | None = None,
        code: CodeNow | None = None,
        checks: dict[str, dict[str, CheckResult]] | None = None,
        checks_untrusted: str | None = None,
        declared: Mapping[str, str] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.evidence = evidence
        self.blockers = blockers
        self.warnings: list[str] = [] if warnings is None else warnings
        self.code = code
        self.checks: dict[str, dict[str, CheckResult]] = {} if checks is None else checks
        self.checks_untrusted = checks_untrusted
        self.declared: Mapping[str, str] = {} if declared is None else declared
        self.settings = settings
        self._blocked: Blocked | None = None
        self._marked: frozenset[str] | None = None

    @property
    def warning(self) -> str | None:
        return "; ".join(self.warnings) or None

    def blocker(self, subtask_id: str) -> OpenBlocker | None:
        if self._blocked is None:
            self._blocked = blocked_ids(self.blockers)
        return self._blocked.get(subtask_id)

    def marked(self, subtask_id: str) -> bool:
        """Whether a ``task`` marker in the project's test files names the sub-task."""
        return subtask_id.casefold() in self._marked_ids()

    def _marked_ids(self) -> frozenset[str]:
        if self._marked is None:
            settings = self.settings
            self._marked = (
                marked_ids(settings.code_root, settings.testpaths)
                if settings is not None
                else frozenset()
            )
        return self._marked

    def facts(self, subtask: SubTask, marked: frozenset[str] | None = None) -> Facts:
        """The judge's facts on ``subtask``; ``marked``: the ids the ``task`` markers
        name, when the caller read them (default: read from the test files)."""
        marked = self._marked_ids() if marked is None else marked
        return Facts(
            evidence=self.evidence.get(subtask.id),
            blocker=self.blocker(subtask.id),
            checks=self.checks.get(subtask.id, {}),
            code=self.code,
            marked=subtask.id.casefold() in marked,
            declared=self.declared,
            checks_untrusted=self.checks_untrusted,
        )

    def reasons(self, subtask: SubTask, rerun: str) -> list[Reason]:
        """The judge's answer: why ``subtask`` may not be ``[x]`` now (empty: it may)."""
        return judge(subtask, self.facts(subtask), rerun)

    def kept_reasons(
        self, subtask: SubTask, rerun: str, marked: frozenset[str] | None, code_free: bool
    ) -> tuple[list[Reason], bool] | None:
        """The judge's answer for the hook's look to keep, and whether the code state
        (``self.code``) can change it. ``marked``: the ids the ``task`` markers name,
        whose files the caller watches (None: not read, and an answer a marker could
        change is not kept); ``code_free``: no judge takes the code state for these
        records (no evidence, no checks). None when the answer is not to be kept."""
        facts = self.facts(subtask, marked or frozenset())
        if marked is None and depends_on_code(subtask, facts):
            return None
        needs_code = depends_on_code(subtask, facts, markers_known=True) and not code_free
        if needs_code and self.code is None:
            return None
        return judge(subtask, facts, rerun), needs_code


def read_record(
    settings: Settings,
    code: CodeNow | None = None,
    evidence: dict[str, Evidence] | None = None,
    *,
    with_code: bool = True,
) -> Record:
    """The state folder; ``code``: the code state when the caller has just taken it;
    ``evidence``: a run's own, judged instead of results.json (a run judges its ticks
    and its gate from what it saw); ``with_code`` False: the code state is not taken
    (the hook's look takes it after the code's fingerprint, ``Record.kept_reasons``)."""
    warnings = []
    recorded = journal.read(settings.state)
    if recorded.problem is not None:
        warnings.append(f"{recorded.problem}: nothing it recorded is trusted")
    other = _other_tracker(settings, recorded)
    digest = None
    if evidence is None:
        try:
            evidence, digest = read_evidence(settings.results_file)
        except ResultsError as error:
            evidence = {}
            warnings.append(f"{error}; judging as if there were no evidence")
    distrust = other or recorded.untrusted(journal.RESULTS, digest)
    if distrust:
        evidence = {key: entry._replace(untrusted=distrust) for key, entry in evidence.items()}
        if other:
            warnings.append(other)
    checks, checks_digest = read_checks(settings.state)  # one read: see read_once
    checks_digest = checks_digest if checks else None
    checks_untrusted = other or recorded.untrusted(journal.CHECKS, checks_digest)
    if checks is None and journal.CHECKS in recorded.last:
        checks_untrusted = f"{journal.CHECKS} was recorded and is gone"
    return Record(
        evidence,
        _blockers(settings, recorded),
        warnings,
        code if code is not None or not with_code else _code_for(settings, evidence or checks),
        checks or {},
        checks_untrusted,
        settings.declared,
        settings,
    )


def _other_tracker(settings: Settings, recorded: journal.Journal) -> str | None:
    """Why the state folder's evidence is not this tracker's, if it is another's."""
    mine = tracker_key(settings)
    if recorded.tracker is None or recorded.tracker == mine:
        return None
    state = relative(settings.state)
    theirs = relative(settings.state / recorded.tracker)
    return f"the evidence in {state} is for the tracker {theirs}, not {relative(settings.tracker)}"


def _blockers(settings: Settings, recorded: journal.Journal) -> list[OpenBlocker]:
    """The open blocker reports, and the blockers the journal recorded open whose file
    is gone or no longer says open (only a run resolves a blocker)."""
    shown = relative(settings.blockers_folder)
    found = open_blockers(settings.blockers_folder, shown)
    on_disk = {Path(blocker.path).name for blocker in found}
    for name, blocker in recorded.blockers.items():
        if name not in on_disk:
            found.append(
                OpenBlocker(
                    f"{shown}/{name}",
                    blocker.kind,
                    f"{blocker.summary} (recorded open in {journal.FILE}; its file is gone or "
                    "was changed by hand)",
                    blocker.affected,
                )
            )
    return found


def _code_for(settings: Settings, recorded: object) -> CodeNow | None:
    """The code state now, when something was recorded that it may make stale."""
    return code_now(settings) if recorded else None


def code_now(settings: Settings) -> CodeNow | None:
    """The code state now, as the last run took it (its root, wherever this runs), with
    the manifests of the states evidence was proven on."""
    try:
        state = for_judge(settings)
    except OSError:
        return None
    return code_known(settings, state)


def code_known(settings: Settings, state: CodeState) -> CodeNow:
    """A code state just taken, with the remembered manifests, as a judge uses it."""
    return CodeNow(state.digest, state.files, manifests(settings.state), state.root)


def proven_on_this_code(settings: Settings, state: CodeState | None) -> set[str]:
    """The sub-tasks whose evidence is a pass a recorded run proved on the code state
    ``state`` itself: a blocked run takes nothing away from them."""
    if state is None:
        return set()
    record = read_record(settings, code_known(settings, state))
    return {
        subtask_id
        for subtask_id, evidence in record.evidence.items()
        if evidence.code is not None
        and same_state(evidence.code, state.digest)
        and passed_here(evidence, record.code)
    }


def rerun_command(
    tracker: Tracker,
    record: Record | None = None,
    cwd: Path | None = None,
    *,
    root: Path | None = None,
) -> str:
    """The run that proves ``tracker``'s sub-tasks, runnable from here: from the code's
    root when that is not the working folder (a tracker kept outside the project). There
    the tracker is ``--tracker=PATH``: pytest picks its rootdir and ini file before any
    plugin's options are known, and would take a separate ``PATH`` outside the project
    for a test path (its rootdir then the common folder, the project's ini unread).
    ``cwd``: where the command will be run (default: here); ``root``: the code's root
    when ``record`` holds no code state."""
    command = f"pytest --tracker {tracker.path} --tracker-update"
    if record is not None and record.code is not None:
        root = record.code.root
    if root is None:
        return command

    cwd = cwd or Path.cwd()
    if os.path.realpath(root) == os.path.realpath(cwd):
        return command
    tracker_there = os.path.relpath(os.path.abspath(tracker.path), root)
    return f"cd {relative(root, cwd)} && pytest --tracker={tracker_there} --tracker-update"


def refusal(subtask: SubTask, record: Record, rerun: str) -> str | None:
    """The judge's answer as one line (the first reason and what to do); None when the
    box may be ``[x]``."""
    reasons = record.reasons(subtask, rerun)
    if not reasons:
        return None
    return f"{reasons[0].why}; {reasons[0].todo}"
