"""``tasktracker verify ID... [--check NAME] [--timeout S] [-- COMMAND]``: run checks
that are not pytest (mypy, pylint, ruff, a script) and record their results as evidence.

Without a command, each check the sub-tasks name runs with the command the project
declares for it (``[tool.tasktracker.checks]``, ini ``tracker_checks``). A command given
after ``--`` must be that check: the declared command, or, where none is declared, one
whose program is the check (``true`` is never pylint); pytest is never a check here.

Exit 0 of the command is a pass. The record keeps the command, its exit code, the tail of
its output (redacted) and the code state it ran on, in ``<state>/checks.json``, and the
run journal records the file. Then the judge decides: a sub-task that may be ``[x]`` is
ticked; one that may not is said so, and unticked if it was ticked.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from pytest_tasktracker.errors import VerifyUsageError
from pytest_tasktracker.redact import redact_argv, redact_long
from pytest_tasktracker.rules import journal
from pytest_tasktracker.rules.checks import (
    FILE,
    CheckResult,
    check_of,
    checks_text,
    command_problem,
    named_checks,
    read_checks,
)
from pytest_tasktracker.rules.journal import tracker_key
from pytest_tasktracker.runinfo import new_id, now
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.state import code_now, read_record, refusal, rerun_command
from pytest_tasktracker.ticks import write_and_say
from pytest_tasktracker.tracker.editing import Change
from pytest_tasktracker.tracker.fileio import atomic_write, locked
from pytest_tasktracker.tracker.model import SubTask, Tracker

TAIL = 2000
EXIT_NOT_FOUND = 127


def check_environment() -> dict[str, str]:
    """The environment a check runs in: this one, with the folder of the interpreter that
    runs tasktracker first on PATH, as in an activated virtual environment (a declared
    ``python -m pylint`` is this environment's pylint, not whatever ``python`` a shell
    put first on PATH)."""
    env = dict(os.environ)
    here = os.path.dirname(sys.executable)
    env["PATH"] = os.pathsep.join([here, *(p for p in env.get("PATH", "").split(os.pathsep) if p)])
    return env


# Asked of the interpreter a ``python -m NAME`` check runs with: where NAME is, and where
# that interpreter's installed packages and standard library are.
_PROBE = (
    "import importlib.util, json, site, sys, sysconfig\n"
    "spec = importlib.util.find_spec(sys.argv[1])\n"
    "places = [sysconfig.get_path(k) for k in ('purelib', 'platlib', 'stdlib', 'platstdlib')]\n"
    "places += site.getsitepackages() + [site.getusersitepackages()]\n"
    "print(json.dumps([spec.origin if spec else None, places]))\n"
)


def _inside(path: str, folder: str) -> bool:
    return (os.path.realpath(path) + os.sep).startswith(os.path.realpath(folder) + os.sep)


def impostor(command: Sequence[str], env: Mapping[str, str], cwd: Path, root: Path) -> str | None:
    """Why ``command`` would not run the real check, or None: its program is a file in
    the project (``./pylint``) or a temporary folder, or the module a ``python -m NAME``
    runs is not an installed one (a ``pylint/__main__.py`` in the project or on
    PYTHONPATH). Outside a virtual environment in the project, the project holds no
    checker."""
    program = command[0]
    found = (
        str(cwd / program)
        if os.sep in program or "/" in program
        else shutil.which(program, path=env.get("PATH"))
    )
    if found is None:
        return None  # the run says "command not found"
    venv = sys.prefix

    def suspicious(path: str) -> bool:
        if _inside(path, venv):
            return False
        return _inside(path, str(root)) or _inside(path, tempfile.gettempdir())

    if suspicious(found):
        return (
            f"{program} is {os.path.realpath(found)}, a file in the project, not an installed tool"
        )
    rest = list(command[1:])
    if os.path.basename(found).startswith("python") and rest[:1] == ["-m"] and len(rest) > 1:
        module = rest[1]
        try:
            done = subprocess.run(
                [found, "-c", _PROBE, module],
                cwd=cwd,
                env=dict(env),
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            origin, places = json.loads(done.stdout)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            return None  # the run itself says what is wrong
        if origin is None:
            return None
        if not any(place and _inside(origin, place) for place in places):
            return (
                f"python -m {module} runs {origin}, which is not an installed package of that "
                "interpreter"
            )
    return None


def _run(
    command: Sequence[str],
    timeout: float | None,
    cwd: Path | None,
    env: Mapping[str, str] | None = None,
) -> tuple[int, str, bool]:
    """Exit code, output (stdout and stderr), and whether it timed out."""
    try:
        child = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=None if env is None else dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise VerifyUsageError(command[0], "command not found; nothing was recorded") from None
    except OSError as error:
        raise VerifyUsageError(command[0], f"cannot run it ({error.strerror})") from None
    try:
        output, _ = child.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        output, _ = child.communicate()
        timed_out = True
    return child.returncode, output.decode("utf-8", "replace"), timed_out


def verify(
    tracker: Tracker,
    settings: Settings,
    references: list[str],
    command: list[str],
    check: str | None,
    timeout: float | None,
    out: TextIO,
    cwd: Path | None = None,
) -> int:
    """Run the checks the sub-tasks ``references`` name (in ``cwd``, default the working
    folder) and record them; the exit code for the command line. With ``command``, run
    that as the check ``check`` (or the one its program is); without, run each check
    the sub-tasks name with the command the project declares for it."""
    targets = [tracker.find(reference) for reference in references]
    runs = planned_checks(targets, command, check, settings.declared)
    outcomes = []
    for name, argv in runs:
        outcomes.append(_run_and_record(settings, targets, name, argv, timeout, out, cwd))
    failed = [
        name for (name, _), outcome in zip(runs, outcomes, strict=True) if outcome != "passed"
    ]
    return _tick_what_is_whole(tracker, settings, [s.id for s in targets], out, failed)


def planned_checks(
    targets: Sequence[SubTask],
    command: Sequence[str],
    check: str | None,
    declared: Mapping[str, str],
) -> list[tuple[str, list[str]]]:
    """The checks to run, each once: ``(name, argv)``. Raises VerifyUsageError for a
    check whose name is the agent's word: a command that is not that check, pytest
    (its part comes from the plugin), or a check the project declares no command for."""
    if check == "pytest" or (not check and command and check_of(command) == "pytest"):
        raise VerifyUsageError(
            "pytest",
            "pytest is not a check for verify: its part comes from the plugin's evidence "
            "(run pytest with --tracker-update)",
        )
    if command:
        name = check or check_of(command)
        if name is None:
            raise VerifyUsageError(
                shlex.join(command[:1]), "which check is this? name it with --check NAME"
            )
        problem = command_problem(name, shlex.join(command), declared)
        if problem:
            raise VerifyUsageError(name, _refusal(name, problem, declared))
        return [(name, list(command))]
    wanted = [check] if check else []
    if not wanted:
        for subtask in targets:
            wanted += [n for n in named_checks(subtask, declared) if n != "pytest"]
    names = list(dict.fromkeys(wanted))
    if not names:
        ids = ", ".join(subtask.id for subtask in targets)
        raise VerifyUsageError(
            ids, "names no check to run; give the check's command after -- (and --check NAME)"
        )
    undeclared = [name for name in names if name not in declared]
    if undeclared:
        raise VerifyUsageError(
            undeclared[0],
            "the project declares no command for it: add it to [tool.tasktracker.checks] in "
            f'pyproject.toml ({undeclared[0]} = "..."), or give its command after --',
        )
    return [(name, shlex.split(declared[name])) for name in names]


def _refusal(name: str, problem: str, declared: Mapping[str, str]) -> str:
    if name in declared:
        return f"{problem}: run `tasktracker verify ID --check {name}` to run it; nothing was run"
    return (
        f"{problem}: run {name} itself, or declare its command in [tool.tasktracker.checks] "
        f'({name} = "..."); nothing was run'
    )


def _run_and_record(
    settings: Settings,
    targets: Sequence[SubTask],
    name: str,
    command: list[str],
    timeout: float | None,
    out: TextIO,
    cwd: Path | None,
) -> str:
    """Run one check and record it for ``targets`` in checks.json (and the journal);
    its outcome."""
    env = check_environment()
    problem = impostor(command, env, cwd or Path.cwd(), settings.code_root)
    if problem is not None:
        raise VerifyUsageError(name, f"{problem}; nothing was run")
    code, output, timed_out = _run(command, timeout, cwd, env)
    if code == EXIT_NOT_FOUND and not timed_out:
        raise VerifyUsageError(
            shlex.join(command[:1]), "command not found (exit 127); nothing was recorded"
        )
    now_code = code_now(settings)  # after the command: what a formatter changed is part of it
    outcome = "error" if timed_out else ("passed" if code == 0 else "failed")
    result = CheckResult(
        check=name,
        command=shlex.join(redact_argv(command)),
        exit_code=code,
        outcome=outcome,
        output_tail=redact_long(output)[-TAIL:],
        code=now_code.digest if now_code is not None else None,
        time=now(),
    )
    _record(settings, targets, name, result)
    said = f"timed out after {timeout:g} s" if timed_out else f"exit code {code}"
    out.write(f"{name} {outcome} ({said}): {result.command}\n")
    if outcome != "passed":
        for line in output.strip().splitlines()[-5:]:
            out.write(f"  {redact_long(line)}\n")
    return outcome


def _record(settings: Settings, targets: Sequence[SubTask], name: str, result: CheckResult) -> None:
    """Add ``result`` to checks.json for ``targets``, under the state folder's lock, and
    record the file in the run journal before it replaces the old one."""
    state = settings.state
    state.mkdir(parents=True, exist_ok=True)
    with locked(state):
        recorded = journal.read(state)
        path = state / FILE
        found, digest = read_checks(state)  # one read: see journal.read_once
        checks = found or {}
        if recorded.untrusted(journal.CHECKS, digest):
            checks = {}  # what no recorded verify wrote is not carried on
        for subtask in targets:
            checks.setdefault(subtask.id, {})[name] = result

        def journaled(digest: str) -> None:
            journal.append(
                state,
                by="verify",
                tracker=tracker_key(settings),
                files={journal.CHECKS: digest},
                run={"id": new_id(), "time": result.time, "check": name, "command": result.command},
            )

        atomic_write(
            path, checks_text(checks).encode("utf-8"), durable=False, before_replace=journaled
        )


def _tick_what_is_whole(
    tracker: Tracker, settings: Settings, ids: list[str], out: TextIO, failed: list[str]
) -> int:
    """Ask the judge about each sub-task checked: tick it when it may be ``[x]``; when it
    may not, say why, and untick it if it is ticked (verify never leaves ``[x]`` on a box
    it reports as not ticked)."""
    record = read_record(settings)
    rerun = rerun_command(tracker, record)
    changes = []
    for subtask in tracker.subtasks:
        if subtask.id not in ids:
            continue
        why = refusal(subtask, record, rerun)
        if why is None and failed:
            why = f"{', '.join(failed)} did not pass"
        if why is not None:
            out.write(f"{subtask.id} not ticked: {why}\n")
            if subtask.done:
                changes.append(Change(subtask.id, False, subtask.text))
        elif not subtask.done:
            changes.append(Change(subtask.id, True, subtask.text))
    if changes:
        write_and_say(tracker, settings, changes, record, out)
    return 1 if failed else 0
