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
    {"errors", "paths", "settings", "inifile", "runinfo", "redact", "codetext", "secretshapes"},
    {"tracker"},
    {"rules"},
    {"blockers"},
    {"state", "views"},
    {"plugin"},
    {"cli", "__main__", "agents"},
]
PYTEST_FREE = set().union(*LAYERS[:5])  # everything below the plugin


def part_of(module: str) -> str:
    """``pytest_tasktracker.rules.gate`` -> ``rules``."""
    return module.split(".")[1] if module.count(".") else ""


def layer_of(part: str) -> int:
    return next(n for n, parts in enumerate(LAYERS) if part in parts)


def imports(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(
    path for path in PACKAGE.rglob("*.py") if path.relative_to(PACKAGE).parts[0] != "__init__.py"
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_part_and_the_parts_below(path: Path) -> None:
    name = module_name(path)
    mine = layer_of(part_of(name))
    upward = [
        target
        for target in imports(path)
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
