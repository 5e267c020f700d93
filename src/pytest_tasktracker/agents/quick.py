"""The hook's quick path: a tool call that touched neither the tracker nor its state
folder is answered with a few ``stat`` calls, before anything else is imported.

Hooks run on every tool call, so the common case must cost little more than Python's
start. ``tasktracker init`` writes the hook as ``python -c '<RUN>' --agent ...``: no
``runpy`` (``-m`` costs 29 M instructions, three quarters of Python's start), and this
module imports only ``os``, the C half of ``json`` (``jsonscan``: the ``json`` package
imports ``re``, 25 M more) and ``fileid``. It answers "nothing to do" when the event is
before or after a tool that writes no file by its arguments (a shell command, a read, a
search) or that edits only files the guard does not watch (not the tracker, its state
folder, a pytest configuration file or a host's hook configuration), or a session's
start, and the tracker and every record of the state folder are as the guard's last
look saw them (the same size, times and inode). An edit of the tracker that only ticks
boxes, the end of a turn, and the event after a tool that changed only the tracker's
boxes (the look then brought up to date here) are answered from the look's verdicts
(``agents.verdicts``) when they hold. Anything else goes to the full guard
(``agents.hook``).

The tracker and state folder must be pinned in the hook's command (``--tracker``,
``--tracker-state``, as ``tasktracker init`` writes it): finding them otherwise needs the
project's configuration, which is the full guard's work.
"""

from __future__ import annotations

import os
import sys

from pytest_tasktracker.fileid import identity
from pytest_tasktracker.jsonscan import loads

TYPE_CHECKING = False  # typing's costs 40 M instructions (it imports re)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["loads", "main", "run"]

# The hook command's Python code (``python -c RUN --agent NAME ...``).
RUN = "from pytest_tasktracker.agents.quick import main; main()"
# The files whose settings decide what the guard judges, and the hosts' hook and MCP
# configurations (in the project, and the same paths in the home folder).
CONFIG_FILES = ("pyproject.toml", "pytest.ini", ".pytest.ini", "tox.ini", "setup.cfg")
HOOK_FILES = (
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".mcp.json",
    ".codex/hooks.json",
    ".codex/config.toml",
    ".gemini/settings.json",
    ".cursor/hooks.json",
    ".cursor/mcp.json",
)
HOOK_FOLDERS = (".github/hooks/",)  # every file in them

SNAPSHOT = "ticks.json"
BACKUP = ".guard"
RECORDS = ("journal.jsonl", "results.json", "checks.json")
_STOPS = {"Stop": "stop", "SubagentStop": "stop"}  # answered from the look's verdicts
_QUIET_EVENTS = {
    # host: {event name: "pre" | "post" | "session" | "stop"} for the events it may answer
    "claude": {"PreToolUse": "pre", "PostToolUse": "post", "SessionStart": "session", **_STOPS},
    "codex": {"PreToolUse": "pre", "PostToolUse": "post", "SessionStart": "session", **_STOPS},
    "gemini": {
        "BeforeTool": "pre",
        "AfterTool": "post",
        "SessionStart": "session",
        "AfterAgent": "stop",
    },
    "cursor": {
        "preToolUse": "pre",
        "beforeShellExecution": "pre",
        "postToolUse": "post",
        "afterShellExecution": "post",
        "sessionStart": "session",
        "stop": "stop",
    },
    "copilot": {
        "preToolUse": "pre",
        "postToolUse": "post",
        "sessionStart": "session",
        "agentStop": "stop",
    },
}
# Where each host says the agent's folder.
_FOLDERS = {"cursor": ("workspace_roots", "cwd")}
_PATHS = ("file_path", "path", "filePath", "target_file", "absolute_path")
_WRITES = (*_PATHS, "edits")
_PATCH = "*** Begin Patch"
_PATCH_FILES = ("*** Update File: ", "*** Add File: ", "*** Delete File: ", "*** Move to: ")


def is_our_hook(command: object) -> bool:
    """Whether a command in a host's configuration is our hook (as init writes it now,
    or as earlier versions did)."""
    return isinstance(command, str) and (
        "pytest_tasktracker.agents.quick" in command
        or "pytest_tasktracker hook" in command
        or command.startswith("tasktracker hook")
    )


def options(argv: list[str]) -> dict[str, str]:
    """``--agent``, ``--event``, ``--tracker``, ``--tracker-state`` of a hook command
    line (``--name value`` or ``--name=value``); other arguments are the full parser's."""
    found: dict[str, str] = {}
    index = 0
    while index < len(argv):
        arg = argv[index]
        name, equals, value = arg.partition("=")
        if name in ("--agent", "--event", "--tracker", "--tracker-state"):
            if not equals:
                index += 1
                value = argv[index] if index < len(argv) else ""
            found[name[2:]] = value
        index += 1
    return found


PROJECT_VARIABLES = ("CLAUDE_PROJECT_DIR", "GEMINI_PROJECT_DIR")


def _configures_hooks(folder: str) -> bool:
    return any(os.path.isfile(os.path.join(folder, name)) for name in HOOK_FILES) or any(
        os.path.isdir(os.path.join(folder, name)) for name in HOOK_FOLDERS
    )


