"""The decisions behind coding-agent hooks, independent of any agent's JSON shape.

Before a tool runs:
- ``false_ticks``: which sub-tasks an edit of the tracker would tick that the judge
  rejects (the edit is denied);
- ``in_state_folder``: evidence is written only by runs; an edit there is denied;
- ``guarded_setting``: an edit that changes which tracker, state folder or named checks
  the project uses, or the hook configuration itself, is denied;
- ``look``: the ticks as they are now, and a copy of the state folder's records, so
  that what the tool does can be told from what was there (also a session's first call).

After it:
- ``untick_false_ticks``: untick, byte-exact, what was ticked since the look and the
  judge rejects (a shell's ``sed -i``);
- ``restore_state``: put back a state folder the tool changed that the run journal does
  not vouch for, or that a tool which ran neither pytest nor tasktracker changed.

At the end of a turn, ``open_false_ticks`` and ``swapped_tracker`` keep the agent going.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pytest_tasktracker.agents import verdicts
from pytest_tasktracker.agents.quick import CONFIG_FILES, HOOK_FILES, HOOK_FOLDERS, state_records
from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.fileid import identity
from pytest_tasktracker.paths import relative
from pytest_tasktracker.rules import journal
from pytest_tasktracker.rules.codestate import judge_print, judged_root
from pytest_tasktracker.rules.markers import marked_ids_watched
from pytest_tasktracker.settings import Settings, SettingsError, resolve_in
from pytest_tasktracker.state import Record, code_now, read_record, rerun_command
from pytest_tasktracker.ticks import write
from pytest_tasktracker.tracker.editing import Change, load
from pytest_tasktracker.tracker.fileio import decode, read_bytes, write_locked
from pytest_tasktracker.tracker.model import SubTask, Tracker, parse

SNAPSHOT = "ticks.json"  # in the state folder: the ticks the hook last saw
BACKUP = ".guard"  # in the state folder: the records as the hook last saw them
RECORDS = (journal.FILE, journal.RESULTS, journal.CHECKS)
# Words in a shell command that run the tests or the tool (which write the state folder).
_RUNS_TESTS = re.compile(r"\b(?:pytest|py\.test|tasktracker|pytest_tasktracker|tox|nox)\b")
# The settings that decide what the guard judges, in the pytest configuration files.
GUARDED_KEYS = ("tracker", "tracker_state", "tracker_checks", "tracker_stale", "tracker_gate")


@dataclass(frozen=True)
class FalseTick:
    id: str
    text: str
    why: str  # the judge's reason and what to run to tick it
    blocker: str | None  # the blocker file that holds it, if any

    def line(self) -> str:
        where = f" (blocker: {self.blocker})" if self.blocker else ""
        return f"{self.id} {self.text[:80]}: {self.why}{where}"


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def is_tracker(settings: Settings, path: Path) -> bool:
    """Whether ``path`` is the tracker: by its real path, or a hard link to it."""
    if os.path.realpath(path) == os.path.realpath(settings.tracker):
        return True
    try:
        found, tracker = os.stat(path), os.stat(settings.tracker)
    except OSError:
        return False
    return (found.st_dev, found.st_ino) == (tracker.st_dev, tracker.st_ino)


def in_state_folder(settings: Settings, path: Path) -> bool:
    return _inside(path, settings.state)


def from_here(settings: Settings, command: str, cwd: Path | None) -> str:
    """``command``, given as run from the project's root, as run from ``cwd`` (the
    folder the agent works in: a command it is given must run as written)."""
    root = settings.code_root
    if cwd is None or os.path.realpath(cwd) == os.path.realpath(root):
        return command
    return f"cd {relative(root, cwd)} && {command}"


def run_the_tests(settings: Settings, cwd: Path | None = None) -> str:
    """The supervised run that ticks what passes, runnable from ``cwd``: with the
    tracker named when the project's configuration does not name the judged one."""
    tracker = ""
    try:
        configured = resolve_in(settings.code_root).tracker
    except SettingsError:
        configured = None
    if configured is None or os.path.realpath(configured) != os.path.realpath(settings.tracker):
        tracker = f"--tracker {shown_tracker(settings)} "
    return from_here(settings, f"tasktracker run -- {tracker}--tracker-update", cwd)


