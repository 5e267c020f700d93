"""The state of one pytest run on the controller, and what happens when it ends."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_tasktracker.collection import Collected
from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.evidence import write_results
from pytest_tasktracker.linking import link
from pytest_tasktracker.outcomes import SubTaskResult, TestOutcomes, judge_all
from pytest_tasktracker.runinfo import RunInfo
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker import Tracker
from pytest_tasktracker.update import UpdateReport, apply, plan


@dataclass
class CollectError:
    nodeid: str
    text: str


@dataclass
class TrackerRun:
    """Everything the controller (or a serial run) learns during the session."""

    settings: Settings
    tracker: Tracker
    tracker_name: str
    rootdir: Path
    tests: TestOutcomes = field(default_factory=TestOutcomes)
    local: Collected = field(default_factory=Collected)
    from_workers: Collected | None = None
    worker_ids: set[str] = field(default_factory=set)
    collect_errors: dict[str, CollectError] = field(default_factory=dict)
    results: list[SubTaskResult] = field(default_factory=list)
    update: UpdateReport | None = None
    warnings: list[str] = field(default_factory=list)
    finished: bool = False

    @property
    def collected(self) -> Collected:
        if self.local.selected is not None:
            return self.local
        return self.from_workers or Collected(selected=[])

    def add_collect_error(self, nodeid: str, text: str) -> None:
        self.collect_errors.setdefault(nodeid, CollectError(nodeid, text))

    def display(self, path: Path) -> str:
        try:
            return os.path.relpath(path, self.rootdir)
        except ValueError:  # another drive on Windows
            return str(path)

    def finish(self, exit_code: int, narrowed: bool, run: RunInfo) -> None:
        """Judge every sub-task, write the evidence and, on a verified run, the ticks."""
        collected = self.collected
        links = link(self.tracker, collected.tests)
        selected = set(collected.selected or ())
        self.results = judge_all(links, self.tests, selected, narrowed)
        try:
            warning = write_results(
                self.settings.results_file,
                self.tracker,
                self.results,
                run,
                exit_code,
                self.tracker_name,
            )
            if warning:
                self.warnings.append(warning)
        except (OSError, TrackerError) as error:
            self.warnings.append(f"evidence not written: {_describe(error)}")
        verified = not self.collect_errors and exit_code in (0, 1)
        if self.settings.update:
            if verified:
                self.update = apply(
                    self.settings.tracker, self.tracker_name, self.tracker, plan(self.results)
                )
            else:
                self.update = UpdateReport(error="this run could not verify; nothing was ticked")
        self.finished = True

    def linked(self) -> Sequence[SubTaskResult]:
        return [result for result in self.results if result.outcome != "unlinked"]


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename:
        return f"{error.filename}: {error.strerror}"
    return str(error)
