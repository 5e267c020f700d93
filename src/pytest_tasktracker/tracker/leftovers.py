"""What writers killed while writing leave behind: the temporary files of
``fileio.atomic_write`` (``.<name>.<8 characters>.tmp``), removed under the folder's lock,
where no writer of ours is alive to own one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path


def clean_stale_temporaries(path: Path) -> None:
    """Remove temporary files an earlier writer of ``path`` left when it was killed.

    Call it under the folder's lock: then no writer of ours is alive to own one. Only
    names this module makes (``.<name>.<8 characters>.tmp``) are touched.
    """
    _clean(path.parent, lambda name: name[1:-13] == path.name)


def clean_temporaries(folder: Path) -> int:
    """Remove the temporary files that writers killed while writing left in ``folder``,
    of any file; how many were removed. Call it under the folder's lock, and write every
    file of the folder under it: then no writer of ours is alive to own one."""
    return _clean(folder, lambda name: len(name) > 14)


def _clean(folder: Path, mine: Callable[[str], bool]) -> int:
    """Remove the files in ``folder`` named as ``_write_temp`` names them
    (``.<name>.<8 characters>.tmp``) whose name ``mine`` takes."""
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            name = entry.name
            if (
                name.startswith(".")
                and name.endswith(".tmp")
                and name[-13:-12] == "."
                and mine(name)
                and entry.is_file(follow_symlinks=False)
            ):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed
