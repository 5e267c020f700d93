"""Bad input gives one line naming the file and the problem, and the file stays as it was."""

from __future__ import annotations

import ctypes
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_tasktracker import TrackerReadError, load
from pytest_tasktracker.errors import TrackerWriteError
from pytest_tasktracker.tracker import fileio
from pytest_tasktracker.tracker.editing import Change, apply_changes


def error_for(path: Path) -> str:
    with pytest.raises(TrackerReadError) as info:
        load(path, "t.md")
    return str(info.value)


def test_a_missing_file(tmp_path: Path) -> None:
    assert error_for(tmp_path / "t.md") == "t.md: no such file"


def test_a_folder(tmp_path: Path) -> None:
    assert error_for(tmp_path) == "t.md: is a folder, not a tracker file"


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert error_for(fifo) == "t.md: is not a regular file (a FIFO, socket or device)"


def test_binary_content(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_bytes(b"- [ ] a\n\x00\x01\x02")
    assert error_for(path) == "t.md: is binary, not markdown (a NUL byte at offset 8)"


def test_content_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_bytes("- [ ] a\n- [ ] caf\u00e9\n".encode("latin-1"))
    assert error_for(path) == "t.md: is not UTF-8 (byte 0xe9 on line 2, offset 17)"


def test_an_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    real_open = os.open

    def denied(target: object, *args: int) -> int:
        if Path(str(target)) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(target, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", denied)
    assert error_for(path) == "t.md: permission denied (the file is not readable)"


def test_a_file_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_tasktracker.tracker import fileio

    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n" * 10)
    with pytest.raises(TrackerReadError, match="is 80 bytes, more than the 79 a tracker may have"):
        fileio.read_bytes(path, limit=79)


def test_a_file_written_in_parts_holds_them_all_in_few_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """results.json is written a line at a time: 100,000 lines must not be 100,000
    system calls, and a short write (a full pipe, a signal) must lose nothing."""
    from pytest_tasktracker.tracker import fileio

    writes: list[int] = []
    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:  # at most 5,000 bytes a call
        writes.append(len(data))
        return real_write(fd, bytes(data[:5000]))

    monkeypatch.setattr(os, "write", short_write)
    lines = [f"    line {n} of the file\n".encode() for n in range(20_000)]
    path = tmp_path / "results.json"
    fileio.atomic_write(path, iter(lines), durable=False)
    assert path.read_bytes() == b"".join(lines)
    assert len(writes) < 200  # 540,000 bytes: about nine pieces, each in short writes
    assert not [p for p in tmp_path.iterdir() if p.name != "results.json"]


def test_a_key_is_made_once_private_to_its_owner_and_kept(tmp_path: Path) -> None:
    from pytest_tasktracker.tracker.fileio import private_bytes

    path = tmp_path / "nodeid.key"
    key = private_bytes(path)
    assert len(key) == 32
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert private_bytes(path) == key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nodeid.key"]  # no temporary left


def failing(error: int) -> Callable[..., Any]:
    def fail(*_: object, **__: object) -> Any:
        raise OSError(error, os.strerror(error))

    return fail


def renameat2_failing(error: int) -> Callable[[], Callable[..., int]]:
    """A stand-in for ``fileio._renameat2`` whose call fails with ``error``, as libc's."""

    def call(*_: object) -> int:
        ctypes.set_errno(error)
        return -1

    return lambda: call


def one_box(tmp_path: Path) -> Path:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    return path


@pytest.mark.parametrize(
    ("target", "error", "problem"),
    [
        ((tempfile, "mkstemp"), errno.ENOSPC, "the disk is full"),
        ((os, "fsync"), errno.EDQUOT, "the disk is full"),
        ((os, "fchmod"), errno.EPERM, "Operation not permitted"),
        ((os, "replace"), errno.EIO, "Input/output error"),
    ],
)
def test_every_step_of_an_atomic_write_that_fails_leaves_the_file_and_no_temporary(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: tuple[object, str],
    error: int,
    problem: str,
) -> None:
    path = tmp_path / "results.json"
    path.write_text("before\n")
    monkeypatch.setattr(*target, failing(error))
    with pytest.raises(TrackerWriteError) as info:
        fileio.atomic_write(path, b"after\n")
    monkeypatch.undo()
    assert str(info.value) == f"{path}: cannot be written: {problem}"
    assert path.read_text() == "before\n"
    assert list(tmp_path.iterdir()) == [path]


def test_where_files_cannot_be_swapped_an_edit_is_a_checked_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = one_box(tmp_path)
    monkeypatch.setattr(fileio, "_renameat2", lambda: None)  # not Linux, or an old libc
    apply_changes(path, [Change("tasks.1", True)])
    assert path.read_text() == "- [x] a\n"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("code", [errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP])
def test_a_file_system_without_exchange_falls_back_to_replace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    path = one_box(tmp_path)
    monkeypatch.setattr(fileio, "_renameat2", renameat2_failing(code))
    apply_changes(path, [Change("tasks.1", True)])
    assert path.read_text() == "- [x] a\n"


def test_an_exchange_that_fails_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = one_box(tmp_path)
    monkeypatch.setattr(fileio, "_renameat2", renameat2_failing(errno.EIO))
    with pytest.raises(TrackerWriteError, match=r"t\.md: cannot be written: Input/output error$"):
        apply_changes(path, [Change("tasks.1", True)], "t.md")
    assert path.read_text() == "- [ ] a\n"
    assert list(tmp_path.iterdir()) == [path]


def test_a_hard_linked_tracker_that_cannot_be_written_in_place_is_left_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = one_box(tmp_path)
    os.link(path, tmp_path / "alias.md")  # edited in place, so both names see the tick
    monkeypatch.setattr(os, "pwrite", failing(errno.ENOSPC))
    with pytest.raises(TrackerWriteError, match=r"t\.md: cannot be written: the disk is full$"):
        apply_changes(path, [Change("tasks.1", True)], "t.md")
    monkeypatch.undo()
    assert path.read_text() == (tmp_path / "alias.md").read_text() == "- [ ] a\n"


def test_the_quick_path_s_writer_replaces_a_file_whole_keeping_its_mode(tmp_path: Path) -> None:
    from pytest_tasktracker.lightwrite import replace_locked

    path = tmp_path / "ticks.json"
    path.write_bytes(b"old")
    path.chmod(0o640)
    assert replace_locked(str(path), b"new" * 100_000)
    assert path.read_bytes() == b"new" * 100_000
    assert (path.stat().st_mode & 0o777, sorted(os.listdir(tmp_path))) == (0o640, ["ticks.json"])


def test_the_quick_path_s_writer_gives_up_rather_than_waits_or_makes_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_tasktracker import lightwrite

    path = tmp_path / "ticks.json"
    assert not lightwrite.replace_locked(str(path), b"new")  # only files a look wrote
    assert not path.exists()
    path.write_bytes(b"old")
    with fileio.locked(tmp_path):  # the full guard's writer holds the folder
        assert not lightwrite.replace_locked(str(path), b"new")
    assert path.read_bytes() == b"old"

    def full_disk(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    assert not lightwrite.replace_locked(str(path), b"new")
    assert (path.read_bytes(), sorted(os.listdir(tmp_path))) == (b"old", ["ticks.json"])


def test_a_killed_quick_writer_s_temporary_file_is_one_a_run_clears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_tasktracker import lightwrite
    from pytest_tasktracker.tracker.leftovers import clean_temporaries

    path = tmp_path / "ticks.json"
    path.write_bytes(b"old")
    left: list[str] = []

    def killed(source: str, _target: str) -> None:  # killed before it could replace
        left.append(os.path.basename(source))
        raise OSError(errno.EIO, "killed")

    monkeypatch.setattr(os, "replace", killed)
    monkeypatch.setattr(os, "unlink", lambda _path: None)  # nor clean up
    assert not lightwrite.replace_locked(str(path), b"new")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == sorted(["ticks.json", *left])
    assert (len(left), clean_temporaries(tmp_path)) == (1, 1)
    assert sorted(os.listdir(tmp_path)) == ["ticks.json"]
