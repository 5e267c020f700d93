"""Find the project's pytest configuration file and read our keys, without importing pytest.

The search follows pytest's: from a folder upwards, the first of ``pytest.ini``,
``.pytest.ini``, ``pyproject.toml`` (with ``[tool.pytest.ini_options]`` or
``[tool.pytest]``), ``tox.ini`` (``[pytest]``) or ``setup.cfg`` (``[tool:pytest]``).
"""

from __future__ import annotations

import configparser
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class IniFile:
    path: Path | None
    values: dict[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path | None:
        return self.path.parent if self.path is not None else None


def _from_ini(path: Path, section: str) -> dict[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError, OSError):
        return None
    if not parser.has_section(section):
        return None
    return dict(parser.items(section))


def _from_toml(path: Path) -> dict[str, str] | None:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return None
    tool = data.get("tool", {})
    pytest_table = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(pytest_table, dict):
        return None
    table = pytest_table.get("ini_options", pytest_table)
    if not isinstance(table, dict):
        return None
    return {key: _as_text(key, value) for key, value in table.items() if key != "ini_options"}


LINE_LISTS = frozenset({"tracker_checks"})  # a list of these is lines, not arguments


def _as_text(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ("\n" if key in LINE_LISTS else " ").join(str(part) for part in value)
    return str(value)


def tasktracker_table(path: Path) -> dict[str, object]:
    """``[tool.tasktracker]`` of a pyproject.toml; {} when there is none (or no file)."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
        return {}
    tool = data.get("tool", {})
    table = tool.get("tasktracker") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else {}


CANDIDATES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")


def find_inifile(start: Path) -> IniFile:
    """The configuration file pytest would use when run from ``start``."""
    readers: tuple[Callable[[Path], dict[str, str] | None], ...] = (
        lambda p: _from_ini(p, "pytest") or {},
        lambda p: _from_ini(p, "pytest") or {},
        _from_toml,
        lambda p: _from_ini(p, "pytest"),
        lambda p: _from_ini(p, "tool:pytest"),
    )
    for folder in (start, *start.parents):
        for name, reader in zip(CANDIDATES, readers, strict=True):
            candidate = folder / name
            if candidate.is_file():
                values = reader(candidate)
                if values is not None:
                    return IniFile(candidate, values)
    return IniFile(None)
