"""The state of one pytest run on the controller, and what happens when it ends."""

from __future__ import annotations

import contextlib
import gc
import os
import time
from collections.abc import Callable, Sequence
from functools import partial
from operator import attrgetter
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
    from pytest_tasktracker.runinfo import RunInfo
    from pytest_tasktracker.ticks import TickReport
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


_FIXTURES = ("setup", "teardown")  # the phases besides the call


_STOP = attrgetter("stop")


def _made(report: Any) -> float:
    return float(getattr(report, "stop", 0) or 0)


class TrackerRun:
    """Everything the controller (or a serial run) learns during the session."""

    def __init__(self, settings: Settings, tracker_name: str, facts: Facts) -> None:
        self.settings = settings
        self.tracker_name = tracker_name
        self.facts = facts
        self.tracker: Tracker | None = None
        self.reports: list[Any] = []  # as pytest_runtest_logreport gave them
        self.kept_by: Any = None  # the terminal reporter, whose stats keep them (test_reports)
        self.local = Collected()
        self.from_workers: Collected | None = None
        self.worker_ids: set[str] = set()
        self.run_paths: list[str] = []
        self.results: list[SubTaskResult] = []
        self.update: TickReport | None = None
        self.blocked: BlockerUpdate | None = None
        self.warnings: list[str] = []
        self.finished = False
        self.stopped = False  # by the supervisor's timeout: it writes the blocker
        self.last_failed = False  # --lf narrowed the files to last time's failures
        self.code_state: CodeState | None = None  # the code this run ran on (code_digest)
        self.printed = False
        self.gate_lines: list[str] = []  # --tracker-gate's verdict
        self.gate_failed = False
        self.attest: Path | None = None  # --tracker-attest: where the in-toto statement goes
        self.junit: Path | None = None  # --tracker-junit: where the JUnit XML goes
        self.outputs: list[Path] = []  # report files the run writes: not code
        self.loaded: set[str] = set()  # modules xdist's workers imported (code)
        self.started_ns = time.time_ns()  # when the run began (code_digest)
        self.changed_during: str | None = None  # a file the run ran that changed while it ran
        self.sourceless: str | None = None  # compiled code of the project it loaded (sourceless)

    def test_reports(self) -> list[Any]:
        """The reports of the run's tests that tell something (every call, and each setup
        or teardown that did not pass), in the order pytest made them.

        The terminal reporter keeps every report in its ``stats``; taking them from there
        at the end spares a hook call per phase of every test (about 3% of a run's cost at
        10,000 tests went to ours). Its lists are per category, so they are put back in
        the order they were made (by ``stop``: a subtest ends before its test's call)."""
        if self.kept_by is None:
            return self.reports
        found: list[Any] = []
        keep = found.append
        for reports in self.kept_by.stats.values():
            for report in reports:
                when = getattr(report, "when", None)
                if when == "call" or (when in _FIXTURES and report.outcome != "passed"):
                    keep(report)
        try:  # pytest's reports have a number in ``stop``: compared in C, not by _made
            found.sort(key=_STOP)
        except (AttributeError, TypeError):
            found.sort(key=_made)
        return found

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
        rootdir, inifile = self.facts.rootdir, self.facts.inifile
        if rootdir is not None:
            # code, also where git ignores them: every module the run imported (its
            # conftests among them; xdist's workers send theirs) and the configuration
            loaded = self.loaded | modules_loaded_from(rootdir)
            self.sourceless = sourceless(loaded, rootdir)
            files |= loaded
            shown = Path(os.path.relpath(inifile, rootdir)).as_posix() if inifile else "../"
            if not shown.startswith("../"):  # another file's (-c): foreign_config's
                files.add(shown)
            self.changed_during = changed_since(rootdir, files, self.started_ns)
        try:
            state = for_run(self.settings, files, self.facts.rootdir, self.outputs)
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
        """The end of the run, step by step (``finish.STEPS``): judge every sub-task,
        write the blockers, the evidence and, when the run verified, the ticks.

        At the end of a session the heap is at its largest (every test item is alive),
        and this step makes a few objects per linked test: the cyclic collector would scan
        the whole heap several times for objects that hold no cycles. It is paused here, as
        in the parser; no user code runs in between.
        """
        tracker = self.load_tracker()
        if tracker is None:
            return
        from pytest_tasktracker.plugin import finish

        enabled = gc.isenabled()
        gc.disable()
        try:
            finish.finish(finish.End(self, tracker, exit_code, reach, run, command))
        finally:
            if enabled:
                gc.enable()
        self.tidy()
        self.finished = True

    def tidy(self) -> None:
        """Clear the temporary files that runs killed while writing (SIGKILL, the OOM
        killer) left behind: every one in the state folder and in its blockers folder,
        and the tracker's and the blocked file's beside them, each under its folder's
        lock. A folder another run holds locked (it is writing) is left for the next
        run: a run never waits to tidy."""
        from pytest_tasktracker.tracker.fileio import locked
        from pytest_tasktracker.tracker.leftovers import clean_stale_temporaries, clean_temporaries

        settings = self.settings
        jobs: list[tuple[Path, Callable[[], object]]] = [
            (folder, partial(clean_temporaries, folder))
            for folder in (settings.state, settings.blockers_folder, settings.state / "code")
        ]
        for file in (settings.tracker, settings.blocked_file):
            if file is not None:
                real = Path(os.path.realpath(file))
                jobs.append((real.parent, partial(clean_stale_temporaries, real)))
        for folder, clean in jobs:
            if folder.is_dir():
                with contextlib.suppress(OSError, TrackerError), locked(folder, timeout=0):
                    clean()

    def conclude_early(self, command: Callable[[], dict[str, Any]]) -> None:
        """The run ended before its session finished (a usage or conftest error): write
        the blockers from what is known, and record them in the run journal."""
        self.finished = True
        tracker = self.load_tracker()
        if tracker is None:
            return
        from pytest_tasktracker.blockers.diagnose import diagnose
        from pytest_tasktracker.blockers.record import record
        from pytest_tasktracker.plugin.finish import opened_blockers
        from pytest_tasktracker.state import proven_on_this_code

        blockers = diagnose(self.facts)
        if not blockers:
            return
        self.code_digest()  # the code it was blocked on: what a pass on it still proves
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
            proven=proven_on_this_code(self.settings, self.code_state),
        )
        self.warnings.extend(self.blocked.warnings)
        opened = opened_blockers(self.blocked)
        if opened:
            self._journal_blockers(opened, command)
        self.tidy()

    def _journal_blockers(
        self, opened: dict[str, dict[str, Any]], command: Callable[[], dict[str, Any]]
    ) -> None:
        """A blocked run that wrote no evidence records its blockers in the journal."""
        from pytest_tasktracker.rules import journal
        from pytest_tasktracker.rules.journal import tracker_key
        from pytest_tasktracker.runinfo import collect
        from pytest_tasktracker.tracker.fileio import locked

        info = command()
        run = collect(list(self.facts.argv), self.facts.rootdir, str(info.get("pytest")), 0)
        try:
            with locked(self.settings.state):
                warning = journal.append(
                    self.settings.state,
                    by="run",
                    tracker=tracker_key(self.settings),
                    opened=opened,
                    run=run.to_json(),
                )
        except (OSError, TrackerError) as error:
            warning = f"run journal not written: {_describe(error)}"
        if warning:
            self.warnings.append(warning)

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


