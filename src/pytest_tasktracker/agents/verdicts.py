"""The look's verdicts: the judge's answer on each sub-task, kept with what it rests on,
so that the hook's quick path can answer a tick or the end of a turn without the judge.

Judging takes the tracker's parser, the evidence, the settings and the standard library
they need: 9x Python's start for a hook (benchmarks/bench_hook.py). Most of it is the
same at every call, so each look of the full guard (``guard.look``, and after a tool
that changed the tracker) writes ``<state>/.guard/verdicts.json``:

- ``key``: what every answer rests on (``key``): the tracker (its size, times, inode and
  SHA-256), the state folder and every record in it (the journal, the evidence files,
  the blocker reports, what the last run digested), and ``$PYTEST_TRACKER``;
- ``watched``: the test files and folders the ``task`` markers were read from, and the
  configuration files pytest could read from the tracker's folder or the code's root
  up (each, there or not);
- ``boxes``: each sub-task's box (offset and status), the judge's answer if it were
  ticked (``""``: it may; the refusal the full guard gives; null: not kept), whether
  the code state can change it (``rules.judge.depends_on_code``: a pass that may be
  stale, checks recorded per code state), and its id;
- ``code``: the code's fingerprint (``rules.codeprint``) and what it was taken on, for
  those answers: unchanged, so is the code state's digest;
- ``stop``, ``stop_watched``: whether the project's settings name the pinned tracker and
  the hooks and plan are as the session found them, and the files that says rests on;
- ``cwd``, ``run``: the folder the words are said from (the code's root), and what to run
  to tick, as said from there.

Before an edit of the tracker (``answer``) that only changes boxes, each of which it
ticks has a kept answer: one refusal refuses the edit in the full guard's words, else
it is let through. After a tool that changed only boxes of the tracker since the look
(``after_answer``), each box it ticked one that may be, the look is brought up to date
here (the ticks' snapshot and these verdicts, as the full guard would write them) and
the tool let through. At the end of a turn (``stop_answer``), when every ticked box may
be, the agent may stop. Anything else (a word changed, a line added, a record or the
code changed since, another folder) goes to the full guard. Answers are in each host's
shape (``hosts.wire``).

Trust: this file is in the state folder, which the guard keeps from edits, but a shell
can write it, as it can the records (docs/limits.md). A forged refusal only refuses; a
forged "it may" lets an edit through to the guard after the tool, which unticks what
the judge rejects; ``tasktracker gate`` in CI judges from scratch.
"""

from __future__ import annotations

import os

from pytest_tasktracker.agents.hosts import wire
from pytest_tasktracker.agents.quick import BACKUP, SNAPSHOT, state_records
from pytest_tasktracker.fileid import identity, sha256
from pytest_tasktracker.jsonscan import dumps
from pytest_tasktracker.lightwrite import replace_locked

TYPE_CHECKING = False  # typing costs the quick path 40 M instructions (it imports re)
if TYPE_CHECKING:
    from typing import Any

FILE = "verdicts.json"  # in the state folder's .guard/
VERSION = 2
TICKED = ("x", "X")


def refused_ticks(lines: list[str], run: str) -> str:
    """The full guard's refusal of an edit that ticks sub-tasks the judge rejects
    (``lines``: each one's ``FalseTick.line()``)."""
    listed = "\n".join(f"- {line}" for line in lines)
    return (
        f"This edit ticks sub-tasks that no passing test run backs:\n{listed}\n"
        f"Run the tests instead ({run}); a box is ticked by the run "
        "that proves it. If the run is blocked, report the blocker; do not tick."
    )


def key(tracker: str, state: str, data: bytes, seen: list[int] | None) -> list[Any]:
    """What the look's answers depend on besides the code (see the module's docstring):
    ``data`` is the tracker's bytes, ``seen`` its identity taken before reading them."""
    return [
        VERSION,
        os.path.realpath(tracker),
        os.path.realpath(state),
        seen,
        sha256(data),
        state_records(state),
        os.environ.get("PYTEST_TRACKER"),
    ]


