"""Every remedy is a command that works: after the fix it names, running it exactly as the
report writes it gets past the blocker (installs are named, not run: no network here)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import blocker_front

TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n"


def fix_conftest_syntax(root: Path) -> None:
    (root / "conftest.py").write_text("def fine():\n    pass\n")


def add_missing_module(root: Path) -> None:
    (root / "missing_mod.py").write_text("VALUE = 1\n")


def add_a_test(root: Path) -> None:
    (root / "test_a.py").write_text("def test_a():\n    pass\n")


def stop_interrupting(root: Path) -> None:
    (root / "test_a.py").write_text("def test_a():\n    pass\n")


SCENARIOS: dict[str, tuple[dict[str, str], str, int, Callable[[Path], None]]] = {
    # name: (files, blocker kind, which remedy, the fix it asks for)
    "conftest-syntax-error": (
        {"conftest.py": "def broken(:\n    pass\n", "test_a.py": "def test_a():\n    pass\n"},
        "conftest-error",
        0,
        fix_conftest_syntax,
    ),
    "collection-error-missing-module": (
        {"test_a.py": "import missing_mod\n\ndef test_a():\n    pass\n"},
        "collection-error",
        1,
        add_missing_module,
    ),
    "no-tests": ({"test_a.py": "X = 1\n"}, "no-tests", 0, add_a_test),
    "interrupted": (
        {"test_a.py": "def test_a():\n    raise KeyboardInterrupt\n"},
        "interrupted",
        0,
        stop_interrupting,
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_remedy_run_as_written_gets_past_its_blocker(
    pytester: pytest.Pytester, scenario: str
) -> None:
    files, kind, which, fix = SCENARIOS[scenario]
    for name, text in files.items():
        (pytester.path / name).write_text(text)
    (pytester.path / "TASKS.md").write_text(TRACKER)
    blocked = pytester.runpytest_subprocess("--tracker", "TASKS.md")
    assert blocked.ret != 0
    front = blocker_front(pytester.path / ".tasktracker" / "blockers")
    assert front["kind"] == kind
    command = front["remedies"][which]["command"]
    assert pytester.run(*shlex.split(command)).ret != 0  # it shows the problem until fixed
    fix(pytester.path)
    done = pytester.run(*shlex.split(command))
    assert done.ret == 0, (command, done.stdout.str(), done.stderr.str())
