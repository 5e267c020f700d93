"""The Python environment a run ran in, as part of its code state: the interpreter's
version and the version of every installed distribution. Replacing a dependency
(cachetools 8.0.3 by 5.5.2) changes a test's result as surely as editing a file.

The entries sit beside the files of a manifest under names no file under a root can have:
``/python`` and ``/installed/<name>``. Versions are read from the names of the
``*.dist-info`` and ``*.egg-info`` folders in the run's ``sys.path`` (one listing a
folder, no metadata parsed), the first of a name winning as an import would.

A judge (``gate``, ``check``, a hook) may run in another environment than the run's
(pre-commit's own, a CI job that installed only this tool): it looks at the run's site
folders and interpreter, which the run recorded (``Where``), not at its own. On another
machine it cannot look, and the environment is left out of the comparison.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_tasktracker.lazyre import Lazy
from pytest_tasktracker.rules import codeprint
from pytest_tasktracker.slotted import Slotted

PYTHON = "/python"
INSTALLED = "/installed/"
_SITES = ("site-packages", "dist-packages")
_VERSION = Lazy(rb"^Version:[ \t]*(\S+)", re.M)


class Where(Slotted):
    """Where a run's environment is, for a judge to look at it again."""

    __slots__ = ("host", "executable", "identity", "python", "sites")

    def __init__(
        self,
        host: str,
        executable: str,
        identity: tuple[int, int],
        python: str,
        sites: tuple[str, ...],
    ) -> None:
        self.host = host
        self.executable = executable  # the interpreter's real path
        self.identity = identity  # its size and modification time
        self.python = python  # "cpython 3.11.7"
        self.sites = sites  # the folders that held installed distributions, in order

    def as_json(self) -> dict[str, Any]:
        return {**self._asdict(), "identity": list(self.identity), "sites": list(self.sites)}

    @classmethod
    def from_json(cls, data: Any) -> Where | None:
        try:
            identity = tuple(int(n) for n in data["identity"])
            where = cls(
                str(data["host"]),
                str(data["executable"]),
                (identity[0], identity[1]),
                str(data["python"]),
                tuple(str(site) for site in data["sites"]),
            )
        except (KeyError, TypeError, ValueError, IndexError):
            return None
        return where


host = codeprint.host


def _python() -> str:
    return f"{sys.implementation.name} {sys.version.split()[0]}"


def _identity(executable: str) -> tuple[int, int]:
    try:
        found = os.stat(executable)
    except OSError:
        return (0, 0)
    return (found.st_size, found.st_mtime_ns)


def here(root: Path) -> tuple[dict[str, str], Where]:
    """The entries of the environment this process runs in, and where it is. The folders
    of ``sys.path`` under ``root`` (the tests' own, added by pytest) are not looked at,
    except a virtualenv's site folder there."""
    inside = f"{root}{os.sep}"
    folders = [
        folder
        for folder in dict.fromkeys(os.path.abspath(entry) for entry in sys.path if entry)
        if not folder.startswith(inside) or os.path.basename(folder) in _SITES
    ]
    entries, sites = installed(folders)
    executable = os.path.realpath(sys.executable)
    entries[PYTHON] = _python()
    where = Where(host(), executable, _identity(executable), entries[PYTHON], tuple(sites))
    return entries, where


def again(where: Where) -> dict[str, str] | None:
    """The entries of the environment a run recorded, as it is now; None on another
    machine (its folders here, if any, are another environment's)."""
    if where.host != host():
        return None
    entries, _ = installed(where.sites)
    if os.path.realpath(sys.executable) == where.executable:
        entries[PYTHON] = _python()
    elif _identity(where.executable) == where.identity:
        entries[PYTHON] = where.python
    else:
        entries[PYTHON] = f"{where.executable} (changed since)"
    return entries


def installed(folders: Iterable[str]) -> tuple[dict[str, str], list[str]]:
    """``/installed/<name>`` -> version for the distributions in ``folders`` (the first
    of a name wins), and the folders that held any."""
    entries: dict[str, str] = {}
    held = []
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found = False
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                project, version = _named(folder, name)
                entries.setdefault(INSTALLED + project, version)
                found = True
        if found:
            held.append(folder)
    return entries, held


def _named(folder: str, name: str) -> tuple[str, str]:
    """A distribution's normalized name and version, from its metadata folder's name:
    ``cachetools-8.0.3.dist-info``, ``six-1.16.0-py3.11.egg-info``."""
    stem = name.rpartition(".")[0]
    project, _, version = stem.partition("-")
    if name.endswith(".egg-info"):
        version = version.partition("-py")[0]
    if not version:  # an egg-info without it: the metadata says
        version = _metadata_version(os.path.join(folder, name))
    return _normalized(project), version


def _normalized(project: str) -> str:
    """A project's name as ``re.sub(r"[-_.]+", "-", name).lower()`` makes it (PEP 503)."""
    name = project.replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name.lower()


def _metadata_version(path: str) -> str:
    for candidate in (f"{path}/METADATA", f"{path}/PKG-INFO", path):
        try:
            with open(candidate, "rb") as file:
                head = file.read(4096)
        except OSError:
            continue
        found = _VERSION().search(head)
        if found:
            return found[1].decode("utf-8", "replace")
    return "unknown"


def described(path: str, before: str | None, now: str | None) -> str:
    """One entry's change, for a person: ``cachetools 8.0.3 -> 5.5.2``."""
    name = "Python" if path == PYTHON else path.removeprefix(INSTALLED)
    return f"{name} {before or 'not installed'} -> {now or 'not installed'}"


def is_environment(path: str) -> bool:
    return path.startswith("/")


def entries_of(files: Mapping[str, str]) -> dict[str, str]:
    return {path: value for path, value in files.items() if is_environment(path)}
