"""``<state>/results.json``: the evidence of the last runs, merged sub-task by sub-task.

Schema ``pytest-tasktracker/results/2`` (``schemas/results.schema.json``). A run that did
not select a sub-task's tests keeps that sub-task's earlier evidence; a run that did
replaces it. Written atomically under a lock on the state folder, so concurrent runs
merge instead of overwriting each other.

The file grows with the sub-tasks plus the tests, not with their product: each run is
written once (entries name it by index), an entry's tests are grouped by outcome, and
an entry whose tests an earlier line lists already (every whole-suite sub-task, several
naming one file) names that line's sub-task instead. Readers get every entry expanded
(``tests`` as rows, ``run`` as an object), from this layout and from ``results/1`` files.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, TypeGuard

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.redact import secret_nodeids
from pytest_tasktracker.rules import journal
from pytest_tasktracker.rules.outcomes import SubTaskResult
from pytest_tasktracker.runinfo import RunInfo
from pytest_tasktracker.slotted import Slotted
from pytest_tasktracker.tracker.fileio import atomic_write, locked, private_bytes, set_aside
from pytest_tasktracker.tracker.model import Tracker

SCHEMA = "pytest-tasktracker/results/2"
READABLE = frozenset({SCHEMA, "pytest-tasktracker/results/1"})  # results/1: before 0.5
_string = json.encoder.encode_basestring  # a str as JSON, non-ASCII kept, in C
KEEPS_EARLIER = frozenset({"not-run", "unlinked"})  # these keep what the file said
# Test outcomes a passed entry may list: a skipped test neither proves nor disproves.
PROVING = frozenset({"passed", "xfailed", "xpassed", "skipped"})
NODEID_KEY = "nodeid.key"  # beside results.json: the key of redacted test ids' hashes


class JournalEntry(Slotted):
    """What a writer's line in the run journal says, besides the digest of the file."""

    __slots__ = ("by", "tracker", "opened", "resolved", "run")

    def __init__(
        self,
        by: str,
        tracker: str,
        opened: Mapping[str, Mapping[str, Any]] | None = None,
        resolved: tuple[str, ...] = (),
        run: Mapping[str, Any] | None = None,
    ) -> None:
        self.by = by  # run, combine
        self.tracker = tracker  # the tracker, relative to the state folder
        self.opened = opened  # blockers written open
        self.resolved = resolved  # blocker files resolved
        self.run = run


