"""Blocker reports for every run that cannot verify, serial and under -n 2."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from conftest import absent

SCHEMA = json.loads(
    (
        Path(__file__).parent.parent / "src/pytest_tasktracker/schemas/blocker.schema.json"
    ).read_text()
)

TRACKER = """\
# Task Status Tracker

## Tasks

### Step 1: Cache
- [ ] Write test file `tests/test_cache.py` with 2 test cases
- [ ] Run tests to verify they pass
- [x] Run pytest on test_other.py and fix all failures

### Step 2: Orchestrator
- [ ] Write tests/test_orch.py
- [ ] Implement the orchestrator
"""


def project(pytester: pytest.Pytester, ini: str = "") -> Path:
    pytester.makepyprojecttoml(f'[tool.pytest.ini_options]\ntestpaths = ["tests"]\n{ini}')
    (pytester.path / "pr_info").mkdir()
    tracker = pytester.path / "pr_info" / "TASK_TRACKER.md"
    tracker.write_text(TRACKER)
    tests = pytester.mkdir("tests")
    (tests / "test_cache.py").write_text("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    (tests / "test_other.py").write_text("def test_o():\n    pass\n")
    (tests / "test_orch.py").write_text("def test_r():\n    pass\n")
    return tracker


def reports(pytester: pytest.Pytester) -> dict[str, tuple[dict[str, Any], str]]:
    """Every blocker file: name -> (front matter, body), the front matter validated."""
    folder = pytester.path / "pr_info" / ".tasktracker" / "blockers"
    found = {}
    for path in sorted(folder.glob("*.md")):
        text = path.read_text()
        assert text.startswith("---\n")
        end = text.index("\n---\n", 4)
        front = YAML(typ="safe", pure=True).load(text[4 : end + 1])
        Draft202012Validator(SCHEMA).validate(front)
        found[path.name] = (front, text[end + 5 :])
    return found


def only_report(pytester: pytest.Pytester) -> tuple[str, dict[str, Any], str]:
    found = reports(pytester)
    assert len(found) == 1, sorted(found)
    ((name, (front, body)),) = found.items()
    return name, front, body


def affected_ids(front: dict[str, Any]) -> list[str]:
    return [entry["id"] for entry in front["affected"]]


@pytest.fixture(params=["serial", "xdist"])
def mode(request: pytest.FixtureRequest) -> list[str]:
    return [] if request.param == "serial" else ["-n", "2"]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A real pytest process with exactly these arguments (runpytest_subprocess adds some)."""
    return pytester.run(
        sys.executable, "-m", "pytest", "--tracker", "pr_info/TASK_TRACKER.md", *args, timeout=120
    )


@absent("pytest_timeout")
def test_a_missing_plugin_from_addopts_names_the_option_package_and_remedies(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    tracker = project(pytester, ini='addopts = ["--strict-markers", "--timeout", "30"]\n')
    result = run(pytester, "--tracker-update", *mode)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "BLOCKED (missing-plugin): option --timeout (from addopts in pyproject.toml) needs "
            "pytest-timeout, which is not installed; keep unticked: 1.1, 1.2, 1.3, 2.1; fix: "
            "* -m pip install pytest-timeout -> "
            "pr_info/.tasktracker/blockers/missing-plugin-timeout.md",
            "ERROR: usage: *",
            "*error: unrecognized arguments: --timeout*",
        ]
    )
    name, front, body = only_report(pytester)
    assert name == "missing-plugin-timeout.md"
    assert front["schema"] == "pytest-tasktracker/blocker/1"
    assert (front["status"], front["kind"], front["exit_code"]) == ("open", "missing-plugin", 4)
    assert "unrecognized arguments: --timeout" in front["error"]
    assert front["location"] == {"file": "pyproject.toml", "line": 3}
    assert front["cause"] == {
        "option": "--timeout",
        "source": "addopts in pyproject.toml",
        "provided_by": "pytest-timeout",
        "installed": False,
        "python": sys.executable,
    }
    assert front["remedies"] == [
        {
            "command": f"{sys.executable} -m pip install pytest-timeout",
            "why": "install pytest-timeout into the interpreter that ran pytest "
            f"({sys.executable}, Python {sys.version.split()[0]})",
        },
        {
            "command": f"{sys.executable} -m pytest -o addopts=--strict-markers "
            f"--tracker pr_info/TASK_TRACKER.md --tracker-update {' '.join(mode)}".rstrip(),
            "why": "run without --timeout: the same addopts minus the option",
            "args": [  # for a tool that takes pytest's arguments
                "-o",
                "addopts=--strict-markers",
                "--tracker",
                "pr_info/TASK_TRACKER.md",
                "--tracker-update",
                *mode,
            ],
        },
    ]
    assert affected_ids(front) == ["1.1", "1.2", "1.3", "2.1"]
    assert front["verified"] == []
    assert front["occurrences"] == 1
    assert front["first_seen"] == front["last_seen"]
    assert "# Blocked: option --timeout (from addopts in pyproject.toml) needs" in body
    assert "**Do not tick the sub-tasks listed\nbelow" in body
    assert "- `1.3` (line 8): Run pytest on test_other.py and fix all failures" in body
    assert tracker.read_text() == TRACKER