def _unchanged(watched: Any) -> bool:
    """Whether every file and folder the look watched (the test files whose ``task``
    markers it read, and their folders) is as it was."""
    if not isinstance(watched, list):
        return False
    for entry in watched:
        if not (isinstance(entry, list) and entry and isinstance(entry[0], str)):
            return False
        found = identity(entry[0])
        if (found or []) != entry[1:]:
            return False
    return True


def _read(path: str) -> tuple[bytes, list[int] | None] | None:
    seen = identity(path)
    try:
        with open(path, "rb") as file:
            return file.read(), seen
    except OSError:
        return None


def _kept(tracker: str, state: str, cwd: str, loads: Any) -> tuple[Any, str] | None:
    """The look's verdicts and the tracker's text, when they are for the tracker, the
    records, the settings and the test files as they are now, and words said from
    ``cwd``; else None."""
    read = _read(tracker)
    if read is None:
        return None
    data, seen = read
    try:
        with open(os.path.join(state, ".guard", FILE), encoding="utf-8") as file:
            kept = loads(file.read())
        text = data.decode("utf-8")
    except (OSError, ValueError):
        return None
    if not isinstance(kept, dict) or kept.get("key") != key(tracker, state, data, seen):
        return None
    if kept.get("cwd") != os.path.realpath(cwd) or not _unchanged(kept.get("watched")):
        return None  # the words say what to run from the folder they were made for
    if not isinstance(kept.get("boxes"), list):
        return None
    return kept, text


def stop_answer(
    host: str, cwd: str, tracker: str, state: str, loads: Any
) -> tuple[int, str] | None:
    """The full guard's answer at the end of a turn when it lets the agent stop: every
    ticked box may be ticked, and the tracker, its settings, the hooks and the plan are
    as the look saw them (``stop``); None when the full guard must answer."""
    found = _kept(tracker, state, cwd, loads)
    if found is None:
        return None
    kept, text = found
    if kept.get("stop") is not True or not _unchanged(kept.get("stop_watched")):
        return None
    needs_code = False
    for box in kept["boxes"]:
        if not _is_box(box):
            return None
        offset, status, verdict, code, _id = box
        if status in TICKED and verdict != "":
            return None
        if isinstance(status, str) and text[offset : offset + len(status)] != status:
            return None
        needs_code = needs_code or (status in TICKED and code is True)
    if needs_code and not _same_code(kept.get("code")):
        return None
    return 0, wire.let_through(host)


def _is_box(box: Any) -> bool:
    """Whether ``box`` is one box's kept answer: offset, status, verdict, whether the
    code state can change it, and the sub-task's id."""
    return (
        isinstance(box, list)
        and len(box) == 5
        and isinstance(box[0], int)
        and isinstance(box[4], str)
    )


def _same_code(kept: Any) -> bool:
    """Whether the code's fingerprint is the look's (``rules.codeprint``): then so is
    the code state's digest, on which the answers that the code can change were given."""
    if not (isinstance(kept, list) and len(kept) == 2 and isinstance(kept[0], list)):
        return False
    inputs, seen = kept
    if len(inputs) != 5:
        return False
    from pytest_tasktracker.rules.codeprint import fingerprint

    root, skip, also, where, records = inputs
    return seen is not None and fingerprint(str(root), skip, also, where, str(records)) == seen


