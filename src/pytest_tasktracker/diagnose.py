"""Why a run could not verify: from the facts a run leaves, the blockers it hit.

Each blocker names its kind, pytest's exact error, where it comes from, and remedies as
commands to run. Which sub-tasks it affects is decided later, from the tracker.
"""

from __future__ import annotations

import re
import shlex
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_tasktracker.known_plugins import Provider, provider_of, takes_value
from pytest_tasktracker.redact import redact_argv, redact_text

_LOCATION = re.compile(r'File "(?P<a>[^"]+)", line (?P<b>\d+)|^(?P<c>[^\s:]+\.py):(?P<d>\d+)', re.M)
_UNRECOGNIZED = re.compile(r"unrecognized arguments: (.*)")
_REQUIRED = re.compile(r"Missing required plugins: (.*)")
_NOT_FOUND = re.compile(r"(?:file or directory not found|not found): (\S+)")
_IMPORTING_PLUGIN = re.compile(r'Error importing plugin "([^"]+)"')
_NO_MODULE = re.compile(r"No module named '([^']+)'")
_CONFIG_FILE_ERROR = re.compile(r"^(?:ERROR: )?(?P<file>[^\s:]+\.(?:toml|ini|cfg)): ")
_AT_LINE = re.compile(r"\(at line (\d+)")


@dataclass
class Remedy:
    command: str
    why: str


@dataclass
class Blocker:
    kind: str
    key: str  # what makes the cause this cause, for the stable file name
    summary: str
    error: str
    exit_code: int
    location: dict[str, Any] | None = None
    cause: dict[str, Any] = field(default_factory=dict)
    remedies: list[Remedy] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # files or folders whose tests it stops
    nodeids: list[str] = field(default_factory=list)  # tests it stops
    subtask_ids: list[str] = field(default_factory=list)  # sub-tasks it stops, when known


@dataclass
class Facts:
    """What the run left behind; filled in by the plugin's hooks as the run goes."""

    argv: list[str]
    cwd: Path
    rootdir: Path
    inifile: Path | None
    addopts: list[str] = field(default_factory=list)
    env_addopts: list[str] = field(default_factory=list)  # never written anywhere
    unknown_flags: list[str] = field(default_factory=list)
    exception: BaseException | None = None
    exit_code: int | None = None
    collect_errors: dict[str, str] = field(default_factory=dict)
    internal_error: str | None = None
    interrupted: str | None = None
    crashes: list[tuple[str, str]] = field(default_factory=list)  # (node id, worker error)
    worker_errors: list[str] = field(default_factory=list)  # usage errors xdist workers hit
    missing_paths: list[str] = field(default_factory=list)
    narrowing: list[str] = field(default_factory=list)  # -k/-m expressions given
    python: str = sys.executable

    def pytest_command(self, args: list[str] | None = None) -> str:
        argv = redact_argv(self.argv if args is None else args)
        return shlex.join([self.python, "-m", "pytest", *argv])

    def rel(self, path: str | Path) -> str:
        try:
            return str(Path(path).resolve().relative_to(self.cwd.resolve()))
        except (ValueError, OSError):
            return str(path)


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
        module = missing.group(1).split(".")[0]
        return [
            Remedy(
                f"{shlex.quote(facts.python)} -m pip install {shlex.quote(module)}",
                f"{file} imports {missing.group(1)!r}, which is not installed in the "
                f"interpreter that ran pytest ({facts.python}); install the package that "
                "provides it (its name on PyPI may differ), or `pip install -e .` if it is "
                "part of this project",
            ),
            Remedy(
                f"{shlex.quote(facts.python)} -c {shlex.quote('import ' + missing.group(1))}",
                "check that the import works before running pytest again",
            ),
        ]
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


def _option_source(flag: str, facts: Facts) -> tuple[str, str]:
    """Where an unrecognized flag came from: (source kind, description)."""
    name = flag.split("=", 1)[0]

    def has(args: list[str]) -> bool:
        return any(arg.split("=", 1)[0] == name or arg == flag for arg in args)

    if has(facts.argv):
        return "command-line", "the command line"
    if has(facts.addopts):
        ini = facts.rel(facts.inifile) if facts.inifile else "the ini file"
        return "addopts", f"addopts in {ini}"
    if has(facts.env_addopts):
        return "env", "the PYTEST_ADDOPTS environment variable"
    return "unknown", "the arguments pytest was given"


