"""The run journal (rules/journal.py): what the tool wrote, chained line to line, and the
trust a judge gives an evidence file from it."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_tasktracker.paths import relative
from pytest_tasktracker.rules import journal
from pytest_tasktracker.rules.journal import FILE, NO_JOURNAL, RecordedBlocker, append, read

A, B, C = "a" * 64, "b" * 64, "c" * 64
BLOCKER = journal.blocker_record("missing-plugin", "option -n needs pytest-xdist", ["2.1"])


def write(state: Path, *files: dict[str, str | None], **more: Any) -> None:
    for changed in files:
        assert append(state, by="run", tracker="../T.md", files=changed, **more) is None


def test_no_journal_trusts_nothing_and_says_why(tmp_path: Path) -> None:
    assert read(tmp_path) == NO_JOURNAL
    assert read(tmp_path).untrusted("results.json", A) == (
        "results.json was recorded before runs were journaled (no journal.jsonl)"
    )
    assert read(tmp_path).untrusted("results.json", None) is None  # no file, nothing to trust


def test_a_file_is_trusted_at_its_last_digest_and_the_one_before(tmp_path: Path) -> None:
    write(tmp_path, {"results.json": A}, {"checks.json": C}, {"results.json": B})
    found = read(tmp_path)
    assert found.last == {"results.json": B, "checks.json": C}
    assert found.before == {"results.json": A, "checks.json": C}
    assert found.untrusted("results.json", B) is None
    assert found.untrusted("results.json", A) is None  # a writer killed before its replace
    assert found.untrusted("results.json", C) == "results.json was not written by a recorded run"
    assert found.untrusted("checks.json", C) is None
    assert (found.lines, found.tracker) == (3, "../T.md")


def test_each_line_names_the_one_before_it(tmp_path: Path) -> None:
    write(tmp_path, {"results.json": A}, {"results.json": B})
    first, second = (tmp_path / FILE).read_bytes().splitlines(keepends=True)
    assert json.loads(first)["prev"] == "0" * 64
    assert json.loads(second)["prev"] == journal.sha256(first)
    assert list(json.loads(second))[:2] == ["prev", "schema"]


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda lines: [lines[0].replace(b'"by": "run"', b'"by": "you"'), lines[1]], "line 2"),
        (lambda lines: [lines[1]], None),  # the first line is gone: the chain starts later
        (lambda lines: [lines[0], b"garbage\n"], "line 2 (it is not a journal line)"),
        (lambda lines: [lines[0], lines[0]], "line 2 (it does not follow the line before it)"),
    ],
    ids=["an-edited-line", "the-first-line-removed", "garbage", "a-line-repeated"],
)
def test_a_damaged_journal_trusts_nothing(
    tmp_path: Path, damage: Callable[[list[bytes]], list[bytes]], problem: str | None
) -> None:
    write(tmp_path, {"results.json": A}, {"results.json": B})
    path = tmp_path / FILE
    path.write_bytes(b"".join(damage(path.read_bytes().splitlines(keepends=True))))
    found = read(tmp_path)
    if problem is None:  # a journal may start with any line (it is rotated so)
        assert found.problem is None
        return
    assert found.problem is not None
    assert problem in found.problem
    assert found.untrusted("results.json", B) == found.problem
    assert found.blockers == {}


def test_a_journal_read_again_hashes_only_its_new_lines_and_still_sees_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run reads its journal three times, and a mature one holds 1,000 lines: the
    lines this process verified are compared, not hashed again; any change to them
    makes the journal read afresh, and every new line is checked."""
    lines: list[dict[str, str | None]] = [{"results.json": digest} for digest in (A, B, C, A, B)]
    write(tmp_path, *lines)
    hashed: list[bytes] = []
    real = journal.sha256

    def counted(data: bytes) -> str:
        hashed.append(data)
        return real(data)

    monkeypatch.setattr(journal, "sha256", counted)
    read(tmp_path)
    hashed.clear()
    assert read(tmp_path).lines == 5
    assert len(hashed) == 1  # the last line's digest, for the next line's prev
    write(tmp_path, {"results.json": C})
    hashed.clear()
    assert read(tmp_path).last == {"results.json": C}
    assert len(hashed) == 2  # the new line's link to the fifth, and its own digest

    path = tmp_path / FILE
    sound = path.read_bytes()
    written = sound.splitlines(keepends=True)
    edited = written[2].replace(b'"by": "run"', b'"by": "you"')  # the same length
    path.write_bytes(b"".join([*written[:2], edited, *written[3:]]))
    damaged = f"{relative(path)} is damaged at line 4 (it does not follow the line before it)"
    assert read(tmp_path).problem == damaged
    path.write_bytes(sound)
    assert read(tmp_path).problem is None
    path.write_bytes(sound + written[2])  # a line appended by hand
    assert read(tmp_path).problem == damaged.replace("line 4", "line 7")