def test_the_second_remedy_really_runs(pytester: pytest.Pytester) -> None:
    project(pytester, ini='addopts = ["--strict-markers", "--timeout", "30"]\n')
    run(pytester)
    _, front, _ = only_report(pytester)
    argv = front["remedies"][1]["command"].split(" ", 1)[1]
    import shlex

    result = pytester.run(sys.executable, *shlex.split(argv))
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*4 passed*"])


@absent("pytest_timeout", "pytest_rerunfailures")
def test_an_option_from_pytest_addopts_does_not_leak_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester)
    monkeypatch.setenv("PYTEST_ADDOPTS", "--timeout=17 --reruns=3")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    found = reports(pytester)
    assert sorted(found) == [
        "missing-plugin-reruns.md",
        "missing-plugin-timeout.md",
    ]
    front, _body = found["missing-plugin-timeout.md"]
    assert front["cause"]["source"] == "the PYTEST_ADDOPTS environment variable"
    assert front["remedies"][1]["command"].startswith("env -u PYTEST_ADDOPTS ")
    for name, (front, _) in found.items():
        text = (pytester.path / "pr_info/.tasktracker/blockers" / name).read_text()
        assert "--timeout=17 --reruns=3" not in text
        assert "$PYTEST_ADDOPTS" in front["error"]


