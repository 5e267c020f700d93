"""What of a blocked run's command is the cause, and what is only how a tool spelled it.

A test tool (mcp-tools-py's ``run_pytest_check``, an IDE, a CI wrapper) adds options that
name output files, often a fresh temporary path each call
(``--json-report-file=/tmp/tmpab12.json``). They are not the cause of a blocker: the
same cause seen again must be the same blocker (so "stop retrying" fires however the
tool spells its command), and a remedy must never hand back a temporary path that is
gone. Each remedy that runs pytest also carries its arguments alone, for a tool that
takes extra pytest arguments.
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Sequence
from pathlib import Path

# Options whose value names a file or folder the run writes its output to.
OUTPUT_OPTIONS = frozenset(
    {
        "--json-report-file",
        "--junitxml",
        "--junit-xml",
        "--report-log",
        "--result-log",
        "--basetemp",
        "--html",
        "--cov-report",
        "--alluredir",
        "--md-report-output",
        "--md-report-file-path",
        "--csv",
        "--debug",
    }
)
_TEMP_ROOTS = ("/tmp/", "/var/tmp/", "/private/var/folders/", "/var/folders/")


def _temporary_roots() -> tuple[str, ...]:
    here = tempfile.gettempdir().rstrip("/\\")
    roots = {*_TEMP_ROOTS, here + os.sep, here + "/"}
    return tuple(sorted(roots, key=len, reverse=True))


def is_temporary(text: str) -> bool:
    """Whether ``text`` is (or ends in) a path under a temporary folder."""
    value = text.partition("=")[2] if text.startswith("-") and "=" in text else text
    return value.startswith(_temporary_roots())


def _option(arg: str) -> str:
    return arg.partition("=")[0]


def _outputs(argv: Sequence[str]) -> list[tuple[int, int, str]]:
    """The output options of ``argv``: (first index, how many arguments, the value)."""
    found = []
    for index, arg in enumerate(argv):
        if _option(arg) not in OUTPUT_OPTIONS:
            continue
        if "=" in arg:
            found.append((index, 1, arg.partition("=")[2]))
        elif index + 1 < len(argv) and not argv[index + 1].startswith("-"):
            found.append((index, 2, argv[index + 1]))
    return found


def _dropping(argv: Sequence[str], spans: Sequence[tuple[int, int, str]]) -> list[str]:
    gone = {index + step for index, count, _ in spans for step in range(count)}
    return [arg for index, arg in enumerate(argv) if index not in gone]


def without_output(argv: Sequence[str]) -> list[str]:
    """``argv`` without the options that name output files, and their values: what a
    blocker's identity is made of."""
    return _dropping(argv, _outputs(argv))


def without_temporary(argv: Sequence[str]) -> list[str]:
    """``argv`` without the output options whose file is a temporary one
    (``--json-report-file=/tmp/tmpab12.json``): a remedy never hands back a path of the
    failed invocation that is gone. Test paths stay, wherever they are."""
    return _dropping(argv, [span for span in _outputs(argv) if is_temporary(span[2])])


def stable_text(text: str, argv: Sequence[str] = ()) -> str:
    """``text`` (pytest's error) with the files the output options of ``argv`` named as
    ``<output>``: the same error, however the tool named its files."""
    for _, _, value in _outputs(argv):
        if value:
            text = text.replace(value, "<output>")
    return text


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return []


def _pytest_start(tokens: Sequence[str]) -> int | None:
    """Where pytest's own arguments start in a command, None when it runs no pytest."""
    for index, token in enumerate(tokens):
        if token == "-m" and tokens[index + 1 : index + 2] == ["pytest"]:
            return index + 2
    if tokens and Path(tokens[0]).name in ("pytest", "py.test"):
        return 1
    return None


def pytest_args(command: str) -> list[str] | None:
    """The arguments after ``pytest`` in a remedy's command (``python -m pytest ARGS``,
    ``pytest ARGS``), without the failed invocation's temporary paths; None when the
    command does not run pytest."""
    tokens = _split(command)
    start = _pytest_start(tokens)
    return None if start is None else without_temporary(tokens[start:])


def remedy_entry(command: str, why: str) -> dict[str, object]:
    """A remedy as a report keeps it: the command to run (with no temporary path of the
    failed invocation), why, and for a pytest command its arguments alone, for a tool
    that takes extra pytest arguments (an MCP tool)."""
    tokens = _split(command)
    start = _pytest_start(tokens)
    if start is None:
        return {"command": command, "why": why}
    args = without_temporary(tokens[start:])
    return {"command": shlex.join([*tokens[:start], *args]), "why": why, "args": args}