class Evidence(Slotted):
    """What results.json says about one sub-task."""

    __slots__ = (
        "id",
        "text",
        "outcome",
        "reason",
        "tests",
        "time",
        "rule",
        "code",
        "scope",
        "untrusted",
    )

    def __init__(
        self,
        id: str,
        text: str,
        outcome: str,
        reason: str,
        tests: tuple[tuple[str, str], ...],
        time: str | None,
        rule: str | None = None,
        code: str | None = None,
        scope: int | None = None,
        untrusted: str | None = None,
    ) -> None:
        self.id = id
        self.text = text
        self.outcome = outcome
        self.reason = reason
        self.tests = tests
        self.time = time
        self.rule = rule  # how its tests were linked; None: unlinked
        self.code = code  # the code state it was proven on (codestate.py)
        self.scope = scope  # how many tests its scope held (None in older files)
        self.untrusted = untrusted  # why it is not to be trusted; None: a recorded run wrote it

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
            untrusted=str(data["untrusted"]) if data.get("untrusted") else None,
        )

    @classmethod
    def of_result(cls, result: SubTaskResult, time: str, code: str | None) -> Evidence:
        """A run's result as results.json holds it once written: the tests it did not
        select are counted in its scope, not listed."""
        link = result.link
        listed = result.tests
        if "deselected" in set(map(itemgetter(1), listed)):  # rare: looked for in C
            listed = tuple(row for row in listed if row[1] != "deselected")
        return cls(
            link.subtask.id,
            link.subtask.text,
            result.outcome,
            result.reason,
            listed,
            time,
            link.rule,
            code,
            len(result.tests),
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
        return journal.read_once(path)
    except OSError as error:
        raise ResultsError(path, f"cannot be read: {error.strerror or error}") from None


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ResultsError(path, f"is not valid JSON ({error})") from None
    except RecursionError:
        raise ResultsError(path, "is nested too deeply to be results") from None
    if not isinstance(data, dict) or data.get("schema") not in READABLE:
        raise ResultsError(path, f"is not a {SCHEMA} file")
    if not isinstance(data.get("subtasks"), list):
        raise ResultsError(path, "has no 'subtasks' list")
    return expand(data)


def expand(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every entry as readers take it: ``run`` an object, ``tests`` a list
    of ``{"nodeid", "outcome"}`` rows. Entries that name another's tests share its list.
    A ``results/1`` file is already so; a reference that leads nowhere (a hand edit)
    gives no tests, and so no trust."""
    if data.get("schema") == SCHEMA:
        runs = data.pop("runs", None)
        _expand_entries(data["subtasks"], runs if isinstance(runs, list) else [])
    return data


def _expand_entries(entries: list[Any], runs: list[Any]) -> None:
    by_id: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        run = entry.get("run")
        if type(run) is int and 0 <= run < len(runs) and isinstance(runs[run], dict):
            entry["run"] = runs[run]
        elif not isinstance(run, dict):
            entry["run"] = {}
        tests = entry.get("tests")
        entry["tests"] = _rows(tests) if isinstance(tests, dict) else []
        by_id.setdefault(str(entry.get("id")), entry)
    for entry in entries:
        if isinstance(entry, dict) and "same_tests_as" in entry:
            other = by_id.get(str(entry.pop("same_tests_as")))
            entry["tests"] = other["tests"] if other is not None and other is not entry else []


def _rows(groups: dict[str, Any]) -> list[dict[str, str]]:
    """``{"passed": [id, ...], ...}`` as rows; what is not a list of strings is left out."""
    return [
        {"nodeid": nodeid, "outcome": outcome}
        for outcome, nodeids in groups.items()
        if isinstance(nodeids, list)
        for nodeid in nodeids
        if isinstance(nodeid, str)
    ]


_ENTRY = '    {"id": "'  # how results_parts() starts each sub-task's line
_DECODER = json.JSONDecoder()


def earlier_entries(
    path: Path, raw: bytes | None, wanted: Collection[str]
) -> dict[str, dict[str, Any]]:
    """The entries for the ``wanted`` ids, expanded, of the earlier file ``path`` as
    read (``raw``: the very bytes the journal's digest was taken of); {} when there is
    no file.

    A file results_parts() wrote has one entry a line: only the lines of wanted ids (and
    of the entries whose tests they name) are decoded (a run needs the earlier entries
    only of sub-tasks it did not verify). A file in any other layout is decoded whole.
    Raises ResultsError when the file is not a results file.
    """
    if raw is None:
        return {}
    try:
        return _wanted_lines(io.BytesIO(raw), wanted)
    except (ValueError, RecursionError):
        pass  # another layout, or damaged: decode it whole
    subtasks = _parse(path, raw)["subtasks"]
    return {str(e["id"]): e for e in subtasks if isinstance(e, dict) and str(e.get("id")) in wanted}


def _wanted_lines(file: BinaryIO, wanted: Collection[str]) -> dict[str, dict[str, Any]]:
    """The wanted entries of a file in results_parts()'s layout, read a line at a time:
    its head, one entry a line (each but the last ending in ``,``), and ``]}``. Raises
    ValueError when the file is in another layout."""
    first = file.readline().decode("utf-8")
    if not first.endswith('"subtasks": [\n'):
        raise ValueError("not results_parts()'s layout")
    head = json.loads(first[:-1] + "]}")
    if not isinstance(head, dict) or head.get("schema") not in READABLE:
        raise ValueError("not a results file")
    found: dict[str, dict[str, Any]] = {}
    where: dict[str, int] = {}  # id -> offset of its first line, for what entries name
    position = len(first.encode("utf-8"))
    previous = ""  # the body line before this one
    ended = False
    for raw in file:
        line = raw.decode("utf-8")
        if ended or not line.endswith("\n"):
            raise ValueError("text after the end, or a line without its end")
        line = line[:-1]
        if line == "]}":
            if not previous.endswith("}") or previous.endswith("},"):
                raise ValueError("the last entry ends with a comma, or there is none")
            ended = True
            continue
        if (previous and not previous.endswith("},")) or not line.startswith(_ENTRY):
            raise ValueError(line)
        ident = _DECODER.raw_decode(line, len(_ENTRY) - 1)[0]  # the quoted id
        where.setdefault(ident, position)
        if ident in wanted:
            entry = _entry(line)
            if isinstance(entry, dict) and entry.get("id") == ident:
                found[ident] = entry
        previous = line
        position += len(raw)
    if not ended:
        raise ValueError("the file ends before its last line")
    named = {str(e["same_tests_as"]) for e in found.values() if "same_tests_as" in e}
    extra = []
    for ident in sorted(named - found.keys()):
        if ident in where:
            file.seek(where[ident])
            extra.append(_entry(file.readline().decode("utf-8").removesuffix("\n")))
    head["subtasks"] = [*found.values(), *extra]
    expand(head)
    return found


def _entry(line: str) -> Any:
    """The entry of a line results_parts() wrote (four spaces before it, a comma after
    all but the last)."""
    return json.loads(line[4:].removesuffix(","))


def evidence_by_id(path: Path) -> dict[str, Evidence]:
    """Every well-formed entry by sub-task id. An entry of the wrong shape (a hand edit)
    is left out: with no evidence, nothing is trusted."""
    return read_evidence(path)[0]


def read_evidence(path: Path) -> tuple[dict[str, Evidence], str | None]:
    """Every well-formed entry by sub-task id (as ``evidence_by_id``), and the SHA-256
    of the file as read (None when there is none), for the run journal to vouch for."""
    raw = _read(path)
    if raw is None:
        return {}, None
    return _by_id(_parse(path, raw)), journal.sha256(raw)


def _by_id(data: dict[str, Any]) -> dict[str, Evidence]:
    found = {}
    for entry in data["subtasks"]:
        try:
            evidence = Evidence.from_json(entry)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        found[evidence.id] = evidence
    return found


# One encoder for every value: json.dumps(..., ensure_ascii=False) makes a new one a call.
_json = json.JSONEncoder(ensure_ascii=False).encode


def _grouped(rows: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """``(node id, outcome)`` rows as node ids by outcome, in the rows' order."""
    if len(set(map(itemgetter(1), rows))) == 1:  # the usual case: all passed
        return {rows[0][1]: list(map(itemgetter(0), rows))}
    groups: dict[str, list[str]] = {}
    for nodeid, outcome in rows:
        if outcome in groups:
            groups[outcome].append(nodeid)
        else:
            groups[outcome] = [nodeid]
    return groups


class Lines:
    """The entries of a results/2 file, a line each, and the runs they name.

    Each run is kept once (an entry names it by its index in the head's ``runs``), and
    an entry whose tests are the very tests of an earlier line (the same object: the
    shared scope of outcomes.judge_subtasks, or a list read from a reference) names that
    line's sub-task in ``same_tests_as``.

    ``line`` and ``read_line`` make the lines; ``parts`` writes the head, which lists
    the runs, then the lines. So every run must be named before the head is written:
    a writer names them first (``run_index``) and hands ``parts`` its lines as it makes
    them, so they are never all in memory at once."""

    def __init__(self) -> None:
        self.runs: dict[str, int] = {}  # a run as JSON -> its index
        self._listed: dict[int, tuple[object, str]] = {}  # id of tests -> (them, sub-task)

    def run_index(self, run: str) -> int:
        """The index of ``run`` (as JSON) in the head's ``runs``, added when new."""
        return self.runs.setdefault(run, len(self.runs))

    def line(
        self,
        fields: Mapping[str, Any],
        tests: object,
        groups: Callable[[], dict[str, list[str]]],
        run: str,
    ) -> str:
        """One entry: its ``fields`` (``id`` first), the object holding its tests, how to
        group them (asked only of the first entry with them), and its run as JSON."""
        subtask_id = str(fields.get("id"))
        first = self._listed.get(id(tests)) if tests else None
        if first is not None:
            listed = f'"same_tests_as": {_string(first[1])}'
        else:
            if tests:
                self._listed[id(tests)] = (tests, subtask_id)  # kept alive: ids stay unique
            listed = f'"tests": {_json(groups())}'
        return f'{_json(fields)[:-1]}, {listed}, "run": {self.run_index(run)}}}'

    def read_line(self, entry: Mapping[str, Any]) -> str:
        """An entry as a reader gives it (expand): rows, and its run as an object. Rows
        a hand edit put out of shape (in a results/1 file) are written as no tests, so
        the entry stays as untrusted as Evidence.from_json found it."""
        found = entry.get("tests")
        rows = found if _well_formed(found) else []
        fields = {k: v for k, v in entry.items() if k not in ("tests", "run", "same_tests_as")}

        def groups() -> dict[str, list[str]]:
            pairs = [(str(t["nodeid"]), str(t["outcome"])) for t in rows]
            return _grouped(pairs) if pairs else {}

        return self.line(fields, rows, groups, _read_run(entry))

    def parts(self, head: Mapping[str, Any], lines: Iterable[str]) -> Iterator[str]:
        """The file's text a line at a time: its head, then each of ``lines``."""
        head = {"schema": SCHEMA, **{k: v for k, v in head.items() if k != "schema"}}
        top = f'{_json(head)[:-1]}, "runs": [{", ".join(self.runs)}]'
        entries = iter(lines)
        previous = next(entries, None)
        if previous is None:
            yield f'{top}, "subtasks": []}}\n'
            return
        yield f'{top}, "subtasks": [\n'
        for entry in entries:
            yield f"    {previous},\n"
            previous = entry
        yield f"    {previous}\n"
        yield "]}\n"


def _read_run(entry: Mapping[str, Any]) -> str:
    """An entry's run (as a reader gives it, an object) as JSON."""
    return _json(entry.get("run") or {})


def _well_formed(rows: object) -> TypeGuard[list[dict[str, Any]]]:
    """Whether ``rows`` are rows as Evidence.from_json reads them."""
    return isinstance(rows, list) and all(
        isinstance(row, dict) and "nodeid" in row and "outcome" in row for row in rows
    )


def _fields(result: SubTaskResult) -> dict[str, Any]:
    link = result.link
    subtask = link.subtask
    return {
        "id": subtask.id,
        "text": subtask.text,
        "step": subtask.step,
        "line": subtask.line,
        "status": subtask.status,
        "outcome": result.outcome,
        "reason": result.reason,
        "rule": link.rule,
        "targets": list(link.targets),
    }


def _shape(
    rows: tuple[tuple[str, str], ...], secret_ids: Mapping[str, str]
) -> tuple[dict[str, list[str]], int]:
    """A sub-task's tests as written, and how many this run did not select. Those are
    counted, not listed: a shard of a sharded suite would otherwise list every test of a
    whole-suite sub-task (``combine`` needs only what ran, and the size of the scope).
    ``secret_ids`` maps the few node ids that hold a secret (a parametrize value) to
    their redacted form."""
    if not rows:
        return {}, 0
    groups = _grouped(rows)
    deselected = len(groups.pop("deselected", ()))
    if secret_ids:
        groups = {o: [secret_ids.get(n, n) for n in ids] for o, ids in groups.items()}
    return groups, deselected


def results_parts(
    old: Mapping[str, dict[str, Any]],
    tracker: Tracker,
    results: Sequence[SubTaskResult],
    run: RunInfo,
    exit_code: int,
    tracker_name: str,
    untrusted: str | None = None,
    id_key: Callable[[], bytes] | None = None,
) -> Iterator[str]:
    """This run's results merged with the earlier entries of the sub-tasks it did not
    verify (``old``, by id), as the file's text a line at a time: one sub-task a line,
    readable in a diff. ``untrusted``: why the earlier file is not to be trusted (the
    journal did not record it); the entries kept from it say so, and stay untrusted. A
    test id holding a secret is written redacted, beside a hash keyed by ``id_key``
    (redact.secret_nodeids)."""
    secret_ids = secret_nodeids(_all_nodeids(results), key=id_key)
    run_json = run.to_json()
    collection = run_json.pop("collection", None)
    run_text = _json(run_json)
    lines = Lines()
    # First which entries are new and which are kept, so that every run is named in the
    # head before the entries are made: they are then written as they are made (at
    # 100,000 sub-tasks, about 30 MB are never held at once).
    plan: list[tuple[SubTaskResult, dict[str, Any] | None]] = []
    seen: set[str] = set()
    # an id two sub-tasks share names no evidence: a judge that looks it up could not
    # tell whose it is (an agent's copy of a sub-task's words, linked to other tests)
    shared = {
        subtask_id
        for subtask_id, count in Counter(r.link.subtask.id for r in results).items()
        if count > 1
    }
    for result in results:
        subtask = result.link.subtask
        if subtask.id in seen or subtask.id in shared:
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
            if untrusted and not entry.get("untrusted"):
                entry["untrusted"] = untrusted
            lines.run_index(_read_run(entry))
            plan.append((result, entry))
        else:
            lines.run_index(run_text)
            plan.append((result, None))

    def made() -> Iterator[str]:
        shapes: dict[int, tuple[dict[str, list[str]], int]] = {}  # shared rows: shaped once
        for result, kept in plan:
            if kept is not None:
                yield lines.read_line(kept)
                continue
            fields = _fields(result)
            rows = result.tests
            shape = shapes.get(id(rows))
            if shape is None:
                shape = shapes[id(rows)] = _shape(rows, secret_ids)
            fields["scope"] = len(rows)
            if shape[1]:
                fields["deselected"] = shape[1]
            yield lines.line(fields, rows, shape[0].copy, run_text)

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
    return lines.parts(head, made())


def _all_nodeids(results: Sequence[SubTaskResult]) -> Iterable[str]:
    """Every node id the results list, each shared tuple of rows once."""
    distinct = {id(result.tests): result.tests for result in results}.values()
    return chain.from_iterable(map(itemgetter(0), rows) for rows in distinct)


def write_results(
    path: Path,
    tracker: Tracker,
    results: Sequence[SubTaskResult],
    run: RunInfo,
    exit_code: int,
    tracker_name: str,
    entry: JournalEntry | None = None,
) -> list[str]:
    """Merge and write results.json, and record it in the run journal (``entry``: what
    the line says besides the file's digest); return warnings: an earlier file that was
    corrupt, or a damaged journal.

    A corrupt earlier file is never overwritten: it is set aside as
    ``results.json.corrupt-<time>`` so nothing in it is lost. Entries kept from an
    earlier file the journal did not record are marked untrusted.
    """
    warnings = []
    state = path.parent
    state.mkdir(parents=True, exist_ok=True)
    with locked(state):
        recorded = journal.read(state)
        wanted = {r.link.subtask.id for r in results if r.outcome in KEEPS_EARLIER}
        untrusted = None
        try:
            raw = _read(path)  # once: the digest the journal vouches for is of these bytes
            untrusted = recorded.untrusted(path.name, journal.sha256(raw) if raw else None)
            old = earlier_entries(path, raw, wanted)
        except ResultsError as error:
            aside = set_aside(path)
            warnings.append(f"{error}; moved it to {aside.name} and started a new one")
            old = {}
        key = partial(private_bytes, state / NODEID_KEY)  # made when an id needs it
        parts = results_parts(old, tracker, results, run, exit_code, tracker_name, untrusted, key)

        def record(digest: str) -> None:
            line = entry or JournalEntry("run", tracker_name)
            warning = journal.append(
                state,
                by=line.by,
                tracker=line.tracker,
                files={path.name: digest},
                opened=line.opened,
                resolved=line.resolved,
                run=line.run,
            )
            if warning:
                warnings.append(warning)

        atomic_write(
            path, (part.encode("utf-8") for part in parts), durable=False, before_replace=record
        )
    return warnings