def _without(args: list[str], flag: str) -> list[str]:
    """``args`` without ``flag`` (and its value); ``no:NAME`` drops a ``-p no:NAME``."""
    out: list[str] = []
    if flag.startswith("no:"):
        for arg in args:
            if arg == flag and out and out[-1] == "-p":
                out.pop()
            elif arg != f"-p{flag}":
                out.append(arg)
        return out
    name = flag.split("=", 1)[0]
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == flag or arg.split("=", 1)[0] == name:
            skip = takes_value(arg)
            continue
        out.append(arg)
    return out


def _installed(distribution: str) -> bool:
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(distribution)
    except PackageNotFoundError:
        return False
    return True


def _ini_line(facts: Facts, key: str) -> int | None:
    if facts.inifile is None:
        return None
    try:
        lines = facts.inifile.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for number, line in enumerate(lines, 1):
        if line.strip().startswith(key):
            return number
    return None


def _missing_plugin(flag: str, facts: Facts, error: str) -> Blocker:
    provider: Provider | None = provider_of(flag)
    source, where = _option_source(flag, facts)
    name = flag.split("=", 1)[0]
    python = shlex.quote(facts.python)
    version = sys.version.split()[0]
    remedies = []
    installed = provider is not None and _installed(provider.distribution)
    if provider is not None and installed:
        package = provider.distribution
        summary = (
            f"option {name} (from {where}) needs {package}, which is installed but not "
            f"loaded (-p no:{provider.plugin} or PYTEST_DISABLE_PLUGIN_AUTOLOAD)"
        )
        remedies.append(
            Remedy(
                facts.pytest_command(_without(facts.argv, f"no:{provider.plugin}")),
                f"let pytest load {package}: drop -p no:{provider.plugin} and unset "
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
            )
        )
    elif provider is not None:
        package = provider.distribution
        summary = f"option {name} (from {where}) needs {package}, which is not installed"
        remedies.append(
            Remedy(
                f"{python} -m pip install {package}",
                f"install {package} into the interpreter that ran pytest "
                f"({facts.python}, Python {version})",
            )
        )
    else:
        package = None
        summary = f"option {name} (from {where}) is not provided by any installed plugin"
        remedies.append(
            Remedy(
                f"{python} -m pip list",
                f"find the pytest plugin that adds {name} and install it into {facts.python}; "
                "or remove the option if it is a typo",
            )
        )
    if source == "addopts":
        rest = _without(facts.addopts, flag)
        override = shlex.quote("addopts=" + " ".join(rest))
        remedies.append(
            Remedy(
                f"{python} -m pytest -o {override} {shlex.join(redact_argv(facts.argv))}".strip(),
                f"run without {name}: the same addopts minus the option",
            )
        )
    elif source == "env":
        remedies.append(
            Remedy(
                f"env -u PYTEST_ADDOPTS {facts.pytest_command()}",
                f"PYTEST_ADDOPTS adds {name}; run without it, or remove {name} from it",
            )
        )
    else:
        remedies.append(
            Remedy(facts.pytest_command(_without(facts.argv, flag)), f"run without {name}")
        )
    location = None
    if source == "addopts" and facts.inifile is not None:
        location = {"file": facts.rel(facts.inifile), "line": _ini_line(facts, "addopts")}
    return Blocker(
        kind="missing-plugin",
        key=name.lstrip("-"),
        summary=summary,
        error=error,
        exit_code=facts.exit_code if facts.exit_code is not None else 4,
        location=location,
        cause={
            "option": name,
            "source": where,
            "provided_by": package,
            "installed": installed,
            "python": facts.python,
        },
        remedies=remedies,
    )


