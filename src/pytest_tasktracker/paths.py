"""How a path is shown to the user, relative to a folder where it helps."""

from __future__ import annotations

import os
from pathlib import Path

from pytest_tasktracker.lazyre import Lazy

_SLUG = Lazy(r"[^a-z0-9]+")
# ASCII text: every character but a-z and 0-9 as a blank, then the words joined by "-"
_SLUG_BLANKS = {code: " " for code in range(128) if not chr(code).isalnum()}


def slug(text: str, limit: int | None = None) -> str:
    """``text`` as a piece of a file name or an id: lower case, runs of anything but
    letters and digits as one ``-``, at most ``limit`` characters; "" when nothing is left.
    The one slug rule: section ids and blocker file names both use it."""
    lower = text.lower()
    if lower.isascii():
        found = "-".join(lower.translate(_SLUG_BLANKS).split())
    else:
        found = _SLUG().sub("-", lower).strip("-")
    return found if limit is None else found[:limit].rstrip("-")


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


def posix_under(path: os.PathLike[str] | str, root: os.PathLike[str] | str) -> str:
    """``path`` as a scope names it: relative to ``root``, with ``/``, and "" for the root
    itself (as node ids name files)."""
    text = os.path.relpath(os.path.normpath(path), root).replace(os.sep, "/")
    return "" if text == "." else text
