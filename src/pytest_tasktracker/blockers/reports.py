"""Blocker report files: ``<state>/blockers/<name>.md``, YAML front matter then markdown.

Front matter follows schema ``pytest-tasktracker/blocker/1`` (``schemas/blocker.schema.json``)
and is written with ruamel.yaml; the body is rendered from it with jinja2. Both are
imported here only, when a report is written or read.
"""

from __future__ import annotations

import hashlib
import io
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_tasktracker.errors import TrackerError
from pytest_tasktracker.paths import slug
from pytest_tasktracker.redact import has_control, printable
from pytest_tasktracker.rules.gate import EVERY
from pytest_tasktracker.rules.judge import OpenBlocker
from pytest_tasktracker.tracker.fileio import atomic_write, locked, set_aside

SCHEMA = "pytest-tasktracker/blocker/1"
MAX_NAME = 80

EXPLANATIONS = {
    "missing-plugin": "pytest was given an option that no installed plugin provides, so it "
    "stopped before collecting a single test. Nothing was verified.",
    "usage-error": "pytest rejected its arguments or configuration and stopped before "
    "running any test. Nothing was verified.",
    "conftest-error": "A conftest.py failed to import. pytest loads conftest files before "
    "anything else, so it could not collect or run any test. Nothing was verified.",
    "collection-error": "A test module failed to import, so none of its tests ran. Without "
    "pytest-xdist the whole run stops at collection; with it the other modules run, but the "
    "tests of this module still prove nothing.",
    "path-not-found": "pytest was asked to run a file or folder that does not exist, so the "
    "tests meant to be there did not run.",
    "no-tests": "pytest collected no tests at all, so nothing was verified.",
    "internal-error": "A plugin or conftest hook raised an exception inside pytest itself "
    "(INTERNALERROR). The run's results cannot be trusted.",
    "interrupted": "The run was interrupted (Ctrl-C, pytest.exit or a KeyboardInterrupt) "
    "before it finished, so the tests after that point did not run.",
    "worker-crash": "A pytest-xdist worker process died while running a test. xdist "
    "reports the test as failed and goes on, but the test never finished: it proves nothing.",
    "unverifiable": "Every test linked to these sub-tasks was skipped or deselected, so the "
    "run says nothing about them.",
    "timeout": "Under `tasktracker run --timeout`, the run did not finish in time: a test "
    "hung (a lock, a network call, an endless loop). The run was stopped, so the tests that "
    "did not finish prove nothing.",
    "crash": "The pytest process died before its session ended (a segfault, os._exit, or "
    "a kill from outside or by the OOM killer): nothing after that point ran or was "
    "reported.",
}


class BlockerFileError(TrackerError):
    """A blocker file exists but cannot be read."""


def file_name(kind: str, key: str, step: str | None) -> str:
    """A stable, safe file name: the same cause and step always give the same name."""
    cause = kind if key in ("", kind) else f"{kind}-{key}"  # not no-tests
    base = slug(cause) or kind
    step_slug = slug(step, 20) if step else ""
    suffix = f"-step-{step_slug}" if step_slug else ""
    base = base[: MAX_NAME - len(suffix)].rstrip("-")
    return f"{base}{suffix}.md"


def _fence_length(*texts: str) -> int:
    longest = max((len(run) for text in texts for run in re.findall(r"`+", text)), default=0)
    return max(3, longest + 1)


def report_text(front: dict[str, Any]) -> str:
    """The whole file: front matter, then the body rendered from it."""
    import jinja2
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import LiteralScalarString

    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.allow_unicode = True
    data = dict(front)
    error = data["error"]
    # A literal block loses trailing blanks, and cannot start with an indented line.
    if "\n" in error and not has_control(error) and not re.search(r"[ \t]$|\A[ \t]", error, re.M):
        data["error"] = LiteralScalarString(error)  # readable; otherwise YAML quotes it
    stream = io.StringIO()
    yaml.dump(data, stream)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pytest_tasktracker", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template("blocker.md.j2")
    body_data = _printable_all(front)
    body_data["explanation"] = EXPLANATIONS.get(front["kind"], "")
    body_data.setdefault("stop_retrying", False)
    body_data.setdefault("repeats", 1)
    body_data.setdefault("proven", [])
    for remedy in body_data["remedies"]:
        args = remedy.get("args")
        remedy["args_text"] = printable(shlex.join(args)) if args else ""
    # As a shell would read it: -k "a and b" is one argument, not three.
    body_data["command_line"] = printable(shlex.join(front["command"]["argv"]))
    body_data["fence_length"] = _fence_length(
        body_data["error"], *(r["command"] for r in front["remedies"])
    )
    body = template.render(**body_data)
    return f"---\n{stream.getvalue()}---\n\n{body.strip()}\n"


