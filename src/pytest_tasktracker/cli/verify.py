"""``tasktracker verify ID... [--check NAME] [--timeout S] -- COMMAND``: run a check that
is not pytest (mypy, pylint, ruff, a script) and record its result as evidence.

Exit 0 of the command is a pass. The record keeps the command, its exit code, the tail of
its output (redacted) and the code state it ran on, in ``<state>/checks.json``. A
sub-task whose named checks all passed on this code (pytest's part from the plugin's
evidence) is ticked; a failing check is evidence too, and unticks it.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.rules.checks import (
    FILE,
    CheckResult,
    check_of,
    checks_text,
    missing_checks,
    named_checks,
    read_checks,
)
from pytest_tasktracker.settings import Settings
from pytest_tasktracker.tracker.model import Tracker

if TYPE_CHECKING:
    from pytest_tasktracker.rules.freshness import CodeNow

TAIL = 2000
EXIT_NOT_FOUND = 127


class VerifyUsageError(TrackerError):
    """The command cannot be run or named as a check."""


def _run(command: Sequence[str], timeout: float | None, cwd: Path | None) -> tuple[int, str, bool]:
    """Exit code, output (stdout and stderr), and whether it timed out."""
    try:
        child = subprocess.Popen(
            list(command),
            cwd=cwd,
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
    """Run ``command`` (in ``cwd``, default the working folder) and record it for the
    sub-tasks ``references`` name; the exit code for the command line."""
    from pytest_tasktracker.redact import redact_argv, redact_long
    from pytest_tasktracker.runinfo import now
    from pytest_tasktracker.state import code_now
    from pytest_tasktracker.tracker.fileio import atomic_write, locked

    if not command:
        raise VerifyUsageError("verify", "give the check's command after --")
    name = check or check_of(command)
    if name is None:
        raise VerifyUsageError(
            shlex.join(command[:1]), "which check is this? name it with --check NAME"
        )
    targets = [tracker.find(reference) for reference in references]
    code, output, timed_out = _run(command, timeout, cwd)
    if code == EXIT_NOT_FOUND and not timed_out:
        raise VerifyUsageError(
            shlex.join(command[:1]), "command not found (exit 127); nothing was recorded"
        )
    now_code = code_now(settings)  # after the command: what a formatter changed is part of it
    digest = now_code.digest if now_code is not None else None
    outcome = "error" if timed_out else ("passed" if code == 0 else "failed")
    result = CheckResult(
        check=name,
        command=shlex.join(redact_argv(command)),
        exit_code=code,
        outcome=outcome,
        output_tail=redact_long(output)[-TAIL:],
        code=digest,
        time=now(),
    )
    settings.state.mkdir(parents=True, exist_ok=True)
    with locked(settings.state):  # as every file of the state folder: no check lost either
        checks = read_checks(settings.state) or {}
        for subtask in targets:
            checks.setdefault(subtask.id, {})[name] = result
        atomic_write(settings.state / FILE, checks_text(checks).encode("utf-8"), durable=False)
    said = f"timed out after {timeout:g} s" if timed_out else f"exit code {code}"
    out.write(f"{name} {outcome} ({said}): {result.command}\n")
    if outcome != "passed":
        tail = output.strip().splitlines()[-5:]
        for line in tail:
            out.write(f"  {redact_long(line)}\n")
    ids = [s.id for s in targets]
    return _tick_what_is_whole(tracker, settings, ids, out, outcome, now_code)


def _tick_what_is_whole(
    tracker: Tracker,
    settings: Settings,
    ids: list[str],
    out: TextIO,
    outcome: str,
    code: CodeNow | None,
) -> int:
    """Tick each sub-task whose named checks all passed on this code (``code``, taken
    once by ``verify``); untick each one a failing check speaks against."""
    from pytest_tasktracker.cli.shards import apply_and_say
    from pytest_tasktracker.rules.freshness import passed_here
    from pytest_tasktracker.state import read_record
    from pytest_tasktracker.tracker.editing import Change

    record = read_record(settings, code)
    digest = record.code.digest if record.code is not None else None
    changes = []
    for subtask in tracker.subtasks:
        if subtask.id not in ids:
            continue
        mine = (record.checks or {}).get(subtask.id, {})
        fresh = passed_here(record.evidence.get(subtask.id), record.code)
        lacking = missing_checks(subtask, mine, fresh, digest)
        if not named_checks(subtask):
            lacking = [] if outcome == "passed" else ["this check"]
        if lacking:
            out.write(f"{subtask.id} not ticked: still needs {', '.join(lacking)}\n")
            if subtask.done and outcome != "passed":
                changes.append(Change(subtask.id, False, subtask.text))
        elif not subtask.done:
            changes.append(Change(subtask.id, True, subtask.text))
    if changes:
        apply_and_say(tracker, settings, changes, out)
    return 0 if outcome == "passed" else 1


def split_command(argv: Sequence[str]) -> tuple[list[str], list[str] | None]:
    """``tasktracker ... verify ID... -- COMMAND``: the arguments before the command, and
    the command (None when this is not a verify command line)."""
    args = list(argv)
    if "verify" not in args:
        return args, None
    start = args.index("verify")
    if "--" not in args[start:]:
        return args, []
    cut = args.index("--", start)
    return args[:cut], args[cut + 1 :]
