"""Evidence is bound to the code it was proven on: change a test file after the run and
the tick is stale; revert it and the tick is fresh again; a doc edit changes nothing.
With git and without it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import commit_all, run_pytest_in, tasktracker

pytestmark = pytest.mark.e2e

TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Run pytest on test_b.py\n"


def committed_then_hidden(root: Path, hidden: str, by: str = ".git/info/exclude") -> None:
    """``root`` committed to a new repository (the state folder and caches ignored),
    then ``hidden`` added to what git ignores (``by``): a file the agent hides from the
    code state."""
    (root / ".gitignore").write_text(".tasktracker/\n__pycache__/\n")
    commit_all(root)
    with (root / by).open("a") as ignore:
        ignore.write(f"{hidden}\n")


@pytest.fixture(params=["git", "plain"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text(TRACKER)
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "test_b.py").write_text("def test_b():\n    pass\n")
    (tmp_path / "README.md").write_text("# x\n")
    if request.param == "git":
        (tmp_path / ".gitignore").write_text(".tasktracker/\n__pycache__/\n")
        commit_all(tmp_path)
    done = run_pytest_in(tmp_path, "--tracker-update")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "TASKS.md").read_text() == TRACKER.replace("[ ]", "[x]")
    return tmp_path


def test_a_changed_test_file_makes_its_tick_stale_and_a_revert_makes_it_fresh(
    project: Path,
) -> None:
    assert tasktracker(project, "gate").returncode == 0
    test_a = project / "test_a.py"
    original = test_a.read_bytes()
    test_a.write_text("def test_a():\n    assert 1\n")
    gate = tasktracker(project, "gate")
    assert gate.returncode == 1
    assert gate.stdout.splitlines()[1:] == [
        "TASKS.md:2: 1.1 Run pytest on test_a.py: its evidence is from another code state: "
        "1 file changed since the run, among them its test file test_a.py; run `pytest "
        "--tracker TASKS.md --tracker-update` to prove it on this code",
        "TASKS.md:3: 1.2 Run pytest on test_b.py: its evidence is from another code state: "
        "1 file changed since the run (test_a.py); run `pytest --tracker TASKS.md "
        "--tracker-update` to prove it on this code",
        "gate failed: 2 of 2 ticked sub-tasks lack evidence (1.1, 1.2)",
    ]
    status = tasktracker(project, "status").stdout.splitlines()
    assert status[2] == (
        "  [x]   1.1    Run pytest on test_a.py  (stale evidence: 1 file changed since the run, "
        "among them its test file test_a.py)"
    )
    rows = json.loads(tasktracker(project, "status", "--json").stdout)["steps"][0]["subtasks"]
    assert rows[0]["evidence"]["stale"].startswith("1 file changed since the run")
    allowed = tasktracker(project, "gate", "--allow-stale")
    assert allowed.returncode == 0
    assert allowed.stderr.startswith("tasktracker: warning: stale: TASKS.md:2: 1.1 ")
    tasktracker(project, "uncheck", "1.1")
    refused = tasktracker(project, "check", "1.1")
    assert refused.returncode == 1
    assert "its evidence is from another code state" in refused.stderr
    test_a.write_bytes(original)
    assert "stale" not in tasktracker(project, "status").stdout
    assert tasktracker(project, "check", "1.1").returncode == 0
    assert tasktracker(project, "gate").returncode == 0


def test_docs_and_the_tracker_are_not_code(project: Path) -> None:
    (project / "README.md").write_text("# changed\n")
    (project / "docs").mkdir()
    (project / "docs" / "guide.txt").write_text("new")
    (project / "TASKS.md").write_text(TRACKER.replace("[ ]", "[x]") + "\nnotes\n")
    assert tasktracker(project, "gate").returncode == 0


def test_a_new_source_file_makes_evidence_stale(project: Path) -> None:
    (project / "helpers.py").write_text("X = 1\n")
    gate = tasktracker(project, "gate")
    assert gate.returncode == 1
    assert "1 file changed since the run (helpers.py)" in gate.stdout


def test_stale_can_be_a_warning_in_the_ini(project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\ntracker_stale = warn\n")
    gate = tasktracker(project, "gate")
    assert gate.returncode == 0
    assert "tasktracker: warning: stale: TASKS.md:2: 1.1" in gate.stderr
    (project / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\ntracker_stale = maybe\n")
    bad = tasktracker(project, "gate")
    assert bad.returncode == 2
    assert bad.stderr == (
        "tasktracker: error: 'tracker_stale' in pytest.ini: expected fail or warn, got 'maybe'\n"
    )


NOT_CODE = [
    ".coverage",
    "htmlcov/index.html",
    ".tox/py311/lib/x.py",
    "build/lib/x.py",
    "x.egg-info/PKG-INFO",
    ".venv/lib/python3.11/site-packages/x.py",
    "__pycache__/helpers.cpython-311.pyc",
    ".test_a.py.swp",
    "test_a.py~",
    "#test_a.py#",
]


@pytest.fixture(params=["git, no .gitignore", "plain"])
def new_project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A project as an sdist or a new repository starts: no .gitignore."""
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text(TRACKER)
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "test_b.py").write_text("def test_b():\n    pass\n")
    if request.param.startswith("git"):
        commit_all(tmp_path)
    done = run_pytest_in(tmp_path, "--tracker-update", "-p", "cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp_path


def test_tool_output_and_editor_files_leave_the_evidence_fresh(new_project: Path) -> None:
    for name in NOT_CODE:
        (new_project / name).parent.mkdir(parents=True, exist_ok=True)
        (new_project / name).write_text("tool output\n")
    gate = tasktracker(new_project, "gate")
    assert (gate.returncode, gate.stdout.splitlines()[-1]) == (
        0,
        "gate passed: every one of 2 ticked sub-tasks is backed by evidence",
    )
    (new_project / "helpers.py").write_text("X = 1\n")
    assert "1 file changed since the run (helpers.py)" in tasktracker(new_project, "gate").stdout


def test_another_version_of_an_installed_package_makes_evidence_stale(tmp_path: Path) -> None:
    """cachetools 8.0.3 replaced by 5.5.2 where the run found it: a rerun could fail."""
    folder = tmp_path / "site"
    (folder / "cachetools-8.0.3.dist-info").mkdir(parents=True)
    root = tmp_path / "project"
    root.mkdir()
    (root / "TASKS.md").write_text(TRACKER)
    (root / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / "test_b.py").write_text("def test_b():\n    pass\n")
    env = {**os.environ, "PYTHONPATH": str(folder)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tracker", "TASKS.md"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert tasktracker(root, "--tracker", "TASKS.md", "check", "1.1").returncode == 0
    (folder / "cachetools-8.0.3.dist-info").rename(folder / "cachetools-5.5.2.dist-info")
    gate = tasktracker(root, "--tracker", "TASKS.md", "gate")  # without the folder on its path
    assert gate.returncode == 1
    assert gate.stdout.splitlines()[1] == (
        "TASKS.md:2: 1.1 Run pytest on test_a.py: its evidence is from another code state: "
        "the environment changed since the run (cachetools 8.0.3 -> 5.5.2); run `pytest "
        "--tracker TASKS.md --tracker-update` to prove it on this code"
    )


def test_a_collected_doctest_file_is_code(tmp_path: Path) -> None:
    """README.rst is documentation, until a run collects it (``--doctest-glob``): then an
    edit of it makes that run's evidence stale."""
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run the whole test suite\n")
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "README.rst").write_text(">>> 1 + 1\n2\n")
    (tmp_path / "NOTES.md").write_text("notes\n")
    done = run_pytest_in(tmp_path, "--doctest-glob=*.rst", "--tracker-update")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout
    assert "[x] Run the whole" in (tmp_path / "TASKS.md").read_text()
    (tmp_path / "NOTES.md").write_text("more notes\n")  # not collected: documentation
    assert tasktracker(tmp_path, "gate").returncode == 0
    (tmp_path / "README.rst").write_text(">>> 1 + 1\n3\n")
    gate = tasktracker(tmp_path, "gate")
    assert gate.returncode == 1
    assert "its evidence is from another code state: 1 file changed since the run" in gate.stdout
    assert "README.rst" in gate.stdout
    (tmp_path / "README.rst").write_text(">>> 1 + 1\n2\n")
    assert tasktracker(tmp_path, "gate").returncode == 0


def test_a_gate_beside_a_tracker_outside_the_project_digests_the_runs_root(
    tmp_path: Path,
) -> None:
    """`pytest --tracker ../elsewhere/TASKS.md` in the project, `tasktracker gate` in
    elsewhere/: the code state is the project's, and the remedy runs from elsewhere/, with
    the project's ini file (a separate `../elsewhere/TASKS.md` would make pytest take the
    common folder for its rootdir and read no ini file)."""
    root, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    (root / "tests").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    (root / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (elsewhere / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on test_a.py\n")
    commit_all(root)
    done = run_pytest_in(root, "--tracker", "../elsewhere/TASKS.md", "--tracker-update")
    assert done.returncode == 0, done.stdout + done.stderr
    gate = tasktracker(elsewhere, "--tracker", "TASKS.md", "gate")
    assert (gate.returncode, gate.stdout.splitlines()[-1]) == (
        0,
        "gate passed: every one of 1 ticked sub-tasks is backed by evidence",
    )
    (root / "tests" / "test_a.py").write_text("def test_a():\n    assert True\n")
    gate = tasktracker(elsewhere, "--tracker", "TASKS.md", "gate")
    assert gate.returncode == 1
    line = gate.stdout.splitlines()[1]
    assert "1 file changed since the run (tests/test_a.py)" in line
    remedy = "cd ../project && pytest --tracker=../elsewhere/TASKS.md --tracker-update"
    assert line.endswith(f"run `{remedy}` to prove it on this code")
    (root / "test_not_in_testpaths.py").write_text("def test_x():\n    assert 0\n")
    rerun = subprocess.run(
        remedy.replace("pytest", f"{sys.executable} -m pytest -p no:cacheprovider", 1),
        shell=True,
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert tasktracker(elsewhere, "--tracker", "TASKS.md", "gate").returncode == 0


EVERY_TEST_PASSES = (
    "import pytest\n\n@pytest.hookimpl(tryfirst=True)\n"
    "def pytest_pyfunc_call(pyfuncitem):\n    return True\n"
)


@pytest.mark.parametrize("mode", [[], ["-n", "2"]], ids=["serial", "xdist"])
@pytest.mark.parametrize("hidden_by", [".git/info/exclude", ".gitignore"])
def test_a_conftest_git_ignores_is_code_and_removing_it_makes_the_tick_stale(
    tmp_path: Path, hidden_by: str, mode: list[str]
) -> None:
    """A conftest.py that makes every test pass, which git ignores, then removed: the
    run's pass was on other code than the project's now."""
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on tests/test_a.py\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    assert False\n")
    committed_then_hidden(tmp_path, "tests/conftest.py", hidden_by)
    (tmp_path / "tests" / "conftest.py").write_text(EVERY_TEST_PASSES)
    done = run_pytest_in(tmp_path, "--tracker-update", "tests/test_a.py", *mode)
    assert "ticked 1.1" in done.stdout, done.stdout + done.stderr
    assert tasktracker(tmp_path, "gate").returncode == 0  # the code the run ran on
    (tmp_path / "tests" / "conftest.py").unlink()
    gate = tasktracker(tmp_path, "gate")
    assert gate.returncode == 1, gate.stdout
    assert "1 file changed since the run (tests/conftest.py)" in gate.stdout


def test_a_configuration_file_git_ignores_is_code_and_removing_it_makes_the_tick_stale(
    tmp_path: Path,
) -> None:
    """A root pytest.ini (read before pyproject.toml) that leaves the failing test out,
    which git ignores, then removed."""
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntracker = "TASKS.md"\n')
    (tmp_path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on tests/test_a.py\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        "def test_ok():\n    pass\n\ndef test_a():\n    assert False\n"
    )
    committed_then_hidden(tmp_path, "pytest.ini")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\ntracker = TASKS.md\npython_functions = test_o*\n"
    )
    done = run_pytest_in(tmp_path, "--tracker-update", "tests/test_a.py")
    assert "ticked 1.1" in done.stdout, done.stdout + done.stderr
    (tmp_path / "pytest.ini").unlink()
    gate = tasktracker(tmp_path, "gate")
    assert gate.returncode == 1, gate.stdout
    assert "1 file changed since the run (pytest.ini)" in gate.stdout


@pytest.mark.parametrize("mode", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_module_git_ignores_that_the_run_imported_is_code(
    tmp_path: Path, mode: list[str]
) -> None:
    """A package that shadows the module the tests import (a folder wins over a file of
    the same name), hidden by ``.git/info/exclude``, then removed: the run's pass was on
    other code than the project's now. Under xdist the workers import it."""
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text("### Step 1: S\n- [ ] Run pytest on tests/test_a.py\n")
    (tmp_path / "lib.py").write_text("def answer():\n    return 41\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        "import lib\n\ndef test_a():\n    assert lib.answer() == 42\n"
    )
    committed_then_hidden(tmp_path, "lib/")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("def answer():\n    return 42\n")
    done = run_pytest_in(tmp_path, "--tracker-update", *mode)
    assert "ticked 1.1" in done.stdout, done.stdout + done.stderr
    shutil.rmtree(tmp_path / "lib")
    gate = tasktracker(tmp_path, "gate")
    assert gate.returncode == 1, gate.stdout
    assert "1 file changed since the run (lib/__init__.py)" in gate.stdout


def test_a_sub_task_s_words_copied_under_its_id_and_linked_elsewhere_prove_nothing(
    tmp_path: Path,
) -> None:
    """An agent adds a sub-task with the same explicit id and words as the user's
    failing one, linked to a file that passes: an id two sub-tasks share names no
    evidence, so neither the run, the guard nor the gate can take one for the other."""
    words = "Run pytest on test_a.py and fix all failures"
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text(
        f"## Notes\n- [ ] 1.1 {words} <!-- tests: test_b.py -->\n\n### Step 1: S\n- [ ] {words}\n"
    )
    (tmp_path / "test_a.py").write_text("def test_a():\n    assert False\n")
    (tmp_path / "test_b.py").write_text("def test_b():\n    pass\n")
    run_pytest_in(tmp_path, "--tracker-update", "test_a.py", "test_b.py")
    results = json.loads((tmp_path / ".tasktracker" / "results.json").read_text())
    assert "1.1" not in {entry["id"] for entry in results["subtasks"]}
    text = (tmp_path / "TASKS.md").read_text()
    (tmp_path / "TASKS.md").write_text(text.replace(f"- [ ] {words}\n", f"- [x] {words}\n"))
    gate = tasktracker(tmp_path, "gate")
    assert gate.returncode == 1, gate.stdout
