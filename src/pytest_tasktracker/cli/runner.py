"""``tasktracker run``: pytest in-process, watching what fails before any plugin loads.

An entry-point plugin is imported after pytest has parsed its first arguments and read
its configuration file, so it never sees a bad option value (``--tb=bogus``), a broken
``pyproject.toml``, ``minversion`` or ``-p missing``. Running pytest in-process with a
``pytest_cmdline_parse`` wrapper sees all of them; everything later is the plugin's.
"""

from __future__ import annotations

import sys
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pytest

from pytest_tasktracker.blockers.facts import Facts, split_args
from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.inifile import find_inifile
from pytest_tasktracker.paths import shown
from pytest_tasktracker.plugin import RUN_PLUGIN
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.editing import load

if TYPE_CHECKING:
    from pytest_tasktracker.blockers.model import Blocker


class _HeldStderr:
    """stderr, held back while pytest parses its arguments: when that fails, the
    blocker's decision line goes out first and pytest's error after it (a tool that
    hands an agent only the start of stderr hands it the decision). Once parsing
    succeeded, everything passes straight through."""

    def __init__(self, real: TextIO) -> None:
        self.real = real
        self.held: list[str] | None = []

    def write(self, text: str) -> int:
        if self.held is None:
            return self.real.write(text)
        self.held.append(text)
        return len(text)

    def release(self) -> str:
        """Stop holding; what was held."""
        held, self.held = "".join(self.held or ()), None
        return held

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, flush, encoding...
        return getattr(self.real, name)


class _EarlyWatch:
    """Records an exception raised while pytest parses its arguments and configuration."""

    def __init__(self, stderr: _HeldStderr | None = None) -> None:
        self.error: BaseException | None = None
        self.plugin_started = False
        self.stderr = stderr

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_parse(
        self, pluginmanager: pytest.PytestPluginManager, args: list[str]
    ) -> Generator[None, pytest.Config, pytest.Config]:
        try:
            config = yield
        except BaseException as error:
            self.error = error
            self.plugin_started = pluginmanager.get_plugin(RUN_PLUGIN) is not None
            raise
        if self.stderr is not None:
            self.stderr.real.write(self.stderr.release())
        return config


def tracks(settings: Settings) -> bool:
    """Whether a run should enable the tracker: one was chosen, or the default exists."""
    return settings.tracker_source != "the default" or settings.tracker.is_file()


def _given(option: str, argv: Sequence[str]) -> bool:
    return any(arg == option or arg.startswith(option + "=") for arg in argv)


def run_pytest(args: Sequence[str], settings: Settings, err: TextIO) -> int:
    """Run pytest with ``args``; report a pre-plugin failure as a blocker. Returns pytest's
    exit code."""
    argv = list(args)
    if tracks(settings) and not _given("--tracker", argv):
        # the tracker and state folder this command was given (or found), for pytest too
        cwd = Path.cwd()
        if not _given("--tracker-state", argv):
            argv = ["--tracker-state", shown(settings.state, cwd), *argv]
        argv = ["--tracker", shown(settings.tracker, cwd), *argv]
    held = _HeldStderr(sys.stderr)
    watch = _EarlyWatch(held)
    sys.stderr = held  # a stand-in that holds, then passes on
    try:
        code = int(pytest.main(list(argv), plugins=[watch]))  # pytest adds addopts to it
    except ImportError as error:  # pytest 8 lets a failing -p NAME escape pytest.main
        watch.error = error
        held.write(f"ERROR: {error}\n")
        code = 1
    except Exception as error:  # a hook pluggy cannot register escapes pytest.main too
        watch.error = watch.error or error
        held.write(f"ERROR: {type(error).__name__}: {error}\n")
        code = 1
    finally:
        sys.stderr = held.real
    pytest_said = held.release()
    if watch.error is not None and not watch.plugin_started:
        for line in _report(watch.error, argv, settings, code):
            err.write(line + "\n")
    err.write(pytest_said)
    return code


def _report(error: BaseException, argv: list[str], settings: Settings, code: int) -> list[str]:
    from pytest_tasktracker.blockers.diagnose import diagnose  # a blocked run's only

    facts = _facts(argv, error, code)
    blockers = diagnose(facts)
    return write_blockers(blockers, argv, settings, facts) if blockers else []


def _facts(argv: list[str], error: BaseException | None, code: int | None) -> Facts:
    cwd = Path.cwd()
    ini = find_inifile(cwd)
    facts = Facts(argv=argv, cwd=cwd, rootdir=cwd, inifile=ini.path, exception=error)
    facts.addopts = split_args(ini.values.get("addopts", ""))
    facts.exit_code = code
    return facts


def write_blockers(
    blockers: Sequence[Blocker], argv: list[str], settings: Settings, facts: Facts | None = None
) -> list[str]:
    """Write reports for ``blockers`` of a run of pytest with ``argv`` that the plugin
    could not report itself; the terminal lines that say so."""
    # Only for a run the plugin could not report itself: not every run's cost.
    from pytest_tasktracker.blockers.facts import command_info
    from pytest_tasktracker.blockers.record import record
    from pytest_tasktracker.plugin.tracker_run import guess_paths

    cwd = Path.cwd()
    try:
        tracker = load(settings.tracker, shown(settings.tracker, cwd))
    except TrackerError as problem:
        return [f"task tracker warning: no blocker report: {problem}"]
    facts = facts or _facts(argv, None, blockers[0].exit_code if blockers else None)
    command: dict[str, Any] = command_info(facts, pytest.__version__, {})
    outcome = record(
        blockers,
        settings=settings,
        tracker=tracker,
        tracker_name=tracker.path,
        links=None,
        run_paths=guess_paths(argv),
        facts=facts,
        command=command,
        verified=[],
    )
    return outcome.lines(cwd) + [f"task tracker warning: {w}" for w in outcome.warnings]


def main_args(argv: Sequence[str]) -> list[str]:
    """The pytest arguments of ``tasktracker run [--] ARGS``."""
    args = list(argv)
    return args[1:] if args[:1] == ["--"] else args
