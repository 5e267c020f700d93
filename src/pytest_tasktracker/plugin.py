"""pytest hooks of pytest-tasktracker: options, the ``task`` marker, and the run's hooks.

Only the standard library and pytest are imported here: the plugin loads on every run,
and does nothing but register its options and marker unless a tracker is configured.
The work itself lives in the library modules these hooks call.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_tasktracker.session import TrackerRun
    from pytest_tasktracker.settings import Settings
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


def _settings(config: pytest.Config, namespace: Any) -> Settings | None:
    from pytest_tasktracker.settings import resolve

    return resolve(
        cwd=config.invocation_params.dir,
        cli_tracker=getattr(namespace, "tracker", None),
        cli_state=getattr(namespace, "tracker_state", None),
        cli_update=bool(getattr(namespace, "tracker_update", False)),
        cli_gate=bool(getattr(namespace, "tracker_gate", False)),
        env=os.environ,
        ini={key: str(config.getini(key) or "") for key in INI_KEYS},
        ini_path=config.inipath,
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, None, None]:
    """Start watching before conftests load, so a conftest or usage error is reported."""
    run = _start(early_config)
    try:
        result = yield
    except BaseException as error:
        if run is not None:
            run.facts.exception = error
        raise
    if run is not None:
        try:
            namespace = copy.copy(early_config.option)
            run.facts.unknown_flags = parser.parse_known_and_unknown_args(
                list(args), namespace=namespace
            )[1]
        except Exception:
            pass
    return result


def _start(config: pytest.Config) -> TrackerRun | None:
    from pytest_tasktracker.settings import SettingsError

    try:
        settings = _settings(config, config.known_args_namespace)
    except SettingsError:
        return None  # pytest_configure raises it as a usage error
    if settings is None:
        return None
    import shlex

    from pytest_tasktracker.facts import Facts
    from pytest_tasktracker.paths import relative
    from pytest_tasktracker.session import TrackerRun

    addopts = config.getini("addopts")
    try:
        env_addopts = shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))
    except ValueError:
        env_addopts = []
    facts = Facts(
        argv=[str(arg) for arg in config.invocation_params.args],
        cwd=config.invocation_params.dir,
        rootdir=config.rootpath,
        inifile=config.inipath,
        addopts=[str(a) for a in (addopts if isinstance(addopts, list) else [])],
        env_addopts=env_addopts,
    )
    run = TrackerRun(settings, relative(settings.tracker, config.invocation_params.dir), facts)
    hooks = RunHooks(config, run)
    config.pluginmanager.register(hooks, RUN_PLUGIN)
    config.add_cleanup(hooks.cleanup)
    return run


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "task(*ids): the tracker sub-tasks this test verifies, e.g. task('2.11', 'T004')",
    )
    from pytest_tasktracker.settings import SettingsError

    try:
        settings = _settings(config, config.option)
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    if settings is None:
        return
    from pytest_tasktracker.editing import load
    from pytest_tasktracker.errors import TrackerError
    from pytest_tasktracker.paths import relative

    name = relative(settings.tracker, config.invocation_params.dir)
    try:
        tracker = load(settings.tracker, name)
    except TrackerError as error:
        raise pytest.UsageError(f"{settings.tracker_source}: {error}") from None
    config.pluginmanager.register(CollectHooks(config, tracker), COLLECT_PLUGIN)
    hooks = config.pluginmanager.get_plugin(RUN_PLUGIN)
    if hasattr(config, "workerinput"):
        if hooks is not None:  # workers never write: the controller does
            config.pluginmanager.unregister(hooks)
        return
    if hooks is None:  # not started early (the plugin was loaded late, by -p)
        from pytest_tasktracker.facts import Facts
        from pytest_tasktracker.session import TrackerRun

        facts = Facts([str(a) for a in config.invocation_params.args],
                      config.invocation_params.dir, config.rootpath, config.inipath)  # fmt: skip
        hooks = RunHooks(config, TrackerRun(settings, name, facts))
        config.pluginmanager.register(hooks, RUN_PLUGIN)
        config.add_cleanup(hooks.cleanup)
    hooks.run.settings = settings
    hooks.run.tracker = tracker


class CollectHooks:
    """Collection-time work, in a serial run and in every xdist worker."""

    def __init__(self, config: pytest.Config, tracker: Tracker) -> None:
        from pytest_tasktracker.collection import Collected
        from pytest_tasktracker.linking import KnownIds

        self.config = config
        self.tracker = tracker
        self.known = KnownIds(tracker)
        self.collected = Collected()
        self.marks: dict[str, list[str]] = {}  # node id -> task ids, read once per test

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        report = yield
        if report.passed and report.result:
            problems = self._marker_problems(collector, report.result)
            if problems:
                report.outcome = "failed"
                report.longrepr = "\n".join(problems)
                report.result = []
        return report

    def _marker_problems(self, collector: pytest.Collector, nodes: Sequence[Any]) -> list[str]:
        from pytest_tasktracker.collection import task_ids

        # The marks of the collector's chain (session, package, module, class) are the same
        # for every item it made: read them once, then only each item's own marks.
        inherited = [
            mark for node in collector.listchain() for mark in node.own_markers
            if mark.name == "task"
        ]  # fmt: skip
        problems = []
        for node in nodes:
            if not isinstance(node, pytest.Item):
                continue
            own = [mark for mark in node.own_markers if mark.name == "task"]
            if not own and not inherited:
                self.marks[node.nodeid] = []
                continue
            ids, bad = task_ids([*own, *reversed(inherited)])
            self.marks[node.nodeid] = ids
            for problem in [*bad, *self.known.unknown(ids)]:
                problems.append(
                    f"{node.nodeid}: {problem} in tracker {self.tracker.path} (@pytest.mark.task)"
                )
        return problems

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: Sequence[pytest.Item]) -> None:
        """Every collected test, before any plugin deselects some (one call, not one a test)."""
        marks = self.marks
        for item in items:
            ids = marks.pop(item.nodeid, None)
            if ids is None:  # an item made by a plugin's own collector, not in a report
                from pytest_tasktracker.collection import task_ids

                ids = task_ids(list(item.iter_markers("task")))[0]
            self.collected.add(item.nodeid, ids)

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

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """On a worker, pass a usage error on: xdist shows the controller only its own
        INTERNALERROR (a bad -k expression) or "no tests ran" (a missing path)."""
        import sys

        from pytest_tasktracker.collection import WORKER_ERROR_KEY

        workeroutput = getattr(self.config, "workeroutput", None)
        error = sys.exc_info()[1]
        if workeroutput is not None and type(error).__name__ == "UsageError":
            workeroutput[WORKER_ERROR_KEY] = str(error)


class RunHooks:
    """Aggregation and writing: on the xdist controller or in a serial run, never a worker."""

    def __init__(self, config: pytest.Config, run: TrackerRun) -> None:
        self.config = config
        self.run = run

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.run.facts.collect_errors.setdefault(report.nodeid, str(report.longrepr))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A passing setup or teardown says nothing the call does not: skip storing it.
        if report.when == "call" or report.outcome != "passed":
            self.run.tests.add(
                report.nodeid, report.when, report.outcome, hasattr(report, "wasxfail")
            )

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        text = str(excrepr)
        earlier = self.run.facts.internal_error
        self.run.facts.internal_error = f"{earlier}\n{text}" if earlier else text

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        text = excinfo.exconly()
        if "during collection" not in text:
            self.run.facts.interrupted = text

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from pytest_tasktracker.collection import WORKER_ERROR_KEY, WORKEROUTPUT_KEY, Collected

        self.run.worker_ids.add(str(getattr(getattr(node, "gateway", None), "id", node)))
        output = getattr(node, "workeroutput", {})
        usage = output.get(WORKER_ERROR_KEY)
        if usage and usage not in self.run.facts.worker_errors:
            self.run.facts.worker_errors.append(usage)
        data = output.get(WORKEROUTPUT_KEY)
        if data is not None and self.run.from_workers is None:
            self.run.from_workers = Collected.from_json(data)

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: Any, sched: Any) -> None:
        self.run.facts.crashes.append((crashitem, str(getattr(report, "longrepr", ""))))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        import sys

        from pytest_tasktracker import runinfo

        error = sys.exc_info()[1]
        if error is not None and type(error).__name__ == "UsageError":
            self.run.facts.exception = error  # "file or directory not found", -k, ...
        if self.config.args_source == pytest.Config.ArgsSource.ARGS:
            self.run.run_paths = [arg.split("::")[0] for arg in self.config.args]
            base = self.config.invocation_params.dir
            self.run.facts.missing_paths = [
                arg for arg in self.config.args if not (base / arg.split("::")[0]).exists()
            ]
        option = self.config.option
        self.run.facts.narrowing = [
            f"{flag} {value}"
            for flag, value in (("-k", option.keyword), ("-m", option.markexpr))
            if value
        ]
        info = runinfo.collect(
            list(self.config.invocation_params.args),
            self.config.rootpath,
            pytest.__version__,
            len(self.run.worker_ids),
        )
        self.run.finish(int(exitstatus), _narrowed(self.config, self.run), info, self._command)
        if self.run.gate_lines and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # --tracker-gate

    def _command(self) -> dict[str, Any]:
        from pytest_tasktracker.blocking import command_info

        plugins = {
            dist.project_name: dist.version
            for _, dist in self.config.pluginmanager.list_plugin_distinfo()
        }
        return command_info(self.run.facts, pytest.__version__, dict(sorted(plugins.items())))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_tasktracker import summary

        run = self.run
        if not run.finished or run.tracker is None:
            return
        run.printed = True
        verbosity = self.config.get_verbosity()
        blocked = run.blocked_lines()
        rows = summary.lines(
            run.results, run.update, verbosity, terminalreporter._tw.fullwidth, blocked
        )
        if verbosity < 0:
            terminalreporter.write_line(f"task tracker {run.tracker_name}: {rows[0]}")
            for row in rows[1:]:
                terminalreporter.write_line(row, red=row.startswith("BLOCKED"))
        else:
            terminalreporter.write_sep("-", f"task tracker: {run.tracker_name}")
            for row in rows:
                terminalreporter.write_line(row, red=row.startswith("BLOCKED"))
            terminalreporter.write_line(f"evidence: {run.display(run.settings.results_file)}")
        for line in run.gate_lines:
            terminalreporter.write_line(line, red=True)
        for warning in run.warnings:
            terminalreporter.write_line(f"task tracker warning: {warning}", yellow=True)

    def cleanup(self) -> None:
        """Runs last, always, even when pytest stopped before its session began."""
        import sys

        if hasattr(self.config, "workerinput"):
            return
        run = self.run
        if not run.finished:
            error = sys.exc_info()[1]
            if error is not None and run.facts.exception is None:
                run.facts.exception = error
            run.conclude_early(self._command)
        if not run.printed:
            run.printed = True
            lines = run.blocked_lines() + [f"task tracker warning: {w}" for w in run.warnings]
            for line in lines:
                sys.stderr.write(f"{line}\n")


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
