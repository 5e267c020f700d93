"""The package's parts import downwards only, and only the plugin and the CLI import pytest.

Parts, lowest first (docs/architecture.md): the shared base, the tracker library, the
rules, the blockers, the state folder, then the two surfaces that use them all. Every
import counts, also one inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "src" / "pytest_tasktracker"
LAYERS = [
    {
        "errors",
        "paths",
        "settings",
        "inifile",
        "runinfo",
        "redact",
        "codetext",
        "secretshapes",
        "jsonscan",
        "fileid",
        "lightwrite",
        "slotted",
        "lazyre",
        "words",
    },
    {"tracker"},
    {"rules"},
    {"blockers"},
    {"state", "views", "ticks", "verify", "attestation", "junit"},
    {"plugin"},
    {"agents"},
    {"cli", "__main__"},
]
PYTEST_FREE = set().union(*LAYERS[:5])  # everything below the plugin


def part_of(module: str) -> str:
    """``pytest_tasktracker.rules.gate`` -> ``rules``."""
    return module.split(".")[1] if module.count(".") else ""


def layer_of(part: str) -> int:
    return next(n for n, parts in enumerate(LAYERS) if part in parts)


def imports(path: Path, package: str | None = None) -> list[str]:
    """Every module ``path`` imports, inside functions too; a relative import is made
    absolute from ``package`` (the module's own package)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                if package is None:
                    continue
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                module = f"{base}.{module}" if module else base
            found.append(module)
            found.extend(f"{module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(
    path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] != "__init__.py"
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(path: Path) -> str:
    """The package a module's relative imports start from."""
    return ".".join(path.relative_to(PACKAGE.parent).parent.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_part_and_the_parts_below(path: Path) -> None:
    name = module_name(path)
    mine = layer_of(part_of(name))
    upward = [
        target
        for target in imports(path, package_of(path))
        if target.startswith("pytest_tasktracker.")
        and part_of(target) in set().union(*LAYERS)
        and layer_of(part_of(target)) > mine
    ]
    assert upward == [], f"{name} imports a higher part"


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if part_of(module_name(p)) in PYTEST_FREE],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_the_library_rules_and_blockers_never_import_pytest(path: Path) -> None:
    found = [t for t in imports(path) if t.split(".")[0] in ("pytest", "_pytest", "xdist")]
    assert found == []


def test_the_check_itself_sees_an_upward_import(tmp_path: Path) -> None:
    """The layer test can fail: an import of the plugin from the rules is caught."""
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from pytest_tasktracker.plugin import RUN_PLUGIN\n")
    found = imports(module)
    assert "pytest_tasktracker.plugin" in found
    assert layer_of(part_of("pytest_tasktracker.plugin")) > layer_of("rules")


def test_the_check_sees_a_relative_import_and_a_cycle_of_cli_and_agents(tmp_path: Path) -> None:
    """A relative import counts as its absolute module: ``from ..cli import verify`` in
    agents/ is an upward import (cli is above agents)."""
    module = tmp_path / "bad.py"
    module.write_text("from ..cli import verify\nfrom . import guard\n")
    found = imports(module, "pytest_tasktracker.agents")
    assert "pytest_tasktracker.cli.verify" in found
    assert "pytest_tasktracker.agents.guard" in found
    assert layer_of(part_of("pytest_tasktracker.cli")) > layer_of("agents")


def test_the_plugin_looks_for_the_configuration_files_inifile_reads() -> None:
    from pytest_tasktracker import inifile
    from pytest_tasktracker.plugin import hooks

    assert hooks._CONFIG_NAMES == inifile.CANDIDATES
