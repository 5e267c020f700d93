"""Run hooks: outcomes, errors and the end of the session, on the xdist controller or in
a serial run, never in a worker. Registered only when a tracker is set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_tasktracker.plugin.tracker_run import TrackerRun
    from pytest_tasktracker.rules.scope import Reach


KEEPER = "tasktracker-reports"


class ReportKeeper:
    """Keeps the test reports where no terminal reporter does (TrackerRun.test_reports)."""

    def __init__(self, keep: Callable[[pytest.TestReport], None]) -> None:
        self._keep = keep

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Judged at the end (outcomes_of); this runs for every phase of every test, so it
        # only keeps the report, and not a passing setup or teardown, which says nothing.
        if report.when == "call" or report.outcome != "passed":
            self._keep(report)


class RunHooks:
    """Aggregation and writing: on the xdist controller or in a serial run, never a worker."""

    def __init__(self, config: pytest.Config, run: TrackerRun) -> None:
        self.config = config
        self.run = run

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # The terminal reporter keeps every report; where none does (-p no:terminal, or a
        # plugin that replaced it with one that keeps none), a hook keeps them.
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if isinstance(getattr(reporter, "stats", None), dict):
            self.run.kept_by = reporter
        else:
            self.config.pluginmanager.register(ReportKeeper(self.run.reports.append), KEEPER)
        # --lf narrows each file to the tests that failed last time, without deselecting
        # the others: they never show. Whether it will, the cache says now.
        if getattr(self.config.option, "lf", False):
            cache = getattr(self.config, "cache", None)
            self.run.last_failed = bool(cache.get("cache/lastfailed", {})) if cache else False

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.run.facts.collect_errors.setdefault(report.nodeid, str(report.longrepr))

    def pytest_internalerror(self, excrepr: Any, excinfo: Any) -> None:
        text = str(excrepr)
        earlier = self.run.facts.internal_error
        self.run.facts.internal_error = f"{earlier}\n{text}" if earlier else text

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        from pytest_tasktracker.plugin.supervised import Stopped

        if isinstance(excinfo.value, Stopped):
            self.run.stopped = True  # the supervisor reports the timeout
            return
        text = excinfo.exconly()
        if "during collection" not in text and not _stopped_at_failure(text):
            self.run.facts.interrupted = text

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        from pytest_tasktracker.plugin.collection import (
            WORKER_ERROR_KEY,
            WORKER_LOADED_KEY,
            WORKEROUTPUT_KEY,
            Collected,
        )

        self.run.worker_ids.add(str(getattr(getattr(node, "gateway", None), "id", node)))
        output = getattr(node, "workeroutput", {})
        usage = output.get(WORKER_ERROR_KEY)
        if usage and usage not in self.run.facts.worker_errors:
            self.run.facts.worker_errors.append(usage)
        loaded = output.get(WORKER_LOADED_KEY)
        if isinstance(loaded, str) and loaded:
            self.run.loaded.update(loaded.split("\n"))
        data = output.get(WORKEROUTPUT_KEY)
        if data is not None and self.run.from_workers is None:
            self.run.from_workers = Collected.from_json(data)

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: Any) -> None:
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
            self.run.code_digest(),
        )
        self.run.finish(int(exitstatus), _reach(self.config, self.run), info, self._command)
        if self.run.gate_failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # --tracker-gate

    def _command(self) -> dict[str, Any]:
        from pytest_tasktracker.blockers.facts import command_info

        plugins = {
            dist.project_name: dist.version
            for _, dist in self.config.pluginmanager.list_plugin_distinfo()
        }
        return command_info(self.run.facts, pytest.__version__, dict(sorted(plugins.items())))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from pytest_tasktracker.plugin import summary

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
            terminalreporter.write_line(line, red=run.gate_failed, green=not run.gate_failed)
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
        elif run.blocked is not None and run.blocked.written:
            # Printed in the summary on stdout; a tool that shows the agent only stderr
            # must get the decision too.
            for line in run.blocked_lines():
                if line.startswith("BLOCKED"):
                    sys.stderr.write(f"{line}\n")


# How pytest says it stopped at a failure on purpose (--sw; -x and --maxfail under
# xdist): such a run failed as a run with -x fails; it was not interrupted.
_STOPPED_AT_FAILURE = (
    "Interrupted: Test failed, continuing from this test next run",
    "Interrupted: stopping after ",
)


def _stopped_at_failure(text: str) -> bool:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return any(marker in first for marker in _STOPPED_AT_FAILURE) and first.endswith(
        ("next run.", "failures", "failure")
    )


def _reach(config: pytest.Config, run: TrackerRun) -> Reach:
    """How much of the configured suite this run collected (scope.Reach)."""
    from pytest_tasktracker.paths import posix_under
    from pytest_tasktracker.rules.scope import Reach, collectable_outside, under

    rootdir = config.rootpath
    base = config.invocation_params.dir

    def relative(path: Path) -> str:
        return posix_under(path, rootdir)

    suite = [relative(rootdir / p) for p in _testpaths(config)] or [""]
    args = [str(arg) for arg in config.args]
    run_roots = [relative(base / arg) for arg in args if "::" not in arg]
    short = None
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        covered = all(any(under(root, given) for given in run_roots) for root in suite)
        if not covered and not any("::" in arg for arg in args):
            # `pytest tests` where nothing else is collectable is the whole suite
            norecurse = tuple(config.getini("norecursedirs"))
            patterns = _collected_patterns(config)
            venvs = bool(getattr(config.option, "collect_in_virtualenv", False))
            outside = collectable_outside(rootdir, suite, run_roots, patterns, norecurse, venvs)
            covered = outside is None
        if not covered or any("::" in arg for arg in args):
            shown = ", ".join(_shown(relative(base / a.split("::")[0]), a) for a in args)
            short = f"this run collected only {shown}"
    given = [str(a) for a in config.invocation_params.args] + run.facts.env_addopts
    ignores = [a for a in given if a.split("=")[0] in ("--ignore", "--ignore-glob")]
    project = _project_root(config)
    overridden = (
        overrides(given)
        or foreign_config(config)
        or foreign_plugin(config, given, project)
        or foreign_startup(project)
        or outcomes_changed(config, given)
        or run.changed_during
        or run.sourceless
    )
    filtered = bool(ignores) or run.last_failed or overridden is not None
    if overridden is not None:
        short = overridden
    elif ignores:
        short = f"{ignores[0].split('=')[0]} left files out"
    elif run.last_failed:
        short = "--lf ran only the tests that failed last time"
    pending = frozenset(run.collected.pending)
    norecurse = tuple(config.getini("norecursedirs"))
    return Reach(
        tuple(suite),
        tuple(run_roots),
        short,
        filtered,
        pending,
        rootdir,
        norecurse,
        in_part=run.last_failed or overridden is not None,
    )


# The ini keys that decide what a run collects, or what passes: a run given another value
# than the project's (``-o python_functions=test_[!f]*``, ``-o testpaths=...``) is not the
# project's suite, and what it runs may leave tests out of every file it touches.
COLLECTION_KEYS = frozenset(
    {
        "python_files",
        "python_classes",
        "python_functions",
        "testpaths",
        "norecursedirs",
        "collect_imported_tests",
        "filterwarnings",
        "xfail_strict",
        "empty_parameter_set_mark",
        "usefixtures",
        "confcutdir",
        "pythonpath",
    }
)


def overrides(args: list[str]) -> str | None:
    """Why a run given ``args`` (the command line and $PYTEST_ADDOPTS) is not the
    project's own configuration, or None: an ``-o``/``--override-ini`` of a key in
    ``COLLECTION_KEYS``, ``-W``/``--pythonwarnings`` (a filter that ignores the warning
    the project turns into an error makes a failing test pass), or ``--runxfail``."""
    values = iter(args)
    for arg in values:
        if arg in ("-c", "--config-file") or arg.startswith(("--config-file=", "-c")):
            continue  # foreign_config compares the file with the project's
        if arg in ("-o", "--override-ini"):
            value = next(values, "")
        elif arg.startswith("--override-ini="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            value = arg[2:]
        elif arg == "--runxfail":  # an xfail(strict) test that passes then passes
            return "--runxfail ran the tests marked xfail as if they were not"
        elif arg.startswith(("-W", "--pythonwarnings")):
            flag = "-W" if arg.startswith("-W") else "--pythonwarnings"
            given = next(values, "") if arg == flag else arg[len(flag) :].lstrip("=")
            if given.split(":", 1)[0].strip() != "error":  # only error makes it stricter
                return f"{flag} changed which warnings fail a test"
            continue
        else:
            continue
        key, _, setting = value.partition("=")
        key = key.strip()
        stricter = key == "xfail_strict" and setting.strip().lower() in ("true", "1", "yes")
        if key in COLLECTION_KEYS and not stricter:
            return f"-o {key}=... changed what the project collects or what passes"
        if key == "addopts":
            inside = _addopts_override(setting)
            if inside is not None:
                return inside
    return None


# What an ``-o addopts=...`` may hold and still run the project's suite: options that
# choose what runs or how it is shown, not what passes (the remedies for a plugin that
# is not installed drop ``-n auto`` or ``--cov`` this way).
def _addopts_override(value: str) -> str | None:
    """Why ``-o addopts=VALUE`` is not the project's configuration: it holds an override
    itself, another configuration file or a plugin, or None."""
    import shlex

    try:
        args = shlex.split(value)
    except ValueError:
        return "-o addopts=... could not be read"
    found = overrides(args)
    if found is not None:
        return f"{found} (inside -o addopts=...)"
    for arg in args:
        if arg in ("-c", "--config-file", "-p", "--confcutdir", "--rootdir") or arg.startswith(
            ("--config-file=", "--confcutdir=", "--rootdir=", "-p")
        ):
            return f"-o addopts=... gave {arg.split('=')[0]}, which changes what runs"
    return None


def foreign_config(config: pytest.Config) -> str | None:
    """Why the configuration file a run read (``-c FILE``) is not the one pytest reads
    for the project, or None."""
    given = config.inipath
    params = config.invocation_params.args
    named = any(
        str(arg) in ("-c", "--config-file") or str(arg).startswith(("-c", "--config-file="))
        for arg in params
    )
    if given is None or not named:
        return None
    import os

    from pytest_tasktracker.inifile import find_inifile  # its parsers: only for ``-c``

    own = find_inifile(config.invocation_params.dir).path
    if own is not None and os.path.realpath(own) == os.path.realpath(given):
        return None
    return f"-c read {given}, not the project's configuration file"


def _project_root(config: pytest.Config) -> Path:
    """The project's folder: where the configuration file pytest read is (not
    ``--rootdir``, which a run can point anywhere; another file given with ``-c`` is
    ``foreign_config``'s), else pytest's rootdir."""
    return config.inipath.parent if config.inipath is not None else config.rootpath


def foreign_plugin(config: pytest.Config, given: list[str], project: Path) -> str | None:
    """Why a plugin or conftest the run loaded is neither the project's code (under its
    rootdir, in the code state), pytest's own, nor from an installed distribution (in the
    environment the code state records), or None: a ``conftest.py`` above the project
    with ``--confcutdir=/``, or a module given to ``-p`` or ``$PYTEST_PLUGINS`` from
    ``PYTHONPATH`` or dropped into site-packages, could make a failing test pass and
    leave no trace. ``given``: the command line and ``$PYTEST_ADDOPTS``; ``project``:
    the project's folder."""
    import os
    import sys

    root = os.path.realpath(project) + os.sep
    for plugin in config.pluginmanager.get_plugins():
        path = getattr(plugin, "__file__", None)
        if isinstance(path, str) and os.path.basename(path) == "conftest.py":
            real = os.path.realpath(path)
            if not real.startswith(root):
                return f"the run loaded {real}, a conftest.py outside the project"
    import itertools

    named = [value for flag, value in itertools.pairwise(given) if flag == "-p"]
    named += [arg[2:] for arg in given if arg.startswith("-p") and len(arg) > 2]
    named += [n for n in os.environ.get("PYTEST_PLUGINS", "").split(",") if n.strip()]
    installed: object = None
    for name in (n.strip() for n in named if not n.startswith("no:")):
        module = sys.modules.get(name)
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or name.split(".")[0] in ("_pytest", "pytest"):
            continue
        if name.split(".")[0] == "pytest_tasktracker":
            continue
        if os.path.realpath(path).startswith(root):
            return (
                f"the run loaded {os.path.relpath(os.path.realpath(path), project)} "
                f"(-p {name}), a plugin of the project's that its configuration does not load"
            )
        if installed is None:
            import importlib.metadata

            installed = importlib.metadata.packages_distributions()
        if isinstance(installed, dict) and name.split(".")[0] in installed:
            continue
        shown = os.path.realpath(path)
        return f"the run loaded {shown} (-p {name}), which no installed distribution holds"
    return None


