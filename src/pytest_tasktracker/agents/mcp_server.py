"""``tasktracker mcp``: the tracker's evidence rules as MCP tools, over stdio.

For agents that act only through MCP tools: they read the next step, run the tests
(supervised, as ``tasktracker run``), read blockers as data, and tick only what the
evidence backs (``check`` is guarded exactly as the CLI's, with no force). Every tool
returns structured content with an output schema, and a short text; a failed or
blocked run is a normal result, never a protocol error.

Needs the optional extra: ``pip install 'pytest-tasktracker[mcp]'``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent
from pydantic import Strict
from typing_extensions import TypedDict  # pydantic needs it before Python 3.12

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.settings import Settings, SettingsError

OUTPUT_TAIL = 4000  # characters of pytest's output a run returns
MAX_ARGUMENT = 128 * 1024 - 1  # bytes in one argument of a command line (Linux's limit)

INSTRUCTIONS = """\
This server keeps a markdown task tracker honest: a box is ticked only when a test run
proved it. Work like this:
1. next_step: the first step with open sub-tasks and what each is linked to.
2. Do the work, then run_tests (it runs pytest supervised and ticks what passed).
3. If run_tests returns blockers, the run could not verify anything: apply the first
   remedy of each (it is a command), or hand the blocker to a person. Never tick a box
   by hand instead; check refuses a sub-task without passing evidence.
4. Checks that are not pytest (mypy, pylint, ruff) go through verify: it records the
   result and ticks a sub-task once every check it names passed on the same code.
5. When a blocker says stop_retrying, the same run failed the same way several times:
   stop and report it; retrying will not help.
