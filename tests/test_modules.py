"""blockers/modules.py: a module a test file cannot import, mapped to what installs it,
with the project's own install command first when the project declares it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_tasktracker.blockers.facts import Facts
from pytest_tasktracker.blockers.modules import remedies

PY = "/usr/bin/python3"


def commands(root: Path, module: str, python: str = PY) -> list[str]:
    facts = Facts(argv=[], cwd=root, rootdir=root, inifile=None, env_addopts=[], python=python)
    return [remedy.command for remedy in remedies(module, "tests/test_a.py", facts)]


PYPROJECT = """\
[project]
name = "demo"
dependencies = ["GitPython>=3"]

[project.optional-dependencies]
yaml = ["ruamel.yaml"]

[dependency-groups]
dev = ["pytest-xdist[psutil]"]
"""


@pytest.mark.parametrize(
    ("module", "first"),
    [
        ("git", f"{PY} -m pip install -e ."),
        ("ruamel.yaml", f"{PY} -m pip install -e '.[yaml]'"),
        ("xdist", f"{PY} -m pip install --group dev"),
    ],
)
def test_a_declared_dependency_is_installed_as_the_project_declares_it(
    tmp_path: Path, module: str, first: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert commands(tmp_path, module)[0] == first


@pytest.mark.parametrize(
    ("lock", "module", "first"),
    [
        ("uv.lock", "git", "uv sync"),
        ("uv.lock", "ruamel.yaml", "uv sync --extra yaml"),
        ("uv.lock", "xdist", "uv sync --group dev"),
        ("poetry.lock", "ruamel.yaml", "poetry install --extras yaml"),
        ("poetry.lock", "xdist", "poetry install --with dev"),
    ],
)
def test_a_project_managed_by_a_tool_is_installed_by_that_tool(
    tmp_path: Path, lock: str, module: str, first: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / lock).write_text("")
    inside = str(tmp_path / ".venv" / "bin" / "python")
    assert commands(tmp_path, module, inside)[0] == first
    # pytest run by another interpreter: pip into that one, whatever the lock file says
    assert commands(tmp_path, module)[0].startswith(f"{PY} -m pip install ")


def test_poetry_1_dependencies_are_found_under_tool_poetry(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "demo"\n\n[tool.poetry.dependencies]\npython = "^3.10"\n'
        'GitPython = "^3"\n'
    )
    assert commands(tmp_path, "git") == [
        f"{PY} -m pip install -e .",
        f"{PY} -m pip install GitPython",
        f"{PY} -c 'import git'",
    ]


def test_a_requirements_file_is_installed_with_r(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = demo\n")
    (tmp_path / "requirements-dev.txt").write_text("# tools\n-e .\n\nGitPython==3.1\n")
    assert commands(tmp_path, "git")[0] == f"{PY} -m pip install -r requirements-dev.txt"


def test_an_unreadable_pyproject_declares_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\nbroken")
    assert commands(tmp_path, "git") == [
        f"{PY} -m pip install GitPython",
        f"{PY} -c 'import git'",
    ]


def test_the_projects_own_package_means_installing_the_project(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("")
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text("")
    (tmp_path / "src" / "single.py").write_text("")
    assert commands(tmp_path, "demo.core")[0] == f"{PY} -m pip install -e ."
    assert commands(tmp_path, "single")[0] == f"{PY} -m pip install -e ."


def test_code_of_a_project_that_cannot_be_installed_is_not_its_own_package(
    tmp_path: Path,
) -> None:
    (tmp_path / "requirements.txt").write_text("")
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "__init__.py").write_text("")
    assert commands(tmp_path, "demo")[0] == f"{PY} -m pip install demo"
