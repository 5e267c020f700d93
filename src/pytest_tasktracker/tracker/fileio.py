"""Reading and writing files safely: strict decoding, folder locks, atomic replacement.

Every write goes to a temporary file in the same folder, is flushed to disk, takes the
old file's mode and then replaces the old file in one step, so a reader (or a crash)
sees the old file or the new one and never a part of either.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pytest_tasktracker.errors import ConcurrentEditError, TrackerReadError, TrackerWriteError
from pytest_tasktracker.slotted import Slotted

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


class Identity(Slotted):
    """What tells one version of a file from another without reading it."""

    __slots__ = ("device", "inode", "size", "mtime_ns")

    def __init__(self, device: int, inode: int, size: int, mtime_ns: int) -> None:
        self.device = device
        self.inode = inode
        self.size = size
        self.mtime_ns = mtime_ns  # not ctime: renaming a file changes its ctime, not its content

    @classmethod
    def of(cls, info: os.stat_result) -> Identity:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def identity(path: Path) -> Identity:
    return Identity.of(os.stat(path))


RECENT_NS = 100_000_000  # a file changed in the last 100 ms may still be being written
RECHECK_SECONDS = 0.02
_WRITTEN: dict[Path, Identity] = {}  # what this process last wrote, per file


def read_settled(path: Path, name: str, timeout: float = 2.0) -> tuple[bytes, Identity]:
    """The file's bytes and identity, read when it is not being written.

    An editor that saves in place truncates the file, then writes it line by line: its
    identity (size, modification time) then changes between two looks. A read counts
    when the identity is the same before and after it and the bytes are as many as the
    file's size; when the file changed in the last moment, the identity must also stay
    the same over a short pause. Raises ConcurrentEditError when the file keeps changing
    for ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            before = identity(path)
        except OSError as error:
            problem = "no such file" if isinstance(error, FileNotFoundError) else None
            raise TrackerReadError(name, problem or f"cannot be read: {_describe(error)}") from None
        data = read_bytes(path, name=name)
        after = identity(path)
        if before == after and len(data) == after.size:
            if time.time_ns() - after.mtime_ns > RECENT_NS or _WRITTEN.get(path) == after:
                return data, after
            time.sleep(RECHECK_SECONDS)
            if identity(path) == after:
                return data, after
        if time.monotonic() > deadline:
            raise ConcurrentEditError(
                name, "kept changing while it was read (an editor saving it?); nothing was written"
            )
        time.sleep(RECHECK_SECONDS)


