"""A file of the state folder replaced as ``tracker.fileio.write_locked`` replaces it
(under the ``flock`` of its folder, through a temporary file beside it named as that
module names them, ``.<name>.<8 characters>.tmp``, which a run clears when a writer was
killed; keeping the file's mode), with ``os`` and ``fcntl`` only: the hook's
quick path cannot pay for ``tempfile``, ``pathlib`` and ``hashlib`` on a tool call.

It gives up rather than waits or guesses: where the lock is held, ``flock`` or a write
fails, it returns False, removes its temporary file and leaves the old file whole; the
caller then goes the full guard's way, which writes the same file again.
"""

from __future__ import annotations

import os


def replace_locked(path: str, data: bytes) -> bool:
    """Replace ``path`` with ``data`` atomically under its folder's lock; False (and
    nothing changed) when that cannot be done at once."""
    try:
        import fcntl
    except ImportError:  # Windows: the full guard's writer locks there
        return False
    folder, name = os.path.split(path)
    try:
        lock = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # another writer has it, or the folder cannot be locked
        return _replace(path, folder, name, data)
    finally:
        os.close(lock)


def _replace(path: str, folder: str, name: str, data: bytes) -> bool:
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        return False  # only files a look wrote before are replaced here
    temp = os.path.join(folder, f".{name}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return False
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except OSError:
        try:  # noqa: SIM105 - contextlib is one more import on a tool call
            os.unlink(temp)
        except OSError:
            pass
        return False
    return True
