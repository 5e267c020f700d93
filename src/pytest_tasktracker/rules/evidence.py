"""``<state>/results.json``: the evidence of the last runs, merged sub-task by sub-task.

Schema ``pytest-tasktracker/results/1`` (``schemas/results.schema.json``). A run that did
not select a sub-task's tests keeps that sub-task's earlier evidence; a run that did
replaces it. Written atomically under a lock on the state folder, so concurrent runs
merge instead of overwriting each other.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.redact import secret_nodeids
from pytest_tasktracker.rules.outcomes import SubTaskResult
from pytest_tasktracker.runinfo import RunInfo
from pytest_tasktracker.tracker.fileio import atomic_write, locked, set_aside
from pytest_tasktracker.tracker.model import Tracker

SCHEMA = "pytest-tasktracker/results/1"
_string = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept, in C
KEEPS_EARLIER = frozenset({"not-run", "unlinked"})  # these keep what the file said
# Test outcomes a passed entry may list: a skipped test neither proves nor disproves.
PROVING = frozenset({"passed", "xfailed", "xpassed", "skipped"})


@dataclass(frozen=True)
class Evidence:
    """What results.json says about one sub-task."""

    id: str
    text: str
    outcome: str
    reason: str
    tests: tuple[tuple[str, str], ...]
    time: str | None
    rule: str | None = None  # how its tests were linked; None: unlinked
    code: str | None = None  # the code state it was proven on (codestate.py)
    scope: int | None = None  # how many tests its scope held (None in older files)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evidence:
        return cls(
            id=str(data["id"]),
            text=str(data.get("text", "")),
            outcome=str(data.get("outcome", "not-run")),
            reason=str(data.get("reason", "")),
            tests=tuple((str(t["nodeid"]), str(t["outcome"])) for t in data.get("tests", [])),
            time=(data.get("run") or {}).get("time"),
            rule=str(data["rule"]) if data.get("rule") else None,
            code=_code(data.get("run")),
            scope=data["scope"] if isinstance(data.get("scope"), int) else None,
        )

    def contradiction(self) -> str | None:
        """What makes a ``passed`` entry contradict itself (a hand edit, a bad merge)."""
        if self.outcome != "passed":
            return None
        if not self.tests:
            return "it says passed but lists no test"
        bad = [f"{nodeid} {outcome}" for nodeid, outcome in self.tests if outcome not in PROVING]
        if bad:
            return f"it says passed but lists {', '.join(bad[:3])}"
        if all(outcome == "skipped" for _, outcome in self.tests):
            return "it says passed but every test it lists was skipped"
        if self.scope is not None and len(self.tests) != self.scope:
            return (
                f"it says passed but lists {len(self.tests)} of the {self.scope} tests of its scope"
            )
        return None


def _code(run: Any) -> str | None:
    code = run.get("code") if isinstance(run, dict) else None
    return code if isinstance(code, str) and code else None


class ResultsError(TrackerError):
    """results.json exists but cannot be read as results."""


def read_results(path: Path) -> dict[str, Any] | None:
    """The parsed results file, None when there is none; raises ResultsError if corrupt."""
    raw = _read(path)
    return None if raw is None else _parse(path, raw)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ResultsError(path, f"cannot be read: {error.strerror}") from None


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ResultsError(path, f"is not valid JSON ({error})") from None
    except RecursionError:
        raise ResultsError(path, "is nested too deeply to be results") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ResultsError(path, f"is not a {SCHEMA} file")
    if not isinstance(data.get("subtasks"), list):
        raise ResultsError(path, "has no 'subtasks' list")
    return data


_ENTRY = '    {"id": "'  # how results_text() starts each sub-task's line
_DECODER = json.JSONDecoder()


def earlier_entries(path: Path, wanted: Collection[str]) -> dict[str, dict[str, Any]]:
    """The earlier file's entries for the ``wanted`` ids; {} when there is no file.

    A file results_text() wrote has one entry a line, and only the lines of wanted ids are
    decoded: a whole-suite sub-task's line lists every collected test, and a run needs
    the earlier entries only of sub-tasks it did not verify. A file in any other layout
    is decoded whole. Raises ResultsError when the file is not a results file.
    """
    raw = _read(path)
    if raw is None:
        return {}
    try:
        lines = raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        lines = []  # _parse says what is wrong
    if len(lines) > 3 and lines[-2:] == ["]}", ""] and lines[0].endswith('"subtasks": ['):
        try:
            head = json.loads(lines[0] + "]}")
            entries: dict[str, dict[str, Any]] = {}
            body = lines[1:-2]
            for number, line in enumerate(body, start=1):
                end = "}" if number == len(body) else "},"
                if not line.startswith(_ENTRY) or not line.endswith(end):
                    raise ValueError(line)
                ident = _DECODER.raw_decode(line, len(_ENTRY) - 1)[0]  # the quoted id
                if ident in wanted:
                    entry = json.loads(line[4:].removesuffix(","))
                    if isinstance(entry, dict) and entry.get("id") == ident:
                        entries[ident] = entry
            if isinstance(head, dict) and head.get("schema") == SCHEMA:
                return entries
        except ValueError:
            pass  # not results_text()'s layout, or damaged: decode it whole
    subtasks = _parse(path, raw)["subtasks"]
    return {str(e["id"]): e for e in subtasks if isinstance(e, dict) and str(e.get("id")) in wanted}


def evidence_by_id(path: Path) -> dict[str, Evidence]:
    """Every well-formed entry by sub-task id. An entry of the wrong shape (a hand edit)
    is left out: with no evidence, nothing is trusted."""
    data = read_results(path)
    if data is None:
        return {}
    found = {}
    for entry in data["subtasks"]:
        try:
            evidence = Evidence.from_json(entry)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        found[evidence.id] = evidence
    return found


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _entry(
    result: SubTaskResult, tracker_status: str, run: str, secret_ids: Mapping[str, str]
) -> str:
    """One sub-task's entry as a line of JSON. Its tests, up to one row per collected
    test, are written by the C string encoder: building and encoding a dict per row
    takes five times as long. ``secret_ids`` maps the few node ids that hold a secret
    (a parametrize value) to their redacted form."""
    link = result.link
    subtask = link.subtask
    fields = {
        "id": subtask.id,
        "text": subtask.text,
        "step": subtask.step,
        "line": subtask.line,
        "status": tracker_status,
        "outcome": result.outcome,
        "reason": result.reason,
        "rule": link.rule,
        "targets": list(link.targets),
    }
    # Tests this run did not select are counted, not listed: a shard of a sharded suite
    # would otherwise list every test of a whole-suite sub-task (``combine`` needs only
    # what ran, and the size of the scope).
    rows = result.tests
    deselected = sum(1 for _, outcome in rows if outcome == "deselected")
    if deselected:
        rows = tuple(row for row in rows if row[1] != "deselected")
        fields["deselected"] = deselected
    fields["scope"] = len(result.tests)
    if secret_ids:
        rows = tuple((secret_ids.get(nodeid, nodeid), outcome) for nodeid, outcome in rows)
    tests = ", ".join(
        f'{{"nodeid": {_string(nodeid)}, "outcome": {_string(outcome)}}}'
        for nodeid, outcome in rows
    )
    return f'{_json(fields)[:-1]}, "tests": [{tests}], "run": {run}}}'


def results_text(
    old: Mapping[str, dict[str, Any]],
    tracker: Tracker,
    results: Sequence[SubTaskResult],
    run: RunInfo,
    exit_code: int,
    tracker_name: str,
) -> str:
    """This run's results merged with the earlier entries of the sub-tasks it did not
    verify (``old``, by id), as the file's text: one sub-task a line, readable in a diff.
    """
    secret_ids = secret_nodeids(nodeid for result in results for nodeid, _ in result.tests)
    run_json = run.to_json()
    collection = run_json.pop("collection", None)
    run_text = _json(run_json)
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
            and result.outcome in KEEPS_EARLIER
            and previous.get("outcome") not in (None, "unlinked")
            and previous.get("text") == subtask.text
        )
        if keep:
            assert previous is not None
            entry = dict(previous)
            entry.update(line=subtask.line, step=subtask.step, status=subtask.status)
            entries.append(_json(entry))
        else:
            entries.append(_entry(result, subtask.status, run_text, secret_ids))
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    head = {
        "schema": SCHEMA,
        "tracker": tracker_name,
        "last_run": {
            **run_json,
            **({"collection": collection} if collection else {}),
            "exit_code": exit_code,
            "outcomes": counts,
        },
    }
    top = _json(head)[:-1]
    if not entries:
        return f'{top}, "subtasks": []}}\n'
    body = ",\n    ".join(entries)
    return f'{top}, "subtasks": [\n    {body}\n]}}\n'


def write_results(
    path: Path,
    tracker: Tracker,
    results: Sequence[SubTaskResult],
    run: RunInfo,
    exit_code: int,
    tracker_name: str,
) -> str | None:
    """Merge and write results.json; return a warning when an earlier file was corrupt.

    A corrupt earlier file is never overwritten: it is set aside as
    ``results.json.corrupt-<time>`` so nothing in it is lost.
    """
    warning = None
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.parent):
        wanted = {r.link.subtask.id for r in results if r.outcome in KEEPS_EARLIER}
        try:
            old = earlier_entries(path, wanted)
        except ResultsError as error:
            aside = set_aside(path)
            warning = f"{error}; moved it to {aside.name} and started a new one"
            old = {}
        text = results_text(old, tracker, results, run, exit_code, tracker_name)
        atomic_write(path, text.encode("utf-8"), durable=False)
    return warning
