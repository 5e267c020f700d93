"""What tells one version of a file from another, for the hook's quick checks, with the
standard library's cheapest parts only: its size, modification time, inode and change
time (a shell can set a file's modification time back, not its change time), and the
SHA-256 of its bytes (a CRC can be forged to match)."""

from __future__ import annotations

import os


def identity(path: str) -> list[int] | None:
    """``path``'s size, modification time, inode and change time (following links);
    None when it is not there."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return [found.st_size, found.st_mtime_ns, found.st_ino, found.st_ctime_ns]


def sha256(data: bytes) -> str:
    """The SHA-256 of ``data``, in hex: from the interpreter's own module (``hashlib``
    would load OpenSSL's, 11 M instructions)."""
    try:
        from _sha2 import sha256 as made  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python 3.10 and 3.11
        try:
            from _sha256 import sha256 as made  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:  # pragma: no cover - a build without them
            from hashlib import sha256 as made
    return str(made(data).hexdigest())
