"""A path that does not exist (``pytest tests/test_alpah.py``): what the user probably
meant, and the commands that run it or list what exists."""

from __future__ import annotations

import re
from pathlib import Path

from pytest_tasktracker.blockers.facts import Facts
from pytest_tasktracker.blockers.model import Blocker, Remedy
from pytest_tasktracker.rules.scope import DiskFiles


def _similar_paths(missing: str, facts: Facts) -> list[str]:
    """What the user probably meant: the nearest test names in the file when the file
    exists (``test_alpah`` -> ``test_alpha``), else the nearest files by name."""
    import difflib  # only for a path that is missing

    file, _, node = missing.partition("::")
    path = facts.cwd / file
    if node and path.is_file():
        names = _test_names(path)
        wanted = node.split("::")[-1].split("[")[0]
        parent = node.rpartition("::")[0]
        close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.6)
        shown = facts.rel(path)
        return [f"{shown}::{parent + '::' if parent else ''}{name}" for name in close]

    files = DiskFiles(facts.rootdir, [""], ()).files()
    by_name: dict[str, list[str]] = {}
    for found in files:
        by_name.setdefault(found.rpartition("/")[2], []).append(found)
    name = Path(file).name
    close = [name] if name in by_name else difflib.get_close_matches(name, by_name, 3, 0.75)
    return [facts.rel(facts.rootdir / found) for name in close for found in by_name[name]][:3]


_DEFINES = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)", re.M)


def _test_names(path: Path) -> list[str]:
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return list(dict.fromkeys(_DEFINES.findall(source)))


def _same(arg: str, missing: str, facts: Facts) -> bool:
    """Whether a command-line argument is the missing path (pytest may report it
    absolute)."""
    if arg == missing:
        return True
    try:
        return (facts.cwd / arg).resolve() == Path(missing).resolve()
    except (OSError, ValueError):
        return False


def path_not_found(missing: str, facts: Facts, error: str | None = None) -> Blocker:
    similar = _similar_paths(missing, facts)
    remedies = []
    if similar:
        fixed = [similar[0] if _same(arg, missing, facts) else arg for arg in facts.argv]
        remedies.append(
            Remedy(facts.pytest_command(fixed), f"{similar[0]} exists: did you mean it?")
        )
    remedies.append(
        Remedy(
            facts.pytest_command(["--collect-only", "-q"]),
            "list the tests pytest can find, and pass an existing file or folder",
        )
    )
    return Blocker(
        kind="path-not-found",
        key=missing,
        summary=f"{missing} does not exist, so none of its tests ran",
        error=error or f"file or directory not found: {missing}",
        exit_code=facts.code(4),
        cause={"path": missing, "similar": similar},
        remedies=remedies,
        paths=[missing.split("::")[0]],
    )
