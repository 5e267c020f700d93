"""Every remedy is a command that works: after the fix it names, running it exactly as the
report writes it gets past the blocker (installs are named, not run: no network here)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import blocker_front, cli_in

TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n"


def fix_conftest_syntax(root: Path) -> None:
    (root / "conftest.py").write_text("def fine():\n    pass\n")


def add_missing_module(root: Path) -> None:
    (root / "missing_mod.py").write_text("VALUE = 1\n")


def add_a_test(root: Path) -> None:
    (root / "test_a.py").write_text("def test_a():\n    pass\n")


def stop_interrupting(root: Path) -> None:
    (root / "test_a.py").write_text("def test_a():\n    pass\n")


BOLTONS_CONFTEST = Path(__file__).parent / "corpus" / "boltons_25.0.0_tests_conftest.py.txt"


def follow_the_rename(root: Path) -> None:
    """What the fix line of boltons' blocker says to do, done as it says."""
    conftest = root / "tests" / "conftest.py"
    text = conftest.read_text()
    text = text.replace(
        "pytest_ignore_collect(path, config)", "pytest_ignore_collect(collection_path, config)"
    )
    conftest.write_text(text.replace("path.basename", "collection_path.name"))


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
    "boltons-25-hook-on-pytest-9": (
        {
            "tests/conftest.py": BOLTONS_CONFTEST.read_text(),
            "tests/test_a.py": "def test_a():\n    pass\n",
            "tests/test_b_py2.py": "def test_old():\n    pass\n",
        },
        "conftest-error",
        0,
        follow_the_rename,
    ),
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
        (pytester.path / name).parent.mkdir(exist_ok=True)
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


def test_the_fix_line_says_the_edit_where_the_fix_is_one(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """boltons 25.0.0 on pytest 9: the fix is to rename the hook's argument, and the line
    an agent reads says so before the command that checks it."""
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "conftest.py").write_text(BOLTONS_CONFTEST.read_text())
    (pytester.path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (pytester.path / "TASKS.md").write_text(TRACKER)
    assert pytester.runpytest_subprocess("--tracker", "TASKS.md").ret != 0
    _, out, _ = cli_in(pytester, capsys, "blockers", "--tracker", "TASKS.md")
    (fix,) = [line for line in out.splitlines() if line.startswith("  fix: ")]
    assert fix.startswith(
        "  fix: in tests/conftest.py:8, rename pytest_ignore_collect's argument (path -> "
        "collection_path), a pathlib.Path where it was a py.path.local: pytest 9 removed the "
        "py.path arguments; in its body, path.basename -> collection_path.name; then this "
        "command passes: "
    )
    assert fix.endswith(" -m pytest --collect-only -q")
