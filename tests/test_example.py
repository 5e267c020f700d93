"""The bundled example runs exactly as the README says, and CI runs the README."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_the_readme_starts_with_the_demo_and_the_test_suite() -> None:
    assert readme_commands() == [
        "python3 -m venv .venv && .venv/bin/pip install -q -e . && "
        ".venv/bin/python examples/demo.py",
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
        ".venv/bin/python -m pytest -n 2",
    ]
    assert "awk '/^```bash/" in (ROOT / ".ci" / "run").read_text()


def test_the_demo_blocks_then_verifies_then_passes_the_gate() -> None:
    result = subprocess.run(
        [sys.executable, "examples/demo.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "BLOCKED (missing-plugin): option -n (from addopts in pyproject.toml) needs" in out
    assert "(exit code 4)" in out
    assert "the tracker is unchanged: nothing was ticked" in out
    assert "resolved blocker pr_info/.tasktracker/blockers/missing-plugin-n.md" in out
    assert "ticked 1.1, 1.2, 1.3, 2.1, 2.2" in out
    assert "gate passed: every one of 5 ticked sub-tasks is backed by evidence" in out
    assert "  [ ]   1.4    Run pylint on modified files and fix all issues" in out
