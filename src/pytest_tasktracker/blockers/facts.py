"""What a run leaves behind for the blocker diagnosis, filled in by the plugin's hooks."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

from pytest_tasktracker.paths import shown
from pytest_tasktracker.redact import redact_argv


def split_args(text: str) -> list[str]:
    """Arguments as a shell splits them; none for text a shell could not split."""
    try:
        return shlex.split(text)
    except ValueError:
        return []


def addopts_from_environment() -> list[str]:
    return split_args(os.environ.get("PYTEST_ADDOPTS", ""))


class Facts:
    """What the run left behind; filled in by the plugin's hooks as the run goes."""

    def __init__(
        self,
        argv: list[str],
        cwd: Path,
        rootdir: Path,
        inifile: Path | None,
        addopts: list[str] | None = None,
        env_addopts: list[str] | None = None,
        exception: BaseException | None = None,
        python: str = sys.executable,
    ) -> None:
        self.argv = argv
        self.cwd = cwd
        self.rootdir = rootdir
        self.inifile = inifile
        self.addopts: list[str] = [] if addopts is None else addopts
        # PYTEST_ADDOPTS, never written anywhere
        self.env_addopts = addopts_from_environment() if env_addopts is None else env_addopts
        self.unknown_flags: list[str] = []
        self.exception = exception
        self.exit_code: int | None = None
        self.collect_errors: dict[str, str] = {}
        self.internal_error: str | None = None
        self.interrupted: str | None = None
        self.crashes: list[tuple[str, str]] = []  # (node id, worker error)
        self.worker_errors: list[str] = []  # usage errors xdist workers hit
        self.missing_paths: list[str] = []
        self.narrowing: list[str] = []  # -k/-m expressions given
        self.python = python

    def troubled(self) -> bool:
        """Whether anything at all went wrong; a clean run skips the diagnosis."""
        return bool(
            self.exception
            or self.collect_errors
            or self.internal_error
            or self.interrupted
            or self.crashes
            or self.missing_paths
            or self.worker_errors
            or self.exit_code not in (0, 1)
        )

    def code(self, default: int) -> int:
        """pytest's exit code for the blocker, or the code pytest uses for its kind."""
        return self.exit_code if self.exit_code is not None else default

    def pytest_command(self, args: list[str] | None = None) -> str:
        argv = redact_argv(self.argv if args is None else args)
        return shlex.join([self.python, "-m", "pytest", *argv])

    def rel(self, path: str | Path) -> str:
        """``path`` as a report shows it: relative to the folder pytest ran in."""
        given = Path(path)
        try:
            found = shown((self.cwd / given).resolve(), self.cwd.resolve())
        except OSError:
            return str(path)
        return str(path) if Path(found).is_absolute() else found


def command_info(facts: Facts, pytest_version: str, plugins: dict[str, str]) -> dict[str, Any]:
    """How the run was started, as its records keep it (the arguments redacted)."""
    return {
        "argv": redact_argv(facts.argv),
        "cwd": str(facts.cwd),
        "rootdir": str(facts.rootdir),
        "inifile": str(facts.inifile) if facts.inifile else None,
        "python": facts.python,
        "python_version": sys.version.split()[0],
        "pytest": pytest_version,
        "plugins": plugins,
    }