def test_an_unknown_option_with_no_known_provider(pytester: pytest.Pytester) -> None:
    project(pytester)
    result = run(pytester, "--frobnicate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _, front, _ = only_report(pytester)
    assert front["summary"] == (
        "option --frobnicate (from the command line) is not provided by any installed plugin"
    )
    assert front["cause"]["provided_by"] is None
    assert front["remedies"][1]["command"] == (
        f"{sys.executable} -m pytest --tracker pr_info/TASK_TRACKER.md"
    )


@absent("pytest_jsonreport")
def test_one_missing_distribution_is_one_blocker_whatever_options_it_adds(
    pytester: pytest.Pytester,
) -> None:
    """A test tool that runs pytest with pytest-json-report passes two of its options:
    one cause, one blocker, one line, and the fix runs without both."""
    project(pytester)
    report = str(pytester.path / "report.json")
    result = run(pytester, "--json-report", f"--json-report-file={report}", "--frobnicate")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    found = reports(pytester)
    assert sorted(found) == ["missing-plugin-frobnicate.md", "missing-plugin-json-report.md"]
    front, _ = found["missing-plugin-json-report.md"]
    assert front["summary"] == (
        "options --json-report, --json-report-file (from the command line) need "
        "pytest-json-report, which is not installed"
    )
    assert front["cause"]["options"] == ["--json-report", "--json-report-file"]
    assert front["remedies"][1]["command"] == (
        f"{sys.executable} -m pytest --tracker pr_info/TASK_TRACKER.md --frobnicate"
    )
    blocked = [line for line in result.stderr.lines if line.startswith("BLOCKED")]
    assert len(blocked) == 2, result.stderr.lines


def test_a_disabled_plugin_is_reported_as_installed_but_not_loaded(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, ini='addopts = ["-n", "2"]\n')
    result = run(pytester, "-p", "no:xdist")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _, front, _ = only_report(pytester)
    assert front["cause"]["installed"] is True
    assert "installed but not loaded (-p no:xdist" in front["summary"]
    assert front["remedies"][0]["command"] == (
        f"{sys.executable} -m pytest --tracker pr_info/TASK_TRACKER.md"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-k", "foo and ("], "Wrong expression passed to '-k': foo and (: *"),
        (["-m", "slow and ("], "Wrong expression passed to '-m': slow and (: *"),
    ],
)
def test_a_bad_selection_expression_is_a_usage_error(
    pytester: pytest.Pytester, mode: list[str], args: list[str], message: str
) -> None:
    tracker = project(pytester)
    result = run(pytester, *args, *mode)
    # Under xdist the workers hit the error, and xdist turns it into an INTERNALERROR; the
    # workers pass pytest's own message on, so the report names the real problem.
    expected = pytest.ExitCode.USAGE_ERROR if not mode else pytest.ExitCode.INTERNAL_ERROR
    assert result.ret == expected
    _, front, _body = only_report(pytester)
    assert front["kind"] == "usage-error"
    assert front["exit_code"] == expected
    from fnmatch import fnmatch

    assert fnmatch(front["error"], message)
    assert affected_ids(front) == ["1.1", "1.2", "1.3", "2.1"]
    assert tracker.read_text() == TRACKER


def test_strict_config_with_an_unknown_key_is_a_usage_error(pytester: pytest.Pytester) -> None:
    project(pytester, ini="bogus_key = 1\n")
    result = run(pytester, "--strict-config")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    _, front, _ = only_report(pytester)
    assert front["kind"] == "usage-error"
    assert "Unknown config option: bogus_key" in front["error"]
    assert front["location"] == {"file": "pyproject.toml", "line": None}


@pytest.mark.parametrize(
    ("conftest", "exception", "line", "first_remedy"),
    [
        (
            "import os\nimport missing_mod\n",
            "ModuleNotFoundError: No module named 'missing_mod'",
            2,
            "-m pip install missing_mod",
        ),
        ("def broken(:\n    pass\n", "SyntaxError: *", 1, "-m py_compile conftest.py"),
    ],
)
def test_a_conftest_that_fails_to_import(
    pytester: pytest.Pytester,
    mode: list[str],
    conftest: str,
    exception: str,
    line: int,
    first_remedy: str,
) -> None:
    tracker = project(pytester)
    (pytester.path / "conftest.py").write_text(conftest)
    result = run(pytester, "--tracker-update", *mode)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    name, front, _body = only_report(pytester)
    assert name == "conftest-error-conftest-py.md"
    assert front["kind"] == "conftest-error"
    assert front["location"] == {"file": "conftest.py", "line": line}
    from fnmatch import fnmatch

    assert fnmatch(front["cause"]["exception"], exception)
    assert front["error"].startswith("ImportError while loading conftest 'conftest.py'.")
    assert front["remedies"][0]["command"].endswith(first_remedy)
    assert affected_ids(front) == ["1.1", "1.2", "1.3", "2.1"]
    result.stderr.fnmatch_lines(["BLOCKED (conftest-error): conftest.py fails to import *"])
    assert tracker.read_text() == TRACKER


def test_a_module_that_fails_to_collect_blocks_its_sub_tasks(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    tracker = project(pytester)
    (pytester.path / "tests" / "test_orch.py").write_text(
        "import missing_mod\n\ndef test_r():\n    pass\n"
    )
    result = run(pytester, "--tracker-update", *mode)
    assert result.ret == (pytest.ExitCode.INTERRUPTED if not mode else pytest.ExitCode.TESTS_FAILED)
    name, front, _body = only_report(pytester)
    assert name == "collection-error-tests-test-orch-py-step-2.md"
    assert front["kind"] == "collection-error"
    assert front["exit_code"] == (2 if not mode else 1)
    assert front["location"] == {"file": "tests/test_orch.py", "line": 1}
    assert front["cause"] == {
        "module": "tests/test_orch.py",
        "exception": "ModuleNotFoundError: No module named 'missing_mod'",
    }
    assert affected_ids(front) == ["2.1"]
    assert front["verified"] == []
    assert "No module named 'missing_mod'" in front["error"]
    result.stdout.fnmatch_lines(
        [
            "BLOCKED (collection-error): tests/test_orch.py could not be collected, so none of"
            " its tests ran; keep unticked: 2.1; fix: * -> pr_info/.tasktracker/blockers/"
            "collection-error-tests-test-orch-py-step-2.md",
            "tracker not updated: this run could not verify; nothing was ticked",
        ]
    )
    assert tracker.read_text() == TRACKER  # not even the sub-tasks whose tests passed


def test_a_path_that_does_not_exist(pytester: pytest.Pytester, mode: list[str]) -> None:
    tracker = project(pytester)
    result = run(pytester, "tests/test_orchestrator.py", *mode)
    assert result.ret in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED)
    _name, front, _ = only_report(pytester)
    assert front["kind"] == "path-not-found"
    assert front["summary"] == "tests/test_orchestrator.py does not exist, so none of its tests ran"
    assert front["error"] == "file or directory not found: tests/test_orchestrator.py"
    assert front["cause"] == {
        "path": "tests/test_orchestrator.py",
        "similar": ["tests/test_orch.py"],
    }
    assert affected_ids(front) == ["1.1", "1.2", "1.3", "2.1"]
    assert tracker.read_text() == TRACKER


def test_a_misspelt_path_gets_the_existing_one_as_a_remedy(pytester: pytest.Pytester) -> None:
    project(pytester)
    run(pytester, "test_orch.py")
    _, front, _ = only_report(pytester)
    assert front["cause"]["similar"] == ["tests/test_orch.py"]
    assert front["remedies"][0]["command"] == (
        f"{sys.executable} -m pytest --tracker pr_info/TASK_TRACKER.md tests/test_orch.py"
    )


def test_no_tests_collected(pytester: pytest.Pytester, mode: list[str]) -> None:
    tracker = project(pytester)
    for path in (pytester.path / "tests").iterdir():
        path.unlink()
    result = run(pytester, *mode)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    name, front, _ = only_report(pytester)
    assert (name, front["kind"], front["exit_code"]) == (
        "no-tests.md",
        "no-tests",
        5,
    )
    assert tracker.read_text() == TRACKER


def test_an_internal_error(pytester: pytest.Pytester, mode: list[str]) -> None:
    tracker = project(pytester)
    (pytester.path / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n    raise RuntimeError('boom in hook')\n"
    )
    result = run(pytester, "--tracker-update", *mode)
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    _, front, _ = only_report(pytester)
    assert front["kind"] == "internal-error"
    assert "boom in hook" in front["error"]
    assert front["location"]["file"] == "conftest.py"
    assert tracker.read_text() == TRACKER
    result.stderr.fnmatch_lines(["BLOCKED (internal-error): *"])


def test_an_interruption(pytester: pytest.Pytester, mode: list[str]) -> None:
    tracker = project(pytester)
    (pytester.path / "tests" / "test_orch.py").write_text(
        "def test_r():\n    raise KeyboardInterrupt\n"
    )
    result = run(pytester, "--tracker-update", *mode)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    _, front, _ = only_report(pytester)
    assert front["kind"] == ("interrupted" if not mode else "worker-crash")
    assert tracker.read_text() == TRACKER


def test_a_worker_crash_names_the_test_that_was_running(pytester: pytest.Pytester) -> None:
    tracker = project(pytester)
    (pytester.path / "tests" / "test_orch.py").write_text(
        "import os\n\ndef test_r():\n    os._exit(1)\n"
    )
    result = run(pytester, "--tracker-update", "-n", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    name, front, _ = only_report(pytester)
    assert name == "worker-crash-tests-test-orch-py-test-r-step-2.md"
    assert (
        front["summary"] == "a pytest-xdist worker crashed while running tests/test_orch.py::test_r"
    )
    assert front["cause"]["test"] == "tests/test_orch.py::test_r"
    assert affected_ids(front) == ["2.1"]
    assert front["remedies"][0]["command"] == (
        f"{sys.executable} -m pytest tests/test_orch.py::test_r -n 0"
    )
    assert tracker.read_text() == TRACKER


def test_every_linked_test_skipped_is_unverifiable(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    tracker = project(pytester)
    (pytester.path / "tests" / "test_orch.py").write_text(
        "import pytest\n\n@pytest.mark.skip(reason='needs langchain')\ndef test_r():\n    pass\n"
    )
    result = run(pytester, "--tracker-update", *mode)
    assert result.ret == pytest.ExitCode.OK
    name, front, _ = only_report(pytester)
    assert name == "unverifiable-skipped-step-2.md"
    assert affected_ids(front) == ["2.1"]
    assert front["verified"] == ["1.1", "1.2", "1.3"]
    # The run verified the rest, so it ticks what passed, and leaves 2.1 alone.
    assert "- [x] Write test file `tests/test_cache.py`" in tracker.read_text()
    assert "- [ ] Write tests/test_orch.py" in tracker.read_text()


def test_a_repeated_blocked_run_updates_one_file_and_a_verified_run_resolves_it(
    pytester: pytest.Pytester,
) -> None:
    project(pytester)
    (pytester.path / "tests" / "test_orch.py").write_text("import missing_mod\n")
    run(pytester)
    run(pytester)
    name, front, _ = only_report(pytester)
    assert front["occurrences"] == 2
    assert front["status"] == "open"
    (pytester.path / "tests" / "test_orch.py").write_text("def test_r():\n    pass\n")
    result = run(pytester)
    result.stdout.fnmatch_lines([f"resolved blocker pr_info/.tasktracker/blockers/{name}"])
    name, front, body = only_report(pytester)
    assert front["status"] == "resolved"
    assert "resolved_at" in front
    assert body.startswith("\n# Resolved: ")


def test_the_blocked_file_gets_one_line(pytester: pytest.Pytester) -> None:
    project(pytester, ini='tracker_blocked_file = "pr_info/.blocked.txt"\n')
    run(pytester, "--timeout=3")
    line = (pytester.path / "pr_info" / ".blocked.txt").read_text()
    assert line == (
        "missing-plugin: option --timeout (from the command line) needs pytest-timeout, which"
        " is not installed (see pr_info/.tasktracker/blockers/missing-plugin-timeout.md)\n"
    )


def test_secrets_in_arguments_never_reach_the_report(pytester: pytest.Pytester) -> None:
    project(pytester)
    token = "ghp_" + "a1B2" * 9
    run(pytester, "--api-token", token, f"--password={token}")
    paths = list((pytester.path / "pr_info" / ".tasktracker" / "blockers").glob("*.md"))
    assert len(paths) == 2
    for path in paths:
        text = path.read_text()
        assert token not in text
        assert "[REDACTED]" in text


def test_a_state_folder_that_cannot_be_created_warns_and_keeps_pytests_result(
    pytester: pytest.Pytester,
) -> None:
    tracker = project(pytester)
    (pytester.path / "state").write_text("a file where the folder should be")
    result = run(pytester, "--tracker-state", "state/x", "tests/nope.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: file or directory not found: tests/nope.py"])
    result.stdout.fnmatch_lines(["task tracker warning: blocker report not written: *"])
    assert tracker.read_text() == TRACKER


def test_a_corrupt_earlier_blocker_file_is_moved_aside(pytester: pytest.Pytester) -> None:
    project(pytester)
    folder = pytester.path / "pr_info" / ".tasktracker" / "blockers"
    folder.mkdir(parents=True)
    (folder / "no-tests.md").write_text("---\n: : not yaml [\n---\n")
    for path in (pytester.path / "tests").iterdir():
        path.unlink()
    result = run(pytester)
    result.stdout.fnmatch_lines(["task tracker warning: *moved it to no-tests.md.corrupt*"])
    (aside,) = folder.glob("no-tests.md.corrupt-*")
    assert aside.read_text() == "---\n: : not yaml [\n---\n"
    assert only_report(pytester)[1]["occurrences"] == 1


@pytest.fixture(scope="session")
def without_xdist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment where pytest-xdist is not installed: this interpreter's packages,
    minus xdist and execnet, with pytest-tasktracker from the source tree."""
    import os
    import sysconfig

    site = Path(sysconfig.get_paths()["purelib"])
    target = tmp_path_factory.mktemp("site-without-xdist")
    hidden = ("xdist", "pytest_xdist", "execnet", "pytest_tasktracker", "__editable__")
    for entry in site.iterdir():
        if entry.name.lower().startswith(hidden) or entry.suffix == ".pth":
            continue
        (target / entry.name).symlink_to(entry)
    dist = target / "pytest_tasktracker-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pytest-tasktracker\nVersion: 0.0\n"
    )
    (dist / "entry_points.txt").write_text("[pytest11]\ntasktracker = pytest_tasktracker.plugin\n")
    source = Path(__file__).parent.parent / "src"
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(source)])}


def test_the_seed_a_missing_xdist_from_addopts_blocks_2_11_of_the_7129c046_tracker(
    pytester: pytest.Pytester, without_xdist: dict[str, str]
) -> None:
    import subprocess

    from conftest import corpus_tracker

    pytester.makepyprojecttoml(
        "[tool.pytest.ini_options]\n"
        'addopts = ["--strict-markers", "--tb=short", "-n", "auto", "-p", "no:tach"]\n'
    )
    (pytester.path / "pr_info").mkdir()
    tracker = pytester.path / "pr_info" / "TASK_TRACKER.md"
    original = corpus_tracker("7129c046_TASK").read_bytes()
    tracker.write_bytes(original)
    folder = pytester.path / "tests" / "workflows" / "vscodeclaude"
    folder.mkdir(parents=True)
    (folder / "test_orchestrator_cache.py").write_text("def test_cache():\n    pass\n")
    check = subprocess.run(
        [sys.executable, "-S", "-c", "import importlib.util as u; print(u.find_spec('xdist'))"],
        env=without_xdist,
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stdout == "None\n"  # the replay really has no pytest-xdist

    result = subprocess.run(
        [sys.executable, "-S", "-m", "pytest", "--tracker", "pr_info/TASK_TRACKER.md"],
        cwd=pytester.path,
        env=without_xdist,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 4
    assert "unrecognized arguments: -n" in result.stderr
    assert "BLOCKED (missing-plugin): option -n (from addopts in pyproject.toml) needs " in (
        result.stderr
    )
    name, front, body = only_report(pytester)
    assert name == "missing-plugin-n.md"
    assert front["cause"] == {
        "option": "-n",
        "source": "addopts in pyproject.toml",
        "provided_by": "pytest-xdist",
        "installed": False,
        "python": sys.executable,
    }
    assert front["remedies"][0]["command"] == f"{sys.executable} -m pip install pytest-xdist"
    assert front["remedies"][1]["command"] == (
        f"{sys.executable} -m pytest -o 'addopts=--strict-markers --tb=short -p no:tach' "
        "--tracker pr_info/TASK_TRACKER.md"
    )
    assert "2.11" in affected_ids(front)
    assert (
        "- `2.11` (line 53): Run pytest on test_orchestrator_cache.py and fix all failures" in body
    )
    assert f"{sys.executable} -m pip install pytest-xdist" in body
    assert tracker.read_bytes() == original
