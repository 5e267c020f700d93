"""``tasktracker combine``: the evidence of several shards of one run, as one.

When CI splits a suite across jobs (a matrix with ``--deselect``, pytest-split's
``--splits/--group``), each job verifies only what it ran. Put together, a sub-task's
scope is verified when the union of the shards ran every test of it and all passed; a
failure in any shard wins. Shards of another tracker, another code state or another
collection are refused, each with a one-line reason naming its file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_tasktracker.errors import TrackerReadError
from pytest_tasktracker.rules.evidence import Lines, expand
from pytest_tasktracker.rules.journal import read_once, sha256

UNRUN = frozenset({"not-run", "deselected"})
_RANK = {"failed": 5, "error": 4, "passed": 3, "xpassed": 3, "xfailed": 3, "skipped": 2}


class ShardError(TrackerReadError):
    """A shard that cannot be read, or combined with the others: bad input (exit 2)."""


@dataclass(frozen=True)
class Shard:
    name: str  # the file, as shown
    data: dict[str, Any]

    @property
    def last_run(self) -> dict[str, Any]:
        run = self.data.get("last_run")
        return run if isinstance(run, dict) else {}

    @property
    def ran(self) -> bool:
        """Whether pytest ran its tests (not stopped by a usage or collection error)."""
        return self.last_run.get("exit_code") in (0, 1)

    def entries(self) -> list[dict[str, Any]]:
        """This shard's own entries (not evidence it kept from earlier runs)."""
        time = self.last_run.get("time")
        found = []
        for entry in self.data.get("subtasks") or []:
            if isinstance(entry, dict) and (entry.get("run") or {}).get("time") == time:
                found.append(entry)
        return found


def distrust(shard: Shard, why: str) -> None:
    """Mark every entry of ``shard`` untrusted (its journal does not vouch for it)."""
    for entry in shard.data.get("subtasks") or []:
        if isinstance(entry, dict) and not entry.get("untrusted"):
            entry["untrusted"] = f"{why} (shard {shard.name})"