def _project(start: str, tracker: str) -> str | None:
    """The project whose pinned (relative) tracker the hook judges: the folder the host
    names (``$CLAUDE_PROJECT_DIR``, ``$GEMINI_PROJECT_DIR``), else, from ``start`` (the
    agent's folder) up, the topmost folder that holds the tracker and a host's hook
    configuration, else the nearest that holds the tracker, not above the git repository
    ``start`` is in. A decoy tracker in a sub-folder the agent works in
    (``tests/pr_info/TASK_TRACKER.md``) is not the one the project's hooks pin, nor one
    with hooks beside it in a folder above the repository."""
    for name in PROJECT_VARIABLES:
        root = os.environ.get(name)
        if root and os.path.isfile(os.path.join(root, tracker)):
            return os.path.abspath(root)
    folder = os.path.abspath(start)
    nearest = configured = None
    while True:
        if os.path.isfile(os.path.join(folder, tracker)):
            nearest = nearest or folder
            if _configures_hooks(folder):
                configured = folder
        parent = os.path.dirname(folder)
        if parent == folder or os.path.exists(os.path.join(folder, ".git")):
            return configured or nearest  # not above the repository: not the project's
        folder = parent


def _tool_input(data: dict[str, Any]) -> Any:
    for key in ("tool_input", "toolArgs"):
        if key in data:
            value = data[key]
            if isinstance(value, str):
                try:
                    return loads(value)
                except ValueError:
                    return None
            return value
    return {key: data[key] for key in _WRITES if key in data}


def _written(tool_input: Any) -> list[str] | None:
    """The paths a tool's input writes by its arguments ([] for none: a shell command,
    a read, a search); None when it cannot tell (the full guard reads it)."""
    if not isinstance(tool_input, dict):
        return None
    found: list[str] = []
    for key in ("command", "input", "patch"):
        value = tool_input.get(key)
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and _PATCH in text:
                found += [
                    line.split(": ", 1)[1].strip()
                    for line in text.splitlines()
                    if line.startswith(_PATCH_FILES)
                ]
    for key in _PATHS:
        value = tool_input.get(key)
        if isinstance(value, str):
            found.append(value)
        elif value is not None:
            return None
    if "edits" in tool_input and not found:
        return None
    return found


def _is_tracker(full: str, tracker: str) -> bool:
    """Whether ``full`` (a real path) is the tracker: by its real path or its inode."""
    if full == os.path.realpath(tracker):
        return True
    try:
        found, watched = os.stat(full), os.stat(tracker)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (watched.st_dev, watched.st_ino)


def _guarded(full: str, project: str, state: str) -> bool:
    """Whether ``full`` (a real path) is in the state folder, a pytest configuration
    file or a host's hook configuration."""
    if os.path.basename(full) in CONFIG_FILES:
        return True
    if (full + os.sep).startswith(os.path.realpath(state) + os.sep):
        return True
    for base in (project, os.path.expanduser("~")):
        inside = os.path.relpath(full, os.path.realpath(base)).replace(os.sep, "/")
        if inside in HOOK_FILES or inside.startswith(HOOK_FOLDERS):
            return True
    return False


def _watched(path: str, cwd: str, project: str, tracker: str, state: str) -> bool:
    """Whether an edit of ``path`` is the guard's to judge: the tracker (by its real
    path or its inode), its state folder, a pytest configuration file, a hook file."""
    full = os.path.realpath(os.path.join(cwd, path))
    return _guarded(full, project, state) or _is_tracker(full, tracker)


def state_records(state: str) -> list[list[object]]:
    """Each record of the state folder (the journal, the evidence files, what the last
    run digested, the blocker reports) with its size, times and inode: a look keeps
    them in its snapshot, and anything that wrote one since makes them differ."""
    found: list[list[object]] = []
    names = [*RECORDS, "code/run.json"]
    try:  # noqa: SIM105 - contextlib is one more import on every tool call
        names += [f"blockers/{n}" for n in sorted(os.listdir(os.path.join(state, "blockers")))]
    except OSError:
        pass
    for name in names:
        seen = identity(os.path.join(state, name))
        if seen is not None:
            found.append([name, *seen])
    return found


class _Where:
    """An event the quick path may answer: its host, kind, folder, and the project's
    tracker and state folder."""

    __slots__ = ("cwd", "host", "kind", "project", "state", "tracker")

    def __init__(self, host: str, kind: str, cwd: str, project: str, tracker: str, state: str):
        self.host, self.kind, self.cwd = host, kind, cwd
        self.project, self.tracker, self.state = project, tracker, state