def test_a_line_without_its_end_is_an_append_that_did_not_finish(tmp_path: Path) -> None:
    write(tmp_path, {"results.json": A})
    path = tmp_path / FILE
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"prev": "half a li')
    assert read(tmp_path).untrusted("results.json", A) is None
    write(tmp_path, {"results.json": B})  # the next append cuts the half line away first
    lines = path.read_bytes().splitlines(keepends=True)
    assert lines[0] == whole
    assert json.loads(lines[1])["prev"] == journal.sha256(whole)
    assert read(tmp_path).problem is None


def test_appending_to_a_damaged_journal_sets_it_aside_and_starts_again(tmp_path: Path) -> None:
    write(tmp_path, {"results.json": A})
    (tmp_path / FILE).write_bytes(b"not a journal\n")
    warning = append(tmp_path, by="run", tracker="../T.md", files={"results.json": B})
    assert warning is not None
    assert warning.startswith(f"{os.path.relpath(tmp_path / FILE)} is damaged at line 1")
    (aside,) = tmp_path.glob("journal.jsonl.corrupt-*")
    assert aside.read_bytes() == b"not a journal\n"
    assert read(tmp_path).last == {"results.json": B}


def test_open_blockers_stay_until_a_run_resolves_them(tmp_path: Path) -> None:
    write(tmp_path, {}, opened={"missing-plugin-n.md": BLOCKER})
    write(tmp_path, {"results.json": A})
    assert read(tmp_path).blockers == {
        "missing-plugin-n.md": RecordedBlocker(
            "missing-plugin-n.md", "missing-plugin", "option -n needs pytest-xdist", ("2.1",)
        )
    }
    write(tmp_path, {"results.json": B}, resolved=["missing-plugin-n.md"])
    assert read(tmp_path).blockers == {}


def test_a_long_journal_is_rotated_and_stays_sound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal, "ROTATE_AT", 3)
    files: list[dict[str, str | None]] = [{"results.json": digest} for digest in (A, B, C, A)]
    write(tmp_path, *files)
    assert (tmp_path / (FILE + ".1")).read_bytes().count(b"\n") == 3
    found = read(tmp_path)
    assert (found.lines, found.problem, found.last) == (1, None, {"results.json": A})


def test_a_short_write_is_undone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"results.json": A})
    before = (tmp_path / FILE).read_bytes()
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, data[:10]))
    with pytest.raises(OSError, match="could not be written whole"):
        append(tmp_path, by="run", tracker="../T.md", files={"results.json": B})
    monkeypatch.setattr(os, "write", real_write)
    assert (tmp_path / FILE).read_bytes() == before


def test_the_file_digest_is_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    assert journal.file_digest(path) is None
    path.write_bytes(b"x" * (3 << 20))
    assert journal.file_digest(path) == journal.sha256(b"x" * (3 << 20))


def test_a_state_file_is_read_once_and_only_when_it_is_a_regular_file(tmp_path: Path) -> None:
    """Its digest and its contents come from one read: a FIFO could serve the journaled
    bytes to one read and a forgery to the next (and would block a reader); a link is
    not the tool's file."""
    path = tmp_path / "results.json"
    assert journal.read_once(path) is None
    path.write_bytes(b"{}\n")
    assert journal.read_once(path) == b"{}\n"
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # no writer: opening it to read would block
    with pytest.raises(OSError, match="is not a regular file"):
        journal.read_once(fifo)
    link = tmp_path / "link.json"
    link.symlink_to(path)
    with pytest.raises(OSError, match="symbolic link"):  # ELOOP: O_NOFOLLOW
        journal.read_once(link)
