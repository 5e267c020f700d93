"""The code's fingerprint (``rules.codeprint``): it changes with whatever changes the code
state's digest, and not with what the digest leaves out (the tracker, the state folder,
ignored and non-code folders)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import commit_all, git
from pytest_tasktracker.rules import codeprint
from pytest_tasktracker.rules.codestate import code_state

pytestmark = pytest.mark.e2e  # git runs in most of them


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codeprint, "SETTLED_NS", 0)


def project(root: Path, with_git: bool) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("VALUE = 1\n")
    (root / "data.txt").write_text("data\n")
    (root / "TASKS.md").write_text("- [ ] a\n")
    (root / ".tasktracker").mkdir()
    (root / ".gitignore").write_text("ignored/\n")
    if with_git:
        commit_all(root)
    return root


def fingerprint(root: Path, where: Any = None) -> list[Any] | None:
    records = str(root / ".tasktracker" / "code")
    return codeprint.fingerprint(str(root), ["TASKS.md", ".tasktracker"], [], where, records)


CHANGES: dict[str, tuple[Callable[[Path], object], bool]] = {
    "a source file's text": (lambda r: (r / "src" / "app.py").write_text("VALUE = 2\n"), True),
    "a data file's text": (lambda r: (r / "data.txt").write_text("other\n"), True),
    "a new source file": (lambda r: (r / "src" / "more.py").write_text("X = 1\n"), True),
    "a file removed": (lambda r: (r / "data.txt").unlink(), True),
    "the tracker": (lambda r: (r / "TASKS.md").write_text("- [x] a\n"), False),
    "the state folder": (lambda r: (r / ".tasktracker" / "ticks.json").write_text("{}"), False),
    "a cache folder": (lambda r: write(r / "src" / "__pycache__" / "app.pyc", "x"), False),
    "a file in a virtualenv": (lambda r: make_virtualenv(r / "env"), False),
}


def make_virtualenv(folder: Path) -> None:
    write(folder / "bin" / "python", "#!")
    write(folder / "pyvenv.cfg", "home = /usr/bin\n")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize("with_git", [False, True], ids=["files", "git"])
@pytest.mark.parametrize("change", CHANGES)
def test_the_fingerprint_changes_with_the_code_and_only_with_it(
    tmp_path: Path, settled: None, with_git: bool, change: str
) -> None:
    root = project(tmp_path / "p", with_git)
    before = fingerprint(root)
    assert before is not None
    assert fingerprint(root) == before  # taken again: the same
    digest = digest_of(root)
    make, changes = CHANGES[change]
    make(root)
    assert (fingerprint(root) != before) is changes
    # the oracle: whatever changes the code state's digest changes the fingerprint
    assert (digest_of(root) != digest) is changes


def digest_of(root: Path) -> str:
    excluded = [root / "TASKS.md", root / ".tasktracker"]
    return code_state(root, excluded, records=root / ".tasktracker" / "code").digest


def test_an_ignored_folder_is_not_the_code(tmp_path: Path, settled: None) -> None:
    root = project(tmp_path / "p", with_git=True)
    before = fingerprint(root)
    (root / "ignored").mkdir()
    (root / "ignored" / "big.bin").write_text("x")
    assert fingerprint(root) == before


def test_the_environment_is_the_run_s_interpreter_and_site_folders(
    tmp_path: Path, settled: None
) -> None:
    root = project(tmp_path / "p", with_git=False)
    site = tmp_path / "site-packages"
    site.mkdir()
    where = {"executable": os.path.realpath(sys.executable), "sites": [str(site)]}
    before = fingerprint(root, where)
    assert before is not None
    (site / "cachetools-5.5.2.dist-info").mkdir()  # a distribution replaced
    assert fingerprint(root, where) != before


def test_nothing_changed_in_the_last_two_seconds_or_no_fingerprint(tmp_path: Path) -> None:
    """A file changed twice within the clock's step can keep its times: a fingerprint
    taken then could miss the second change."""
    root = project(tmp_path / "p", with_git=False)
    assert fingerprint(root) is None
    old = codeprint.SETTLED_NS
    try:
        codeprint.SETTLED_NS = 0
        assert fingerprint(root) is not None
    finally:
        codeprint.SETTLED_NS = old


def test_git_that_fails_gives_no_fingerprint(tmp_path: Path, settled: None) -> None:
    root = project(tmp_path / "p", with_git=True)
    (root / ".git" / "HEAD").write_text("garbage\n")
    assert codeprint.git(str(root), "ls-files") is None
    assert fingerprint(root) is None


def test_a_git_that_hangs_is_stopped_and_says_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'pid'}\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setattr(codeprint, "GIT_TIMEOUT", 0.5)
    assert codeprint.git(str(tmp_path), "status") is None
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped, not left behind


def test_no_git_on_the_path_says_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert codeprint.git(str(tmp_path), "status") is None


def test_git_settings_that_would_miss_a_change_are_overridden(
    tmp_path: Path, settled: None
) -> None:
    """``core.checkStat minimal`` and ``core.trustctime false``: git compares a file's
    size and modification time alone, so a change of the same size with its time set
    back hides from ``git status``; not from the code state."""
    root = project(tmp_path / "p", with_git=True)
    for setting in (["core.checkStat", "minimal"], ["core.trustctime", "false"]):
        git(root, "config", *setting)
    source = root / "src" / "app.py"
    past = source.stat().st_mtime_ns - 100 * 10**9  # older than the index: not "racy"
    os.utime(source, ns=(past, past))
    git(root, "update-index", "--refresh")
    before, digest = fingerprint(root), digest_of(root)
    time.sleep(1.1)  # git keeps change times to the second
    source.write_text("VALUE = 2\n")
    os.utime(source, ns=(past, past))
    status = ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"]
    hidden = subprocess.run(status, capture_output=True)
    assert hidden.stdout == b""  # git itself no longer sees it
    assert fingerprint(root) != before
    assert digest_of(root) != digest