Evidence is written only by runs: do not edit the state folder (.tasktracker/).
"""


class SubTaskRow(TypedDict):
    id: str
    text: str
    done: bool
    status: str
    evidence: dict[str, Any] | None


class NextStep(TypedDict):
    tracker: str
    step: dict[str, Any] | None
    open: list[str]
    links: dict[str, Any]


class Status(TypedDict):
    tracker: str
    done: int
    total: int
    next_step: str | None
    steps: list[dict[str, Any]]


class BlockerRow(TypedDict):
    file: str
    kind: str | None
    summary: str | None
    error: str | None
    affected: list[str]
    remedies: list[dict[str, Any]]
    occurrences: int | None
    stop_retrying: bool


class Blockers(TypedDict):
    open: list[BlockerRow]
    unreadable: list[str]


class RunResult(TypedDict):
    exit_code: int
    verified: bool
    outcomes: dict[str, str]
    ticked: list[str]
    unticked: list[str]
    blockers: list[BlockerRow]
    output_tail: str


class EditResult(TypedDict):
    ok: bool
    changes: list[dict[str, Any]]
    refused: dict[str, str]


class Verified(TypedDict):
    exit_code: int
    passed: bool
    report: str


class Gate(TypedDict):
    tracker: str
    state: str
    ok: bool
    ticked: int
    offenders: list[dict[str, Any]]


class Problem(TypedDict):
    error: str


def _argument_problem(name: str, values: list[str] | None) -> str | None:
    """Why ``values`` cannot be the arguments of a command: one holds a NUL, or is longer
    than a command line takes. Found before anything runs, as every bad argument is."""
    for index, value in enumerate(values or []):
        if "\0" in value:
            return f"{name}[{index}] holds a NUL character, which no command line can"
        if len(value.encode("utf-8", "surrogateescape")) > MAX_ARGUMENT:
            return (
                f"{name}[{index}] is {len(value):,} characters; one argument of a command "
                f"line takes at most {MAX_ARGUMENT:,} bytes"
            )
    return None


def _problem(text: str) -> CallToolResult:
    return _result(text, Problem(error=text), True)


def _result(text: str, data: Any, error: bool = False) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=dict(data),
        is_error=error,
    )


class Project:
    """The project the server works on: its working folder and tracker settings, read
    again on every call (the agent may change the configuration)."""

    def __init__(
        self,
        root: Path,
        tracker: str | None = None,
        state: str | None = None,
        python: str | None = None,
    ):
        self.root = root
        self.tracker_option = tracker
        self.state_option = state
        self.python = python or sys.executable  # the interpreter that runs the tests

    def settings(self) -> Settings:
        from pytest_tasktracker.settings import resolve_in

        return resolve_in(self.root, self.tracker_option, self.state_option)

    def tracker(self, settings: Settings) -> Any:
        from pytest_tasktracker.paths import shown
        from pytest_tasktracker.tracker.editing import load

        return load(settings.tracker, shown(settings.tracker, self.root))


def _done_ids(project: Project, settings: Settings) -> set[str]:
    try:
        return {s.id for s in project.tracker(settings).subtasks if s.done}
    except TrackerError:
        return set()


def _this_run(settings: Settings, started: float) -> dict[str, str]:
    """The outcome of each sub-task this run judged (results.json, if it wrote one)."""
    from pytest_tasktracker.rules.evidence import read_results

    try:
        if settings.results_file.stat().st_mtime < started:
            return {}
        data = read_results(settings.results_file) or {}
    except (OSError, TrackerError):
        return {}
    last = (data.get("last_run") or {}).get("time")
    return {
        str(entry.get("id")): str(entry.get("outcome"))
        for entry in data.get("subtasks") or []
        if isinstance(entry, dict) and (entry.get("run") or {}).get("time") == last
    }


def run_supervised(
    project: Project, args: list[str], update: bool, timeout_s: float | None
) -> tuple[str, RunResult]:
    """Run pytest supervised, as ``tasktracker run``, and say what it proved."""
    from pytest_tasktracker.views import blocker_rows, fix_line

    settings = project.settings()
    before = _done_ids(project, settings)
    command = [project.python, "-m", "pytest_tasktracker"]
    if project.tracker_option:
        command += ["--tracker", project.tracker_option]
    if project.state_option:
        command += ["--tracker-state", project.state_option]
    command += ["run", *(["--timeout", f"{timeout_s:g}"] if timeout_s else []), "--"]
    command += [*(["--tracker-update"] if update else []), *args]
    started = time.time() - 1
    done = subprocess.run(
        command,
        cwd=project.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        check=False,
    )
    output = done.stdout.decode("utf-8", "replace")
    after = _done_ids(project, settings)
    rows, _ = blocker_rows(settings)
    blockers = [_blocker_row(row) for row in rows]
    outcomes = _this_run(settings, started)
    result = RunResult(
        exit_code=done.returncode,
        verified=not blockers and done.returncode in (0, 1),
        outcomes=outcomes,
        ticked=sorted(after - before),
        unticked=sorted(before - after),
        blockers=blockers,
        output_tail=output[-OUTPUT_TAIL:],
    )
    if blockers:
        first = blockers[0]
        text = f"BLOCKED ({first['kind']}): {first['summary']}"
        if first["remedies"]:
            text += f"\nfix: {fix_line(first['remedies'][0])}"
    else:
        passed = sum(1 for outcome in outcomes.values() if outcome == "passed")
        text = f"pytest exited {done.returncode}; {passed} of {len(outcomes)} sub-tasks passed"
    if result["ticked"]:
        text += f"; ticked {', '.join(result['ticked'])}"
    if result["unticked"]:
        text += f"; unticked {', '.join(result['unticked'])}"
    return text, result


def _blocker_row(row: dict[str, Any]) -> BlockerRow:
    return BlockerRow(
        file=row["file"],
        kind=row["kind"],
        summary=row["summary"],
        error=row["error"],
        affected=row["affected"],
        remedies=row["remedies"],
        occurrences=row["occurrences"],
        stop_retrying=row["stop_retrying"],
    )


def build_server(project: Project) -> MCPServer:
    """The server with its tools, for ``project``."""
    server = MCPServer("tasktracker", instructions=INSTRUCTIONS)

    def guarded(call: Any) -> CallToolResult:
        try:
            text, data = call()
        except (SettingsError, TrackerError, OSError) as error:  # OSError: a child not started
            return _result(f"tasktracker: error: {error}", Problem(error=str(error)), True)
        return _result(text, data)

    @server.tool()
    def next_step() -> Annotated[CallToolResult, NextStep]:
        """The first step with open sub-tasks: their ids, texts and what each is linked
        to (test files, node ids, or the tests in general)."""
        from pytest_tasktracker.views import next_view

        def call() -> tuple[str, NextStep]:
            view = next_view(project.tracker(project.settings()))
            step = view["step"]
            text = (
                f"Step {step['id']}: {step['title']} - open: {', '.join(view['open'])}"
                if step
                else "every sub-task is done"
            )
            return text, NextStep(
                tracker=view["tracker"],
                step=step,
                open=view["open"],
                links=view.get("links", {}),
            )

        return guarded(call)

    @server.tool()
    def status() -> Annotated[CallToolResult, Status]:
        """Every step and sub-task with its status and its latest evidence."""
        from pytest_tasktracker.state import read_record
        from pytest_tasktracker.views import status_view

        def call() -> tuple[str, Status]:
            settings = project.settings()
            view = status_view(project.tracker(settings), read_record(settings))
            text = f"{view['tracker']}: {view['done']} of {view['total']} sub-tasks done"
            return text, Status(**view)  # type: ignore[typeddict-item]

        return guarded(call)

    @server.tool()
    def run_tests(
        args: list[str] | None = None,
        update: Annotated[bool, Strict()] = True,  # "yes" is not true: a boolean or an error
        timeout_s: float = 900,
    ) -> Annotated[CallToolResult, RunResult]:
        """Run pytest supervised (``tasktracker run``) with ``args``; with ``update``,
        tick what passed and untick what failed. Returns the exit code, each sub-task's
        outcome, what was ticked and unticked, the open blockers (kind, summary, pytest's
        error, remedies as commands, affected sub-tasks) and the tail of the output."""
        if timeout_s is not None and not timeout_s > 0:
            return _problem("timeout_s must be above 0")
        problem = _argument_problem("args", args)
        if problem:
            return _problem(problem)
        return guarded(lambda: run_supervised(project, list(args or []), update, timeout_s))

    @server.tool()
    def check(ids: list[str]) -> Annotated[CallToolResult, EditResult]:
        """Tick sub-tasks by id or text prefix, only where passing evidence covers each
        one's whole scope; otherwise refused, with the reason and what to run."""
        return guarded(lambda: _edit(project, ids, True))

    @server.tool()
    def uncheck(ids: list[str]) -> Annotated[CallToolResult, EditResult]:
        """Untick sub-tasks by id or text prefix."""
        return guarded(lambda: _edit(project, ids, False))

    @server.tool()
    def verify(
        ids: list[str],
        command: list[str] | None = None,
        check: str | None = None,
        timeout_s: float = 900,
    ) -> Annotated[CallToolResult, Verified]:
        """Run the checks that are not pytest (pylint, mypy, ruff) that the sub-tasks
        name, with the commands the project declares for them, and record the results
        as evidence; a sub-task whose named checks all passed on this code is ticked, a
        failing check unticks it. ``command`` runs instead of the declared one only when
        it is that check (its program, e.g. ``["mypy", "src"]``); ``check`` picks one."""
        problem = _argument_problem("command", command or [])
        if problem:
            return _problem(problem)
        return guarded(lambda: _verify(project, ids, command, check, timeout_s))

    @server.tool()
    def blockers() -> Annotated[CallToolResult, Blockers]:
        """The open blocker reports: why runs could not verify, and the remedies."""
        from pytest_tasktracker.views import blocker_rows

        def call() -> tuple[str, Blockers]:
            rows, unreadable = blocker_rows(project.settings())
            text = (
                "\n".join(f"{row['file']}: {row['kind']}: {row['summary']}" for row in rows)
                or "no open blockers"
            )
            return text, Blockers(open=[_blocker_row(row) for row in rows], unreadable=unreadable)

        return guarded(call)

    @server.tool()
    def gate() -> Annotated[CallToolResult, Gate]:
        """Whether every ticked sub-task is backed by evidence, and which are not."""
        from pytest_tasktracker.paths import shown
        from pytest_tasktracker.rules.gate import backed_by_evidence, gate_lines
        from pytest_tasktracker.views import find_gate_offenders, gate_view

        def call() -> tuple[str, Gate]:
            settings = project.settings()
            tracker = project.tracker(settings)
            offenders, _warnings, record = find_gate_offenders(tracker, settings)
            backed = backed_by_evidence(tracker, record.evidence)
            lines = gate_lines(tracker.path, offenders, tracker.done_count, False, backed)
            view = gate_view(tracker, offenders, shown(settings.state, project.root))
            return "\n".join(lines), Gate(**view)  # type: ignore[typeddict-item]

        return guarded(call)

    return server