def replace_if_unchanged(path: Path, data: bytes, read: bytes, was: Identity) -> bool:
    """Replace ``path`` with ``data`` if it is still the file that was read (``read``,
    ``was``), keeping its mode, owner, group and extended attributes (ACLs among them).
    Returns False, and writes nothing, when the file changed since: the caller reads it
    again and redoes its edit.

    On Linux the new file is swapped in with ``renameat2(RENAME_EXCHANGE)``, and what was
    swapped out is checked: if an editor saved in the moment between the check and the
    swap, its file is swapped back. Elsewhere the check is made just before the replace.
    A file with several hard links is edited in place when the edit keeps its length (a
    tick does), so every link sees it.
    """
    info = os.stat(path)
    if Identity.of(info) != was or read_bytes(path) != read:
        return False
    if not writable_by_mode(info):
        raise TrackerWriteError(path, "is read-only; nothing was changed")
    if info.st_nlink > 1 and len(data) == len(read):
        _write_in_place(path, data, read)
        return True
    temp = _temp_copy(path, data, info)
    try:
        if _exchange(temp, path):
            swapped_out = os.stat(temp)
            if Identity.of(swapped_out) != was or read_bytes(Path(temp)) != read:
                _exchange(temp, path)  # an editor's save came in between: give it back
                return False
            os.unlink(temp)
        else:
            if Identity.of(os.stat(path)) != was:
                return False
            os.replace(temp, path)
    except OSError as error:
        raise TrackerWriteError(path, f"cannot be written: {_problem(error)}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    _fsync_folder(path.parent)
    with contextlib.suppress(OSError):
        _WRITTEN[path] = identity(path)
    return True


def _write_in_place(path: Path, data: bytes, read: bytes) -> None:
    """Write only the bytes that differ, into the file itself (hard links share it)."""
    try:
        fd = os.open(path, os.O_WRONLY)
        try:
            for offset, (old, new) in enumerate(zip(read, data, strict=True)):
                if old != new:
                    os.pwrite(fd, bytes([new]), offset)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as error:
        raise TrackerWriteError(path, f"cannot be written: {_problem(error)}") from None


def _temp_copy(path: Path, data: bytes, info: os.stat_result) -> str:
    """A temporary file beside ``path`` with ``data`` and ``path``'s metadata."""
    return _write_temp(path, data, True, lambda fd: _copy_metadata(path, fd, info))


_CHUNK = 1 << 16  # parts of a file are written in pieces of about this size


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_temp(
    path: Path, data: bytes | Iterable[bytes], durable: bool, finish: Callable[[int], None]
) -> str:
    """A temporary file beside ``path`` holding ``data``, bytes or their parts in order
    (flushed to disk when ``durable``), then ``finish`` on its descriptor (its mode,
    say); removed again and a TrackerWriteError raised when any of it fails."""
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise TrackerWriteError(path, f"cannot be written: {_problem(error)}") from None
    try:
        try:
            if isinstance(data, bytes):
                _write_all(fd, data)
            else:  # parts (a line each): gathered, so 100,000 lines are not 100,000 writes
                pending = bytearray()
                for part in data:
                    pending += part
                    if len(pending) >= _CHUNK:
                        _write_all(fd, pending)
                        pending = bytearray()
                _write_all(fd, pending)
            if durable:
                os.fsync(fd)
            finish(fd)
        finally:
            os.close(fd)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            raise TrackerWriteError(path, f"cannot be written: {_problem(error)}") from None
        raise
    return temp


def _copy_metadata(path: Path, fd: int, info: os.stat_result) -> None:
    """Mode, owner and group (root ticking another user's file keeps it theirs), and
    extended attributes, where the system and the filesystem allow."""
    os.fchmod(fd, stat.S_IMODE(info.st_mode))
    if hasattr(os, "fchown") and (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(OSError):
            os.fchown(fd, info.st_uid, info.st_gid)
            os.fchmod(fd, stat.S_IMODE(info.st_mode))  # chown may clear set-id bits
    if hasattr(os, "listxattr"):
        with contextlib.suppress(OSError):
            for attribute in os.listxattr(path):
                with contextlib.suppress(OSError):
                    os.setxattr(fd, attribute, os.getxattr(path, attribute))


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(first: str | Path, second: str | Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where that is not possible."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result != 0:
        import ctypes

        code = ctypes.get_errno()
        if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            return False
        raise OSError(code, os.strerror(code), str(second))
    return True


_RENAMEAT2: list[Any] = []


def _renameat2() -> Any:
    if not _RENAMEAT2:
        function = None
        if sys.platform.startswith("linux"):
            import ctypes

            # The process's own symbols, libc's among them: ctypes.util.find_library
            # would run ``ldconfig -p`` in a subprocess on every tracked run that ticks.
            with contextlib.suppress(OSError, AttributeError):
                libc = ctypes.CDLL(None, use_errno=True)
                function = libc.renameat2
                function.argtypes = [
                    ctypes.c_int,
                    ctypes.c_char_p,
                    ctypes.c_int,
                    ctypes.c_char_p,
                    ctypes.c_uint,
                ]
                function.restype = ctypes.c_int
        _RENAMEAT2.append(function)
    return _RENAMEAT2[0]


def write_locked(path: Path, data: bytes, durable: bool = False) -> None:
    """``atomic_write`` under the lock of ``path``'s folder (made when missing): how every
    file of the state folder is written, so that a run clearing the folder's stale
    temporaries under the lock never takes a live writer's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent):
        atomic_write(path, data, durable)


def private_bytes(path: Path, size: int = 32) -> bytes:
    """The random bytes kept in ``path`` (a key), made when there are none: readable by
    their owner only (mode 0600), and never replaced once made, also when two writers
    make them at once (the first to link its file wins; the other reads it)."""
    try:
        found = path.read_bytes()
    except FileNotFoundError:
        found = b""
    if len(found) >= size:
        return found
    temp = _write_temp(path, os.urandom(size), True, lambda fd: os.fchmod(fd, 0o600))
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    except OSError as error:
        raise TrackerWriteError(path, f"cannot be written: {_problem(error)}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return path.read_bytes()


def writable_by_mode(info: os.stat_result) -> bool:
    """Whether the file's mode bits let anyone write it: a 0444 tracker is read-only,
    also for root, who may write anything."""
    return bool(info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _problem(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return _describe(error)


def set_aside(path: Path) -> Path:
    """Move a damaged file of ours out of the way under a name of its own,
    ``<name>.corrupt-<UTC time>[-n]``: a second damaged file never overwrites the first."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for number in range(1000):
        suffix = f".corrupt-{stamp}" + (f"-{number}" if number else "")
        aside = path.with_name(path.name + suffix)
        try:
            os.link(path, aside)  # fails, and overwrites nothing, when the name is taken
        except FileExistsError:
            continue
        except OSError:
            if aside.exists():
                continue
            os.replace(path, aside)
            return aside
        os.unlink(path)
        return aside
    raise TrackerWriteError(path, "cannot be set aside: too many damaged copies")


def atomic_write(
    path: Path,
    data: bytes | Iterable[bytes],
    durable: bool = True,
    before_replace: Callable[[str], None] | None = None,
) -> None:
    """Replace ``path`` with ``data`` (bytes, or their parts in order: a large file need
    not be whole in memory) atomically, keeping the file's mode.

    ``durable`` also flushes the data to disk before the replace (and the folder after):
    the tracker needs that. Evidence that any run can write again does not: readers still
    see the old file or the new one, never a part, and no run waits for the disk.
    ``before_replace`` is given the SHA-256 of the data once it is written, before the
    file is replaced (the run journal records it there); when it raises, nothing is
    replaced.
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    hasher = None
    if before_replace is not None:
        hasher = hashlib.sha256()
        data = _hashed(data, hasher)
    temp = _write_temp(path, data, durable, lambda fd: os.fchmod(fd, mode))
    try:
        if before_replace is not None and hasher is not None:
            before_replace(hasher.hexdigest())
        os.replace(temp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            raise TrackerWriteError(path, f"cannot be written: {_problem(error)}") from None
        raise
    if durable:
        _fsync_folder(path.parent)


def _hashed(data: bytes | Iterable[bytes], hasher: Any) -> bytes | Iterator[bytes]:
    """``data`` as it is written, fed to ``hasher`` on the way."""
    if isinstance(data, bytes):
        hasher.update(data)
        return data

    def parts() -> Iterator[bytes]:
        for part in data:
            hasher.update(part)
            yield part

    return parts()


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