# pytest's own plugins that decide outcomes: blocked (-p no:NAME), a failing test can pass
# (the project's filterwarnings, xfail(strict=True), unraisable exceptions, ...).
OUTCOME_PLUGINS = ("warnings", "skipping", "unraisableexception", "threadexception")


def outcomes_changed(config: pytest.Config, given: list[str]) -> str | None:
    """Why this run's tests could pass where plain pytest's fail, by how Python or pytest
    ran rather than by the code, or None: ``-O`` (or ``$PYTHONOPTIMIZE``) removes every
    ``assert`` (with ``--assert=plain`` pytest's rewriting does not bring them back), and
    ``-p no:warnings`` drops the project's ``filterwarnings`` (as ``-W`` would)."""
    import sys

    if sys.flags.optimize:
        return "Python ran with -O (or $PYTHONOPTIMIZE): assert statements did not run"
    blocked = [
        name
        for name in OUTCOME_PLUGINS
        if config.pluginmanager.is_blocked(name) and f"no:{name}" in " ".join(given)
    ]
    if blocked:
        name = blocked[0]
        return f"-p no:{name} turned off pytest's own {name} plugin, which decides outcomes"
    return None


def foreign_startup(project: Path) -> str | None:
    """Why code Python ran at start-up, or loaded from a ``PYTHONPATH`` folder, is
    neither the project's, the standard library's nor an installed distribution's, or
    None: a ``sitecustomize.py`` on ``PYTHONPATH`` outside the project can make a
    failing test pass before pytest starts, with no ``-p`` and no conftest, and leave
    no trace in the project or the environment's record."""
    import os
    import sys

    root = os.path.realpath(project) + os.sep
    places = [
        place
        for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if entry
        for place in {os.path.abspath(entry), os.path.realpath(entry)}
        if not (place + os.sep).startswith(root)
    ]
    if places:  # rare: only then are the loaded modules looked at
        prefixes = tuple(place.rstrip(os.sep) + os.sep for place in places)
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None)
            if isinstance(path, str) and path.startswith(prefixes):
                return (
                    f"the run loaded {path} ({name}) from PYTHONPATH, outside the project "
                    "and the environment"
                )
    for name in ("sitecustomize", "usercustomize"):
        path = getattr(sys.modules.get(name), "__file__", None)
        if isinstance(path, str) and not _standard_or_installed(name, path):
            return f"Python ran {path} ({name}) at start-up, which no installed distribution holds"
    return None


