"""The gate: the judge (``rules.judge``) over every ticked box, and how its verdict is
shown: one line per offender, GitHub annotations, the counts.

``tasktracker gate``, ``pytest --tracker-gate``, the Stop hook and the MCP ``gate`` tool
all show this verdict; which ticks fail, and why, is the judge's alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.judge import OpenBlocker, Reason
from pytest_tasktracker.tracker.model import SubTask, Tracker


class Offender:
    """A sub-task ticked against the judge, and the judge's reasons."""

    def __init__(self, subtask: SubTask, reasons: list[Reason]) -> None:
        self.subtask = subtask
        self.reasons = reasons

    def line(self, path: str) -> str:
        reason = self.reasons[0]
        more = f" (and {len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return (
            f"{path}:{self.subtask.line}: {self.subtask.id} {_short(self.subtask.text)}: "
            f"{reason.why}{more}; {reason.todo}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.subtask.id,
            "line": self.subtask.line,
            "text": self.subtask.text,
            "reasons": [{"rule": r.rule, "why": r.why, "todo": r.todo} for r in self.reasons],
        }


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


EVERY = "*"  # in OpenBlocker.affected: every sub-task (a report that cannot be read)


class Blocked:
    """The first open blocker of each sub-task, by id; one listing EVERY blocks all."""

    def __init__(self) -> None:
        self.by_id: dict[str, OpenBlocker] = {}

    def get(self, subtask_id: str) -> OpenBlocker | None:
        return self.by_id.get(subtask_id) or self.by_id.get(EVERY)


def blocked_ids(blockers: Sequence[OpenBlocker]) -> Blocked:
    """The first open blocker of each sub-task it lists."""
    blocked = Blocked()
    for blocker in blockers:
        for subtask_id in blocker.affected:
            blocked.by_id.setdefault(subtask_id, blocker)
    return blocked


def find_offenders(tracker: Tracker, reasons: Callable[[SubTask], list[Reason]]) -> list[Offender]:
    """The ticked sub-tasks the judge rejects: ``reasons`` is the judge's answer for one
    sub-task on the recorded facts (``state.Record.reasons``)."""
    offenders = []
    for subtask in tracker.subtasks:
        if subtask.done:
            found = reasons(subtask)
            if found:
                offenders.append(Offender(subtask, found))
    return offenders


def split_stale(offenders: Sequence[Offender]) -> tuple[list[Offender], list[Offender]]:
    """With ``tracker_stale = warn``: the offenders without their stale reasons, and the
    ticks that are only stale (to be warned about)."""
    failing, stale = [], []
    for offender in offenders:
        kept = [reason for reason in offender.reasons if reason.rule != "stale"]
        if kept:
            failing.append(Offender(offender.subtask, kept))
        else:
            stale.append(offender)
    return failing, stale


def backed_by_evidence(tracker: Tracker, evidence: Mapping[str, Evidence]) -> int:
    """How many ticked sub-tasks a passing run backs (the others the judge accepts need
    none: a red phase, an implementation, a commit message)."""
    return sum(
        1
        for subtask in tracker.subtasks
        if subtask.done
        and (found := evidence.get(subtask.id)) is not None
        and found.outcome == "passed"
    )


def passed_line(ticked: int, backed: int | None) -> str:
    """What a gate that passed says of the ticks: how many a passing run backs, and how
    many need none (``backed``: None when not counted)."""
    if ticked == 0:
        return "no sub-task is ticked"
    if backed is None or backed >= ticked:
        return f"every one of {ticked} ticked sub-tasks is backed by evidence"
    rest = ticked - backed
    needs = "needs" if rest == 1 else "need"
    return (
        f"{ticked} ticked sub-tasks: {backed} backed by passing evidence, {rest} that {needs} "
        "no passing run"
    )


def gate_lines(
    path: str,
    offenders: Sequence[Offender],
    ticked: int,
    github: bool,
    backed: int | None = None,
) -> list[str]:
    """The gate's verdict as lines, the same for ``tasktracker gate`` and
    ``pytest --tracker-gate``: GitHub annotations when ``github``, one line per
    offender, then the summary line (``backed``: the ticks a passing run backs)."""
    lines = annotation_lines(path, offenders) if github else []
    lines.extend(offender.line(path) for offender in offenders)
    if offenders:
        ids = ", ".join(offender.subtask.id for offender in offenders)
        lines.append(
            f"gate failed: {len(offenders)} of {ticked} ticked sub-tasks lack evidence ({ids})"
        )
    else:
        lines.append(f"gate passed: {passed_line(ticked, backed)}")
    return lines


MAX_ANNOTATIONS = 10  # GitHub shows at most 10 error annotations per step


def _weight(offender: Offender) -> int:
    """Blocked and failed ticks first: they are what a reader must see."""
    rules = {reason.rule for reason in offender.reasons}
    failing = any("failed" in r.why or "error" in r.why for r in offender.reasons)
    return 0 if "blocker" in rules else 1 if failing else 2


def annotation_lines(path: str, offenders: Sequence[Offender]) -> list[str]:
    """The ``::error`` annotations GitHub will show: the 10 most important (blocked and
    failed first, in tracker order), and one line saying how many more there are."""
    ranked = sorted(offenders, key=_weight)  # stable: tracker order within a weight
    shown = ranked[:MAX_ANNOTATIONS]
    lines = [annotation(path, offender) for offender in shown]
    if len(ranked) > len(shown):
        lines.append(
            f"::notice title=tasktracker gate::{len(ranked) - len(shown)} more sub-tasks lack "
            "evidence; GitHub shows 10 annotations per step: see the job summary"
        )
    return lines


def annotation(path: str, offender: Offender) -> str:
    """A GitHub Actions ``::error`` workflow command at the sub-task's line."""

    def escape_data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def escape_property(text: str) -> str:
        return escape_data(text).replace(":", "%3A").replace(",", "%2C")

    reason = offender.reasons[0]
    subtask = offender.subtask
    title = escape_property(f"tasktracker gate: {subtask.id}")
    message = escape_data(f"{subtask.id} {subtask.text}: {reason.why}; {reason.todo}")
    return f"::error file={escape_property(path)},line={subtask.line},title={title}::{message}"
