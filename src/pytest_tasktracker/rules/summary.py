"""The gate's verdict as markdown: a table a person reads at a glance, for GitHub's job
summary (``$GITHUB_STEP_SUMMARY``), ``gate --summary FILE``, or a pull-request comment.

One row per ticked or blocked sub-task: its status, its evidence, its blocker and
whether the evidence is from this code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.freshness import CodeNow
from pytest_tasktracker.rules.gate import Blocked, Offender, backed_by_evidence, passed_line
from pytest_tasktracker.tracker.model import Tracker


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def summary_markdown(
    tracker: Tracker,
    offenders: Sequence[Offender],
    evidence: Mapping[str, Evidence],
    blocked: Blocked,
    code: CodeNow | None,
) -> str:
    rejected = {offender.subtask.id: offender for offender in offenders}
    ticked = tracker.done_count
    if offenders:
        head = f"failed: {len(offenders)} of {ticked} ticked sub-tasks lack evidence"
    else:
        head = f"passed: {passed_line(ticked, backed_by_evidence(tracker, evidence))}"
    lines = [
        f"## Task tracker gate {head}",
        "",
        f"`{tracker.path}`",
        "",
        "| Sub-task | Status | Evidence | Blocker | Code |",
        "|---|---|---|---|---|",
    ]
    for subtask in tracker.subtasks:
        blocker = blocked.get(subtask.id)
        if not subtask.done and blocker is None:
            continue
        offender = rejected.get(subtask.id)
        if offender is not None:
            status = f"❌ ticked: {offender.reasons[0].why}"
        elif subtask.done:
            status = "✅ ticked, backed"
        else:
            status = "⛔ open, blocked"
        found = evidence.get(subtask.id)
        proof = "none"
        fresh = "-"
        if found is not None:
            proof = f"{found.outcome} ({len(found.tests)} tests)"
            if code is not None and found.code is not None:
                fresh = "stale" if code.stale(found) else "this code"
        where = f"`{blocker.path}` ({blocker.kind})" if blocker is not None else ""
        name = f"{subtask.id} {subtask.text[:70]}"
        lines.append(
            f"| {_cell(name)} | {_cell(status)} | {_cell(proof)} | {_cell(where)} | {fresh} |"
        )
    return "\n".join(lines) + "\n"
