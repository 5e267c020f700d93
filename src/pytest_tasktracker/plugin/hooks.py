"""pytest hooks of pytest-tasktracker: options, the ``task`` marker, and starting a run
(the plugin module, ``plugin``, names them).

Only the standard library and pytest are imported here: the plugin loads on every run,
and does nothing but register its options and marker unless a tracker is configured.
Then it registers the collection hooks (``collect_hooks``) and, outside xdist workers,
the run hooks (``run_hooks``); the work itself lives in the library modules they call.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from pytest_tasktracker.plugin.run_hooks import RunHooks
    from pytest_tasktracker.plugin.tracker_run import TrackerRun
    from pytest_tasktracker.settings import Settings

INI_KEYS = (
    "tracker",
    "tracker_update",
    "tracker_gate",
    "tracker_state",
    "tracker_blocked_file",
    "tracker_retry_limit",
    "tracker_stale",
    "tracker_checks",
)
RUN_PLUGIN = "tasktracker-run"
# Options (their dest) that name a report file a run writes: ours, pytest's --junitxml,
# pytest-reportlog's, pytest-json-report's, pytest-html's.
REPORT_OPTIONS = (
    "tracker_attest",
    "tracker_junit",
    "xmlpath",
    "report_log",
    "json_report_file",
    "htmlpath",
)
COLLECT_PLUGIN = "tasktracker-collect"
# What a tracked run that verifies imports (with what they import), loaded when the run
# starts by Python's own loader (``_import_unrewritten``).
TRACKED_RUN_MODULES = (
    "settings",
    "blockers.facts",
    "plugin.tracker_run",
    "plugin.run_hooks",
    "plugin.collect_hooks",
    "tracker.editing",
    "runinfo",
    "rules.codestate",
    "rules.scope",
    "plugin.finish",
    "rules.update",
    "state",
    "ticks",
    "plugin.summary",
)


def _import_unrewritten(config: pytest.Config) -> None:
    """Import what a tracked run uses with Python's own loader, not pytest's assertion
    rewriter, which pytest puts first for every module of a plugin's distribution: the
    rewriter reads its cached code with ``marshal.load`` on the open file, about ten
    times the work of Python's loader; for these 44 modules, 200 M instructions a run
    (docs/performance.md). This package has no assertion to rewrite (its docstring says
    ``PYTEST_DONT_REWRITE``). Only our own modules and the standard library's load
    while the rewriter is out of ``sys.meta_path``; it is put back where it was."""
    import sys

    hook = getattr(config.pluginmanager, "rewrite_hook", None)
    names = [f"pytest_tasktracker.{name}" for name in TRACKED_RUN_MODULES]
    if hook is None or hook not in sys.meta_path or all(name in sys.modules for name in names):
        return
    index = sys.meta_path.index(hook)
    sys.meta_path.remove(hook)
    try:
        for name in names:
            __import__(name)
    finally:
        sys.meta_path.insert(index, hook)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    config = pluginmanager.get_plugin("pytestconfig")
    if isinstance(config, pytest.Config):
        config.add_cleanup(lambda: _stopped_before_start(config))
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
    group.addoption(
        "--tracker-attest",
        metavar="FILE",
        default=None,
        help="write an in-toto statement of this run (test-result predicate) whose subjects "
        "are the tracker, results.json and the code state, for CI to sign",
    )
    group.addoption(
        "--tracker-junit",
        metavar="FILE",
        default=None,
        help="write JUnit XML of this run whose test cases name the sub-tasks they verify "
        "(property 'verifies'), for requirement tools",
    )
    parser.addini("tracker", "markdown task tracker to verify (relative to this file)")
    parser.addini("tracker_update", "tick what passed, untick regressions (true/false)")
    parser.addini("tracker_gate", "fail the run on ticks without evidence (true/false)")
    parser.addini("tracker_state", "folder for results.json and blockers/")
    parser.addini("tracker_blocked_file", "file that gets a one-line reason when blocked")
    parser.addini(
        "tracker_retry_limit",
        "identical blocked runs in a row before a report says that retrying will not help "
        "(default 3)",
    )
    parser.addini("tracker_stale", "evidence from another code state: fail (default) or warn")
    parser.addini(
        "tracker_checks",
        "the project's named checks, a line NAME = COMMAND each (what tasktracker verify runs)",
        type="linelist",
    )


def _stopped_before_start(config: pytest.Config) -> None:
    """pytest checked ``required_plugins`` and stopped with a usage error before its first
    hook that a plugin can wrap: start the run late, so the error becomes a blocker."""
    import sys

    error = sys.exc_info()[1]
    if type(error).__name__ != "UsageError" or config.pluginmanager.has_plugin(RUN_PLUGIN):
        return
    if getattr(config, "known_args_namespace", None) is None:
        return
    run = _start(config)
    if run is not None:
        run.facts.exception = error
        hooks = config.pluginmanager.get_plugin(RUN_PLUGIN)
        if hooks is not None:
            hooks.cleanup()


_IDLE = pytest.StashKey[str]()  # why a configured tracker left the plugin idle


def _settings(config: pytest.Config, namespace: Any) -> Settings | None:
    """The settings, or None when no tracker is set, or when a tracker set by the ini
    file or $PYTEST_TRACKER does not exist: workflows delete ``pr_info/`` when the pull
    request is made, and every later run must still work. Only ``--tracker`` for a
    missing file is a usage error."""
    settings = _resolve(config, namespace)
    if settings is None or settings.tracker_source == "--tracker" or settings.tracker.exists():
        return settings
    from pytest_tasktracker.paths import relative

    name = relative(settings.tracker, config.invocation_params.dir)
    config.stash[_IDLE] = f"tracker {name} not found ({settings.tracker_source}): tracking off"
    return None


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash.get(_IDLE, None)


def _resolve(config: pytest.Config, namespace: Any) -> Settings | None:
    from pytest_tasktracker.settings import resolve

    return resolve(
        cwd=config.invocation_params.dir,
        cli_tracker=getattr(namespace, "tracker", None),
        cli_state=getattr(namespace, "tracker_state", None),
        cli_update=bool(getattr(namespace, "tracker_update", False)),
        cli_gate=bool(getattr(namespace, "tracker_gate", False)),
        env=os.environ,
        ini={key: _ini_text(config.getini(key)) for key in INI_KEYS},
        ini_path=config.inipath,
    )


def _ini_text(value: object) -> str:
    """An ini value as settings.resolve reads it: a line list as lines."""
    if isinstance(value, list):
        return "\n".join(str(line) for line in value)
    return str(value or "")


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


def _names_a_tracker(config: pytest.Config, namespace: Any) -> bool:
    """Whether the command line, the environment or the ini file names a tracker. When
    none does (an idle run, the common one), nothing more is resolved or imported:
    ``settings.resolve`` decides the rest, and a test holds the two to one answer."""
    return bool(
        getattr(namespace, "tracker", None)
        or os.environ.get("PYTEST_TRACKER")
        or str(config.getini("tracker") or "").strip()
    )


def _start(config: pytest.Config) -> TrackerRun | None:
    if not _names_a_tracker(config, config.known_args_namespace):
        return None
    _import_unrewritten(config)
    from pytest_tasktracker.settings import SettingsError

    try:
        settings = _settings(config, config.known_args_namespace)
    except SettingsError:
        return None  # pytest_configure raises it as a usage error
    if settings is None:
        return None
    from pytest_tasktracker.blockers.facts import Facts
    from pytest_tasktracker.paths import relative
    from pytest_tasktracker.plugin.tracker_run import TrackerRun

    addopts = config.getini("addopts")
    facts = Facts(
        argv=[str(arg) for arg in config.invocation_params.args],
        cwd=config.invocation_params.dir,
        rootdir=config.rootpath,
        inifile=config.inipath,
        addopts=[str(a) for a in (addopts if isinstance(addopts, list) else [])],
    )
    run = TrackerRun(settings, relative(settings.tracker, config.invocation_params.dir), facts)
    _register_run(config, run)
    return run


def _register_run(config: pytest.Config, run: TrackerRun) -> RunHooks:
    """The run hooks for ``run``, with their cleanup, which runs even when pytest stops
    before its session begins."""
    from pytest_tasktracker.plugin.run_hooks import RunHooks

    hooks = RunHooks(config, run)
    config.pluginmanager.register(hooks, RUN_PLUGIN)
    config.add_cleanup(hooks.cleanup)
    return hooks


def _owner_elsewhere(config: pytest.Config, settings: Settings) -> str | None:
    """The configuration file of another project than this run's that names the tracker
    given with ``--tracker`` or $PYTEST_TRACKER, or None: a run of one folder's tests must
    not write evidence for a tracker another project configures."""
    if not settings.tracker_source.startswith(("--tracker", "$")):
        return None
    if _found_at_root(settings.tracker.parent, config):
        return None
    from pytest_tasktracker.inifile import find_inifile

    ini = find_inifile(settings.tracker.parent)
    named = ini.values.get("tracker", "").strip() if ini.path is not None else ""
    if not named or ini.path is None:
        return None
    same = os.path.realpath(ini.path.parent / named) == os.path.realpath(settings.tracker)
    if not same or os.path.realpath(ini.path.parent) == os.path.realpath(config.rootpath):
        return None
    from pytest_tasktracker.paths import relative

    return relative(ini.path, config.invocation_params.dir)


def _found_at_root(start: Path, config: pytest.Config) -> bool:
    """Whether the search for a configuration file from ``start`` ends in this run's
    rootdir, which holds its ini file: no configuration file of any name between them
    (checked by name alone, without reading or importing a parser)."""
    if config.inipath is None:
        return False
    root = os.path.realpath(config.rootpath)
    if os.path.realpath(config.inipath.parent) != root:
        return False
    folder = os.path.realpath(start)
    while folder != root:
        if not folder.startswith(root + os.sep):
            return False
        if any(os.path.exists(os.path.join(folder, name)) for name in _CONFIG_NAMES):
            return False
        folder = os.path.dirname(folder)
    return True


# The names inifile.find_inifile looks for (inifile.CANDIDATES), kept here so a run need
# not import the parsers to know that none is there; tests/test_layers checks they agree.
_CONFIG_NAMES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def _without_a_tracker(option: Any) -> None:
    """An option of ours given on the command line when nothing names a tracker would do
    nothing, silently: a usage error says what it needs (a CI shard step that writes no
    evidence would otherwise pass, and ``combine`` fail later)."""
    given = [
        flag
        for flag, value in (
            ("--tracker-state", getattr(option, "tracker_state", None)),
            ("--tracker-update", getattr(option, "tracker_update", False)),
            ("--tracker-gate", getattr(option, "tracker_gate", False)),
            ("--tracker-attest", getattr(option, "tracker_attest", None)),
            ("--tracker-junit", getattr(option, "tracker_junit", None)),
        )
        if value
    ]
    if given:
        raise pytest.UsageError(
            f"{given[0]} needs a tracker: give --tracker PATH, set $PYTEST_TRACKER, or set "
            "the ini key 'tracker'"
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "task(*ids): the tracker sub-tasks this test verifies, e.g. task('2.11', 'T004')",
    )
    if not _names_a_tracker(config, config.option):
        _without_a_tracker(config.option)
        return
    from pytest_tasktracker.settings import SettingsError

    try:
        settings = _settings(config, config.option)
    except SettingsError as error:
        raise pytest.UsageError(str(error)) from None
    if settings is None:
        return
    from pytest_tasktracker.paths import relative

    name = relative(settings.tracker, config.invocation_params.dir)
    owner = _owner_elsewhere(config, settings)
    if owner is not None:
        raise pytest.UsageError(
            f"{settings.tracker_source} names {name}, the tracker {owner} configures: run "
            f"pytest in that project (this run's rootdir is {config.rootpath}); its tests "
            "are what the tracker's sub-tasks mean"
        )
    from pytest_tasktracker.plugin.collect_hooks import CollectHooks

    collect = CollectHooks(config, settings.tracker, name)
    config.pluginmanager.register(collect, COLLECT_PLUGIN)
    hooks = config.pluginmanager.get_plugin(RUN_PLUGIN)
    if hasattr(config, "workerinput"):
        if hooks is not None:  # workers never write: the controller does
            config.pluginmanager.unregister(hooks)
        return  # the controller has read the tracker; a worker reads it for a marked test
    if os.environ.get("TASKTRACKER_STATUS"):  # under `tasktracker run`: its heartbeat
        from pytest_tasktracker.plugin import supervised

        status = supervised.wanted()
        if status is not None and status.is_file():
            config.pluginmanager.register(supervised.Recorder(status), "tasktracker-heartbeat")
    from pytest_tasktracker.errors import TrackerError

    try:
        tracker = collect.tracker()
    except TrackerError as error:
        raise pytest.UsageError(f"{settings.tracker_source}: {error}") from None
    if hooks is None:  # not started early (the plugin was loaded late, by -p)
        from pytest_tasktracker.blockers.facts import Facts
        from pytest_tasktracker.plugin.tracker_run import TrackerRun

        facts = Facts(
            [str(a) for a in config.invocation_params.args],
            config.invocation_params.dir,
            config.rootpath,
            config.inipath,
        )
        hooks = _register_run(config, TrackerRun(settings, name, facts))
    hooks.run.settings = settings
    hooks.run.tracker = tracker
    where = config.invocation_params.dir
    for name in ("attest", "junit"):  # the files the end of the run exports
        given = getattr(config.option, f"tracker_{name}", None)
        setattr(hooks.run, name, where / str(given) if given else None)
    # The files this run writes its reports to are not code: written after the code
    # state is taken, they would make its own evidence stale.
    hooks.run.outputs = [
        where / str(value)
        for name in REPORT_OPTIONS
        if isinstance(value := getattr(config.option, name, None), (str, os.PathLike)) and value
    ]
    if hooks.run.attest is not None:  # the predicate alone, beside the statement
        attest = hooks.run.attest
        hooks.run.outputs.append(attest.with_name(f"{attest.stem}.predicate.json"))
    collect.run = hooks.run