def _judge(
    tracker: Tracker, ids: set[str], record: Record, cwd: Path | None = None
) -> list[FalseTick]:
    rerun = rerun_command(tracker, record, None)
    if record.settings is not None:  # as the agent runs it, from where it works
        root = record.settings.code_root
        rerun = from_here(record.settings, rerun_command(tracker, record, root), cwd)
    found = []
    for subtask in tracker.subtasks:
        if subtask.id in ids and subtask.done:
            reasons = record.reasons(subtask, rerun)
            if reasons:
                why = f"{reasons[0].why}; {reasons[0].todo}"
                holder = record.blocker(subtask.id)
                found.append(
                    FalseTick(subtask.id, subtask.text, why, holder.path if holder else None)
                )
    return found


def shown_tracker(settings: Settings) -> str:
    """The tracker as the agent names it: from the project's root, where it works."""
    return relative(settings.tracker, settings.code_root)


def false_ticks(
    settings: Settings, before: str, after: str, cwd: Path | None = None
) -> list[FalseTick]:
    """The sub-tasks that ``after`` ticks and ``before`` did not, that the judge rejects."""
    name = shown_tracker(settings)
    old = parse(before, name)
    new = parse(after, name)
    was_done = {subtask.id for subtask in old.subtasks if subtask.done}
    newly = {subtask.id for subtask in new.subtasks if subtask.done} - was_done
    return _judge(new, newly, read_record(settings), cwd) if newly else []


# -- the plan: the sub-tasks' words and links ----------------------------------------------


def _plan_of(tracker: Tracker) -> list[tuple[tuple[str, str, tuple[str, ...]], SubTask]]:
    """Each sub-task's words as the judge reads them: its step's title, its text, and
    the tests its lines link it to (``<!-- tests: ... -->``)."""
    from pytest_tasktracker.rules.intent import explicit_links  # a tick's path only

    titles = {step.id: step.title for step in tracker.steps}
    found = []
    for subtask in tracker.subtasks:
        lines = "\n".join((subtask.source, *subtask.continuation))
        key = (titles.get(subtask.step, ""), subtask.text, explicit_links(lines))
        found.append((key, subtask))
    return found


def changed_plan(settings: Settings, before: str, after: str) -> list[SubTask]:
    """The sub-tasks of ``before`` that ``after`` no longer has with the same words,
    step and links: reworded (into a red phase: "mark them as known failing"), linked
    to other tests, or gone (a ``-[x]`` the parser no longer reads as a box). New
    sub-tasks, ticks and notes on further lines are not changes of the plan."""
    name = shown_tracker(settings)
    remaining: dict[tuple[str, str, tuple[str, ...]], int] = {}
    for key, _subtask in _plan_of(parse(after, name)):
        remaining[key] = remaining.get(key, 0) + 1
    changed = []
    for key, subtask in _plan_of(parse(before, name)):
        if remaining.get(key, 0):
            remaining[key] -= 1
        else:
            changed.append(subtask)
    return changed


# -- the settings the guard depends on ---------------------------------------------------


def _guarded_values(name: str, text: str) -> dict[str, object]:
    """The guarded settings a configuration file's text holds (``name``: its file name)."""
    import configparser  # only for an edit of a configuration file

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    if name == "pyproject.toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            return {"unreadable": text}
        tool = data.get("tool", {}) if isinstance(data.get("tool"), dict) else {}
        pytest_table = tool.get("pytest", {}) if isinstance(tool.get("pytest"), dict) else {}
        table = pytest_table.get("ini_options", pytest_table)
        found: dict[str, object] = {"tasktracker": tool.get("tasktracker")}
        if isinstance(table, dict):
            found.update({key: table.get(key) for key in GUARDED_KEYS})
        return found
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {"unreadable": text}
    found = {}
    for section in ("pytest", "tool:pytest"):
        if parser.has_section(section):
            found.update(
                {
                    f"{section}.{key}": parser.get(section, key, fallback=None)
                    for key in GUARDED_KEYS
                }
            )
    return found


def _hook_values(name: str, text: str) -> object:
    """What of a host's hook or MCP configuration the guard depends on: every top-level
    setting about hooks (``hooks``, Claude Code's ``disableAllHooks``, Gemini's
    ``hooksConfig``) and the tasktracker MCP server."""
    try:
        if name.endswith(".toml"):
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # pragma: no cover - Python 3.10
                import tomli as tomllib
            data: object = tomllib.loads(text)
        else:
            data = json.loads(text) if text.strip() else {}
    except ValueError:
        return {"unreadable": text}
    if not isinstance(data, dict):
        return {"unreadable": text}
    values = {key: value for key, value in data.items() if "hook" in str(key).lower()}
    for key in ("mcpServers", "mcp_servers"):
        servers = data.get(key)
        values[key] = servers.get("tasktracker") if isinstance(servers, dict) else None
    return values