def _prefixes(rootdir: Path) -> tuple[str, tuple[str, ...]]:
    """The prefix of the project's paths, and those of the running environment's (which
    may lie under it: a virtualenv in the project)."""
    import sys

    return f"{rootdir}{os.sep}", (f"{sys.prefix}{os.sep}", f"{sys.base_prefix}{os.sep}")


def modules_loaded_from(rootdir: Path) -> set[str]:
    """The Python files (relative, ``/``-separated) of the modules this process imported
    from under ``rootdir``, not from the running environment under it: code, whatever git
    or their folder's name says of them (a package that shadows a module, hidden by
    ``.git/info/exclude``, could make a failing test pass and then be removed). A module
    loaded from compiled code without its source (``.pyc``) is one of them too: see
    ``sourceless``."""
    import sys

    root, environment = _prefixes(rootdir)
    found: set[str] = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if (
            isinstance(path, str)
            and path.startswith(root)
            and path.endswith((".py", ".pyc"))
            and not path.startswith(environment)
            and "site-packages" not in path
        ):
            found.add(path[len(root) :].replace(os.sep, "/"))
    return found


def sourceless(loaded: set[str], rootdir: Path) -> str | None:
    """Why the run cannot verify when it loaded a module of the project from compiled
    code without its source, or could have, or None: a ``codeop.pyc`` beside the tests
    shadows the standard library's, can make a failing test pass, and no diff shows what
    it does. Such a module can put the real one in its place in ``sys.modules``, so the
    folders of the project on ``sys.path`` are looked in too."""
    import sys

    found = sorted(path for path in loaded if path.endswith(".pyc"))
    if found:
        return f"the run loaded {found[0]}, compiled code whose source is not in the project"
    root, environment = _prefixes(rootdir)
    for entry in dict.fromkeys(sys.path):
        folder = os.path.abspath(entry or os.curdir)
        if not f"{folder}{os.sep}".startswith(root) or folder.startswith(environment):
            continue
        try:
            names = sorted(name for name in os.listdir(folder) if name.endswith(".pyc"))
        except OSError:
            continue
        if names:
            shown = os.path.relpath(os.path.join(folder, names[0]), rootdir).replace(os.sep, "/")
            return (
                f"the run could load {shown}, compiled code whose source is not in the "
                "project, from a folder on its module path"
            )
    return None


def changed_since(rootdir: Path, files: set[str], started_ns: int) -> str | None:
    """Why the code the run ran is not the code its state records, or None: one of
    ``files`` (its tests, conftests, configuration and imported modules) changed, or was
    put back, after the run began; the code state, taken at its end, records the files
    as they are then."""
    for path in sorted(files):
        try:
            found = os.lstat(rootdir / path)
        except OSError:
            continue  # gone: the code state records that
        if max(found.st_mtime_ns, found.st_ctime_ns) >= started_ns:
            return f"{path} changed while the run ran"
    return None
