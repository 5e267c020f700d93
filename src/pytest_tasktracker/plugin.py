"""pytest hooks of pytest-tasktracker: options, the ``task`` marker, and the run's hooks.

Only the standard library and pytest are imported here: the plugin loads on every run,
and does nothing but register its options and marker unless a tracker is configured.
The work itself lives in the library modules these hooks call.
"""

from __future__ import annotations

import copy
import operator
import os
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_tasktracker.linking import KnownIds
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
    from pytest_tasktracker.paths import relative

    name = relative(settings.tracker, config.invocation_params.dir)
    collect = CollectHooks(config, settings.tracker, name)
    config.pluginmanager.register(collect, COLLECT_PLUGIN)
    hooks = config.pluginmanager.get_plugin(RUN_PLUGIN)
    if hasattr(config, "workerinput"):
        if hooks is not None:  # workers never write: the controller does
            config.pluginmanager.unregister(hooks)
        return  # the controller has read the tracker; a worker reads it for a marked test
    from pytest_tasktracker.errors import TrackerError

    try:
        tracker = collect.tracker()
    except TrackerError as error:
        raise pytest.UsageError(f"{settings.tracker_source}: {error}") from None
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

    def __init__(self, config: pytest.Config, path: Path, name: str) -> None:
        from pytest_tasktracker.collection import Collected

        self.config = config
        self.path = path
        self.name = name
        self._tracker: Tracker | None = None
        self._known: KnownIds | None = None
        self.collected = Collected()
        self.marks: dict[str, list[str]] = {}  # node id -> task ids, of marked tests
        self.items_read = 0  # tests in the collect reports read
        self._is_item: dict[type, bool] = {}  # isinstance on a node class is slow (an ABC)

    def tracker(self) -> Tracker:
        """The tracker, read once: raises TrackerError when it cannot be read."""
        if self._tracker is None:
            from pytest_tasktracker.editing import load

            self._tracker = load(self.path, self.name)
        return self._tracker

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
        problems: list[str] = []
        is_item = self._is_item
        for node in nodes:
            kind = type(node)
            if kind not in is_item:
                is_item[kind] = isinstance(node, pytest.Item)
            if not is_item[kind]:
                continue
            self.items_read += 1
            own = node.own_markers
            if own:
                own = [mark for mark in own if mark.name == "task"]
            if not own and not inherited:
                continue
            ids, bad = task_ids([*own, *reversed(inherited)])
            self.marks[node.nodeid] = ids
            problems.extend(f"{node.nodeid}: {problem} in tracker {self.name} (@pytest.mark.task)"
                            for problem in [*bad, *self._unknown(ids)])  # fmt: skip
        return problems

    def _unknown(self, ids: list[str]) -> list[str]:
        from pytest_tasktracker.errors import TrackerError

        if self._known is None:
            from pytest_tasktracker.linking import KnownIds

            try:
                self._known = KnownIds(self.tracker())
            except TrackerError as error:
                return [f"the ids cannot be checked: {error}"]
        return self._known.unknown(ids)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(
        self, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        """Every collected test before the other plugins deselect, drop, make or reorder
        tests, and what they left: one call, not one a test."""
        collected = self.collected
        before = list(items)  # also keeps the objects alive, so no id() is reused
        nodeids = collected.nodeids = [item.nodeid for item in before]
        if len(before) == self.items_read:  # every test came from a collect report read
            marks = self.marks
            collected.tasks.update((n, marks[n]) for n in nodeids if n in marks)
        else:
            self._read_marks(before, nodeids)
        result = yield
        if len(items) == len(before) and all(map(operator.is_, items, before)):
            collected.selected = list(nodeids)  # the usual case: nothing changed
            return result
        # Compared by identity: a node id costs a property call, an id() does not.
        kept = {id(item) for item in items}
        old = {id(item) for item in before}
        collected.selected = [
            n for item, n in zip(before, nodeids, strict=True) if id(item) in kept
        ]
        made = [item for item in items if id(item) not in old]
        if made:
            made_ids = [item.nodeid for item in made]
            nodeids.extend(made_ids)
            collected.selected.extend(made_ids)
            self._read_marks(made, made_ids)
        return result

    def _read_marks(self, items: Sequence[pytest.Item], nodeids: Sequence[str]) -> None:
        """Marker ids of tests that came from elsewhere than the collect reports read."""
        from pytest_tasktracker.collection import task_ids

        for item, nodeid in zip(items, nodeids, strict=True):
            ids = self.marks.get(nodeid) or task_ids(list(item.iter_markers("task")))[0]
            if ids:
                self.collected.tasks[nodeid] = ids

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        self.collected.deselected.update(item.nodeid for item in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from pytest_tasktracker.collection import WORKEROUTPUT_KEY

        if self.collected.selected is None:  # collection stopped before modifyitems
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
        self._keep = run.reports.append

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.run.facts.collect_errors.setdefault(report.nodeid, str(report.longrepr))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Judged at the end (outcomes_of); this runs for every phase of every test, so it
        # only keeps the report, and not a passing setup or teardown, which says nothing.
        if report.when == "call" or report.outcome != "passed":
            self._keep(report)

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
