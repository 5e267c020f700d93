"""Evidence from checks that are not pytest (``tasktracker verify``): mypy, pylint, ruff...

A sub-task that names checks ("Quality checks: pylint, pytest, mypy - fix all issues") is
backed when **every** check it names has passing evidence on the code as it is now;
pytest's part is the plugin's evidence in results.json, the rest is recorded here, in
``<state>/checks.json``, by ``tasktracker verify``.

A check's name is not the agent's word: a record counts for a check only when its
command is the one the project declares for it (``[tool.tasktracker.checks]``, ini
``tracker_checks``), or, where the project declares none, when the command's program
is that check (``pylint``, ``python -m pylint``). ``true`` is never pylint.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_tasktracker.lazyre import Lazy
from pytest_tasktracker.rules.freshness import same_state
from pytest_tasktracker.rules.journal import read_once, sha256
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.model import SubTask
from pytest_tasktracker.words import occurrences

SCHEMA = "pytest-tasktracker/checks/1"
FILE = "checks.json"
# The checks a sub-task can name, as its words name them: name -> pattern.
KNOWN = {
    "pytest": r"pytest",
    "mypy": r"mypy",
    "pylint": r"pylint",
    "ruff": r"ruff",
    "flake8": r"flake8",
    "black": r"black",
    "isort": r"isort",
    "pyright": r"pyright",
    "bandit": r"bandit",
}
_NAMED = Lazy(r"\b(" + "|".join(KNOWN.values()) + r")\b", re.IGNORECASE)
_PYTHON = r"^python(?:\d+(?:\.\d+)?)?(?:\.exe)?$"  # compiled on first use (verify's)


class CheckResult(Slotted):
    """A check that verify ran: its outcome (passed | failed | error, which is a time-out)
    and the code state it ran on."""

    __slots__ = ("check", "command", "exit_code", "outcome", "output_tail", "code", "time")

    def __init__(
        self,
        check: str,
        command: str,
        exit_code: int,
        outcome: str,
        output_tail: str,
        code: str | None,
        time: str,
    ) -> None:
        self.check = check
        self.command = command
        self.exit_code = exit_code
        self.outcome = outcome
        self.output_tail = output_tail
        self.code = code
        self.time = time

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult | None:
        try:
            result = cls(
                check=str(data["check"]),
                command=str(data["command"]),
                exit_code=int(data["exit_code"]),
                outcome=str(data["outcome"]),
                output_tail=str(data.get("output_tail", "")),
                code=str(data["code"]) if data.get("code") else None,
                time=str(data.get("time", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None
        return result if result.outcome in ("passed", "failed", "error") else None


def named_checks(subtask: SubTask, declared: Mapping[str, str] | None = None) -> list[str]:
    """The checks a sub-task's words name, in order ("pylint, pytest, mypy"): the known
    ones, and those the project declares (by their name, as a word)."""
    text = subtask.text
    if text.isascii():  # read as whole words, without compiling _NAMED
        lower = text.lower()
        found = [lower[start:end] for start, end in occurrences(lower, KNOWN.values())]
    else:
        found = [match.lower() for match in _NAMED().findall(text)]
    if declared:
        extra = [name for name in declared if name.lower() not in KNOWN]
        if extra:
            words = re.compile(r"\b(" + "|".join(map(re.escape, extra)) + r")\b", re.I)
            spelled = {name.lower(): name for name in extra}
            found += [spelled[m.lower()] for m in words.findall(subtask.text)]
            order = {name: subtask.text.lower().find(name.lower()) for name in found}
            found.sort(key=order.__getitem__)
    return list(dict.fromkeys(found))


def program_of(command: Sequence[str]) -> str | None:
    """The program a command runs: ``mypy`` for ``mypy``, ``python -m mypy`` and
    ``.venv/bin/mypy``; None for an empty command."""
    if not command:
        return None
    program = Path(command[0]).name.lower().removesuffix(".exe")
    if re.match(_PYTHON, program) and len(command) >= 3 and command[1] == "-m":
        program = command[2].lower()
    return program


def check_of(command: Sequence[str]) -> str | None:
    """Which check a command is, from its program (``mypy``, ``python -m mypy``,
    ``.venv/bin/ruff check``); None when it is none of the known ones."""
    program = program_of(command)
    return program if program in KNOWN else None


def same_command(first: str, second: str) -> bool:
    """Whether two commands (as a shell reads them) are the same argument list."""
    try:
        return shlex.split(first) == shlex.split(second)
    except ValueError:
        return first.strip() == second.strip()


def command_problem(name: str, command: str, declared: Mapping[str, str]) -> str | None:
    """Why a record of ``command`` is no evidence for the check ``name``; None when it
    is: the project's declared command for it, or, where it declares none, a command
    whose program is that check."""
    if name in declared:
        if same_command(command, declared[name]):
            return None
        return f"not the declared command `{declared[name]}`"
    try:
        program = program_of(shlex.split(command))
    except ValueError:
        program = None
    if program == name.lower():
        return None
    return f"`{command}` is not {name}"


def read_checks(state: Path) -> tuple[dict[str, dict[str, CheckResult]] | None, str | None]:
    """The recorded checks by sub-task id and check name (None when none were ever
    recorded; entries that are not what they should be, a hand edit, are left out), and
    the SHA-256 of the very bytes read, for the run journal to vouch for (None when there
    is no file), as ``read_evidence``."""
    try:
        raw = read_once(state / FILE)
    except OSError:
        return {}, None
    if raw is None:
        return None, None
    return _checks_of(raw), sha256(raw)


def _checks_of(raw: bytes) -> dict[str, dict[str, CheckResult]]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return {}
    by_id = data.get("checks") if isinstance(data, dict) else None
    found: dict[str, dict[str, CheckResult]] = {}
    if not isinstance(by_id, dict):
        return found
    for subtask_id, checks in by_id.items():
        if not isinstance(checks, dict):
            continue
        for name, entry in checks.items():
            result = CheckResult.from_json(entry) if isinstance(entry, dict) else None
            if result is not None:
                found.setdefault(str(subtask_id), {})[str(name)] = result
    return found


def checks_text(checks: Mapping[str, Mapping[str, CheckResult]]) -> str:
    body = {sid: {name: r.to_json() for name, r in by.items()} for sid, by in checks.items()}
    return json.dumps({"schema": SCHEMA, "checks": body}, indent=1, ensure_ascii=False) + "\n"


def missing_checks(
    subtask: SubTask,
    checks: Mapping[str, CheckResult],
    pytest_fresh: bool,
    code: str | None,
    declared: Mapping[str, str] | None = None,
) -> list[str]:
    """What a sub-task that names checks still lacks, as phrases; empty when every check
    it names passed on the code state ``code`` (pytest's part: ``pytest_fresh``), each
    by a command that is that check (``command_problem``)."""
    declared = declared or {}
    lacking = []
    for name in named_checks(subtask, declared):
        if name == "pytest":
            if not pytest_fresh:
                lacking.append("pytest (no passing run on this code)")
            continue
        result = checks.get(name)
        wrong = command_problem(name, result.command, declared) if result else None
        if result is None:
            lacking.append(f"{name} (not run)")
        elif wrong:
            lacking.append(f"{name} ({wrong})")
        elif result.outcome != "passed":
            lacking.append(f"{name} ({result.outcome}, exit code {result.exit_code})")
        elif code is not None and (result.code is None or not same_state(result.code, code)):
            lacking.append(f"{name} (passed on other code)")
    return lacking