def _standard_or_installed(name: str, path: str) -> bool:
    """Whether the module ``name`` at ``path`` is the standard library's or an installed
    distribution holds it."""
    import importlib.metadata
    import os
    import sysconfig

    real = os.path.realpath(path)
    paths = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib"):
        if real.startswith(os.path.realpath(paths[key]) + os.sep) and "site-packages" not in real:
            return True
    held = importlib.metadata.packages_distributions().get(name, [])
    return bool(held)


def _collected_patterns(config: pytest.Config) -> list[str]:
    """The file names `pytest` collects from a folder: ``python_files``, the doctest
    globs (``test*.txt`` by default), and every module with ``--doctest-modules``."""
    option = config.option
    patterns = [str(p) for p in config.getini("python_files")]
    patterns += getattr(option, "doctestglob", None) or ["test*.txt"]
    if getattr(option, "doctestmodules", False):
        patterns.append("*.py")
    return patterns


def _shown(path: str, arg: str) -> str:
    """An argument as a path from the rootdir, with its node part if it has one."""
    node = arg.partition("::")[2]
    return (path or ".") + (f"::{node}" if node else "")


def _testpaths(config: pytest.Config) -> list[str]:
    """The folders `pytest` run from the rootdir collects: ``testpaths``, globbed as pytest
    does, when any match."""
    import glob

    found: list[str] = []
    for pattern in config.getini("testpaths"):
        found.extend(sorted(glob.iglob(str(config.rootpath / pattern), recursive=True)))
    return found
