"""Facts about a run, for the evidence: time, argv, git HEAD, versions."""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_tasktracker.redact import redact_argv
from pytest_tasktracker.slotted import Slotted


class RunInfo(Slotted):
    __slots__ = (
        "time",
        "argv",
        "git_head",
        "pytest",
        "python",
        "workers",
        "code",
        "collection",
        "id",
    )

    def __init__(
        self,
        time: str,
        argv: list[str],
        git_head: str | None,
        pytest: str,
        python: str,
        workers: int,
        code: str | None = None,
        collection: str | None = None,
        id: str = "",
    ) -> None:
        self.time = time
        self.argv = argv
        self.git_head = git_head
        self.pytest = pytest
        self.python = python
        self.workers = workers  # xdist workers, 0 for a serial run
        self.code = code  # the digest of the code state the run ran on (codestate.py)
        # the digest of the collected node ids: shards of one run collect the same; written
        # once, in last_run (not in every entry)
        self.collection = collection
        self.id = id  # the run's own id: the run journal (journal.jsonl) records it

    def to_json(self) -> dict[str, Any]:
        return {**self._asdict(), "argv": list(self.argv)}


def collection_digest(nodeids: Iterable[str]) -> str:
    """The same for two runs that collected the same tests, in any order."""
    return hashlib.sha256("\n".join(sorted(nodeids)).encode("utf-8", "replace")).hexdigest()[:16]


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def git_head(start: Path) -> str | None:
    """The commit checked out in the repository around ``start``, read without git."""
    for folder in (start, *start.parents):
        dot_git = folder / ".git"
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(errors="replace").strip()
            if not text.startswith("gitdir:"):
                return None
            dot_git = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if not dot_git.is_dir():
            continue
        try:
            head = (dot_git / "HEAD").read_text().strip()
        except OSError:
            return None
        if not head.startswith("ref:"):
            return head or None
        ref = head.removeprefix("ref:").strip()
        common = dot_git
        common_file = dot_git / "commondir"
        if common_file.is_file():
            common = (dot_git / common_file.read_text().strip()).resolve()
        for base in (dot_git, common):
            ref_file = base / ref
            if ref_file.is_file():
                return ref_file.read_text().strip() or None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(errors="replace").splitlines():
                sha, _, name = line.partition(" ")
                if name == ref:
                    return sha
        return None  # a branch with no commit yet
    return None


def collect(
    argv: list[str], rootdir: Path, pytest_version: str, workers: int, code: str | None = None
) -> RunInfo:
    return RunInfo(
        time=now(),
        argv=redact_argv(argv),
        git_head=git_head(rootdir),
        pytest=pytest_version,
        python=f"{platform.python_implementation()} {sys.version.split()[0]}",
        workers=workers,
        code=code,
        id=new_id(),
    )


def new_id() -> str:
    """A run's id: random, so no two runs share one."""
    return os.urandom(8).hex()