def read_shard(path: Path, shown: str) -> tuple[Shard, str]:
    """The shard at ``path`` and the SHA-256 of the very bytes read (see
    ``journal.read_once``), for its journal to vouch for."""
    try:
        raw = read_once(path)
        if raw is None:
            raise FileNotFoundError(f"{path} is not there")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise ShardError(shown, f"cannot be read as results.json ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("subtasks"), list):
        raise ShardError(shown, "is not a results.json (no 'subtasks' list)")

    return Shard(shown, expand(data)), sha256(raw)


def check_alike(shards: Sequence[Shard]) -> None:
    """Refuse shards that are not of one run of one tracker on one code state."""
    first = shards[0]
    for shard in shards[1:]:
        for key, what in (("tracker", "tracker"),):
            if shard.data.get(key) != first.data.get(key):
                raise ShardError(
                    shard.name,
                    f"is of another {what} ({shard.data.get(key)!r}, not "
                    f"{first.data.get(key)!r} as in {first.name})",
                )
        for key, what in (("code", "code state"), ("collection", "collection")):
            if key == "collection" and not (shard.ran and first.ran):
                continue  # a shard stopped before collecting (blocked) collected nothing
            mine, theirs = shard.last_run.get(key), first.last_run.get(key)
            if mine != theirs:
                raise ShardError(
                    shard.name,
                    f"ran on another {what} ({mine or 'unknown'}, not {theirs or 'unknown'} "
                    f"as in {first.name})",
                )


def _test_outcome(outcomes: list[str]) -> str:
    ran = [o for o in outcomes if o not in UNRUN]
    return max(ran, key=lambda o: _RANK.get(o, 0)) if ran else "not-run"


def _combined_entry(parts: Sequence[dict[str, Any]], count: int) -> dict[str, Any]:
    """One sub-task's entry from the entries of ``count`` shards (``parts``)."""
    first = parts[0]
    if all(part.get("outcome") == "unlinked" for part in parts):
        return {**first, "tests": []}
    blocked = [part for part in parts if part.get("outcome") == "blocked"]
    rows: dict[str, list[str]] = {}
    for part in parts:
        for test in part.get("tests") or []:
            if isinstance(test, dict) and "nodeid" in test:
                rows.setdefault(str(test["nodeid"]), []).append(str(test.get("outcome")))
    tests = {nodeid: _test_outcome(outcomes) for nodeid, outcomes in rows.items()}
    seen = list(tests.values())
    scopes = [part["scope"] for part in parts if isinstance(part.get("scope"), int)]
    scope = max(scopes) if scopes else len(seen)  # older files list every test
    ran = sum(1 for outcome in seen if outcome != "not-run")
    # A shard that ran all of its scope it collected and still says not-run lacked part
    # of the scope (a file it did not collect): the union lacks it too.
    lacking = any(
        part.get("outcome") == "not-run"
        and not part.get("deselected")
        and all(
            isinstance(t, dict) and t.get("outcome") not in UNRUN for t in part.get("tests") or []
        )
        for part in parts
    )
    if "failed" in seen:
        outcome, reason = "failed", f"{seen.count('failed')} linked test(s) failed"
    elif "error" in seen:
        outcome, reason = "error", f"{seen.count('error')} linked test(s) errored"
    elif blocked:
        outcome, reason = "blocked", str(blocked[0].get("reason", "a shard was blocked"))
    elif lacking or not seen or ran < scope or len(parts) < count:
        outcome = "not-run"
        reason = f"{ran} of {scope} linked tests ran across {count} shards"
        if lacking:
            reason += "; part of its scope was collected by no shard"
    elif all(o == "skipped" for o in seen):
        outcome, reason = "skipped", "every linked test was skipped"
    else:
        passing = sum(1 for o in seen if o in ("passed", "xpassed", "xfailed"))
        outcome, reason = "passed", f"{passing} linked test(s) passed across {count} shards"
    combined = {key: value for key, value in first.items() if key != "deselected"}
    untrusted = next((str(p["untrusted"]) for p in parts if p.get("untrusted")), None)
    if untrusted:  # one shard's entry no recorded run wrote: the whole is not trusted
        combined["untrusted"] = untrusted
    listed = [{"nodeid": nodeid, "outcome": o} for nodeid, o in tests.items()]
    return {**combined, "outcome": outcome, "reason": reason, "tests": listed, "scope": scope}


def combine(shards: Sequence[Shard], now: str) -> dict[str, Any]:
    """The combined results.json data of ``shards`` (checked alike first)."""
    ran = [shard for shard in shards if shard.ran]
    check_alike([*ran, *(shard for shard in shards if not shard.ran)])
    by_id: dict[str, list[dict[str, Any]]] = {}
    for shard in shards:
        for entry in shard.entries():
            by_id.setdefault(str(entry.get("id")), []).append(entry)
    first = shards[0].last_run
    run = {key: first.get(key) for key in ("argv", "git_head", "pytest", "python", "code")}
    run = {"time": now, **run, "workers": sum(int(s.last_run.get("workers") or 0) for s in shards)}
    entries = []
    for parts in by_id.values():
        entry = _combined_entry(parts, len(shards))
        entry["run"] = run
        entries.append(entry)
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["outcome"]] = counts.get(entry["outcome"], 0) + 1
    codes = [int(s.last_run.get("exit_code") or 0) for s in shards]
    last_run = {
        **run,
        "collection": first.get("collection"),
        "shards": [shard.name for shard in shards],
        "exit_code": max(codes),
        "outcomes": counts,
    }
    return {
        "tracker": shards[0].data.get("tracker"),
        "last_run": last_run,
        "subtasks": entries,
    }


def results_paths(paths: Sequence[Path]) -> list[Path]:
    """The results.json files named, or found in the folders named (CI artifacts)."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise ShardError(path, "no such file or folder")
        if path.is_dir():
            found.extend(sorted(path.rglob("results.json")))
        else:
            found.append(path)
    return found


def blocker_files(results: Path) -> list[Path]:
    """The blocker reports beside a shard's results.json."""
    folder = results.parent / "blockers"
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def as_text(data: Mapping[str, Any]) -> str:
    """``combine``'s data as a results.json, written as a run writes one."""
    lines = Lines()
    made = [lines.read_line(entry) for entry in data["subtasks"]]  # names every run
    head = {key: value for key, value in data.items() if key != "subtasks"}
    return "".join(lines.parts(head, made))