def _verify(
    project: Project,
    ids: list[str],
    command: list[str] | None,
    check: str | None,
    timeout: float,
) -> tuple[str, Verified]:
    import io

    from pytest_tasktracker.verify import verify

    settings = project.settings()
    report = io.StringIO()
    tracker = project.tracker(settings)
    # the check runs in the project, as from its shell
    code = verify(tracker, settings, ids, command or [], check, timeout, report, project.root)
    text = report.getvalue()
    return text.strip(), Verified(exit_code=code, passed=code == 0, report=text)


def _edit(project: Project, ids: list[str], done: bool) -> tuple[str, EditResult]:
    from pytest_tasktracker.views import edit

    settings = project.settings()
    result = edit(project.tracker(settings), settings, ids, done)
    if result.refused:
        text = "\n".join(f"refused to tick {i}: {why}" for i, why in result.refused.items())
        ticked = [i for i in result.refused if project.tracker(settings).find(i).done]
        if ticked:
            text += f"\n{', '.join(ticked)} ticked already, and no evidence backs it: untick it"
    else:
        verb = "ticked" if done else "unticked"
        changed = [row["id"] for row in result.rows if row["changed"]]
        text = f"{verb} {', '.join(changed)}" if changed else f"nothing to {verb[:-2]}"
    return text, EditResult(ok=not result.refused, changes=result.rows, refused=result.refused)


def serve(tracker: str | None, state: str | None, python: str | None = None) -> int:
    """Serve over stdio until the client goes away; ``python`` runs the tests (the
    project's interpreter, when the server has an environment of its own)."""
    build_server(Project(Path.cwd(), tracker, state, python)).run("stdio")
    return 0
