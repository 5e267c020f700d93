"""The ``tasktracker`` command line: read and edit a tracker, judge it, run pytest."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from pytest_tasktracker.agents.hosts import NAMES as HOST_NAMES
from pytest_tasktracker.errors import (
    SubTaskReferenceError,
    TrackerError,
    TrackerReadError,
    VerifyUsageError,
)
from pytest_tasktracker.paths import shown
from pytest_tasktracker.settings import Settings, SettingsError, resolve_in
from pytest_tasktracker.tracker.editing import load
from pytest_tasktracker.tracker.model import Step, SubTask, Tracker

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_WRITE = 3

EXIT_CODES = f"""\
exit codes:
  {EXIT_OK}  all good
  {EXIT_FAILED}  the gate found ticks without evidence, or check refused a sub-task
  {EXIT_USAGE}  bad usage or bad input: no tracker, not UTF-8, unknown or ambiguous id
  {EXIT_WRITE}  the tracker or the state folder could not be written (nothing was lost)
  run: pytest's own exit code (0 all passed, 1 tests failed, 2 interrupted,
       3 internal error, 4 usage error, 5 no tests); 124 it passed --timeout and was
       stopped; 125 it died before its session ended (a signal, os._exit)
"""


def agent_help() -> str:
    """The guide for coding agents, shipped as package data (docs/agent-workflow.md)."""
    from importlib.resources import files

    return files("pytest_tasktracker").joinpath("agent_help.md").read_text(encoding="utf-8")


def display(path: Path, cwd: Path | None = None) -> str:
    """A path as the user should read it: relative to the working folder when inside it."""
    return shown(path, cwd or Path.cwd())


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _add_common(parser: argparse.ArgumentParser, default: Any) -> None:
    """``--tracker`` and ``--tracker-state``, accepted before and after the subcommand.

    A subcommand's copy defaults to SUPPRESS, so it never overwrites a value given
    before the subcommand; both copies share one help text.
    """
    parser.add_argument(
        "--tracker",
        metavar="PATH",
        default=default,
        help="the tracker file (default: $PYTEST_TRACKER, the ini key 'tracker', "
        "or pr_info/TASK_TRACKER.md)",
    )
    parser.add_argument(
        "--tracker-state",
        metavar="DIR",
        default=default,
        help="the state folder with results.json and blockers/ (default: ini "
        "'tracker_state', or .tasktracker/ beside the tracker)",
    )


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tasktracker",
        description="Read and tick a markdown task tracker; tick only what tests proved.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_common(parser, None)
    parser.add_argument(
        "--agent-help",
        action="store_true",
        help="print the guide for coding agents (how to pick, run, read a blocker, tick)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    status = commands.add_parser("status", help="every step and sub-task with its status")
    status.add_argument("--json", action="store_true", help="print JSON")

    next_ = commands.add_parser("next", help="the first step that still has open sub-tasks")
    next_.add_argument("--json", action="store_true", help="print JSON")

    run = commands.add_parser(
        "run",
        help="run pytest supervised; also report errors before any plugin loads, hangs "
        "(--timeout) and hard crashes",
        description="Run pytest with the tracker enabled. Arguments after -- go to pytest.",
    )
    run.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="stop pytest (its whole process group) after this long and write a timeout "
        "blocker naming the test that was running",
    )
    run.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, metavar="-- PYTEST ARGS")

    for name, verb in (("check", "tick"), ("uncheck", "untick")):
        edit = commands.add_parser(name, help=f"{verb} sub-tasks by id or text prefix")
        edit.add_argument("ids", nargs="+", metavar="ID", help="a sub-task id or text prefix")
        edit.add_argument("--json", action="store_true", help="print JSON")
        if name == "check":
            edit.add_argument(
                "--force",
                action="store_true",
                help="tick even a sub-task whose tests failed or that is blocked (says so)",
            )

    gate = commands.add_parser(
        "gate",
        help="fail when a ticked sub-task has no evidence (without running tests)",
        description="Judge every ticked sub-task against results.json and the open "
        "blockers. Exit 0 when all are backed by evidence, 1 otherwise. Under "
        "GITHUB_ACTIONS=true also prints ::error annotations.",
    )
    gate.add_argument("--json", action="store_true", help="print JSON")
    gate.add_argument(
        "--allow-stale",
        action="store_true",
        help="evidence from another code state warns instead of failing (ini: "
        "tracker_stale = warn)",
    )
    gate.add_argument(
        "--attestation",
        metavar="FILE",
        help="first check that the tracker, results.json and the code are those an in-toto "
        "statement (pytest --tracker-attest, signed in CI) names; fail naming what differs",
    )
    gate.add_argument(
        "--summary",
        metavar="FILE",
        help="append the verdict as a markdown table to FILE (under GitHub Actions it also "
        "goes to the job summary)",
    )
    mcp = commands.add_parser(
        "mcp",
        help="serve the tracker's tools to a coding agent over MCP (stdio); needs the 'mcp' extra",
    )
    mcp.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter that runs the tests, when the server runs from an environment "
        "of its own (default: this one)",
    )
    verify = commands.add_parser(
        "verify",
        help="run a check that is not pytest (mypy, pylint, ruff, a script) and record "
        "its result as evidence for sub-tasks",
        description="tasktracker verify ID... [--check NAME] [--timeout S] -- COMMAND. "
        "Exit 0 of COMMAND passes. A sub-task whose named checks all passed on this code "
        "(pytest's part from the plugin) is ticked; a failing check unticks it.",
    )
    verify.add_argument("ids", nargs="+", metavar="ID", help="a sub-task id or text prefix")
    verify.add_argument(
        "--check", metavar="NAME", help="the check's name, when its program does not say"
    )
    verify.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="stop it after this")
    combine = commands.add_parser(
        "combine",
        help="merge the results.json of several shards of one run (CI jobs) into the state folder",
        description="A sub-task's scope is verified when the shards together ran every "
        "test of it and all passed; a failure in any shard wins. Shards of another "
        "tracker, code state or collection are refused. Blocker reports carry over.",
    )
    combine.add_argument(
        "paths", nargs="+", metavar="PATH", help="a results.json, or a folder holding some"
    )
    commands.add_parser(
        "update",
        help="tick what the evidence backs and untick what it shows failing, without "
        "running the tests (after combine)",
    )
    init = commands.add_parser(
        "init",
        help="set the project up for coding agents: the ini tracker key, each agent's "
        "hooks and MCP server, the agent guide in CLAUDE.md/AGENTS.md/GEMINI.md",
        description="Adds what is missing, merges into existing files, never clobbers; "
        "run it again at any time.",
    )
    init.add_argument("--dry-run", action="store_true", help="print what would change")
    init.add_argument(
        "--mcp-python",
        metavar="PATH",
        help="run the MCP server with this interpreter (an environment of its own with "
        "the 'mcp' extra, which then stays out of the tests' environment); the tests still "
        "run with this one",
    )
    init.add_argument(
        "--agent",
        action="append",
        choices=HOST_NAMES,
        default=[],
        help="a coding agent to set up (more than once for several; default: those the "
        "project shows signs of, else claude)",
    )
    hook = commands.add_parser(
        "hook",
        help="a coding agent's hook (Claude Code, Codex, Gemini CLI, Cursor, Copilot): deny "
        "ticks without evidence, untick what a shell ticked, keep the turn going while ticks "
        "lack evidence",
        description="Reads one hook event as JSON on stdin and prints the host's answer. "
        "Input it cannot read is let through with one line on stderr; an error while "
        "judging an event that touches the tracker or its state folder refuses it.",
    )
    hook.add_argument(
        "--agent",
        default="claude",
        choices=HOST_NAMES,
        help="the host whose events and answers these are (default: claude)",
    )
    hook.add_argument(
        "--event",
        metavar="NAME",
        help="the event this hook is configured for, for hosts whose events do not say it "
        "(Copilot)",
    )
    commands.add_parser(
        "doctor",
        help="is the guard wired and working: for each configured agent, its hook answers a "
        "probe from the project's root with a bare PATH, its MCP server lists its tools",
    )
    blockers = commands.add_parser("blockers", help="list the open blocker reports")
    blockers.add_argument("--json", action="store_true", help="print JSON")
    for sub in commands.choices.values():  # run: before its `--`; pytest's arguments after
        _add_common(sub, argparse.SUPPRESS)
    return parser


def _settings(
    tracker_option: str | None, state_option: str | None = None, cwd: Path | None = None
) -> Settings:
    return resolve_in(cwd or Path.cwd(), tracker_option, state_option)


def _load(settings: Settings) -> Tracker:
    shown = display(settings.tracker)
    try:
        tracker = load(settings.tracker, shown)
    except TrackerReadError as error:
        hint = "" if settings.tracker_source == "--tracker" else f" ({settings.tracker_source})"
        raise TrackerReadError(f"{shown}{hint}", error.problem) from None
    return tracker


def _step_heading(step: Step) -> str:
    title = step.plain_title
    label = title if step.kind == "section" else f"Step {step.id}: {title}"
    if step.id == "pull-request":
        label = title
    return f"{label} (line {step.line}) - {step.done_count} of {len(step.subtasks)} done"


def _subtask_line(subtask: SubTask) -> str:
    return f"  {subtask.mark:<5} {subtask.id:<6} {subtask.text}"


NO_SUBTASKS = "no sub-tasks yet (no '- [ ]' items outside code)"


def _cmd_status(tracker: Tracker, settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from pytest_tasktracker.state import Record

    record: Record | None = None
    if settings.results_file.exists():  # the evidence, to say which is stale
        from pytest_tasktracker.state import read_record

        record = read_record(settings)
    if args.json:
        from pytest_tasktracker.views import status_view

        out.write(_lines_json(status_view(tracker, record), "steps"))
        return EXIT_OK
    if not tracker.subtasks:
        out.write(f"{tracker.path}: {NO_SUBTASKS}\n")
        return EXIT_OK
    out.write(f"{tracker.path}: {tracker.done_count} of {len(tracker)} sub-tasks done\n")
    for step in tracker.steps:
        out.write(_step_heading(step) + "\n")
        for subtask in step.subtasks:
            out.write(_subtask_line(subtask) + _stale_note(subtask, record) + "\n")
    return EXIT_OK


def _lines_json(data: dict[str, Any], rows: str) -> str:
    """``data`` as JSON with each item of its list ``rows`` on a line of its own: readable,
    and written by the C encoder (``indent`` would take the pure-Python one, four times
    slower on a 10,000-sub-task tracker, and agents ask for it often)."""
    head = json.dumps({k: v for k, v in data.items() if k != rows}, ensure_ascii=False)
    items = ",\n  ".join(json.dumps(item, ensure_ascii=False) for item in data[rows])
    if not items:
        return f'{head[:-1]}, "{rows}": []}}\n'
    return f'{head[:-1]}, "{rows}": [\n  {items}\n]}}\n'


def _stale_note(subtask: SubTask, record: Any) -> str:
    """ " (stale evidence: ...)" after a ticked sub-task proven on other code."""
    if record is None or record.code is None or not subtask.done:
        return ""
    evidence = record.evidence.get(subtask.id)
    changed = record.code.stale(evidence) if evidence is not None else None
    return f"  (stale evidence: {changed})" if changed else ""


def _cmd_next(tracker: Tracker, args: argparse.Namespace, out: TextIO) -> int:
    step = tracker.next_step()
    if args.json:
        from pytest_tasktracker.views import next_view

        out.write(json.dumps(next_view(tracker), indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    if step is None:
        done = "every sub-task is done" if tracker.subtasks else NO_SUBTASKS
        out.write(f"{tracker.path}: {done}\n")
        return EXIT_OK
    out.write(_step_heading(step) + "\n")
    for subtask in step.open_subtasks:
        out.write(_subtask_line(subtask) + "\n")
    return EXIT_OK


def _cmd_edit(tracker: Tracker, settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    from pytest_tasktracker.views import edit

    done = args.command == "check"
    result = edit(tracker, settings, args.ids, done, force=getattr(args, "force", False))
    if not result.ok:
        for subtask_id, why in result.refused.items():
            if tracker.find(subtask_id).done:
                sys.stderr.write(
                    f"tasktracker: {subtask_id} is ticked, but no evidence backs it: {why}\n"
                )
            else:
                sys.stderr.write(f"tasktracker: refused to tick {subtask_id}: {why}\n")
        return EXIT_FAILED
    if args.json:
        payload = {"tracker": tracker.path, "changes": result.rows}
        out.write(json.dumps(payload, indent=2) + "\n")
        return EXIT_OK
    verb = "ticked" if done else "unticked"
    for row in result.rows:
        where = f"{row['id']} (line {row['line']})"
        if row["changed"] and row["forced"]:
            why = result.forced[row["id"]]
            out.write(f"ticked {where} WITHOUT evidence, because of --force: {why}\n")
        elif row["changed"]:
            out.write(f"{verb} {where}: {row['text']}\n")
        else:
            out.write(f"{row['id']} was already {verb} (line {row['line']}): {row['text']}\n")
    return EXIT_OK


def split_command(argv: Sequence[str]) -> tuple[list[str], list[str] | None]:
    """``tasktracker ... verify ID... -- COMMAND``: the arguments before the command, and
    the command (None when this is not a verify command line)."""
    args = list(argv)
    if "verify" not in args:
        return args, None
    start = args.index("verify")
    if "--" not in args[start:]:
        return args, []
    cut = args.index("--", start)
    return args[:cut], args[cut + 1 :]


def _look_after_run(settings: Settings) -> None:
    """Where hooks guard the tracker, the look their next call would take after this
    run, taken here, and what it says shown (``agents.hook.after_run``). Whatever goes
    wrong, the hook takes it."""
    try:
        from pytest_tasktracker.agents.hook import after_run

        told = after_run(settings, Path.cwd())
    except Exception:  # the hook after this tool call looks in full
        return
    if told:
        sys.stderr.write(told + "\n")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; return its exit code."""
    out = out or sys.stdout
    parser = _build_parser()
    arguments, command = split_command(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    if args.agent_help:
        out.write(agent_help())
        return EXIT_OK
    if args.command is None:
        parser.print_usage(sys.stderr)
        sys.stderr.write("tasktracker: error: a command is required\n")
        return EXIT_USAGE
    try:
        if args.command == "hook":
            from pytest_tasktracker.agents.hook import main as hook

            given = {"agent": args.agent}
            for key, value in (
                ("event", args.event),
                ("tracker", args.tracker),
                ("tracker-state", args.tracker_state),
            ):
                if value:
                    given[key] = value
            return hook(given, sys.stdin.read(), out, sys.stderr)
        if args.command == "init":
            return _init(args, out)
        if args.command == "doctor":
            return _doctor(out)
        settings = _settings(args.tracker, args.tracker_state)
        if args.command == "mcp":
            return _serve_mcp(args)
        if args.command == "blockers":
            from pytest_tasktracker.cli.verdicts import blockers

            return blockers(settings, args.json, out)
        if args.command == "run":
            from pytest_tasktracker.cli.runner import main_args, run_pytest

            if args.in_process:  # the supervised child
                return run_pytest(main_args(args.pytest_args), settings, sys.stderr)
            from pytest_tasktracker.cli.supervisor import supervise

            code = supervise(main_args(args.pytest_args), settings, args.timeout, sys.stderr)
            _look_after_run(settings)
            return code
        if (
            args.command == "gate"
            and settings.tracker_source != "--tracker"
            and not settings.tracker.exists()
        ):
            # Workflows delete pr_info/ when the pull request is made: on main, a gate
            # with no tracker has nothing to judge. Named with --tracker, it must exist.
            out.write(
                f"gate passed: no tracker at {display(settings.tracker)} "
                f"({settings.tracker_source}), nothing to judge\n"
            )
            return EXIT_OK
        if args.command == "combine":
            from pytest_tasktracker.cli.shards import combine

            return combine(settings, args.paths, out)
        tracker = _load(settings)
        if args.command == "update":
            from pytest_tasktracker.cli.shards import update

            return update(tracker, settings, out)
        if args.command == "verify":
            from pytest_tasktracker.verify import verify

            return verify(tracker, settings, args.ids, command or [], args.check, args.timeout, out)
        if args.command == "status":
            return _cmd_status(tracker, settings, args, out)
        if args.command == "next":
            return _cmd_next(tracker, args, out)
        if args.command == "gate":
            from pytest_tasktracker.cli.verdicts import gate

            return gate(
                tracker,
                settings,
                args.json,
                out,
                sys.stderr,
                args.allow_stale,
                args.summary,
                args.attestation,
            )
        return _cmd_edit(tracker, settings, args, out)
    except (SettingsError, SubTaskReferenceError, TrackerReadError, VerifyUsageError) as error:
        sys.stderr.write(f"tasktracker: error: {error}\n")
        return EXIT_USAGE
    except TrackerError as error:
        sys.stderr.write(f"tasktracker: error: {error}\n")
        return EXIT_WRITE


def _init(args: argparse.Namespace, out: TextIO) -> int:
    from pytest_tasktracker.agents.setup import apply, plan, project_root
    from pytest_tasktracker.paths import relative
    from pytest_tasktracker.settings import STATE_FOLDER_NAME

    cwd = Path.cwd()
    root = project_root(cwd)
    # an option names paths from here; else the project's own (its default tracker too)
    settings = _settings(args.tracker, args.tracker_state, cwd if args.tracker else root)
    tracker = Path(relative(settings.tracker, root)).as_posix()
    default_state = settings.tracker.parent / STATE_FOLDER_NAME
    state = None if settings.state == default_state else relative(settings.state, root)
    changes, notes = plan(root, tracker, state, args.agent, mcp_python=args.mcp_python)
    if not args.dry_run:
        apply(changes)
    verb = "would change" if args.dry_run else "changed"
    for change in changes:
        out.write(f"{verb} {relative(change.path, cwd)}: {change.what}\n")
    if not changes:
        out.write("already set up: nothing to change\n")
    for note in notes if changes else ():
        out.write(f"note: {note}\n")
    return EXIT_OK


def _doctor(out: TextIO) -> int:
    from pytest_tasktracker.agents.doctor import check
    from pytest_tasktracker.agents.setup import project_root

    root = project_root(Path.cwd())
    checks = [found for name in HOST_NAMES if (found := check(root, name)) is not None]
    if not checks:
        out.write(
            f"no coding agent's hooks run tasktracker in {display(root)}: the guard is off. "
            "Run `tasktracker init` (--agent NAME for another host than Claude Code)\n"
        )
        return EXIT_FAILED
    rows = [("agent", "hook", "MCP server", "tracker", "state folder")]
    rows += [(c.host, c.hook, c.mcp, c.tracker, c.state) for c in checks]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip())
        out.write("\n")
    problems = [problem for c in checks for problem in c.problems]
    for problem in problems:
        out.write(f"problem: {problem}\n")
    return EXIT_FAILED if problems else EXIT_OK


def _serve_mcp(args: argparse.Namespace) -> int:
    try:
        from pytest_tasktracker.agents.mcp_server import serve
    except ImportError as error:
        if error.name is None or not error.name.startswith("mcp"):
            raise
        sys.stderr.write(
            "tasktracker: error: 'tasktracker mcp' needs the MCP SDK: "
            "pip install 'pytest-tasktracker[mcp]'\n"
        )
        return EXIT_USAGE
    return serve(args.tracker, args.tracker_state, args.python)


def run_main() -> None:
    """The console-script entry point."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away, as with `tasktracker status | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)
