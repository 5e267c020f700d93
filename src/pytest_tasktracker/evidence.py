"""``<state>/results.json``: the evidence of the last runs, merged sub-task by sub-task.

Schema ``pytest-tasktracker/results/1`` (``schemas/results.schema.json``). A run that did
not select a sub-task's tests keeps that sub-task's earlier evidence; a run that did
replaces it. Written atomically under a lock on the state folder, so concurrent runs
merge instead of overwriting each other.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.fileio import atomic_write, locked
from pytest_tasktracker.outcomes import SubTaskResult
from pytest_tasktracker.runinfo import RunInfo
from pytest_tasktracker.tracker import Tracker

SCHEMA = "pytest-tasktracker/results/1"
KEEPS_EARLIER = frozenset({"not-run"})


@dataclass(frozen=True)
class Evidence:
    """What results.json says about one sub-task."""

    id: str
    text: str
    outcome: str
    reason: str
    tests: tuple[tuple[str, str], ...]
    time: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            id=str(data["id"]),
            text=str(data.get("text", "")),
            outcome=str(data.get("outcome", "not-run")),
            reason=str(data.get("reason", "")),
            tests=tuple((str(t["nodeid"]), str(t["outcome"])) for t in data.get("tests", [])),
            time=(data.get("run") or {}).get("time"),
        )


class ResultsError(TrackerError):
    """results.json exists but cannot be read as results."""


def read_results(path: Path) -> dict[str, Any] | None:
    """The parsed results file, None when there is none; raises ResultsError if corrupt."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ResultsError(path, f"cannot be read: {error.strerror}") from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ResultsError(path, f"is not valid JSON ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ResultsError(path, f"is not a {SCHEMA} file")
    if not isinstance(data.get("subtasks"), list):
        raise ResultsError(path, "has no 'subtasks' list")
    return data


def evidence_by_id(path: Path) -> dict[str, Evidence]:
    data = read_results(path)
    if data is None:
        return {}
    return {str(entry["id"]): Evidence.from_json(entry) for entry in data["subtasks"]}


def _entry(result: SubTaskResult, tracker_status: str, run: dict[str, Any]) -> dict[str, Any]:
    link = result.link
    subtask = link.subtask
    return {
        "id": subtask.id,
        "text": subtask.text,
        "step": subtask.step,
        "line": subtask.line,
        "status": tracker_status,
        "outcome": result.outcome,
        "reason": result.reason,
        "rule": link.rule,
        "targets": list(link.targets),
        "tests": [{"nodeid": nodeid, "outcome": outcome} for nodeid, outcome in result.tests],
        "run": run,
    }


def merge(
    earlier: dict[str, Any] | None,
    tracker: Tracker,
    results: Sequence[SubTaskResult],
    run: RunInfo,
    exit_code: int,
    tracker_name: str,
) -> dict[str, Any]:
    """Merge this run's results into the earlier file's content."""
    old = {str(e["id"]): e for e in (earlier or {}).get("subtasks", []) if "id" in e}
    run_json = run.to_json()
    entries = []
    seen: set[str] = set()
    for result in results:
        subtask = result.link.subtask
        if subtask.id in seen:
            continue
        seen.add(subtask.id)
        previous = old.get(subtask.id)
        keep = (
            previous is not None
            and result.outcome in KEEPS_EARLIER | {"unlinked"}
            and previous.get("outcome") not in (None, "unlinked")
            and previous.get("text") == subtask.text
        )
        if keep:
            assert previous is not None
            entry = dict(previous)
            entry.update(line=subtask.line, step=subtask.step, status=subtask.status)
        else:
            entry = _entry(result, subtask.status, run_json)
        entries.append(entry)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return {
        "schema": SCHEMA,
        "tracker": tracker_name,
        "last_run": {**run_json, "exit_code": exit_code, "outcomes": counts},
        "subtasks": entries,
    }


def dumps(data: dict[str, Any]) -> str:
    """JSON with one sub-task per line: readable in a diff, and written by the C encoder
    (``indent`` makes json fall back to its pure-Python encoder, ten times slower)."""
    head = {key: value for key, value in data.items() if key != "subtasks"}
    lines = [json.dumps(entry, ensure_ascii=False) for entry in data["subtasks"]]
    body = ",\n    ".join(lines)
    top = json.dumps(head, ensure_ascii=False)[:-1]
    return f'{top}, "subtasks": [\n    {body}\n]}}\n' if lines else f'{top}, "subtasks": []}}\n'


def write_results(
    path: Path,
    tracker: Tracker,
    results: Sequence[SubTaskResult],
    run: RunInfo,
    exit_code: int,
    tracker_name: str,
) -> str | None:
    """Merge and write results.json; return a warning when an earlier file was corrupt.

    A corrupt earlier file is never overwritten: it is moved aside to
    ``results.json.corrupt`` so nothing in it is lost.
    """
    warning = None
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent):
        try:
            earlier = read_results(path)
        except ResultsError as error:
            aside = path.with_name(path.name + ".corrupt")
            os.replace(path, aside)
            warning = f"{error}; moved it to {aside.name} and started a new one"
            earlier = None
        data = merge(earlier, tracker, results, run, exit_code, tracker_name)
        atomic_write(path, dumps(data).encode("utf-8"), durable=False)
    return warning