def _where(data: dict[str, Any], given: dict[str, str], cwd: str) -> _Where | None:
    """Where the event happens, when its kind is one the quick path may answer and the
    tracker is pinned and found; else None."""
    host = given.get("agent", "claude")
    name = str(data.get("hook_event_name") or data.get("hookEventName") or given.get("event") or "")
    kind = _QUIET_EVENTS.get(host, {}).get(name)
    tracker = given.get("tracker")
    if kind is None or not tracker:
        return None
    if host == "claude" and data.get("tool_name") == "TaskUpdate":
        return None
    if os.path.isabs(tracker):
        project = os.path.dirname(tracker)
    else:
        found = _project(cwd, tracker)
        if found is None:
            return None
        project = found
    tracker_path = os.path.join(project, tracker)
    state = given.get("tracker-state")
    state_path = (
        os.path.join(project, state)
        if state
        else os.path.join(os.path.dirname(tracker_path), ".tasktracker")
    )
    return _Where(host, kind, cwd, project, tracker_path, state_path)


def look_is_current(tracker: str, state: str) -> bool:
    """Whether the tracker and every record of the state folder are as the guard's last
    look saw them (its snapshot)."""
    try:
        with open(os.path.join(state, SNAPSHOT), encoding="utf-8") as file:
            seen = loads(file.read())
    except (OSError, ValueError):
        return False
    if not isinstance(seen, dict) or seen.get("identity") != identity(tracker):
        return False
    return bool(seen.get("records") == state_records(state))


def _no_stop_streak(state: str) -> bool:
    """Whether the guard kept the agent from stopping in no turn since the last tool
    call (a tool call the full guard lets through starts that count again)."""
    try:
        with open(os.path.join(state, BACKUP, "stops.json"), encoding="utf-8") as file:
            seen = loads(file.read())
    except OSError:
        return True
    except ValueError:
        return False
    return isinstance(seen, dict) and seen.get("count") == 0


def _tick_answer(where: _Where, tool_input: Any, written: list[str]) -> tuple[int, str] | None:
    """The full guard's answer to an edit of the tracker alone that only ticks boxes,
    from the look's verdicts (``agents.verdicts``); None when the full guard must
    answer."""
    if len(written) != 1:
        return None
    full = os.path.realpath(os.path.join(where.cwd, written[0]))
    if _guarded(full, where.project, where.state) or not _is_tracker(full, where.tracker):
        return None
    from pytest_tasktracker.agents import verdicts

    found = verdicts.answer(where.host, tool_input, where.cwd, where.tracker, where.state, loads)
    if found is None or (not found[1] and not _no_stop_streak(where.state)):
        return None  # a tick let through: the full guard then starts the stop count again
    return found


def _stop_answer(where: _Where) -> tuple[int, str] | None:
    """The full guard's answer at the end of a turn when it lets the agent stop, from
    the look's verdicts; None when the full guard must answer."""
    if not _no_stop_streak(where.state):
        return None
    from pytest_tasktracker.agents import verdicts

    return verdicts.stop_answer(where.host, where.cwd, where.tracker, where.state, loads)


def _after_answer(where: _Where) -> tuple[int, str] | None:
    """The full guard's answer after a tool that changed only the tracker's boxes, each
    it ticked one the judge lets be, from the look's verdicts (which it brings up to
    date); None when the full guard must answer."""
    from pytest_tasktracker.agents import verdicts

    return verdicts.after_answer(where.host, where.cwd, where.tracker, where.state, loads)


def answer(argv: list[str], raw: str) -> tuple[int, str] | None:
    """The hook's answer when the quick path has it (exit code and stdout), else None:
    "nothing to do" (see the module's docstring), or an answer from the look's
    verdicts; all of them only while the guard's last look is current."""
    given = options(argv)
    try:
        data = loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    cwd = "."
    for key in _FOLDERS.get(given.get("agent", ""), ("cwd", "workspace_roots")):
        found = data.get(key)
        if isinstance(found, list):
            found = found[0] if found else None
        if found:
            cwd = str(found)
            break
    where = _where(data, given, cwd)
    if where is None:
        return None
    tool_input = _tool_input(data) if where.kind == "pre" else None
    written = _written(tool_input) if where.kind == "pre" else []
    if written is None:
        return None
    if not look_is_current(where.tracker, where.state):
        return _after_answer(where) if where.kind == "post" else None
    if where.kind == "stop":
        return _stop_answer(where)
    if any(_watched(path, cwd, where.project, where.tracker, where.state) for path in written):
        return _tick_answer(where, tool_input, written) if where.kind == "pre" else None
    if given.get("agent") != "cursor":
        return 0, ""  # what every other host reads as "go on" (hosts.wire.let_through)
    from pytest_tasktracker.agents.hosts.wire import let_through

    return 0, let_through("cursor")


def run(argv: list[str], raw: str) -> int | None:
    """The hook's exit code when the quick path has its answer (written to stdout),
    else None."""
    found = answer(argv, raw)
    if found is None:
        return None
    data = found[1].encode()
    while data:
        data = data[os.write(1, data) :]
    return found[0]


def main() -> None:
    """The hook command init writes: ``python -c RUN --agent NAME --tracker PATH ...``
    (``tasktracker hook`` and ``python -m pytest_tasktracker hook`` come here too)."""
    argv = sys.argv[1:]
    raw = sys.stdin.read()
    code = run(argv, raw)
    if code is None:
        from pytest_tasktracker.agents.hook import main as full

        code = full(options(argv), raw, sys.stdout, sys.stderr)
    sys.stdout.flush()
    sys.exit(code)
