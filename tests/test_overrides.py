"""A run given other collection or warning settings than the project's is not the
project's suite: it verifies nothing of what it touched (``-o python_functions=...``
that leaves the failing test out, ``-o testpaths=...`` for a whole-suite sub-task,
``-W ignore`` where the project turns a warning into a failure)."""

from __future__ import annotations

import sys

import pytest

from pytest_tasktracker.plugin.run_hooks import overrides

TRACKER = """\
### Step 1: Cache
- [ ] Run pytest on tests/test_a.py and fix all failures
- [ ] Run all tests
"""
TESTS = """\
import warnings

def test_ok():
    pass

def test_fails():
    assert False

def test_warns():
    warnings.warn("old", DeprecationWarning)
"""


def project(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ntracker = "TASKS.md"\nfilterwarnings = ["error"]\n'
        'testpaths = ["tests"]\n'
    )
    pytester.makefile(".md", TASKS=TRACKER)
    (pytester.mkdir("tests") / "test_a.py").write_text(TESTS)
    (pytester.path / "tests" / "sandbox").mkdir()
    (pytester.path / "tests" / "sandbox" / "test_s.py").write_text("def test_s():\n    pass\n")


@pytest.mark.parametrize(
    "args",
    [
        ["-o", "python_functions=test_o*"],
        ["-opython_functions=test_o*"],
        ["--override-ini=python_functions=test_o* test_w*", "-W", "ignore::DeprecationWarning"],
        ["-o", "testpaths=tests/sandbox"],
        ["-o", "norecursedirs=tests"],
        ["-k", "not fails", "-W", "ignore"],
    ],
    ids=["-o", "-oKEY", "--override-ini", "testpaths", "norecursedirs", "-W"],
)
def test_a_run_with_the_projects_settings_overridden_ticks_nothing(
    pytester: pytest.Pytester, args: list[str]
) -> None:
    project(pytester)
    before = (pytester.path / "TASKS.md").read_bytes()
    result = pytester.run(sys.executable, "-m", "pytest", "--tracker-update", *args)
    assert "ticked" not in result.stdout.str()
    assert (pytester.path / "TASKS.md").read_bytes() == before
    # the oracle: plain pytest on the scope, with the project's own settings, fails
    # (without the plugin, its ini key is unknown, and this project turns warnings to errors)
    plain = pytester.run(
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:tasktracker",
        "-W",
        "ignore::pytest.PytestConfigWarning",
        "tests/test_a.py",
    )
    assert plain.ret == pytest.ExitCode.TESTS_FAILED


def test_the_same_from_pytest_addopts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-o python_functions=test_o*")
    result = pytester.run(sys.executable, "-m", "pytest", "--tracker-update")
    assert "ticked" not in result.stdout.str()


def test_a_stricter_run_still_verifies(pytester: pytest.Pytester) -> None:
    project(pytester)
    (pytester.path / "tests" / "test_a.py").write_text("def test_ok():\n    pass\n")
    result = pytester.run(
        sys.executable,
        "-m",
        "pytest",
        "--tracker-update",
        "-W",
        "error::UserWarning",
        "-o",
        "xfail_strict=true",
    )
    assert "ticked 1.1, 1.2" in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-o", "python_files=x.py"], "-o python_files=... changed what the project collects"),
        (["-o", "console_output_style=classic"], None),
        (["-W", "error"], None),
        (["-Werror::UserWarning"], None),
        (["-Wignore"], "-W changed which warnings fail a test"),
        (["--pythonwarnings=default"], "--pythonwarnings changed which warnings fail a test"),
        (["-o", "xfail_strict=false"], "-o xfail_strict=... changed what the project collects"),
        (["--tracker", "T.md", "-q"], None),
    ],
)
def test_which_options_are_overrides(args: list[str], said: str | None) -> None:
    found = overrides(args)
    assert (found if found is None else found.split(" or ")[0]) == (
        said if said is None else said.split(" or ")[0]
    )


def test_tests_of_another_folder_do_not_count_for_this_project(
    pytester: pytest.Pytester,
) -> None:
    """From a folder holding a passing ``tests/test_a.py`` of its own, a run pointed at
    this project's tracker and state folder (whose separate path makes pytest take this
    project's rootdir) would name that file ``tests/test_a.py``: a file of this project
    that did not run. It is a collection error, and nothing is ticked."""
    project(pytester)
    pytester.run(sys.executable, "-m", "pytest")  # the state folder exists
    before = (pytester.path / "TASKS.md").read_bytes()
    other = pytester.path.parent / "other"
    (other / "tests").mkdir(parents=True)
    (other / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (other / "tests" / "test_a.py").write_text("def test_ok():\n    pass\n")
    import subprocess

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--tracker={pytester.path / 'TASKS.md'}",
            "--tracker-state",
            str(pytester.path / ".tasktracker"),
            "--tracker-update",
        ],
        cwd=other,
        capture_output=True,
        text=True,
    )
    assert "is outside the rootdir" in done.stdout
    assert "BLOCKED (collection-error)" in done.stderr
    assert (pytester.path / "TASKS.md").read_bytes() == before
    # without this project's state folder on the command line, pytest takes the other
    # folder's rootdir: the tracker belongs to a project that configures it
    fresh = subprocess.run(
        [sys.executable, "-m", "pytest", f"--tracker={pytester.path / 'TASKS.md'}"],
        cwd=other,
        capture_output=True,
        text=True,
    )
    assert fresh.returncode == pytest.ExitCode.USAGE_ERROR
    assert (
        f"--tracker names ../{pytester.path.name}/TASKS.md, the tracker "
        f"../{pytester.path.name}/pyproject.toml configures: run pytest in that project"
    ) in fresh.stderr
