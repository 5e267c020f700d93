"""Errors that pytest raises before any hook a plugin can wrap still become blockers."""

from __future__ import annotations

import pytest

from conftest import blocker_front


@pytest.mark.parametrize("mode", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_missing_required_plugin_is_a_blocker(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nrequired_plugins = ["pytest-not-installed-anywhere"]\n'
    )
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    tracker = pytester.path / "TASKS.md"
    tracker.write_text("### Step 1: S\n- [ ] Run pytest on test_a.py\n")
    result = pytester.runpytest_subprocess("--tracker", "TASKS.md", *mode)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "BLOCKED (missing-plugin): required_plugins names pytest-not-installed-anywhere, "
            "which is not installed; keep unticked: 1.1; fix: * -> "
            "*missing-plugin-pytest-not-installed-anywhere-step-1.md",
            "ERROR: Missing required plugins: pytest-not-installed-anywhere",
        ]
    )
    front = blocker_front(pytester.path / ".tasktracker" / "blockers", "*.md")
    assert [entry["id"] for entry in front["affected"]] == ["1.1"]
    assert front["remedies"][0]["command"].endswith("-m pip install pytest-not-installed-anywhere")
    assert front["location"]["file"] == "pyproject.toml"
    assert tracker.read_text() == "### Step 1: S\n- [ ] Run pytest on test_a.py\n"


HOOK_CONFTEST = "def pytest_ignore_collect(path, config):\n    return None\n"


def test_a_conftest_hook_pytest_cannot_register_is_a_blocker(pytester: pytest.Pytester) -> None:
    """boltons 24.1.0 does this on pytest 9: a hook with the removed py.path argument."""
    if int(pytest.__version__.split(".")[0]) < 9:
        pytest.skip("pytest 8 still passes the py.path argument")
    pytester.makeconftest(HOOK_CONFTEST)
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    (pytester.path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on test_a.py\n")
    result = pytester.runpytest_subprocess("--tracker", "TASKS.md")
    assert result.ret == 1  # pytest's own: a traceback
    result.stderr.fnmatch_lines(
        ["BLOCKED (conftest-error): conftest.py defines pytest_ignore_collect*"]
    )
    front = blocker_front(pytester.path / ".tasktracker" / "blockers", "*.md")
    assert front["location"] == {"file": "conftest.py", "line": 1}
    assert front["cause"]["unknown_arguments"] == ["path"]
    assert "path -> collection_path" in front["remedies"][0]["why"]
    assert [entry["id"] for entry in front["affected"]] == ["1.1"]
    # The remedy's advice, followed, gets past the blocker.
    pytester.makeconftest(HOOK_CONFTEST.replace("(path,", "(collection_path,"))
    fixed = pytester.runpytest_subprocess("--tracker", "TASKS.md")
    assert fixed.ret == 0
    fixed.stdout.fnmatch_lines(["resolved blocker *conftest-error-conftest-py-*"])


def test_tasktracker_run_reports_it_instead_of_crashing(pytester: pytest.Pytester) -> None:
    if int(pytest.__version__.split(".")[0]) < 9:
        pytest.skip("pytest 8 still passes the py.path argument")
    import sys

    pytester.makeconftest(HOOK_CONFTEST)
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    (pytester.path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on test_a.py\n")
    result = pytester.run(
        sys.executable, "-m", "pytest_tasktracker", "--tracker", "TASKS.md", "run"
    )
    assert result.ret == 1
    assert "Traceback" not in result.stderr.str()
    result.stderr.fnmatch_lines(["ERROR: PluginValidationError: *pytest_ignore_collect*"])
    assert list((pytester.path / ".tasktracker" / "blockers").glob("conftest-error-*.md"))


@pytest.mark.parametrize("source", ["command-line", "addopts"])
def test_a_missing_dash_p_plugin_has_a_remedy_that_works_when_run(
    pytester: pytest.Pytester, source: str
) -> None:
    import shlex
    import sys

    addopts = 'addopts = "-p pytest_not_installed_anywhere -q"\n' if source == "addopts" else ""
    pytester.makepyprojecttoml(f"[tool.pytest.ini_options]\n{addopts}")
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    (pytester.path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on test_a.py\n")
    extra = ["--", "-p", "pytest_not_installed_anywhere"] if source == "command-line" else []
    result = pytester.run(
        sys.executable, "-m", "pytest_tasktracker", "--tracker", "TASKS.md", "run", *extra
    )
    assert result.ret != 0
    front = blocker_front(pytester.path / ".tasktracker" / "blockers", "*.md")
    where = "addopts in pyproject.toml" if source == "addopts" else "the command line"
    assert front["cause"]["source"] == where
    if source == "addopts":
        assert front["location"] == {"file": "pyproject.toml", "line": 2}
    command = front["remedies"][1]["command"]
    assert "pytest_not_installed_anywhere" not in command
    fixed = pytester.run(*shlex.split(command))
    assert fixed.ret == 0, fixed.stdout.str()
    fixed.stdout.fnmatch_lines(["resolved blocker *missing-plugin-pytest-not-installed-anywhere*"])


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("tests/test_lru.py::test_alpah", "tests/test_lru.py::test_alpha"),
        ("tests/test_lruu.py", "tests/test_lru.py"),
        ("tests_lru.py", "tests/test_lru.py"),
        ("tests/test_lr.py", "tests/test_lru.py"),
    ],
)
def test_a_mistyped_test_or_file_gets_the_nearest_real_name_as_a_remedy_that_works(
    pytester: pytest.Pytester, given: str, meant: str
) -> None:
    import shlex

    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_lru.py").write_text(
        "def test_alpha():\n    pass\n\ndef test_omega():\n    pass\n"
    )
    (pytester.path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on test_lru.py\n")
    result = pytester.runpytest_subprocess("--tracker", "TASKS.md", given)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    front = blocker_front(pytester.path / ".tasktracker" / "blockers", "path-not-found-*.md")
    assert front["cause"]["similar"][0] == meant
    command = front["remedies"][0]["command"]
    assert command.endswith(f" {meant}")
    fixed = pytester.run(*shlex.split(command))
    assert fixed.ret == 0


def test_a_collection_error_raised_through_a_warning_points_at_the_test_module(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n')
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_w.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('x', (i for i in range(2)))\n"
        "def test_gen(x):\n    pass\n"
    )
    if pytester.runpytest("-p", "no:tasktracker").ret == 0:
        pytest.skip("this pytest does not deprecate a generator for parametrize")
    (pytester.path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on test_w.py\n")
    pytester.runpytest("--tracker", "TASKS.md")
    front = blocker_front(pytester.path / ".tasktracker" / "blockers", "*.md")
    assert front["location"] == {"file": "tests/test_w.py", "line": 4}
    assert front["cause"]["exception"].startswith("pytest.PytestRemovedIn")
    assert "non-Collection iterable" in front["cause"]["exception"]
