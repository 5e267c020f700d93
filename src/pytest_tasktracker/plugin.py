"""pytest hooks of pytest-tasktracker: options, the ``task`` marker, and the run's hooks.

Only the standard library and pytest are imported here: the plugin loads on every run,
and does nothing but register its options and marker unless a tracker is configured.
The work itself lives in the library modules these hooks call.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_tasktracker.session import TrackerRun
    from pytest_tasktracker.tracker import Tracker

INI_KEYS = ("tracker", "tracker_update", "tracker_gate", "tracker_state", "tracker_blocked_file")
RUN_PLUGIN = "tasktracker-run"
COLLECT_PLUGIN = "tasktracker-collect"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tasktracker", "task tracker (pytest-tasktracker)")
    group.addoption(
        "--tracker",
        metavar="PATH",
        default=None,
        help="markdown task tracker whose sub-tasks this run verifies "
        "(also $PYTEST_TRACKER or ini 'tracker'; CLI > env > ini)",
    )
    group.addoption(
        "--tracker-update",
        action="store_true",
        default=False,
        help="tick sub-tasks whose tests passed and untick ticked ones whose tests failed",
    )
    group.addoption(
        "--tracker-gate",
        action="store_true",
        default=False,
        help="fail the run when a ticked sub-task has no passing evidence",
    )
    group.addoption(
        "--tracker-state",
        metavar="DIR",
        default=None,
        help="folder for results.json and blockers/ (default: .tasktracker/ beside the tracker)",
    )
    parser.addini("tracker", "markdown task tracker to verify (relative to this file)")
    parser.addini("tracker_update", "tick what passed, untick regressions (true/false)")
    parser.addini("tracker_gate", "fail the run on ticks without evidence (true/false)")
    parser.addini("tracker_state", "folder for results.json and blockers/")
    parser.addini("tracker_blocked_file", "file that gets a one-line reason when blocked")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "task(*ids): the tracker sub-tasks this test verifies, e.g. task('2.11', 'T004')",
    )
    from pytest_tasktracker.settings import SettingsError, resolve

    try:
        settings = resolve(
            cwd=config.invocation_params.dir,
            cli_tracker=config.getoption("tracker"),
            cli_state=config.getoption("tracker_state"),
            cli_update=config.getoption("tracker_update"),
            cli_gate=config.getoption("tracker_gate"),
            env=os.environ,
            ini={key: str(config.getini(key) or "") for key in INI_KEYS},
            ini_path=config.inipath,
        )
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    if settings is None:
        return
    from pytest_tasktracker.editing import load
    from pytest_tasktracker.errors import TrackerError
    from pytest_tasktracker.session import TrackerRun

    name = _display(config, settings.tracker)
    try:
        tracker = load(settings.tracker, name)
    except TrackerError as error:
        raise pytest.UsageError(f"{settings.tracker_source}: {error}") from None
    config.pluginmanager.register(CollectHooks(config, tracker), COLLECT_PLUGIN)
    if not hasattr(config, "workerinput"):
        run = TrackerRun(settings, tracker, name, config.rootpath)
        config.pluginmanager.register(RunHooks(config, run), RUN_PLUGIN)


def _display(config: pytest.Config, path: os.PathLike[str]) -> str:
    try:
        return os.path.relpath(path, config.invocation_params.dir)
    except ValueError:
        return os.fspath(path)


class CollectHooks:
    """Collection-time work, in a serial run and in every xdist worker."""

    def __init__(self, config: pytest.Config, tracker: Tracker) -> None:
        from pytest_tasktracker.collection import Collected

        self.config = config
        self.tracker = tracker
        self.collected = Collected()

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if report.passed and report.result:
            problems = self._marker_problems(report.result)
            if problems:
                report.outcome = "failed"
                report.longrepr = "\n".join(problems)
                report.result = []
        return report

    def _marker_problems(self, nodes: Sequence[Any]) -> list[str]:
        from pytest_tasktracker.collection import task_ids
        from pytest_tasktracker.linking import unknown_marker_ids

        problems = []
        for node in nodes:
            if not isinstance(node, pytest.Item):
                continue
            ids, bad = task_ids(list(node.iter_markers("task")))
            for problem in [*bad, *unknown_marker_ids(self.tracker, ids)]:
                problems.append(
                    f"{node.nodeid}: {problem} in tracker {self.tracker.path} (@pytest.mark.task)"
                )
        return problems

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        from pytest_tasktracker.collection import task_ids

        self.collected.add(item.nodeid, task_ids(list(item.iter_markers("task")))[0])

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.collected.deselected.update(item.nodeid for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from pytest_tasktracker.collection import WORKEROUTPUT_KEY

        self.collected.selected = [item.nodeid for item in session.items]
        workeroutput = getattr(self.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKEROUTPUT_KEY] = self.collected.to_json()
        else:
            run = self.config.pluginmanager.get_plugin(RUN_PLUGIN)
            if run is not None:
                run.run.local = self.collected


class RunHooks:
    """Aggregation and writing: on the xdist controller or in a serial run, never a worker."""

    def __init__(self, config: pytest.Config, run: TrackerRun) -> None:
        self.config = config
        self.run = run

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.run.add_collect_error(report.nodeid, str(report.longrepr))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.run.tests.add(report.nodeid, report.when, report.outcome, hasattr(report, "wasxfail"))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from pytest_tasktracker.collection import WORKEROUTPUT_KEY, Collected

        self.run.worker_ids.add(str(getattr(node, "gateway", node).id))
        data = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if data is not None and self.run.from_workers is None:
            self.run.from_workers = Collected.from_json(data)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from pytest_tasktracker import runinfo

        run = runinfo.collect(
            list(self.config.invocation_params.args),
            self.config.rootpath,
            pytest.__version__,
            len(self.run.worker_ids),
        )
        self.run.finish(int(exitstatus), _narrowed(self.config, self.run), run)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_tasktracker import summary

        if not self.run.finished:
            return
        verbosity = self.config.get_verbosity()
        rows = summary.lines(
            self.run.results, self.run.update, verbosity, terminalreporter._tw.fullwidth
        )
        if verbosity < 0:
            terminalreporter.write_line(f"task tracker {self.run.tracker_name}: {rows[-1]}")
        else:
            terminalreporter.write_sep("-", f"task tracker: {self.run.tracker_name}")
            for row in rows:
                terminalreporter.write_line(row)
            evidence = self.run.display(self.run.settings.results_file)
            terminalreporter.write_line(f"evidence: {evidence}")
        for warning in self.run.warnings:
            terminalreporter.write_line(f"task tracker warning: {warning}", yellow=True)


def _narrowed(config: pytest.Config, run: TrackerRun) -> bool:
    """Whether this run selected less than the whole configured suite."""
    option = config.option
    if run.collected.deselected:
        return True
    if getattr(option, "keyword", "") or getattr(option, "markexpr", ""):
        return True
    if getattr(option, "lf", False) or getattr(option, "stepwise", False):
        return True
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return False
    base = config.invocation_params.dir
    given = {os.path.normpath(base / arg.split("::")[0]) for arg in config.args}
    default = {os.path.normpath(config.rootpath / p) for p in config.getini("testpaths")}
    return given != (default or {os.path.normpath(base)})