def _printable_all(value: Any) -> Any:
    """Every string inside ``value`` made printable, for the markdown body."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {key: _printable_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_printable_all(item) for item in value]
    return value


def parse_front_matter(text: str, path: Path) -> dict[str, Any]:
    """The report's front matter, checked against what every reader relies on. A file
    that fails (a hand edit, a YAML alias bomb) raises BlockerFileError: it is set aside,
    never trusted."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import AliasEvent

    if not text.startswith("---\n"):
        raise BlockerFileError(path, "has no YAML front matter")
    end = text.find("\n---\n", 4)
    if end < 0:
        raise BlockerFileError(path, "has no end to its YAML front matter")
    front = text[4 : end + 1]
    yaml = YAML(typ="safe", pure=True)
    try:
        if any(isinstance(event, AliasEvent) for event in yaml.parse(front)):
            raise BlockerFileError(path, "uses YAML aliases, which reports never do")
        data = yaml.load(front)
    except (YAMLError, RecursionError) as error:
        raise BlockerFileError(path, f"has front matter that is not YAML ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise BlockerFileError(path, f"is not a {SCHEMA} report")
    problem = _invalid(data)
    if problem:
        raise BlockerFileError(path, f"is not a valid report: {problem}")
    return data


_TEXT_FIELDS = ("status", "kind", "summary", "error")


def _invalid(data: dict[str, Any]) -> str | None:
    """What in a report's front matter is not as the schema says, for the fields read."""
    for key in _TEXT_FIELDS:
        if not isinstance(data.get(key), str):
            return f"{key!r} is not text"
    if data["status"] not in ("open", "resolved"):
        return "'status' is neither open nor resolved"
    affected = data.get("affected")
    if not isinstance(affected, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("id"), str) for entry in affected
    ):
        return "'affected' is not a list of sub-tasks with ids"
    remedies = data.get("remedies")
    if not isinstance(remedies, list) or not all(
        isinstance(r, dict) and isinstance(r.get("command"), str) and isinstance(r.get("why"), str)
        for r in remedies
    ):
        return "'remedies' is not a list of commands with reasons"
    occurrences = data.get("occurrences", 1)
    if type(occurrences) is not int or occurrences < 0:
        return "'occurrences' is not a count"
    for key in ("first_seen", "last_seen"):
        if key in data and not isinstance(data[key], str):
            return f"{key!r} is not a time"
    return None


def read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BlockerFileError(path, f"cannot be read ({error})") from None
    return parse_front_matter(text, path)


class Written:
    """A blocker report written: where, what its front matter says, and a warning when
    an earlier file could not be read and was set aside."""

    def __init__(self, path: Path, front: dict[str, Any], warning: str | None) -> None:
        self.path = path
        self.front = front
        self.warning = warning


