"""Which sub-tasks ``task`` markers name, read from the test files without a run.

A run knows its markers from collection. A judge with no run at hand (``check``, the
hooks, the gate) reads them from the files under ``testpaths``: every
``mark.task("1.2", "T004")`` (on a test, a class, ``pytestmark``, a ``pytest.param``)
names its string arguments. Nothing is imported; a file without ``task(`` is not read
further. A sub-task a marker names is linked to tests, so its box needs evidence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from pytest_tasktracker.fileid import identity
from pytest_tasktracker.rules.scope import DiskFiles

# Compiled on first use (re caches them): only a file that mentions "task" is read.
_MARK = r"\bmark\s*\.\s*task\s*\(([^)]{0,2000})\)"
_STRING = r"""[rRuUbB]?(["'])((?:\\.|(?!\1).){0,200})\1"""
MAX_FILE = 4 * 1024 * 1024  # a larger .py file is data, not a test module


def marked_ids(rootdir: Path, roots: Sequence[str] = ()) -> frozenset[str]:
    """The sub-task ids (case folded) that ``task`` markers name in the ``.py`` files
    under ``roots`` (relative to ``rootdir``; default the whole rootdir)."""
    files = DiskFiles(rootdir, list(roots) or [""], ()).files()
    return frozenset(i for ids in marked_files(rootdir, files).values() for i in ids)


def marked_ids_watched(
    rootdir: Path, roots: Sequence[str] = (), limit: int = 3000
) -> tuple[frozenset[str], list[list[object]]] | None:
    """``marked_ids``, and what would change them: the size, time and inode of every
    folder walked or left out and of every ``.py`` file (absolute paths); None when
    there are more than ``limit`` (watching them would cost more than reading)."""
    rootdir = Path(os.path.abspath(rootdir))
    walked = DiskFiles(rootdir, list(roots) or [""], ())
    files = walked.files()
    if len(files) + len(walked.folders) > limit:
        return None
    watched: list[list[object]] = []
    for path in [*dict.fromkeys(walked.folders), *(str(rootdir / name) for name in files)]:
        watched.append([path, *(identity(path) or [])])
    ids = frozenset(i for found in marked_files(rootdir, files).values() for i in found)
    return ids, watched


def marked_files(rootdir: Path, files: Sequence[str]) -> dict[str, list[str]]:
    """The ids (case folded) the ``task`` markers of each of ``files`` (relative to
    ``rootdir``) name, for the files that have any."""
    found: dict[str, list[str]] = {}
    for name in files:
        path = rootdir / name
        try:
            if path.stat().st_size > MAX_FILE:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if b"task" not in data:
            continue
        ids = ids_in(data.decode("utf-8", "replace"))
        if ids:
            found[name] = sorted(ids)
    return found


def ids_in(source: str) -> set[str]:
    """The ids the ``task`` markers of one source file name, case folded."""
    ids = set()
    for call in re.finditer(_MARK, source):
        for match in re.finditer(_STRING, call.group(1)):
            value = match.group(2).strip()
            if value:
                ids.add(value.casefold())
    return ids
