"""Why a run could not verify: from the facts a run leaves, the blockers it hit.

Each blocker names its kind, pytest's exact error, where it comes from, and remedies as
commands to run. Which sub-tasks it affects is decided later, from the tracker.
"""

from __future__ import annotations

import re
import shlex
import traceback
from pathlib import Path
from typing import Any

from pytest_tasktracker.blockers.facts import Facts
from pytest_tasktracker.blockers.missing_paths import path_not_found
from pytest_tasktracker.blockers.model import Blocker, Remedy
from pytest_tasktracker.blockers.modules import remedies as module_remedies
from pytest_tasktracker.blockers.usage import usage_error
from pytest_tasktracker.redact import PRE_CUT, redact_argv, redact_long

_LOCATION = re.compile(r'File "(?P<a>[^"]+)", line (?P<b>\d+)|^(?P<c>[^\s:]+\.py):(?P<d>\d+)', re.M)
_NO_MODULE = re.compile(r"No module named '([^']+)'")


def _exception_text(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def _location_in(text: str, prefer: str | None, facts: Facts) -> dict[str, Any] | None:
    found: list[dict[str, Any]] = []
    for match in _LOCATION.finditer(text):
        file = match.group("a") or match.group("c")
        line = match.group("b") or match.group("d")
        found.append({"file": facts.rel(file), "line": int(line)})
    if prefer:
        mine = [loc for loc in found if loc["file"] == facts.rel(prefer)]
        if mine:
            return mine[-1]
    # The project's own code (a conftest, a test module) says more than pytest's or a
    # plugin's internals.
    own = [
        loc
        for loc in found
        if not Path(loc["file"]).is_absolute() and "site-packages" not in loc["file"]
    ]
    return own[-1] if own else (found[-1] if found else None)


def _import_remedies(facts: Facts, text: str, file: str) -> list[Remedy]:
    missing = _NO_MODULE.search(text)
    if missing:
        return module_remedies(missing.group(1), file, facts)
    if "SyntaxError" in text or "IndentationError" in text:
        return [
            Remedy(
                f"{shlex.quote(facts.python)} -m py_compile {shlex.quote(file)}",
                f"fix the syntax error in {file}; this command shows it and passes when fixed",
            )
        ]
    return [
        Remedy(
            f"{facts.pytest_command(['--collect-only', '-q', file])}",
            f"reproduce the error in {file} alone, fix it, and check that it collects",
        )
    ]


def diagnose(facts: Facts) -> list[Blocker]:
    """Every blocker the run hit, most fundamental first."""
    early = _stopped_early(facts)
    if early is not None:
        return early
    blockers = [path_not_found(missing, facts) for missing in facts.missing_paths]
    if facts.internal_error:
        blockers.append(_internal_error(facts.internal_error, facts))
    blockers += [_worker_crash(nodeid, error, facts) for nodeid, error in facts.crashes]
    blockers += [_collection_error(n, text, facts) for n, text in facts.collect_errors.items()]
    if facts.interrupted and not blockers:
        blockers.append(_interrupted(facts.interrupted, facts))
    if not blockers and facts.exit_code == 5:
        blockers.append(_no_tests(facts))
    return blockers


def _stopped_early(facts: Facts) -> list[Blocker] | None:
    """The blockers of a run that stopped before collecting: one cause hides the rest."""
    error = facts.exception
    name = type(error).__name__ if error is not None else ""
    if error is not None and name == "ConftestImportFailure":
        return [_conftest_error(error, facts)]
    if name == "UsageError":
        return usage_error(str(error), facts)
    if error is not None and name == "PluginValidationError":
        return [_hook_error(error, facts)]
    if isinstance(error, ImportError):  # pytest 8: -p / pytest_plugins
        text = str(error)
        if "Error importing plugin" not in text:
            text = f'Error importing plugin "{error.name}": {text}'
        return usage_error(text, facts)
    if facts.worker_errors:
        return usage_error(facts.worker_errors[0], facts)
    return None


def _internal_error(error: str, facts: Facts) -> Blocker:
    text = redact_long(error)
    location = _location_in(text, None, facts)
    where = f" ({location['file']}:{location['line']})" if location else ""
    return Blocker(
        kind="internal-error",
        key="internal-error",
        summary="pytest hit an internal error: a plugin or conftest hook raised",
        error=text,
        exit_code=facts.code(3),
        location=location,
        cause={"exception": text.strip().splitlines()[-1][:300] if text.strip() else ""},
        remedies=[
            Remedy(
                facts.pytest_command([*facts.argv, "--full-trace"]),
                "see the whole traceback; fix the hook it ends in" + where,
            )
        ],
    )


def _worker_crash(nodeid: str, worker_error: str, facts: Facts) -> Blocker:
    return Blocker(
        kind="worker-crash",
        key=nodeid,
        summary=f"a pytest-xdist worker crashed while running {nodeid}",
        error=redact_long(worker_error),
        exit_code=facts.code(1),
        cause={"test": nodeid, "worker_error": redact_long(worker_error)},
        remedies=[
            Remedy(
                facts.pytest_command([nodeid, "-n", "0"]),
                "run the crashed test alone, without workers, to see why the process "
                "died (os._exit, a segfault, running out of memory)",
            )
        ],
        nodeids=[nodeid],
    )


def _collection_error(nodeid: str, error: str, facts: Facts) -> Blocker:
    text = redact_long(error)
    module = nodeid.split("::")[0] or "."
    return Blocker(
        kind="collection-error",
        key=module,
        summary=f"{module} could not be collected, so none of its tests ran",
        error=text,
        exit_code=facts.code(2),
        location=_module_location(text, module, facts),
        cause={"module": module, "exception": _last_error_line(text)},
        remedies=_import_remedies(facts, text, module),
        paths=[module],
    )


def _interrupted(reason: str, facts: Facts) -> Blocker:
    text = redact_long(reason)
    return Blocker(
        kind="interrupted",
        key="interrupted",
        summary="the run was interrupted before it finished",
        error=text,
        exit_code=facts.code(2),
        cause={"reason": (text.splitlines() or [""])[0]},
        remedies=[Remedy(facts.pytest_command(), "run the same command again to the end")],
    )


def _no_tests(facts: Facts) -> Blocker:
    expression = f" (selection: {', '.join(facts.narrowing)})" if facts.narrowing else ""
    return Blocker(
        kind="no-tests",
        key="no-tests",
        summary=f"pytest collected no tests{expression}",
        error="no tests ran",
        exit_code=5,
        cause={"selection": facts.narrowing, "arguments": redact_argv(facts.argv)},
        remedies=[
            Remedy(
                facts.pytest_command(["--collect-only", "-q"]),
                "see what pytest collects; check testpaths, python_files and the -k/-m expression",
            )
        ],
    )


_EXCEPTION_LINE = re.compile(r"^E\s+[\w.]*(?:Error|Warning|Exception|Failure|Exit)\b.*:")


def _last_error_line(text: str) -> str:
    """The line that names the exception (``E   pytest.PytestRemovedIn10Warning: ...``),
    not the last line of its message (a docs link)."""
    lines = text.strip().splitlines()
    errors = [line for line in lines if line.startswith("E ")]
    named = [line for line in errors if _EXCEPTION_LINE.match(line)]
    chosen = named[-1] if named else (errors[-1] if errors else (lines[-1] if lines else ""))
    return chosen[1:].strip() if chosen.startswith("E ") else chosen.strip()


def _def_line(path: Path, name: str) -> int | None:
    """The line where ``path`` defines the function ``name``, if it does."""
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = re.search(rf"^[ \t]*(?:async[ \t]+)?def {re.escape(name)}\b", source, re.M)
    return source.count("\n", 0, found.start()) + 1 if found else None


_TEST_NAMED = re.compile(r"\bTest: (\S+::(\w+))")


def _module_location(text: str, module: str, facts: Facts) -> dict[str, Any]:
    """Where in the test module a collection error is, when the traceback points only
    into pytest or a plugin (a warning raised as an error): the test it names."""
    found = _location_in(text, module, facts)
    if found is not None and found["file"] == facts.rel(module):
        return found
    named = _TEST_NAMED.search(text)
    line = _def_line(facts.cwd / module, named.group(2)) if named else None
    if line is not None:
        return {"file": module, "line": line}
    if found is not None and not Path(found["file"]).is_absolute():
        return found
    return {"file": module, "line": None}


_PLUGIN_FILE = re.compile(r"Plugin '([^']+)' for hook '(\w+)'")
_HOOK_ARGS = re.compile(r"Argument\(s\) \{([^}]*)\} are declared")


def _hook_error(error: BaseException, facts: Facts) -> Blocker:
    """A conftest or plugin whose hook pluggy cannot register (its arguments are not the
    hookspec's: pytest 9 removed the py.path ``path`` and ``fspath`` arguments)."""
    text = redact_long(str(error))
    plugin = _PLUGIN_FILE.search(text)
    file = facts.rel(plugin.group(1)) if plugin else "a plugin"
    hook = plugin.group(2) if plugin else "a hook"
    arguments = _HOOK_ARGS.search(text)
    bad = sorted(a.strip(" '\"") for a in arguments.group(1).split(",")) if arguments else []
    line = _def_line(Path(plugin.group(1)), hook) if plugin else None
    renamed = {"path": "collection_path", "fspath": "file_path"}
    hint = ", ".join(f"{a} -> {renamed[a]}" for a in bad if a in renamed)
    where = f"{file}:{line}" if line else file
    uses = _py_path_uses(Path(plugin.group(1)), hook, bad, renamed) if plugin else []
    why = (
        f"in {where}, rename {hook}'s argument{'s' if len(bad) > 1 else ''} ({hint}), a "
        "pathlib.Path where it was a py.path.local: pytest 9 removed the py.path arguments"
        + (f"; in its body, {', '.join(uses)}" if uses else "")
        + "; then this command passes"
        if hint
        else f"in {where}, give {hook} the arguments its hookspec names; then this command passes"
    )
    return Blocker(
        kind="conftest-error" if file.endswith("conftest.py") else "internal-error",
        key=f"{file}-{hook}",
        summary=f"{file} defines {hook} with arguments pytest does not pass "
        f"({', '.join(bad) or 'see the error'}), so pytest cannot start",
        error=text,
        exit_code=facts.code(1),
        location={"file": file, "line": line},
        cause={"file": file, "hook": hook, "unknown_arguments": bad},
        remedies=[Remedy(facts.pytest_command(["--collect-only", "-q"]), why)],
        paths=[str(Path(file).parent)] if file.endswith(".py") and "/" in file else [],
    )


# py.path.local's attributes and pathlib.Path's for the same (pytest's own migration notes)
_PATHLIB = {
    "basename": "name",
    "purebasename": "stem",
    "ext": "suffix",
    "dirname": "parent",
    "strpath": "__fspath__()",
    "isdir": "is_dir",
    "isfile": "is_file",
    "join": "joinpath",
    "relto": "relative_to",
    "fnmatch": "match",
    "realpath": "resolve",
    "listdir": "iterdir",
    "read": "read_text",
    "write": "write_text",
}


def _py_path_uses(path: Path, hook: str, bad: list[str], renamed: dict[str, str]) -> list[str]:
    """How the hook's body uses its py.path arguments, and the pathlib spelling of each:
    ``path.basename -> collection_path.name``."""
    try:
        source = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = re.search(
        rf"^([ \t]*)(?:async[ \t]+)?def {re.escape(hook)}\b.*?(?=^\1\S|\Z)", source, re.M | re.S
    )
    body = found.group(0) if found else ""
    uses = []
    for argument in (a for a in bad if a in renamed):
        for attribute in dict.fromkeys(re.findall(rf"\b{argument}\.(\w+)", body)):
            if attribute in _PATHLIB:
                uses.append(f"{argument}.{attribute} -> {renamed[argument]}.{_PATHLIB[attribute]}")
    return uses


def _conftest_error(error: BaseException, facts: Facts) -> Blocker:
    path = Path(str(getattr(error, "path", "conftest.py")))
    cause = getattr(error, "cause", None) or error.__cause__ or error
    file = facts.rel(path)
    line = None
    if isinstance(cause, SyntaxError) and cause.lineno:
        line = cause.lineno
    else:
        for frame in traceback.extract_tb(cause.__traceback__):
            if Path(frame.filename) == path:
                line = frame.lineno
    frames = [
        f"{facts.rel(frame.filename)}:{frame.lineno}: in {frame.name}\n    {frame.line}"
        for frame in traceback.extract_tb(cause.__traceback__)
        if Path(frame.filename) == path
    ]
    # Capped first: a message of many megabytes is handled in time linear in what is kept.
    message = redact_long(_exception_text(cause))
    last = message[message.rfind("\n") + 1 :]
    error_lines = "\n".join(f"E   {line_}" for line_ in message.splitlines())
    head = "\n".join([f"ImportError while loading conftest '{file}'.", *frames])
    text = f"{head}\n{error_lines}"
    folder = str(Path(file).parent)
    return Blocker(
        kind="conftest-error",
        key=file,
        summary=f"{file} fails to import ({last[:PRE_CUT]}), so pytest cannot start",
        error=text,
        exit_code=facts.code(4),
        location={"file": file, "line": line},
        cause={"conftest": file, "exception": last},
        remedies=_import_remedies(facts, text, file),
        paths=[] if folder == "." else [folder],
    )
