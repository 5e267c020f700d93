"""Ticks change exactly one byte; tick then untick restores the file byte for byte."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import TRACKERS
from pytest_tasktracker import (
    Change,
    ConcurrentEditError,
    SubTaskReferenceError,
    TrackerWriteError,
    apply_changes,
    load,
    parse,
    set_status,
)


def differing_bytes(a: bytes, b: bytes) -> int:
    assert len(a) == len(b)
    return sum(1 for x, y in zip(a, b, strict=True) if x != y)


def round_trip_every_open_subtask(path: Path) -> int:
    original = path.read_bytes()
    checked = 0
    for subtask in load(path).subtasks:
        if subtask.state != "open":
            continue
        apply_changes(path, [Change(subtask.id, True, subtask.text)])
        ticked = path.read_bytes()
        assert differing_bytes(original, ticked) == 1, subtask.id
        apply_changes(path, [Change(subtask.id, False, subtask.text)])
        assert path.read_bytes() == original, subtask.id
        checked += 1
    return checked


@pytest.mark.parametrize("source", TRACKERS, ids=lambda p: p.name[:40])
def test_every_open_corpus_sub_task_ticks_one_byte_and_unticks_back(
    source: Path, tmp_path: Path
) -> None:
    path = tmp_path / "TASK_TRACKER.md"
    path.write_bytes(source.read_bytes())
    total_open = sum(1 for s in load(path).subtasks if s.state == "open")
    assert round_trip_every_open_subtask(path) == total_open


VARIANTS = {
    "crlf": b"### Step 1: A\r\n- [ ] one\r\n- [x] two\r\n",
    "cr": b"### Step 1: A\r- [ ] one\r- [x] two\r",
    "bom": b"\xef\xbb\xbf- [ ] one\n- [ ] two\n",
    "tabs": b"- [ ] one\n\t- [ ] two\t \n\t\t* [ ] three",
    "no-final-newline": b"- [ ] one\n- [ ] two",
    "trailing-blanks": b"- [ ] one   \n\n\n- [ ] two \t\n\n",
    "block-quotes": b"> - [ ] one\n> > + [ ] two\n",
    "odd-marks": b"- [-] doing\n- [~] later\n- [ ]* optional\n- [] empty\n- [ ] open\n",
    "unicode": "- [ ] caf\u00e9 \u2014 \U0001f3af\n- [ ] \u65e5\u672c\n".encode(),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_odd_files_round_trip_byte_for_byte(name: str, tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_bytes(VARIANTS[name])
    assert round_trip_every_open_subtask(path) >= 1


def test_odd_marks_are_kept_until_ticked() -> None:
    text = VARIANTS["odd-marks"].decode()
    tracker = parse(text)
    doing, later, optional, empty, _ = tracker.subtasks
    assert set_status(text, doing, False) == text  # unticking what is not done: no change
    assert set_status(text, doing, True).startswith("- [x] doing\n")
    assert "- [x] later\n" in set_status(text, later, True)
    assert "- [x]* optional\n" in set_status(text, optional, True)
    assert "- [x] empty\n" in set_status(text, empty, True)


def test_a_capital_x_is_unticked_to_a_space() -> None:
    text = "- [X] done\n"
    assert set_status(text, parse(text).subtasks[0], False) == "- [ ] done\n"


def test_one_write_applies_many_changes(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [] a\n- [ ] b\n- [x] c\n")
    applied = apply_changes(
        path, [Change("tasks.1", True), Change("tasks.2", True), Change("tasks.3", True)]
    )
    assert path.read_text() == "- [x] a\n- [x] b\n- [x] c\n"
    assert [(a.subtask.id, a.changed) for a in applied] == [
        ("tasks.1", True),
        ("tasks.2", True),
        ("tasks.3", False),
    ]


def test_an_unknown_id_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    with pytest.raises(SubTaskReferenceError):
        apply_changes(path, [Change("tasks.1", True), Change("nope", True)])
    assert path.read_text() == "- [ ] a\n"


def test_a_sub_task_edited_since_it_was_read_is_not_ticked(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    seen = load(path).subtasks[0]
    path.write_text("- [ ] something else now\n")  # someone else's edit
    with pytest.raises(ConcurrentEditError, match="changed since it was read"):
        apply_changes(path, [Change(seen.id, True, seen.text)])
    assert path.read_text() == "- [ ] something else now\n"


def test_an_edit_made_by_someone_else_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n- [ ] b\n")
    seen = load(path)
    path.write_text("- [ ] a\n- [ ] b\n\nnotes added by a person\n")
    apply_changes(path, [Change(seen.subtasks[1].id, True, seen.subtasks[1].text)])
    assert path.read_text() == "- [ ] a\n- [x] b\n\nnotes added by a person\n"


def test_the_file_mode_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    path.chmod(0o640)
    apply_changes(path, [Change("tasks.1", True)])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert list(tmp_path.iterdir()) == [path]  # no temporary or lock file left behind


def test_a_read_only_tracker_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    path.chmod(0o444)
    if os.access(path, os.W_OK):
        pytest.skip("running as a user who can write read-only files (root)")
    with pytest.raises(TrackerWriteError, match="is read-only; nothing was changed"):
        apply_changes(path, [Change("tasks.1", True)])
    assert path.read_text() == "- [ ] a\n"


def test_a_read_only_tracker_is_refused_even_for_root(tmp_path: Path) -> None:
    """Its mode bits decide, not access(), which says yes to root."""
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    path.chmod(0o444)
    with pytest.raises(TrackerWriteError, match=r"t\.md: is read-only; nothing was changed$"):
        apply_changes(path, [Change("tasks.1", True)], "t.md")
    assert path.read_text() == "- [ ] a\n"


def test_a_tracker_that_access_refuses_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    monkeypatch.setattr(os, "access", lambda *_args, **_kw: False)
    with pytest.raises(TrackerWriteError, match=r"t\.md: is read-only; nothing was changed$"):
        apply_changes(path, [Change("tasks.1", True)], "t.md")
    assert path.read_text() == "- [ ] a\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_a_tracker_of_another_user_stays_theirs(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    os.chown(path, 4321, 4321)
    path.chmod(0o600)
    apply_changes(path, [Change("tasks.1", True)])
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (4321, 4321, 0o600)
    assert path.read_text() == "- [x] a\n"


def test_extended_attributes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    try:
        os.setxattr(path, "user.origin", b"agent")
    except (OSError, AttributeError):
        pytest.skip("this filesystem has no user extended attributes")
    apply_changes(path, [Change("tasks.1", True)])
    assert os.getxattr(path, "user.origin") == b"agent"


def test_a_hard_linked_tracker_is_ticked_for_every_link(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n- [ ] b\n")
    other = tmp_path / "linked.md"
    os.link(path, other)
    apply_changes(path, [Change("tasks.2", True)])
    assert other.read_text() == "- [ ] a\n- [x] b\n"
    assert path.stat().st_ino == other.stat().st_ino


def test_an_edit_that_changes_the_length_of_a_hard_linked_tracker_replaces_it(
    tmp_path: Path,
) -> None:
    """An empty ``[]`` gains a byte: the file is replaced, and the link keeps the old text
    (docs/limits.md says so)."""
    path = tmp_path / "t.md"
    path.write_text("- [] a\n")
    other = tmp_path / "linked.md"
    os.link(path, other)
    apply_changes(path, [Change("tasks.1", True)])
    assert path.read_text() == "- [x] a\n"
    assert other.read_text() == "- [] a\n"


def test_only_our_own_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")
    ours = tmp_path / ".t.md.abcd1234.tmp"
    ours.write_text("left by a killed writer")
    theirs = [tmp_path / ".t.md.swp", tmp_path / ".other.md.abcd1234.tmp", tmp_path / "t.md.tmp"]
    for file in theirs:
        file.write_text("not ours")
    apply_changes(path, [Change("tasks.1", True)])
    assert not ours.exists()
    assert all(file.exists() for file in theirs)


def test_a_symlinked_tracker_is_edited_through_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("- [ ] a\n")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    apply_changes(link, [Change("tasks.1", True)])
    assert link.is_symlink()
    assert target.read_text() == "- [x] a\n"


def test_a_full_disk_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n")

    def full(_fd: int, _data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(TrackerWriteError, match=r"t\.md: cannot be written: the disk is full$"):
        apply_changes(path, [Change("tasks.1", True)], "t.md")
    monkeypatch.undo()
    assert path.read_text() == "- [ ] a\n"
    assert list(tmp_path.iterdir()) == [path]


def test_a_box_already_as_asked_is_reported_unchanged_and_not_written(tmp_path: Path) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [x] a\n")
    before = path.stat().st_mtime_ns
    (applied,) = apply_changes(path, [Change("tasks.1", True)])
    assert (applied.subtask.id, applied.done, applied.changed) == ("tasks.1", True, False)
    assert path.stat().st_mtime_ns == before


def test_a_parse_the_caller_holds_is_used_only_while_the_file_still_has_its_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.md"
    path.write_text("- [ ] a\n- [ ] b\n")
    stale = load(path)
    path.write_text("Notes added since.\n\n- [ ] a\n- [ ] b\n")
    apply_changes(path, [Change("tasks.2", True)], known=stale)
    assert path.read_text() == "Notes added since.\n\n- [ ] a\n- [x] b\n"


def test_a_sub_task_that_does_not_point_at_its_box_is_refused() -> None:
    tracker = parse("- [ ] a\n")
    for moved in ("- ( ) a\n", "- [ ) a\n", "- ( ] a\n"):
        with pytest.raises(ValueError, match="does not point at its checkbox"):
            set_status(moved, tracker.subtasks[0], True)