def _usage_error(raw: str, facts: Facts) -> list[Blocker]:
    """Blockers from a UsageError's text; ``raw`` is read, only its redaction is kept."""
    exit_code = facts.exit_code if facts.exit_code is not None else 4
    error = redact_text(raw)
    unrecognized = _UNRECOGNIZED.search(raw)
    if unrecognized:
        flags = [
            f for f in unrecognized.group(1).split() if f.startswith("-")
        ] or facts.unknown_flags
        return [_missing_plugin(flag, facts, error) for flag in flags]
    required = _REQUIRED.search(raw)
    if required:
        names = [name.strip() for name in required.group(1).split(",")]
        return [
            Blocker(
                kind="missing-plugin",
                key=names[0],
                summary=f"required_plugins names {', '.join(names)}, which is not installed",
                error=error,
                exit_code=exit_code,
                location={
                    "file": facts.rel(facts.inifile) if facts.inifile else "",
                    "line": _ini_line(facts, "required_plugins"),
                },
                cause={"required_plugins": names, "installed": False, "python": facts.python},
                remedies=[
                    Remedy(
                        shlex.join([facts.python, "-m", "pip", "install", *names]),
                        f"install what required_plugins asks for into {facts.python}",
                    )
                ],
            )
        ]
    importing = _IMPORTING_PLUGIN.search(raw)
    if importing:
        name = importing.group(1)
        return [
            Blocker(
                kind="missing-plugin",
                key=name,
                summary=f"plugin {name!r} cannot be imported",
                error=error,
                exit_code=exit_code,
                cause={"plugin": name, "installed": False, "python": facts.python},
                remedies=[
                    Remedy(
                        f"{shlex.quote(facts.python)} -m pip install {shlex.quote(name)}",
                        f"install the distribution that provides {name!r} into {facts.python}",
                    ),
                    Remedy(
                        facts.pytest_command(_without(facts.argv, "-p")),
                        f"or stop asking for {name!r} (-p or pytest_plugins)",
                    ),
                ],
            )
        ]
    not_found = _NOT_FOUND.search(raw)
    if not_found:
        return [_path_not_found(not_found.group(1), facts, error)]
    location: dict[str, Any] | None = None
    if "config option" in error and facts.inifile is not None:
        location = {"file": facts.rel(facts.inifile), "line": None}
    in_file = _CONFIG_FILE_ERROR.match(error)
    if in_file:  # a broken pyproject.toml, or minversion
        line = _AT_LINE.search(error)
        location = {
            "file": facts.rel(in_file.group("file")),
            "line": int(line.group(1)) if line else None,
        }
    headline = _headline(error, facts)
    return [
        Blocker(
            kind="usage-error",
            key=re.sub(r"[^a-z0-9]+", "-", headline.lower())[:40],
            summary=f"pytest rejected its arguments: {headline[:200]}",
            error=error,
            exit_code=exit_code,
            location=location,
            cause={"arguments": redact_argv(facts.argv)},
            remedies=[
                Remedy(
                    f"{shlex.quote(facts.python)} -m pytest --help",
                    "correct the argument, option or expression the error names, then run again",
                )
            ],
        )
    ]