def write(
    folder: Path, name: str, front: dict[str, Any], now: str, retry_limit: int = 3
) -> Written:
    """Create or update a blocker file; a repeat keeps first_seen and counts occurrences,
    and ``repeats`` counts the identical runs in a row (the same error from the same
    command): at ``retry_limit`` the report says that retrying will not help.

    An earlier file that cannot be read is set aside (``.corrupt-<time>``), never
    overwritten.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    assert path.parent == folder  # names come from file_name(), which keeps them inside
    warning = None
    with locked(folder):
        data = dict(front)
        data["first_seen"], data["last_seen"], data["occurrences"] = now, now, 1
        data["fingerprint"], data["repeats"] = fingerprint(front), 1
        if path.exists():
            try:
                earlier = read(path)
                data["first_seen"] = earlier.get("first_seen", now)
                data["occurrences"] = int(earlier.get("occurrences", 0)) + 1
                same = earlier.get("fingerprint") == data["fingerprint"]
                if same and earlier.get("status") == "open":
                    data["repeats"] = int(earlier.get("repeats", 1)) + 1
            except (BlockerFileError, ValueError, TypeError) as error:
                aside = set_aside(path)
                warning = f"{error}; moved it to {aside.name} and wrote a new report"
        data["stop_retrying"] = data["repeats"] >= retry_limit
        atomic_write(path, report_text(data).encode("utf-8"))
    return Written(path, data, warning)


# What changes from one run of the same cause to the next: faulthandler's thread ids and
# other addresses ("Current thread 0x00007f25a2a91b80"), and how long a stopped run took.
# Patterns given as text are compiled on first use (re caches them): a run that writes
# and reads no blocker report never needs them.
_VOLATILE = r"\b0x[0-9a-fA-F]+\b|\b\d+(?:\.\d+)? s\b"


def fingerprint(front: dict[str, Any]) -> str:
    """What makes two blocked runs the same: the same error from the same command, its
    addresses and durations left out (``_VOLATILE``), and the options that name output
    files (a tool that adds a fresh ``--json-report-file`` each call runs the same
    command)."""
    # Only when a blocker is written: not every tracked run's cost.
    from pytest_tasktracker.blockers.invocation import stable_text, without_output

    command = front.get("command") or {}
    argv = [str(arg) for arg in command.get("argv", [])]
    error = re.sub(_VOLATILE, _placeholder, stable_text(str(front.get("error")), argv))
    text = "\0".join([str(front.get("kind")), error, *without_output(argv)])
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def _placeholder(found: re.Match[str]) -> str:
    return "0x?" if found[0].startswith("0x") else "? s"


def iter_reports(folder: Path) -> Iterator[tuple[Path, dict[str, Any] | BlockerFileError]]:
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.md")):
        try:
            yield path, read(path)
        except BlockerFileError as error:
            yield path, error


_OPEN = r"^status: open$"


def open_reports(folder: Path) -> tuple[list[tuple[Path, dict[str, Any]]], list[BlockerFileError]]:
    """The open reports, and the reports that cannot be read (never skipped in silence:
    an unreadable report may hide an open blocker). Resolved ones are passed over
    without parsing their YAML."""
    found: list[tuple[Path, dict[str, Any]]] = []
    unreadable: list[BlockerFileError] = []
    if not folder.is_dir():
        return found, unreadable
    for path in sorted(folder.glob("*.md")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            unreadable.append(BlockerFileError(path, f"cannot be read ({error})"))
            continue
        end = text.find("\n---\n", 4)
        front = text[: end if end > 0 else len(text)]
        if not re.search(_OPEN, front, re.M) and text.startswith("---\n"):
            continue
        try:
            data = parse_front_matter(text, path)
        except BlockerFileError as error:
            unreadable.append(error)
            continue
        if data.get("status") == "open":
            found.append((path, data))
    return found, unreadable


def mark_resolved(path: Path, front: dict[str, Any], now: str) -> None:
    data = dict(front)
    data["status"] = "resolved"
    data["resolved_at"] = now
    with locked(path.parent):
        atomic_write(path, report_text(data).encode("utf-8"))


def open_blockers(folder: Path, shown: str) -> list[OpenBlocker]:
    """The open blocker reports in ``folder``; ``shown`` is how to print the folder. A
    report that cannot be read counts as open for every sub-task, until a run sets it
    aside or a person fixes it."""
    reports, unreadable = open_reports(folder)
    found = [
        OpenBlocker(
            f"{shown}/{path.name}",
            str(front["kind"]),
            str(front["summary"]),
            tuple(str(entry["id"]) for entry in front["affected"]),
        )
        for path, front in reports
    ]
    found.extend(
        OpenBlocker(f"{shown}/{Path(error.path).name}", "unreadable", error.problem, (EVERY,))
        for error in unreadable
    )
    return found
