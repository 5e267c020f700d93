"""``tasktracker hook --agent NAME``: one host event in, the guard's answer out.

The host module reads the event and writes the answer in its own shape
(``agents.hosts``); what is decided is the same for every host (``decide``):

- before a tool: an edit that ticks a box the judge rejects, that writes into the state
  folder, or that changes which tracker, state folder or checks are used (or the hooks
  themselves) is denied; before any other tool the guard takes its look;
- after a tool: a state folder it changed without a recorded run is put back, and what
  it ticked that the judge rejects is unticked; the agent is told;
- at the end of a turn: the agent goes on while ticks lack evidence or the configuration
  names another tracker than the pinned one (not when the host already keeps it going);
- a task of the agent's own list marked completed whose subject names a sub-task the
  judge rejects is refused.

Fail closed where it matters: an internal error while judging an event that touches the
tracker, the state folder or the guarded settings refuses it, with the reason; other
events pass, and input that cannot be read is let through with one line on stderr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from pytest_tasktracker.agents import guard
from pytest_tasktracker.agents.hosts.protocol import Answer, Event, Host
from pytest_tasktracker.agents.quick import CONFIG_FILES, HOOK_FILES, HOOK_FOLDERS, look_is_current
from pytest_tasktracker.agents.verdicts import refused_ticks
from pytest_tasktracker.settings import Settings


def decide(event: Event, settings: Settings) -> Answer:
    """The guard's answer to one event."""
    if event.kind == "pre":
        deny = _edit_decision(event, settings)
        if deny is None:
            # ticks made since the last look (a background job's) are not the look's;
            # this takes the look's snapshot, and keep_records the rest of it
            unticked = guard.untick_false_ticks(settings, event.cwd)
            guard.keep_records(settings)
            guard.stop_streak(settings, blocked=False)
            if unticked:
                deny = _unticked(
                    "ticked since the last tool call without passing evidence (outside any "
                    "tool call the guard saw)",
                    unticked,
                    guard.run_the_tests(settings, event.cwd),
                    "; then try this call again",
                )
        return Answer(deny=deny)
    if event.kind == "session":
        guard.remember_hooks(settings)
        guard.remember_plan(settings)
        guard.remember_ticks(settings)
        guard.look(settings)  # last: its verdicts are for the hooks and plan remembered
        return Answer()
    if event.kind == "post":
        return Answer(tell=_after_tool(event, settings))
    if event.kind == "stop":
        # whether it lets go or not; not while the settings name another tracker (its
        # evidence would be judged for the wrong one)
        swapped = guard.swapped_tracker(settings, event.cwd)
        unticked = [] if swapped else guard.untick_session_ticks(settings, event.cwd)
        if event.stop_active or guard.stop_streak(settings, None) >= guard.MAX_STOPS:
            return Answer()  # the host, or the guard itself, lets go
        block = (
            _unticked(
                "ticked in this session without passing evidence",
                unticked,
                guard.run_the_tests(settings, event.cwd),
            )
            if unticked
            else _before_stopping(settings, event.cwd)
        )
        guard.stop_streak(settings, blocked=block is not None)
        return Answer(block=block)
    if event.kind == "task":
        return Answer(deny=guard.task_refusal(settings, event.task or "", event.cwd))
    return Answer()


