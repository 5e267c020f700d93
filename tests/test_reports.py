"""Golden files: the rendered report of every blocker kind, byte for byte.

A change to the template or the front matter shows here as a diff to read. After a
deliberate change, regenerate with ``UPDATE_GOLDEN=1 pytest tests/test_reports.py``
and review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from pytest_tasktracker.blockers.reports import EXPLANATIONS, report_text

GOLDEN = Path(__file__).parent / "golden"
KINDS = sorted(EXPLANATIONS)


def front(kind: str) -> dict[str, Any]:
    return {
        "schema": "pytest-tasktracker/blocker/1",
        "status": "open",
        "kind": kind,
        "exit_code": 4,
        "summary": f"a {kind} stopped the run",
        "error": "ERROR: something failed\n  on two lines",
        "location": {"file": "tests/conftest.py", "line": 3},
        "cause": {"what": kind},
        "remedies": [
            {"command": "python -m pytest -k 'a and b'", "why": "run the part that works"},
            {"command": "python -m pip install pytest-xdist", "why": "install what is missing"},
        ],
        "affected": [
            {"id": "1.1", "text": "Run pytest on test_a.py", "line": 4, "step": "1"},
            {"id": "1.3", "text": "Run tests to verify they pass", "line": 6, "step": "1"},
        ],
        "verified": ["2.1"] if kind == "unverifiable" else [],
        "tracker": "pr_info/TASK_TRACKER.md",
        "command": {
            "argv": ["--tracker", "pr_info/TASK_TRACKER.md", "-k", "a and b"],
            "cwd": "/project",
            "rootdir": "/project",
            "inifile": "/project/pyproject.toml",
            "python": "/project/.venv/bin/python",
            "python_version": "3.11.7",
            "pytest": "9.2.0",
            "plugins": {},
        },
        "first_seen": "2026-11-28T10:00:00+00:00",
        "last_seen": "2026-11-28T11:00:00+00:00",
        "occurrences": 2,
    }


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_as_its_golden_file(kind: str) -> None:
    text = report_text(front(kind))
    golden = GOLDEN / f"{kind}.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_a_resolved_report_says_so() -> None:
    data = {**front("no-tests"), "status": "resolved", "resolved_at": "2026-11-28T12:00:00+00:00"}
    text = report_text(data)
    golden = GOLDEN / "resolved.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


def test_a_report_that_says_retrying_will_not_help() -> None:
    text = report_text({**front("missing-plugin"), "repeats": 3, "stop_retrying": True})
    golden = GOLDEN / "stop-retrying.md"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()