def _hook_file(path: Path, root: Path) -> str | None:
    """How a host's hook configuration file is shown (``.claude/settings.json``, also
    the same file in the home folder), or None for any other file."""
    real = os.path.realpath(path)
    for base in (root, Path.home()):
        try:
            shown = Path(os.path.relpath(real, os.path.realpath(base))).as_posix()
        except ValueError:
            continue
        if shown in HOOK_FILES or shown.startswith(HOOK_FOLDERS):
            return shown if base == root else f"~/{shown}"
    return None


def guarded_setting(settings: Settings, path: Path, before: str, after: str) -> str | None:
    """Why an edit of ``path`` from ``before`` to ``after`` must be denied: it changes
    which tracker, state folder or named checks the project uses, or the hooks that
    guard it; None for any other edit."""
    root = settings.code_root
    hooks = _hook_file(path, root)
    if hooks is not None:
        if _hook_values(hooks, before) != _hook_values(hooks, after):
            return (
                f"{hooks} holds the hooks that guard the tracker: an agent may not change "
                "them. Ask the user to."
            )
        return None
    try:
        shown = Path(os.path.relpath(os.path.realpath(path), os.path.realpath(root))).as_posix()
    except ValueError:
        return None
    if shown not in CONFIG_FILES:
        return None
    if _guarded_values(shown, before) != _guarded_values(shown, after):
        return (
            f"this edit changes which tracker, state folder or named checks {shown} sets "
            f"({', '.join(GUARDED_KEYS)}, [tool.tasktracker]): the guard judges "
            f"{relative(settings.tracker)}. An agent may not change that; ask the user to."
        )
    return None


def swapped_tracker(settings: Settings, project: Path) -> str | None:
    """When the hook's tracker is pinned (``--tracker``): why the project's configuration
    now names another tracker or state folder (changed by a shell), else None."""
    if settings.tracker_source != "--tracker":
        return None
    try:
        configured = resolve_in(project)
    except SettingsError as error:
        return f"the project's configuration cannot be read: {error}"
    if configured.tracker_source == "the default":
        return None
    same = os.path.realpath(configured.tracker) == os.path.realpath(settings.tracker)
    if same and os.path.realpath(configured.state) == os.path.realpath(settings.state):
        return None

    def shown(path: Path) -> str:
        return relative(path, project)

    return (
        f"the project's configuration ({configured.tracker_source}) now names "
        f"{shown(configured.tracker)} with the state folder {shown(configured.state)}, but "
        f"the guard judges {shown(settings.tracker)} with {shown(settings.state)}: put the "
        "setting back; only the user changes which tracker is judged"
    )


# -- the look before a tool, and what it did ----------------------------------------------