def _edit_decision(event: Event, settings: Settings) -> str | None:
    for edit in event.edits:
        target = event.cwd / edit.path
        if guard.in_state_folder(settings, target):
            return (
                f"{edit.path} is in the tracker's state folder: evidence and blocker reports "
                "are written only by test runs. Resolve a blocker by applying its remedy and "
                f"running the tests again ({guard.run_the_tests(settings, event.cwd)}), not by "
                "editing or deleting its "
                "file."
            )
        before = _read(target)
        if before is None and guard.is_tracker(settings, target):
            continue  # the tool itself will refuse to edit what is not there
        # a file moved onto this one (a patch's ``*** Move to:``) brings its own text
        base = before if edit.source is None else _read(event.cwd / edit.source)
        after = edit.apply(base or "")
        if after is None:
            continue
        setting = guard.guarded_setting(settings, target, before or "", after)
        if setting is not None:
            return setting
        if guard.is_tracker(settings, target) and edit.deleted:
            continue  # a tracker deleted at the end of the work (mcp-coder's create_pr)
        if guard.is_tracker(settings, target):
            changed = guard.changed_plan(settings, before or "", after)
            if changed:
                lines = "\n".join(f"- {s.id} {s.text[:100]}" for s in changed)
                return (
                    f"This edit changes the words, step or test links of sub-tasks, or removes "
                    f"them:\n{lines}\nThe plan is the user's: what a sub-task says decides "
                    "which tests must pass before it is ticked. Add sub-tasks or notes, tick by "
                    f"running the tests ({guard.run_the_tests(settings, event.cwd)}), and ask "
                    "the user to change the plan."
                )
            found = guard.false_ticks(settings, before or "", after, event.cwd)
            if found:
                run = guard.run_the_tests(settings, event.cwd)
                return refused_ticks([tick.line() for tick in found], run)
    return None


def _read(path: Path) -> str | None:
    """The file's text as an edit tool sees it: its own line endings kept (an
    ``old_string`` with CRLF matches a CRLF tracker)."""
    try:
        with path.open(encoding="utf-8", newline="") as file:
            return file.read()
    except (OSError, UnicodeDecodeError):
        return None


def _after_tool(event: Event, settings: Settings) -> str | None:
    ran_tests = event.mcp or (event.command is not None and guard.runs_tests(event.command))
    return after_tool(settings, ran_tests, event.cwd)


def after_run(settings: Settings, cwd: Path) -> str | None:
    """At the end of ``tasktracker run`` (which ``run_tests`` over MCP runs too): what
    the hook does after a tool that ran the tests, and the look that follows, where the
    guard looks at this tracker and state folder. The hook after this tool call then
    finds its look current and answers on its quick path, where judging costs it 9x
    Python's start; what it would have told the agent is returned, to be shown."""
    if not guard.looks_at(settings) or look_is_current(str(settings.tracker), str(settings.state)):
        return None  # not guarded; or looked at already (by the run, for tasktracker run)
    return after_tool(settings, True, cwd)


def after_tool(settings: Settings, ran_tests: bool, cwd: Path | None) -> str | None:
    """After a tool (``ran_tests``: it ran pytest or tasktracker): the state folder put
    back where no recorded run wrote it, ticks the judge rejects unticked, the look
    taken; what the agent is told."""
    changed = guard.settings_changed(settings)
    restored = guard.restore_state(settings, ran_tests and not changed)
    unticked = guard.untick_false_ticks(settings, cwd)
    run = guard.run_the_tests(settings, cwd)
    parts = []
    if changed and restored:
        parts.append(
            f"tasktracker: this tool call changed the settings that guard the tracker "
            f"({', '.join(changed)}); the evidence it wrote does not count."
        )
    if restored:
        parts.append(
            f"tasktracker put back the state folder ({', '.join(restored)}): this tool call "
            "changed it without a recorded test run. Evidence and blocker reports are "
            f"written only by test runs ({run})."
        )
    if unticked:
        parts.append(_unticked("ticked without passing evidence", unticked, run))
    return "\n".join(parts) or None


def _unticked(what: str, ticks: list[guard.FalseTick], run: str, then: str = "") -> str:
    """What the agent is told of the sub-tasks the guard unticked (``what``: when and
    how they were ticked), and how to tick them."""
    lines = "\n".join(f"- {tick.line()}" for tick in ticks)
    return (
        f"tasktracker unticked sub-tasks {what}:\n{lines}\n"
        f"Tick them by running their tests ({run}){then}."
    )


