"""Reading and writing files safely: strict decoding, folder locks, atomic replacement.

Every write goes to a temporary file in the same folder, is flushed to disk, takes the
old file's mode and then replaces the old file in one step, so a reader (or a crash)
sees the old file or the new one and never a part of either.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from pytest_tasktracker.errors import TrackerReadError, TrackerWriteError

MAX_TRACKER_BYTES = 32 * 1024 * 1024  # 100,000 sub-tasks take about 8 MB
LOCK_TIMEOUT = 60.0


def _describe(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)


def read_bytes(path: Path, limit: int = MAX_TRACKER_BYTES, name: str | None = None) -> bytes:
    """Read a regular file, refusing folders, FIFOs, devices and oversized files.

    ``name`` is how error messages show the path (default: the path itself).
    """
    try:
        return _read_bytes(path, limit)
    except TrackerReadError as error:
        if name is None:
            raise
        raise TrackerReadError(name, error.problem) from None


def _read_bytes(path: Path, limit: int) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise TrackerReadError(path, "no such file") from None
    except IsADirectoryError:
        raise TrackerReadError(path, "is a folder, not a tracker file") from None
    except PermissionError:
        raise TrackerReadError(path, "permission denied (the file is not readable)") from None
    except OSError as error:
        raise TrackerReadError(path, f"cannot be opened: {_describe(error)}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise TrackerReadError(path, "is a folder, not a tracker file")
        if not stat.S_ISREG(info.st_mode):
            raise TrackerReadError(path, "is not a regular file (a FIFO, socket or device)")
        if info.st_size > limit:
            raise TrackerReadError(
                path, f"is {info.st_size:,} bytes, more than the {limit:,} a tracker may have"
            )
        chunks = []
        size = info.st_size + 1  # one read for the whole file, one more to see its end
        while True:
            try:
                chunk = os.read(fd, size)
            except IsADirectoryError:
                raise TrackerReadError(path, "is a folder, not a tracker file") from None
            except OSError as error:
                raise TrackerReadError(path, f"cannot be read: {_describe(error)}") from None
            if not chunk:
                break
            chunks.append(chunk)
            size = 1 << 16
        return b"".join(chunks)
    finally:
        os.close(fd)


def decode(path: Path, data: bytes) -> str:
    """Decode tracker bytes as strict UTF-8; a BOM stays in the text as U+FEFF."""
    nul = data.find(b"\0")
    if nul >= 0:
        raise TrackerReadError(path, f"is binary, not markdown (a NUL byte at offset {nul})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise TrackerReadError(
            path,
            f"is not UTF-8 (byte 0x{data[error.start]:02x} on line {line}, offset {error.start})",
        ) from None


def atomic_write(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, keeping the file's mode.

    ``durable`` also flushes the data to disk before the replace (and the folder after):
    the tracker needs that. Evidence that any run can write again does not: readers still
    see the old file or the new one, never a part, and no run waits for the disk.
    """
    folder = path.parent
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    try:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise TrackerWriteError(path, f"cannot be written: {_describe(error)}") from None
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(temp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            problem = (
                "the disk is full"
                if error.errno in (errno.ENOSPC, errno.EDQUOT)
                else _describe(error)
            )
            raise TrackerWriteError(path, f"cannot be written: {problem}") from None
        raise
    if durable:
        _fsync_folder(folder)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def locked(folder: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` against other writers using this library.

    On POSIX the lock is a ``flock`` on the folder itself, so no lock file is left behind;
    where that is not possible a ``.tasktracker.lock`` file in the folder is locked instead.
    """
    deadline = time.monotonic() + timeout
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        with _locked_file_windows(folder, deadline):
            yield
        return
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError as error:
        raise TrackerWriteError(folder, f"cannot be locked: {_describe(error)}") from None
    try:
        try:
            _wait_for(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), folder, deadline)
        except OSError:
            os.close(fd)
            fd = _open_lock_file(folder)
            _wait_for(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), folder, deadline)
        yield
    finally:
        os.close(fd)


def _open_lock_file(folder: Path) -> int:
    try:
        return os.open(folder / ".tasktracker.lock", os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise TrackerWriteError(folder, f"cannot be locked: {_describe(error)}") from None


def _wait_for(attempt: Callable[[], object], folder: Path, deadline: float) -> None:
    delay = 0.001
    while True:
        try:
            attempt()
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise TrackerWriteError(
                    folder, "is locked by another writer and stayed locked; try again"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    @contextlib.contextmanager
    def _locked_file_windows(folder: Path, deadline: float) -> Iterator[None]:
        fd = _open_lock_file(folder)
        try:

            def attempt() -> None:
                try:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                except OSError as error:
                    raise BlockingIOError from error

            _wait_for(attempt, folder, deadline)
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)
