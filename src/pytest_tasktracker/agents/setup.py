"""``tasktracker init [--agent NAME ...]``: set a project up for coding agents.

Writes, each only when missing and never clobbering what is there:
- the ini ``tracker`` key, in the file pytest reads its configuration from (a
  ``[tool.pytest]`` table of pytest 9, ``[tool.pytest.ini_options]``, ``pytest.ini``,
  ``tox.ini``'s ``[pytest]``, ``setup.cfg``), with that file's line endings; a new
  ``pytest.ini`` only where the project has no pytest configuration;
- each host's hooks and MCP server (``agents.hostconfig``), for the hosts named, or else
  those the project shows signs of (Claude Code when none);
- the agent guide as a marked block in the instructions file each host reads
  (``CLAUDE.md``, ``AGENTS.md``, ``GEMINI.md``).

Run from anywhere in the project: its root is where pytest's configuration is (or the
repository's top). Every file is read and checked before any is written: a file that
cannot be read as what it should be stops the command with one line naming it.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_tasktracker.agents.hostconfig import (
    NOTES,
    PLANNERS,
    InitError,
    Launch,
    Planned,
    present,
    read_text,
)
from pytest_tasktracker.inifile import find_inifile
from pytest_tasktracker.tracker.fileio import atomic_write

__all__ = ["InitError", "Planned", "apply", "plan", "project_root"]

BEGIN = "<!-- tasktracker:begin -->"
END = "<!-- tasktracker:end -->"
GUIDE = f"""{BEGIN}
## Task tracker

This project's task tracker is `{{tracker}}`. A box is ticked only by a test run that
proved it:

- Pick work with `tasktracker next` (or the MCP tool `next_step`).
- Run the tests with `tasktracker run -- --tracker-update` (or `run_tests`): it ticks what
  passed and unticks what failed.
- If the run is BLOCKED, read the blocker file it names and apply its remedy, or hand it
  to a person. Never tick a box by hand to get past it; hooks untick such ticks.
- `tasktracker --agent-help` has the whole guide.
{END}
"""
# Where each kind of pytest configuration file keeps its keys.
SECTIONS = {
    "pytest.ini": "[pytest]",
    ".pytest.ini": "[pytest]",
    "tox.ini": "[pytest]",
    "setup.cfg": "[tool:pytest]",
}


def project_root(start: Path) -> Path:
    """The project's root seen from ``start``: the folder of the configuration pytest
    would read, else the repository's top, else ``start``."""
    ini = find_inifile(start)
    if ini.path is not None:
        return ini.path.parent
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _ini_change(root: Path, tracker: str) -> Planned | None:
    """The ``tracker`` key where pytest reads its configuration."""
    ini = find_inifile(root)
    if ini.path is not None and ini.path.parent == root:
        if "tracker" in ini.values:
            return None
        text = read_text(ini.path) or ""
        if ini.path.name == "pyproject.toml":
            header = re.search(r"^\[tool\.pytest\.ini_options\][ \t]*\r?$", text, re.M)
            header = header or re.search(r"^\[tool\.pytest\][ \t]*\r?$", text, re.M)
            line = f"tracker = {json.dumps(tracker)}"
        else:
            section = re.escape(SECTIONS[ini.path.name])
            header = re.search(rf"^{section}[ \t]*\r?$", text, re.M)
            line = f"tracker = {tracker}"
        if header is None:
            raise InitError(ini.path, "its pytest section cannot be found; nothing was changed")
        at = header.end() + (1 if text[header.end() : header.end() + 1] == "\n" else 0)
        newline = _newline(text)
        new = text[:at] + line + newline + text[at:]
        name = header.group(0).strip()
        return Planned(ini.path, new, f"{line} in {name}")
    pyproject = root / "pyproject.toml"
    found = read_text(pyproject)
    if found is not None:
        newline = _newline(found)
        sep = "" if not found else newline * (1 if found.endswith(newline) else 2)
        table = f"[tool.pytest.ini_options]{newline}tracker = {json.dumps(tracker)}{newline}"
        return Planned(pyproject, found + sep + table, "a [tool.pytest.ini_options] with tracker")
    ini_path = root / "pytest.ini"
    return Planned(ini_path, f"[pytest]\ntracker = {tracker}\n", "a new pytest.ini with tracker")


# The instructions file each host reads (Cursor and Copilot's agent read AGENTS.md).
GUIDES = {
    "claude": "CLAUDE.md",
    "codex": "AGENTS.md",
    "gemini": "GEMINI.md",
    "cursor": "AGENTS.md",
    "copilot": "AGENTS.md",
}


def guide_files(root: Path, agents: Sequence[str]) -> list[Path]:
    """Where the guide goes for these hosts, each file once: Claude Code's is
    ``CLAUDE.md``, or an existing ``AGENTS.md`` when there is no ``CLAUDE.md``."""
    found: list[Path] = []
    for agent in agents:
        path = root / GUIDES[agent]
        if agent == "claude" and not path.exists() and (root / "AGENTS.md").exists():
            path = root / "AGENTS.md"
        if path not in found:
            found.append(path)
    return found


def _guide_change(path: Path, tracker: str) -> Planned | None:
    text = read_text(path) or ""
    newline = _newline(text)
    block = GUIDE.format(tracker=tracker).replace("\n", newline)
    if BEGIN in text and END in text:
        start, end = text.index(BEGIN), text.index(END) + len(END) + len(newline)
        new = text[:start] + block + text[end:]
        return None if new == text else Planned(path, new, "the agent guide block, updated")
    sep = (
        ""
        if not text or text.endswith(newline * 2)
        else newline
        if text.endswith(newline)
        else newline * 2
    )
    return Planned(path, text + sep + block, "the agent guide block")


def python_for(root: Path, agent: str, executable: str | None = None) -> str:
    """The interpreter a host's config names: this one, from the project's root when it
    lives there (``.venv/bin/python``, under the host's project variable where it has
    one), else by its absolute path."""
    found = Path(executable or sys.executable)
    try:
        inside = Path(os.path.relpath(found, root))
    except ValueError:
        inside = found
    if inside.is_absolute() or inside.parts[:1] == ("..",):
        return json.dumps(str(found)) if " " in str(found) else str(found)
    variable = {"claude": "CLAUDE_PROJECT_DIR", "gemini": "GEMINI_PROJECT_DIR"}.get(agent)
    where = inside.as_posix()
    return f'"${variable}"/{where}' if variable else where


def plan(
    root: Path,
    tracker: str,
    state: str | None = None,
    agents: Sequence[str] = (),
    executable: str | None = None,
    mcp_python: str | None = None,
) -> tuple[list[Planned], list[str]]:
    """Every change init would make, checked (raises InitError before anything is
    written), and the notes to print for the hosts set up."""
    chosen = list(agents) or present(root) or ["claude"]
    changes: list[Planned | None] = [_ini_change(root, tracker)]
    for agent in chosen:
        server = None if mcp_python is None else os.path.abspath(os.path.expanduser(mcp_python))
        launch = Launch(python_for(root, agent, executable), tracker, state, server)
        changes.extend(PLANNERS[agent](root, launch))
    changes.extend(_guide_change(path, tracker) for path in guide_files(root, chosen))
    notes = [NOTES[agent] for agent in chosen if agent in NOTES]
    return [change for change in changes if change is not None], notes


def apply(changes: list[Planned]) -> None:
    for change in changes:
        change.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(change.path, change.text.encode("utf-8"))
