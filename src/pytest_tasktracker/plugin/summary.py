"""The terminal summary section: one line per linked sub-task, then the totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a run without --tracker-update never imports it
    from pytest_tasktracker.rules.outcomes import SubTaskResult
    from pytest_tasktracker.ticks import TickReport

ORDER = ("passed", "failed", "error", "skipped", "not-run", "blocked", "unlinked")


def _counts(result: SubTaskResult) -> str:
    counts = result.counts
    return ", ".join(f"{counts[key]} {key}" for key in sorted(counts, key=_rank)) or "-"


def _rank(outcome: str) -> int:
    order = ("failed", "error", "passed", "xfailed", "xpassed", "skipped", "not-run", "deselected")
    return order.index(outcome) if outcome in order else len(order)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "\u2026"


def totals(results: Sequence[SubTaskResult]) -> str:
    seen: Counter[str] = Counter(result.outcome for result in results)
    return ", ".join(f"{seen[key]} {key}" for key in ORDER if seen[key])


def lines(
    results: Sequence[SubTaskResult],
    update: TickReport | None,
    verbosity: int,
    width: int = 100,
    blocked: Sequence[str] = (),
) -> list[str]:
    """The section's lines for ``verbosity`` (-1 quiet, 0 normal, 1+ verbose).

    Quiet leaves out the line per sub-task: the totals come first."""
    linked = [result for result in results if result.outcome != "unlinked"]
    unlinked = len(results) - len(linked)
    out: list[str] = []
    if verbosity >= 0:
        id_width = max((len(r.link.subtask.id) for r in linked), default=2)
        count_width = max((len(_counts(r)) for r in linked), default=1)
        for result in linked:
            subtask = result.link.subtask
            head = f"{subtask.id:<{id_width}}  {result.outcome:<8} {_counts(result):<{count_width}}"
            out.append(f"{head}  {_shorten(subtask.text, max(width - len(head) - 2, 20))}")
            if verbosity >= 1:
                out.append(f"{'':<{id_width}}  {result.reason}")
                for nodeid, outcome in result.tests:
                    out.append(f"{'':<{id_width}}    {outcome:<10} {nodeid}")
    summary = totals(linked) or "no sub-task is linked to a test"
    out.append(f"{len(linked)} linked sub-tasks: {summary}; {unlinked} unlinked")
    out.extend(blocked)
    if update is not None:
        if update.ticked or update.unticked:
            parts = []
            if update.ticked:
                parts.append("ticked " + ", ".join(update.ticked))
            if update.unticked:
                parts.append("unticked " + ", ".join(update.unticked))
            out.append("; ".join(parts))
        elif not update.error:
            out.append("tracker unchanged")
        for subtask_id, why in update.refused.items():
            out.append(f"not ticked {subtask_id}: {why}")
        if update.skipped:
            out.append(
                "left alone (edited by someone else during the run): " + ", ".join(update.skipped)
            )
        if update.error:
            out.append(f"tracker not updated: {update.error}")
    return out
