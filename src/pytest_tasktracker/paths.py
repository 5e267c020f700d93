"""How a path is shown to the user, relative to a folder where it helps."""

from __future__ import annotations

import os
from pathlib import Path


def shown(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when inside it, else as given (the CLI's way)."""
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def relative(path: os.PathLike[str] | str, base: os.PathLike[str] | str | None = None) -> str:
    """``path`` relative to ``base`` (default: the working folder), with ``..`` if need be;
    as given when no relative path exists (another drive on Windows)."""
    try:
        return os.path.relpath(path, base)
    except ValueError:
        return os.fspath(path)