def _headline(error: str, facts: Facts) -> str:
    """The line of an error that says what is wrong, with the project folder left out."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    chosen = next((line for line in lines if ": error: " in line), lines[0] if lines else "")
    chosen = chosen.split(": error: ", 1)[-1].removeprefix("ERROR: ")
    return chosen.replace(f"{facts.cwd}/", "").replace(str(facts.cwd), ".")


def _similar_paths(missing: str, facts: Facts) -> list[str]:
    name = Path(missing.split("::")[0]).name
    found: list[str] = []
    skip = {".git", ".tox", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache"}
    for seen, path in enumerate(facts.rootdir.rglob(name)):
        if seen > 20 or len(found) >= 3:
            break
        if not skip.intersection(path.parts):
            found.append(facts.rel(path))
    return found


def _path_not_found(missing: str, facts: Facts, error: str | None = None) -> Blocker:
    similar = _similar_paths(missing, facts)
    remedies = []
    if similar:
        fixed = [similar[0] if arg == missing else arg for arg in facts.argv]
        remedies.append(Remedy(facts.pytest_command(fixed), f"{similar[0]} exists; run that"))
    remedies.append(
        Remedy(
            facts.pytest_command(["--collect-only", "-q"]),
            "list the tests pytest can find, and pass an existing file or folder",
        )
    )
    return Blocker(
        kind="path-not-found",
        key=missing,
        summary=f"{missing} does not exist, so none of its tests ran",
        error=error or f"file or directory not found: {missing}",
        exit_code=facts.exit_code if facts.exit_code is not None else 4,
        cause={"path": missing, "similar": similar},
        remedies=remedies,
        paths=[missing.split("::")[0]],
    )


def diagnose(facts: Facts) -> list[Blocker]:
    """Every blocker the run hit, most fundamental first."""
    error = facts.exception
    if error is not None and type(error).__name__ == "ConftestImportFailure":
        return [_conftest_error(error, facts)]
    if error is not None and type(error).__name__ == "UsageError":
        return _usage_error(str(error), facts)
    if error is not None and isinstance(error, ImportError):  # pytest 8: -p / pytest_plugins
        return _usage_error(f'Error importing plugin "{error.name}": {error}', facts)
    if facts.worker_errors:
        return _usage_error(facts.worker_errors[0], facts)
    blockers: list[Blocker] = []
    for missing in facts.missing_paths:
        blockers.append(_path_not_found(missing, facts))
    if facts.internal_error:
        text = redact_text(facts.internal_error)
        location = _location_in(text, None, facts)
        blockers.append(
            Blocker(
                kind="internal-error",
                key="internal-error",
                summary="pytest hit an internal error: a plugin or conftest hook raised",
                error=text,
                exit_code=facts.exit_code if facts.exit_code is not None else 3,
                location=location,
                cause={"exception": text.strip().splitlines()[-1][:300] if text.strip() else ""},
                remedies=[
                    Remedy(
                        facts.pytest_command([*facts.argv, "--full-trace"]),
                        "see the whole traceback; fix the hook it ends in"
                        + (f" ({location['file']}:{location['line']})" if location else ""),
                    )
                ],
            )
        )
    for nodeid, worker_error in facts.crashes:
        blockers.append(
            Blocker(
                kind="worker-crash",
                key=nodeid,
                summary=f"a pytest-xdist worker crashed while running {nodeid}",
                error=redact_text(worker_error),
                exit_code=facts.exit_code if facts.exit_code is not None else 1,
                cause={"test": nodeid, "worker_error": redact_text(worker_error)},
                remedies=[
                    Remedy(
                        facts.pytest_command([nodeid, "-n", "0"]),
                        "run the crashed test alone, without workers, to see why the process "
                        "died (os._exit, a segfault, running out of memory)",
                    )
                ],
                nodeids=[nodeid],
            )
        )
    for nodeid, text in facts.collect_errors.items():
        text = redact_text(text)
        module = nodeid.split("::")[0] or "."
        blockers.append(
            Blocker(
                kind="collection-error",
                key=module,
                summary=f"{module} could not be collected, so none of its tests ran",
                error=text,
                exit_code=facts.exit_code if facts.exit_code is not None else 2,
                location=_location_in(text, module, facts) or {"file": module, "line": None},
                cause={"module": module, "exception": _last_error_line(text)},
                remedies=_import_remedies(facts, text, module),
                paths=[module],
            )
        )
    if facts.interrupted and not blockers:
        blockers.append(
            Blocker(
                kind="interrupted",
                key="interrupted",
                summary="the run was interrupted before it finished",
                error=redact_text(facts.interrupted),
                exit_code=facts.exit_code if facts.exit_code is not None else 2,
                cause={"reason": redact_text(facts.interrupted).splitlines()[0][:200]},
                remedies=[Remedy(facts.pytest_command(), "run the same command again to the end")],
            )
        )
    if not blockers and facts.exit_code == 5:
        expression = f" (selection: {', '.join(facts.narrowing)})" if facts.narrowing else ""
        blockers.append(
            Blocker(
                kind="no-tests",
                key="no-tests",
                summary=f"pytest collected no tests{expression}",
                error="no tests ran",
                exit_code=5,
                cause={"selection": facts.narrowing, "arguments": redact_argv(facts.argv)},
                remedies=[
                    Remedy(
                        facts.pytest_command(["--collect-only", "-q"]),
                        "see what pytest collects; check testpaths, python_files and the "
                        "-k/-m expression",
                    )
                ],
            )
        )
    return blockers


def _last_error_line(text: str) -> str:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("E "):
            return line[1:].strip()
    lines = text.strip().splitlines()
    return lines[-1].strip() if lines else ""


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
    text = "\n".join(
        [f"ImportError while loading conftest '{file}'.", *frames]
        + [f"E   {line_}" for line_ in _exception_text(cause).splitlines()]
    )
    text = redact_text(text)
    folder = str(Path(file).parent)
    return Blocker(
        kind="conftest-error",
        key=file,
        summary=f"{file} fails to import ({_exception_text(cause).splitlines()[-1][:120]}), "
        "so pytest cannot start",
        error=text,
        exit_code=facts.exit_code if facts.exit_code is not None else 4,
        location={"file": file, "line": line},
        cause={"conftest": file, "exception": _exception_text(cause).splitlines()[-1]},
        remedies=_import_remedies(facts, text, file),
        paths=[] if folder == "." else [folder],
    )