def answer(
    host: str,
    tool_input: Any,
    cwd: str,
    tracker: str,
    state: str,
    loads: Any,
) -> tuple[int, str] | None:
    """The full guard's answer to an edit of the tracker before it runs (exit code and
    stdout), from the look's verdicts; None when the full guard must answer."""
    if not isinstance(tool_input, dict):
        return None
    from pytest_tasktracker.agents.edits import edits_of

    edits = edits_of(tool_input)
    if len(edits) != 1 or edits[0].source is not None or edits[0].deleted:
        return None
    found = _kept(tracker, state, cwd, loads)
    if found is None:
        return None
    kept, text = found
    after = edits[0].apply(text)
    if after is None or len(after) != len(text):
        return None
    boxes, run = kept["boxes"], kept.get("run")
    if not isinstance(run, str):
        return None
    ticked: list[Any] = []
    needs_code = False
    rebuilt = list(text)  # ``text`` with only the boxes changed as ``after`` has them
    for box in boxes:
        if not _is_box(box):
            return None
        offset, status, verdict, code, _id = box
        if not (0 <= offset < len(text) and isinstance(status, str) and len(status) == 1):
            continue
        if text[offset] != status:
            return None  # not the tracker these answers are for
        new = after[offset]
        rebuilt[offset] = new
        if new in TICKED and status not in TICKED:
            ticked.append(verdict)
            needs_code = needs_code or code is True
    if "".join(rebuilt) != after:
        return None  # the edit changes more than boxes
    if not ticked or not all(isinstance(verdict, str) for verdict in ticked):
        return None  # nothing ticked (the full guard judges what else changed), or unkept
    if needs_code and not _same_code(kept.get("code")):
        return None
    refusals = [verdict for verdict in ticked if verdict]
    if not refusals:
        return 0, wire.let_through(host)
    return 0, wire.deny(host, refused_ticks(refusals, run))


def after_answer(
    host: str, cwd: str, tracker: str, state: str, loads: Any
) -> tuple[int, str] | None:
    """The full guard's answer after a tool that changed only boxes of the tracker since
    the look, each box it ticked one the judge lets be ticked (by the tool's own edit, or
    a shell's): nothing to say, and the look brought up to date, the snapshot of ticks
    and these verdicts written as the full guard writes them. None when the full guard
    must answer (it then unticks what the judge rejects)."""
    read = _read(tracker)
    if read is None:
        return None
    data, seen = read
    try:
        with open(os.path.join(state, BACKUP, FILE), encoding="utf-8") as file:
            kept = loads(file.read())
        with open(os.path.join(state, SNAPSHOT), encoding="utf-8") as file:
            snapshot = loads(file.read())
        text = data.decode("utf-8")
    except (OSError, ValueError):
        return None
    if not (isinstance(kept, dict) and isinstance(snapshot, dict)):
        return None
    was, now = kept.get("key"), key(tracker, state, data, seen)
    if not (isinstance(was, list) and len(was) == len(now) and isinstance(kept.get("boxes"), list)):
        return None
    if was[:3] != now[:3] or was[5:] != now[5:]:
        return None  # another tracker, state folder or records
    if snapshot.get("identity") != was[3] or snapshot.get("records") != now[5]:
        return None  # the snapshot and these verdicts are not from one look
    if kept.get("cwd") != os.path.realpath(cwd) or not _unchanged(kept.get("watched")):
        return None
    rebuilt = list(text)  # the tracker as the look saw it, if only boxes changed since
    done: list[str] = []
    was_done: list[str] = []
    needs_code = False
    for box in kept["boxes"]:
        if not _is_box(box):
            return None
        offset, status, verdict, code, subtask = box
        if not (0 <= offset < len(text) and isinstance(status, str) and len(status) == 1):
            continue  # ``[]``: a change there changes the length, which the digest sees
        new = text[offset]
        if new != status and new not in (" ", *TICKED):  # ``[-]``: the full guard's
            return None
        rebuilt[offset] = status
        box[1] = new
        if status in TICKED:
            was_done.append(subtask)
        if new in TICKED:
            done.append(subtask)
            if status not in TICKED:
                if verdict != "":
                    return None  # a tick the judge rejects, or unkept: the full guard's
                needs_code = needs_code or code is True
    if sha256("".join(rebuilt).encode("utf-8")) != was[4]:
        return None  # more than boxes changed
    if snapshot.get("done") != sorted(was_done):
        return None
    if needs_code and not _same_code(kept.get("code")):
        return None
    kept["key"] = now
    snapshot["done"], snapshot["identity"] = sorted(done), now[3]
    # the verdicts first: a snapshot left old makes the full guard judge the ticks again
    if not (
        replace_locked(os.path.join(state, BACKUP, FILE), (dumps(kept) + "\n").encode())
        and replace_locked(os.path.join(state, SNAPSHOT), (dumps(snapshot) + "\n").encode())
    ):
        return None
    return 0, wire.let_through(host)