def _snapshot(settings: Settings) -> set[str] | None:
    """The ticks the hook last saw, or None when there is no usable snapshot."""
    try:
        data = json.loads((settings.state / SNAPSHOT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    done = data.get("done") if isinstance(data, dict) else None
    if not isinstance(done, list) or not all(isinstance(i, str) for i in done):
        return None
    return set(done)


class _Seen(NamedTuple):
    """The tracker as one look read it: parsed, its bytes, and its size, time and inode
    taken before they were read (a change after the read makes them differ)."""

    tracker: Tracker
    data: bytes
    identity: list[int] | None


def _read_seen(settings: Settings) -> _Seen:
    identity = _identity(settings.tracker)
    name = shown_tracker(settings)
    data = read_bytes(settings.tracker, name=name)
    return _Seen(parse(decode(Path(name), data), name), data, identity)


def _save_snapshot(settings: Settings, seen_now: _Seen) -> None:
    """The ticks seen, with the tracker's size, time and inode: the hook's quick path
    (``agents.quick``) knows from them alone that nothing changed since; and the
    judge's answers that the code cannot change (``agents.verdicts``)."""
    tracker = seen_now.tracker
    done = sorted(subtask.id for subtask in tracker.subtasks if subtask.done)
    plan = [[key[0], key[1], list(key[2])] for key, _subtask in _plan_of(tracker)]
    try:
        seen = json.loads((settings.state / SNAPSHOT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        seen = None
    guarded = json.loads(json.dumps(_hook_settings(settings.code_root), sort_keys=True))
    records = state_records(str(settings.state))
    now = {
        "done": done,
        "identity": seen_now.identity,
        "plan": plan,
        "settings": guarded,
        "records": records,
    }
    # not written: the next look compares with an older snapshot, and nothing is lost
    with contextlib.suppress(OSError, TrackerError):
        if seen != now:
            write_locked(settings.state / SNAPSHOT, (json.dumps(now) + "\n").encode())
        _save_verdicts(settings, seen_now, guarded)


def _save_verdicts(settings: Settings, seen: _Seen, guarded: dict[str, object]) -> None:
    """What the hook's quick path needs to answer a tick or the end of a turn alone: the
    judge's answer on each sub-task, and what it rests on (``agents.verdicts``).
    ``guarded``: the hook settings now, as the snapshot took them."""
    tracker = seen.tracker
    # taken first: a record written while this judges makes it another key
    key = verdicts.key(str(settings.tracker), str(settings.state), seen.data, seen.identity)
    record = read_record(settings, with_code=False)
    markers = marked_ids_watched(settings.code_root, settings.testpaths)
    code_free = not (record.evidence or record.checks)  # no judge takes the code state
    code_print = None
    if markers is not None and not code_free:
        code_print = judge_print(settings)  # before the state: a change makes it another
        record.code = code_now(settings) if code_print is not None else None
    root = record.code.root if record.code is not None else None
    if root is None and not code_free:
        root = judged_root(settings)
    cwd = settings.code_root
    rerun = from_here(settings, rerun_command(tracker, None, cwd, root=root), cwd)
    boxes: list[list[object]] = []
    for subtask in tracker.subtasks:
        kept = record.kept_reasons(subtask, rerun, markers[0] if markers else None, code_free)
        verdict: str | None = None
        if kept is not None:
            verdict = ""
            if kept[0]:
                holder = record.blocker(subtask.id)
                why = f"{kept[0][0].why}; {kept[0][0].todo}"
                tick = FalseTick(subtask.id, subtask.text, why, holder.path if holder else None)
                verdict = tick.line()
        boxes.append([subtask.offset, subtask.status, verdict, bool(kept and kept[1]), subtask.id])
    data = {
        "key": key,
        "cwd": os.path.realpath(cwd),
        "run": run_the_tests(settings, cwd),
        "boxes": boxes,
        "watched": [
            *(markers[1] if markers else []),
            *_watched_configuration(settings.tracker.parent, cwd),
        ],
        "code": code_print,
        "stop": (
            swapped_tracker(settings, cwd) is None
            and not _hooks_changed(settings, guarded)
            and not _plan_gone(settings, tracker)
        ),
        "stop_watched": _watched_hooks(settings),
    }
    path = settings.state / BACKUP / verdicts.FILE
    text = json.dumps(data) + "\n"
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_locked(path, text.encode())


def _watched(paths: list[Path]) -> list[list[object]]:
    """Each path with its size, time and inode (alone when it is not there)."""
    return [[str(path), *(_identity(path) or [])] for path in paths]


def _watched_configuration(*starts: Path) -> list[list[object]]:
    """The configuration files pytest could read from each of ``starts`` up, each once:
    the settings the look's answers were given on (``agents.verdicts``)."""
    folders: dict[Path, None] = {}
    for start in starts:
        folder = Path(os.path.realpath(start))
        folders.update(dict.fromkeys((folder, *folder.parents)))
    return _watched([place / name for place in folders for name in CONFIG_FILES])


def _watched_hooks(settings: Settings) -> list[list[object]]:
    """What the end of a turn judges besides the ticks: the hooks and the plan as the
    session started, and the hosts' hook files (``agents.verdicts``)."""
    paths = [settings.state / BACKUP / HOOKS_SEEN, settings.state / BACKUP / PLAN_SEEN]
    for base in (Path(os.path.realpath(settings.code_root)), Path.home()):
        paths += [base / name for name in HOOK_FILES]
        for folder in HOOK_FOLDERS:
            paths.append(base / folder)
            with contextlib.suppress(OSError):
                paths += [base / folder / name for name in sorted(os.listdir(base / folder))]
    return _watched(paths)


def _identity(path: Path) -> list[int] | None:
    return identity(str(path))


def _records(state: Path) -> list[str]:
    """The state folder's records, relative to it: the journal, the evidence files and
    the blocker reports."""
    names = [name for name in RECORDS if (state / name).is_file()]
    blockers = state / "blockers"
    if blockers.is_dir():
        names += sorted(f"blockers/{p.name}" for p in blockers.glob("*.md"))
    return names


def _same_file(first: Path, second: Path) -> bool:
    try:
        a, b = first.stat(), second.stat()
    except OSError:
        return False
    return a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns


def looks_at(settings: Settings) -> bool:
    """Whether the guard's last look (its verdicts) was at this tracker and state folder:
    a project whose hooks guard them."""
    try:
        kept = json.loads((settings.state / BACKUP / verdicts.FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    found = kept.get("key") if isinstance(kept, dict) else None
    return isinstance(found, list) and found[1:3] == [
        os.path.realpath(settings.tracker),
        os.path.realpath(settings.state),
    ]


def look(settings: Settings) -> None:
    """Take the look before a tool runs: the ticks now (with the judge's kept answers),
    and ``keep_records``."""
    if settings.tracker.is_file():
        with contextlib.suppress(TrackerError):
            _save_snapshot(settings, _read_seen(settings))
    keep_records(settings)


def keep_records(settings: Settings) -> None:
    """The rest of a look, after its snapshot: the session's start when there is no
    record of it (a session that began before the hooks did), and a copy of every
    record of the state folder that changed since the last look (kept in ``.guard/``,
    with its time, so an unchanged file is not copied again)."""
    if settings.tracker.is_file() and _started(settings) is None:
        remember_ticks(settings)
    state = settings.state
    if not (state / journal.FILE).is_file():
        return
    backup = state / BACKUP
    names = _records(state)
    try:
        for name in names:
            copy = backup / name
            if not _same_file(state / name, copy):
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(state / name, copy)
        for stale in _records(backup):
            if stale not in names:
                (backup / stale).unlink()
    except OSError:
        pass  # without a copy, nothing can be put back; the journal still tells


def untick_false_ticks(settings: Settings, cwd: Path | None = None) -> list[FalseTick]:
    """Untick what was ticked since the last look that the judge rejects; returns what
    was unticked. Without the last look's snapshot (something removed it), every tick
    the judge rejects that the session did not start with is unticked; at the guard's
    first look in the project, none."""
    if not settings.tracker.is_file():
        return []
    name = shown_tracker(settings)
    now = _read_seen(settings)
    tracker = now.tracker
    seen = _snapshot(settings)
    found: list[FalseTick] = []
    if seen is not None:
        newly = {subtask.id for subtask in tracker.subtasks if subtask.done} - seen
        found = _judge(tracker, newly, read_record(settings), cwd) if newly else []
        found += _reworded_ticks(settings, tracker, newly - {tick.id for tick in found})
    else:
        done = {subtask.id for subtask in tracker.subtasks if subtask.done}
        found = _not_the_sessions_start(
            settings, tracker, _judge(tracker, done, read_record(settings), cwd)
        )
    if found:
        changes = [Change(tick.id, False, tick.text) for tick in found]
        write(settings.tracker, name, tracker, changes, Record({}, []), "")
        now = _read_seen(settings)
    _save_snapshot(settings, now)
    return found


def settings_changed(settings: Settings) -> list[str]:
    """The files whose guarded settings (what is judged, the hooks) differ from the
    last look's: a tool call that changed them may not also write evidence (a shell
    that declares ``pylint = "true"`` and runs ``tasktracker verify``)."""
    try:
        data = json.loads((settings.state / SNAPSHOT).read_text(encoding="utf-8"))
        seen = data["settings"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if not isinstance(seen, dict):
        return []
    now = json.loads(json.dumps(_hook_settings(settings.code_root), sort_keys=True))
    return sorted(name for name in {*seen, *now} if seen.get(name) != now.get(name))


def _seen_plan(settings: Settings) -> list[tuple[str, str, tuple[str, ...]]] | None:
    try:
        data = json.loads((settings.state / SNAPSHOT).read_text(encoding="utf-8"))
        return [(str(a), str(b), tuple(str(c) for c in links)) for a, b, links in data["plan"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _reworded_ticks(settings: Settings, tracker: Tracker, ids: set[str]) -> list[FalseTick]:
    """Of the sub-tasks ticked since the look, those whose words, step or links are not
    what the look saw: a tick of a reworded sub-task is judged on words the user did not
    write (a shell's sed that ticks and rewords in one)."""
    seen = _seen_plan(settings)
    if seen is None or not ids:
        return []
    before = set(seen)
    return [
        FalseTick(
            subtask.id,
            subtask.text,
            "its words, step or test links changed since the last look (the plan is the "
            "user's); put them back, then run its tests",
            None,
        )
        for key, subtask in _plan_of(tracker)
        if subtask.id in ids and subtask.done and key not in before
    ]


def runs_tests(command: str) -> bool:
    """Whether a shell command runs the tests or the tool (which write the state folder)."""
    return bool(_RUNS_TESTS.search(command))


def restore_state(settings: Settings, ran_tests: bool) -> list[str]:
    """After a tool: put back the state folder's records as the look saw them when the
    tool changed them and (a) the journal is no longer what it was plus lines appended,
    (b) the journal does not vouch for an evidence file, or (c) the tool ran neither
    pytest nor tasktracker (``ran_tests``). Returns what was put back (empty: nothing
    was wrong, or there was no look to go back to)."""
    state = settings.state
    backup = state / BACKUP
    if not (backup / journal.FILE).is_file():
        return []
    before = set(_records(backup))
    now = set(_records(state))
    changed = sorted(name for name in before | now if _differs(state / name, backup / name))
    if not changed:
        return []
    if ran_tests and _vouched(state, backup):
        return []
    restored = []
    for name in changed:
        target = state / name
        try:
            if (backup / name).is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(backup / name, target)
            else:
                target.unlink()
        except OSError:
            continue
        restored.append(name)
    return restored


def _differs(path: Path, copy: Path) -> bool:
    """Whether a record is not its copy (its size and time first: a copy keeps both)."""
    if not path.is_file() or not copy.is_file():
        return True
    if _same_file(path, copy):
        return False
    return path.read_bytes() != copy.read_bytes()


def _vouched(state: Path, backup: Path) -> bool:
    """Whether the state folder is the backed-up one plus what recorded writers added:
    the journal only grew, and it vouches for every evidence file."""
    try:
        old = (backup / journal.FILE).read_bytes()
        new = (state / journal.FILE).read_bytes()
    except OSError:
        return False
    if not new.startswith(old):
        return False
    recorded = journal.read(state)
    if recorded.problem is not None:
        return False
    for name in (journal.RESULTS, journal.CHECKS):
        if recorded.untrusted(name, journal.file_digest(state / name)):
            return False
    return True


TICKS_AT_START = "started.json"  # in .guard/: the ticked sub-tasks as the session found them


def remember_ticks(settings: Settings) -> None:
    """At a session's start: the ticked sub-tasks (id, step, words, links), so that at its
    end the ticks the session made without evidence can be told from the user's."""
    try:
        tracker = load(settings.tracker, shown_tracker(settings))
    except TrackerError:
        return
    ticked = [
        [subtask.id, key[0], key[1], list(key[2])]
        for key, subtask in _plan_of(tracker)
        if subtask.done
    ]
    data = (json.dumps(ticked) + "\n").encode()
    with contextlib.suppress(OSError, TrackerError):
        write_locked(settings.state / BACKUP / TICKS_AT_START, data)


def untick_session_ticks(settings: Settings, cwd: Path | None = None) -> list[FalseTick]:
    """At the end of a turn: untick, byte-exact, every tick the judge rejects that was
    not there, with the same words, when the session started (a shell's tick that got
    past the guard after its tool, a background job's); returns them. The user's own
    earlier ticks are left: the turn is held for them instead. The record of the
    session's start is made at its start, or at the first look without one: when it is
    gone and other records of the guard are here, something removed it, and every tick
    the judge rejects is unticked."""
    if not settings.tracker.is_file():
        return []
    name = shown_tracker(settings)
    tracker = load(settings.tracker, name)
    made = _not_the_sessions_start(settings, tracker, open_false_ticks(settings, cwd, tracker))
    if made:
        changes = [Change(tick.id, False, tick.text) for tick in made]
        write(settings.tracker, name, tracker, changes, Record({}, []), "")
        with contextlib.suppress(TrackerError):
            _save_snapshot(settings, _read_seen(settings))
    return made


def _started(settings: Settings) -> set[tuple[str, str, str, tuple[str, ...]]] | None:
    """The ticks the session started with (id, step, words, links); None without a record."""
    try:
        seen = json.loads((settings.state / BACKUP / TICKS_AT_START).read_text(encoding="utf-8"))
        return {(str(i), str(a), str(b), tuple(map(str, c))) for i, a, b, c in seen}
    except (OSError, ValueError, TypeError):
        return None


def _removed(settings: Settings) -> bool:
    """Whether the guard's baseline (the last look's snapshot, the session's start) is
    gone while others of its records are here: something removed it. With none of them,
    this is the guard's first look in the project."""
    guard = settings.state / BACKUP
    marks = [settings.state / SNAPSHOT, guard / TICKS_AT_START, guard / HOOKS_SEEN]
    present = [mark.is_file() for mark in [*marks, guard / PLAN_SEEN]]
    return any(present) and not all(present[:2])


def _not_the_sessions_start(
    settings: Settings, tracker: Tracker, ticks: list[FalseTick]
) -> list[FalseTick]:
    """Of ``ticks``, those the session did not start with: without a record of its
    start, all of them when something removed it, none at the guard's first look."""
    started = _started(settings)
    if started is None:
        return ticks if _removed(settings) else []
    keys = {subtask.id: key for key, subtask in _plan_of(tracker)}
    return [tick for tick in ticks if (tick.id, *keys[tick.id]) not in started]


def open_false_ticks(
    settings: Settings, cwd: Path | None = None, tracker: Tracker | None = None
) -> list[FalseTick]:
    """Every ticked sub-task the judge rejects (what must not be left behind)."""
    if tracker is None:
        if not settings.tracker.is_file():
            return []
        tracker = load(settings.tracker, shown_tracker(settings))
    done = {subtask.id for subtask in tracker.subtasks if subtask.done}
    return _judge(tracker, done, read_record(settings), cwd)


_TASK_ID = re.compile(r"(?<![\w.])(\d+(?:\.\d+)+|[A-Z]{1,3}\d{2,}|[\w-]+\.\d+)(?![\w.])")


def task_refusal(settings: Settings, subject: str, cwd: Path | None = None) -> str | None:
    """Why the agent's own task whose subject is ``subject`` may not be completed: it
    names a sub-task (its id, or its text) that the judge would not let be ticked; None
    when it names none, or one that may be."""
    if not subject.strip() or not settings.tracker.is_file():
        return None
    tracker = load(settings.tracker, shown_tracker(settings))
    named = _named_subtask(tracker, subject)
    if named is None:
        return None
    record = read_record(settings)
    rerun = from_here(settings, rerun_command(tracker, record, settings.code_root), cwd)
    reasons = record.reasons(named, rerun)
    if not reasons:
        return None
    return (
        f"This task is sub-task {named.id} of {shown_tracker(settings)} ({named.text[:80]}), "
        f"and it is not done: {reasons[0].why}; {reasons[0].todo}."
    )


def _named_subtask(tracker: Tracker, subject: str) -> SubTask | None:
    """The sub-task a task's subject names: by id (``2.11``, ``T004``), else by its text
    (the subject is the sub-task's text, or starts with it)."""
    for candidate in _TASK_ID.findall(subject):
        matches = tracker.by_id(candidate)
        if len(matches) == 1:
            return matches[0]
    wanted = " ".join(subject.split()).casefold()
    for subtask in tracker.subtasks:
        text = " ".join(subtask.text.split()).casefold()
        if text and (wanted == text or (len(text) >= 12 and wanted.startswith(text))):
            return subtask
    return None


STOPS = "stops.json"  # in .guard/: the turns in a row the guard kept the agent going
MAX_STOPS = 5  # then it lets go, as Claude Code does after 8 (a host that says nothing)


def stop_streak(settings: Settings, blocked: bool | None) -> int:
    """The turns in a row the guard kept the agent from stopping: ``blocked`` True adds
    one, False (a tool call came in between) starts again, None only reads it."""
    path = settings.state / BACKUP / STOPS
    try:
        count = int(json.loads(path.read_text(encoding="utf-8"))["count"])
    except (OSError, ValueError, KeyError, TypeError):
        count = 0
    if blocked is None or (not blocked and count == 0):
        return count
    count = count + 1 if blocked else 0
    with contextlib.suppress(OSError, TrackerError):
        write_locked(path, json.dumps({"count": count}).encode())
    return count


# -- the hooks themselves ---------------------------------------------------------------

HOOKS_SEEN = "hooks.json"  # in .guard/: the hook settings as the session found them


def _hook_settings(root: Path) -> dict[str, object]:
    """Every host's hook settings in the project (``_hook_values`` of each file), and
    the settings of its pytest configuration files that decide what is judged."""
    found: dict[str, object] = {}
    for name in CONFIG_FILES:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            found[name] = _guarded_values(name, (root / name).read_text(encoding="utf-8"))
    names = [*HOOK_FILES]
    for folder in HOOK_FOLDERS:
        with contextlib.suppress(OSError):
            names += sorted(f"{folder}{name}" for name in os.listdir(root / folder))
    for name in names:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            found[name] = _hook_values(name, (root / name).read_text(encoding="utf-8"))
    return found


def remember_hooks(settings: Settings) -> None:
    """At a session's start: the hook settings as they are, to tell at its end whether a
    tool changed them (an edit is denied before; a shell's is seen only after)."""
    data = json.dumps(_hook_settings(settings.code_root), sort_keys=True) + "\n"
    with contextlib.suppress(OSError, TrackerError):
        write_locked(settings.state / BACKUP / HOOKS_SEEN, data.encode())


def changed_hooks(settings: Settings) -> str | None:
    """Why the agent must not stop yet: a tool changed the hooks' settings during the
    session (said once: the new settings are then the ones remembered)."""
    names = _hooks_changed(settings)
    if not names:
        return None
    remember_hooks(settings)
    return (
        f"the settings that guard the tracker in {', '.join(names)} changed during this "
        "session: put them back as they were (git checkout, or ask the user); only the user "
        "changes the hooks and what is judged, and they will see this"
    )


def _hooks_changed(settings: Settings, now: dict[str, object] | None = None) -> list[str]:
    """The files whose hook settings differ from the session's start (``now``: the
    settings as just taken, as JSON reads them back)."""
    try:
        seen = json.loads((settings.state / BACKUP / HOOKS_SEEN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if now is None:
        now = json.loads(json.dumps(_hook_settings(settings.code_root), sort_keys=True))
    if seen == now or not isinstance(seen, dict):
        return []
    return sorted(name for name in {*seen, *now} if seen.get(name) != now.get(name))


PLAN_SEEN = "plan.json"  # in .guard/: the sub-tasks' words as the session found them


def remember_plan(settings: Settings) -> None:
    """At a session's start: the sub-tasks' words, steps and links, to tell at its end
    whether a tool changed them."""
    try:
        tracker = load(settings.tracker, shown_tracker(settings))
    except TrackerError:
        return
    plan = [[key[0], key[1], list(key[2]), subtask.id] for key, subtask in _plan_of(tracker)]
    with contextlib.suppress(OSError, TrackerError):
        write_locked(settings.state / BACKUP / PLAN_SEEN, (json.dumps(plan) + "\n").encode())


def changed_plan_in_session(settings: Settings) -> str | None:
    """Why the agent must not stop yet: a tool changed the words, step or links of
    sub-tasks during the session (said once: the plan now is then the one remembered)."""
    try:
        tracker = load(settings.tracker, shown_tracker(settings))
    except TrackerError:
        return None
    gone = _plan_gone(settings, tracker)
    if not gone:
        return None
    remember_plan(settings)
    return (
        f"the words, step or test links of sub-tasks changed during this session "
        f"({'; '.join(gone)}): put them back as they were (git checkout, or ask the user); "
        "only the user changes the plan, and they will see this"
    )


def _plan_gone(settings: Settings, tracker: Tracker) -> list[str]:
    """The sub-tasks of the session's start whose words, step or links ``tracker`` no
    longer has."""
    try:
        seen = json.loads((settings.state / BACKUP / PLAN_SEEN).read_text(encoding="utf-8"))
        before = [((a, b, tuple(links)), str(i)) for a, b, links, i in seen]
    except (OSError, ValueError, TypeError):
        return []
    remaining: dict[tuple[str, str, tuple[str, ...]], int] = {}
    for key, _subtask in _plan_of(tracker):
        remaining[key] = remaining.get(key, 0) + 1
    gone = []
    for key, subtask_id in before:
        if remaining.get(key, 0):
            remaining[key] -= 1
        else:
            gone.append(f"{subtask_id} {key[1][:60]}")
    return gone