def _before_stopping(settings: Settings, project: Path) -> str | None:
    swapped = (
        guard.swapped_tracker(settings, project)
        or guard.changed_hooks(settings)
        or guard.changed_plan_in_session(settings)
    )
    if swapped:
        return f"tasktracker: {swapped}."
    ticks = guard.open_false_ticks(settings, project)
    if not ticks:
        return None
    lines = "\n".join(f"- {tick.line()}" for tick in ticks)
    return (
        f"The tracker holds ticks without evidence:\n{lines}\nRun their tests "
        f"({guard.run_the_tests(settings, project)}), or untick them and say why they are "
        "not done."
    )


def _touches_guarded(event: Event, settings: Settings | None) -> bool:
    """Whether an event may change the tracker, the state folder or the guarded settings
    (an internal error while judging it must not let it through)."""
    if event.kind in ("stop", "task"):
        return True
    names = {".tasktracker", "TASK_TRACKER.md", *CONFIG_FILES, *HOOK_FILES, *HOOK_FOLDERS}
    if settings is not None:
        names |= {settings.tracker.name, settings.state.name}
    for edit in event.edits:
        target = event.cwd / edit.path
        if settings is not None and (
            guard.is_tracker(settings, target) or guard.in_state_folder(settings, target)
        ):
            return True
        if any(part in names for part in Path(edit.path).parts) or edit.path.endswith(HOOK_FILES):
            return True
    command = event.command or ""
    return event.kind == "pre" and any(name in command for name in names)


def handle(
    raw: str,
    host: Host,
    settings_for: Callable[[Path], Settings],
    out: TextIO,
    err: TextIO,
    event_name: str | None = None,
) -> int:
    """Read one event, write the host's answer; the exit code the host reads."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("the event is not a JSON object")
        event = host.read(data, event_name)
    except Exception as error:  # input we cannot read: let it through, and say so
        err.write(f"tasktracker hook: {type(error).__name__}: {str(error)[:300]} (allowed)\n")
        return 0
    settings: Settings | None = None
    try:
        settings = settings_for(event.cwd if event.cwd.is_absolute() else Path(os.getcwd()))
        answer = decide(event, settings)
    except Exception as error:
        problem = f"{type(error).__name__}: {str(error)[:300]}"
        if not _touches_guarded(event, settings) or (event.kind == "stop" and event.stop_active):
            err.write(f"tasktracker hook: {problem} (allowed)\n")
            return 0
        why = (
            f"tasktracker could not judge this ({problem}), and it touches the tracker, its "
            "state folder or its settings: refused until it can. Run `tasktracker doctor`."
        )
        answer = Answer(deny=why) if event.kind in ("pre", "task") else Answer(block=why)
    reply = host.reply(event, answer)
    out.write(reply.stdout)
    err.write(reply.stderr)
    return reply.code


def settings_finder(tracker: str | None, state: str | None) -> Callable[[Path], Settings]:
    """How the hook finds its settings from an event's folder: a pinned tracker
    (``--tracker``, relative) is the project's, found from that folder or above it, as
    the agent may be in a sub-folder."""
    from pytest_tasktracker.agents.quick import _project
    from pytest_tasktracker.settings import resolve_in

    def settings_for(cwd: Path) -> Settings:
        base = cwd
        if tracker and not os.path.isabs(tracker):
            base = Path(_project(str(cwd), tracker) or cwd)
        return resolve_in(base, tracker, state)

    return settings_for


def main(given: dict[str, str], raw: str, out: TextIO, err: TextIO) -> int:
    """The hook for the options of its command line (``agents.quick.options``)."""
    from pytest_tasktracker.agents.hosts import host

    try:
        chosen = host(given.get("agent") or "claude")
    except ValueError as error:
        err.write(f"tasktracker hook: {error} (allowed)\n")
        return 0
    finder = settings_finder(given.get("tracker"), given.get("tracker-state"))
    return handle(raw, chosen, finder, out, err, given.get("event"))
