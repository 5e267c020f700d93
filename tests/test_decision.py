"""What a blocked run prints first (blockers/decision.py) and what makes two blocked runs
the same cause (blockers/invocation.py): the decision reaches an agent that sees only
the start of stderr, however its test tool spells the command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_tasktracker.blockers import decision
from pytest_tasktracker.blockers.invocation import (
    pytest_args,
    remedy_entry,
    stable_text,
    without_output,
    without_temporary,
)
from pytest_tasktracker.blockers.reports import fingerprint

TOOL_CUT = 500  # what mcp-tools-py's run_pytest_check keeps of stderr
CWD = Path("/project")


def front(kind: str, summary: str, ids: list[str], fix: str, **more: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "summary": summary,
        "affected": [{"id": i} for i in ids],
        "remedies": [{"command": fix, "why": "it fixes it"}],
        **more,
    }


PLUGIN = front(
    "missing-plugin",
    "option -n (from addopts in pyproject.toml) needs pytest-xdist, which is not installed",
    ["2.1", "2.7", "2.8", "2.11"],
    "/home/me/project/.venv/bin/python -m pip install pytest-xdist",
)
LONG = front(
    "conftest-error",
    "conftest.py fails to import: " + "ModuleNotFoundError: No module named 'x' " * 20,
    [f"{n}.{m}" for n in range(1, 4) for m in range(1, 6)],
    "/home/me/project/.venv/bin/python -m pytest --collect-only -q " + "-k x " * 100,
)
REPORTS = CWD / "pr_info" / ".tasktracker" / "blockers"


def test_one_blocker_s_decision_survives_the_tool_s_cut() -> None:
    (line,) = decision.lines([(REPORTS / "missing-plugin-n.md", PLUGIN)], CWD)
    assert line == (
        "BLOCKED (missing-plugin): option -n (from addopts in pyproject.toml) needs "
        "pytest-xdist, which is not installed; keep unticked: 2.1, 2.7, 2.8, 2.11; fix: "
        "/home/me/project/.venv/bin/python -m pip install pytest-xdist -> "
        "pr_info/.tasktracker/blockers/missing-plugin-n.md"
    )
    assert line in "\n".join([line, "ERROR: usage: pytest ..."])[:TOOL_CUT]


def test_of_three_blockers_the_most_important_comes_first_whole() -> None:
    written = [
        (REPORTS / "collection-error-x.md", front("collection-error", "x fails", ["1.1"], "a")),
        (REPORTS / "conftest-error.md", LONG),
        (REPORTS / "missing-plugin-n.md", PLUGIN),
    ]
    first, count = decision.lines(written, CWD)
    assert first.startswith("BLOCKED (missing-plugin): ")
    assert count == (
        "BLOCKED: and 2 more: conftest-error (pr_info/.tasktracker/blockers/conftest-error.md), "
        "collection-error (pr_info/.tasktracker/blockers/collection-error-x.md); see "
        "tasktracker blockers"
    )
    assert first in "\n".join([first, count])[:TOOL_CUT]


def test_a_long_blocker_keeps_what_to_keep_unticked_the_fix_and_the_path() -> None:
    (line,) = decision.lines([(REPORTS / "conftest-error.md", LONG)], CWD)
    assert len(line) <= decision.MAX_LINE
    assert line.startswith("BLOCKED (conftest-error): conftest.py fails to import: ")
    assert "; keep unticked: 1.1, 1.2, 1.3, 1.4, 1.5, 2.1 (+9 more); fix: " in line
    assert "/home/me/project/.venv/bin/python -m pytest --collect-only" in line
    assert line.endswith("\u2026 -> pr_info/.tasktracker/blockers/conftest-error.md")


def test_stop_retrying_and_what_stands_are_in_the_first_line() -> None:
    stop = {**PLUGIN, "stop_retrying": True, "repeats": 3, "proven": [{"id": "2.1"}]}
    stop["affected"] = [{"id": "2.7"}]
    (line,) = decision.lines([(REPORTS / "missing-plugin-n.md", stop)], CWD)
    assert line.startswith("BLOCKED (missing-plugin, 3 runs in a row: stop retrying): ")
    assert "; keep unticked: 2.7; still proven on this code: 2.1; fix: " in line


TOOL = ["-q", "--json-report", "--json-report-file=/tmp/tmpa1b2c3.json", "tests"]


@pytest.mark.parametrize(
    ("argv", "kept"),
    [
        (TOOL, ["-q", "--json-report", "tests"]),
        (["--junitxml", "/tmp/x.xml", "-k", "a"], ["-k", "a"]),
        (["--basetemp=/tmp/pytest-of-me/x", "--html=report.html"], []),
        (["--junitxml"], ["--junitxml"]),  # no value: pytest will say so
    ],
)
def test_options_that_name_output_files_are_no_part_of_the_cause(
    argv: list[str], kept: list[str]
) -> None:
    assert without_output(argv) == kept


def test_a_tool_s_fresh_report_file_each_call_is_the_same_blocker() -> None:
    def blocked(report: str) -> dict[str, Any]:
        argv = ["-q", "--json-report", f"--json-report-file={report}", "-n", "auto"]
        error = f"error: unrecognized arguments: -n --json-report-file={report}"
        return {"kind": "missing-plugin", "error": error, "command": {"argv": argv}}

    first, second = blocked("/tmp/tmpa1b2.json"), blocked("/tmp/tmpz9y8.json")
    assert fingerprint(first) == fingerprint(second)
    other = {**first, "command": {"argv": ["-q", "-n", "4"]}}
    assert fingerprint(other) != fingerprint(first)
    assert stable_text(first["error"], first["command"]["argv"]) == (
        "error: unrecognized arguments: -n --json-report-file=<output>"
    )


def test_a_remedy_hands_back_no_temporary_path_and_its_arguments_alone() -> None:
    command = "/venv/bin/python -m pytest -o addopts=-q --json-report-file=/tmp/tmpa1.json tests"
    assert remedy_entry(command, "run without -n") == {
        "command": "/venv/bin/python -m pytest -o addopts=-q tests",
        "why": "run without -n",
        "args": ["-o", "addopts=-q", "tests"],
    }
    assert remedy_entry("pip install x", "install it") == {
        "command": "pip install x",
        "why": "install it",
    }
    assert pytest_args("pytest --junitxml /tmp/j.xml /tmp/project/tests") == [
        "/tmp/project/tests"  # a test path stays, wherever it is
    ]
    assert without_temporary(["--junitxml=out/j.xml"]) == ["--junitxml=out/j.xml"]
