"""The lines a blocked run prints first: the decision, whole, in the first 500 characters.

A tool that runs pytest for an agent (mcp-tools-py's ``run_pytest_check``) hands it only
the start of stderr. So the first line of a blocked run says, within ``MAX_LINE``
characters, the kind, what the agent must not tick, the first fix and the report's
path; and, when the same cause came back ``tracker_retry_limit`` times, to stop. With
several blockers the most important comes first, then one line counts the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_tasktracker.paths import relative
from pytest_tasktracker.redact import printable

MAX_LINE = 400
MAX_IDS = 6
# Most important first: what stops every test, then what stops some, then the rest.
RANK = (
    "usage-error",
    "missing-plugin",
    "conftest-error",
    "internal-error",
    "crash",
    "timeout",
    "worker-crash",
    "collection-error",
    "path-not-found",
    "no-tests",
    "interrupted",
    "unverifiable",
)


def rank(front: dict[str, Any]) -> int:
    kind = str(front.get("kind"))
    return RANK.index(kind) if kind in RANK else len(RANK)


def _cut(text: str, width: int) -> str:
    if width <= 1:
        return ""
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _ids(entries: Sequence[Any]) -> str:
    ids = [str(entry.get("id")) for entry in entries if isinstance(entry, dict)]
    shown = ", ".join(ids[:MAX_IDS])
    return shown + (f" (+{len(ids) - MAX_IDS} more)" if len(ids) > MAX_IDS else "")


def decision_line(path: Path, front: dict[str, Any], cwd: Path) -> str:
    """One blocker's line: kind (and stop retrying), summary, what must stay unticked,
    what stands, the first fix, the report's path; at most MAX_LINE characters, the
    summary and then the fix cut first."""
    kind = str(front.get("kind"))
    head = f"BLOCKED ({kind})"
    if front.get("stop_retrying"):
        head = f"BLOCKED ({kind}, {front.get('repeats')} runs in a row: stop retrying)"
    affected = front.get("affected") or []
    keep = f"keep unticked: {_ids(affected)}" if affected else "nothing named to keep unticked"
    parts = [keep]
    proven = front.get("proven") or []
    if proven:
        parts.append(f"still proven on this code: {_ids(proven)}")
    remedies = front.get("remedies") or []
    fix = printable(str(remedies[0].get("command"))) if remedies else ""
    where = f" -> {relative(path, cwd)}"
    summary = printable(str(front.get("summary")))
    fixed = "; ".join(parts)

    def compose(summary: str, fix: str) -> str:
        return f"{head}: {summary}; {fixed}" + (f"; fix: {fix}" if fix else "") + where

    line = compose(summary, fix)
    over = len(line) - MAX_LINE
    if over > 0:
        summary = _cut(summary, max(len(summary) - over, 40))
        line = compose(summary, fix)
    over = len(line) - MAX_LINE
    if over > 0 and fix:
        fix = _cut(fix, max(len(fix) - over, 20))
        line = compose(summary, fix)
    return line[:MAX_LINE]


def lines(written: Sequence[tuple[Path, dict[str, Any]]], cwd: Path) -> list[str]:
    """The most important blocker's line, then one line counting the others."""
    ranked = sorted(written, key=lambda pair: rank(pair[1]))
    if not ranked:
        return []
    out = [decision_line(*ranked[0], cwd)]
    rest = ranked[1:]
    if rest:
        others = ", ".join(f"{front.get('kind')} ({relative(path, cwd)})" for path, front in rest)
        text = f"BLOCKED: and {len(rest)} more: {others}; see tasktracker blockers"
        out.append(_cut(text, MAX_LINE))
    return out
