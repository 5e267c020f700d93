"""The install remedies, run as the report writes them in a scratch virtual environment,
get the next run further: the blocker that named them is resolved and the tests pass.

Each case is a golden blocker (tests/golden/diagnosis.json) made for real: a project in
a fresh environment that has pytest and this plugin and nothing else, a run that is
blocked, the first remedy run exactly as written, and the run again. The remedies that
are not installs (run without an option, a path that exists, the syntax error shown,
the hook renamed) are run in place by test_remedies.py.

Slow (a fresh environment and pip installs from the package index): ``-m "not slow"``
leaves it out. Skipped when the package index cannot be reached.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import venv
from pathlib import Path

import pytest

from conftest import blocker_front

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
ROOT = Path(__file__).parent.parent
CORPUS = Path(__file__).parent / "corpus"
TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n"
BUILD = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'


def mcp_coder(root: Path) -> None:
    """mcp-coder at 7129c046 without its dependencies: its conftest imports git, from
    GitPython, which its pyproject declares (the rest of its dependencies left out here:
    they come from git repositories)."""
    (root / "pyproject.toml").write_text(
        f'{BUILD}[project]\nname = "mcp-coder-scratch"\nversion = "0"\n'
        'dependencies = ["GitPython>=3.1.0"]\n[tool.setuptools]\npy-modules = []\n'
    )
    conftest = (CORPUS / "mcp-coder_7129c046_tests_conftest_head.py.txt").read_text()
    (root / "tests" / "conftest.py").write_text(conftest)


def undeclared_yaml(root: Path) -> None:
    (root / "tests" / "test_a.py").write_text("import yaml\n\n\ndef test_a():\n    pass\n")


def own_package(root: Path) -> None:
    (root / "pyproject.toml").write_text(
        f'{BUILD}[project]\nname = "scratchown"\nversion = "0"\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    )
    (root / "src" / "scratchown").mkdir(parents=True)
    (root / "src" / "scratchown" / "__init__.py").write_text("VALUE = 1\n")
    (root / "tests" / "test_a.py").write_text(
        "from scratchown import VALUE\n\n\ndef test_a():\n    assert VALUE == 1\n"
    )


def option_from_addopts(root: Path) -> None:
    (root / "pytest.ini").write_text("[pytest]\naddopts = -n 2\n")


CASES = {
    # name: (make the project, pytest's arguments, the kind, the remedy's command ends with)
    "conftest_missing_a_declared_dependency": (mcp_coder, [], "conftest-error", "install -e ."),
    "collection_error_of_an_undeclared_module_named_otherwise": (
        undeclared_yaml,
        [],
        "collection-error",
        "install PyYAML",
    ),
    "collection_error_of_the_projects_own_package": (
        own_package,
        [],
        "collection-error",
        "install -e .",
    ),
    "option_from_addopts_not_installed": (
        option_from_addopts,
        [],
        "missing-plugin",
        "install pytest-xdist",
    ),
    "option_from_the_command_line": (
        lambda root: None,
        ["--timeout=30"],
        "missing-plugin",
        "install pytest-timeout",
    ),
}


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch environment with pytest and this plugin, installed from this checkout."""
    where = tmp_path_factory.mktemp("scratch") / "venv"
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    done = subprocess.run(
        [python, "-m", "pip", "install", "-q", str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.skip(f"the package index cannot be reached: {done.stderr[-300:]}")
    return python


def pytest_in(python: Path, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "--tracker", "TASKS.md", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTHONPATH")},
    )


@pytest.mark.parametrize("case", CASES)
def test_an_install_remedy_run_as_written_gets_the_next_run_further(
    python: Path, tmp_path: Path, case: str
) -> None:
    make, args, kind, ends = CASES[case]
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / "TASKS.md").write_text(TRACKER)
    make(root)
    blocked = pytest_in(python, root, *args)
    assert blocked.returncode != 0, blocked.stdout
    front = blocker_front(root / ".tasktracker" / "blockers")
    assert front["kind"] == kind
    command = front["remedies"][0]["command"]
    assert command.startswith(f"{python} -m pip ")
    assert command.endswith(ends)
    installed = subprocess.run(
        shlex.split(command), cwd=root, capture_output=True, text=True, check=False, timeout=600
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    further = pytest_in(python, root, *args)
    assert further.returncode == 0, further.stdout[-3000:] + further.stderr[-2000:]
    assert "1 passed" in further.stdout
    assert blocker_front(root / ".tasktracker" / "blockers")["status"] == "resolved"
