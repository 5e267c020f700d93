"""Usage errors: what pytest rejected in its arguments or configuration, and why.

An unrecognized option becomes a ``missing-plugin`` blocker naming the distribution
that provides it, where the option came from, and commands that install it into the
interpreter that ran pytest or run without it; a missing path becomes
``path-not-found``; anything else is a ``usage-error``.
"""

from __future__ import annotations

import re
import shlex
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pytest_tasktracker.blockers.facts import Facts
from pytest_tasktracker.blockers.known_plugins import Provider, provider_of, takes_value
from pytest_tasktracker.blockers.missing_paths import path_not_found
from pytest_tasktracker.blockers.model import Blocker, Remedy
from pytest_tasktracker.paths import slug
from pytest_tasktracker.redact import (
    PRE_CUT,
    REDACTED,
    option_secrets,
    redact_argv,
    redact_long,
    secret_option,
)

_UNRECOGNIZED = re.compile(r"unrecognized arguments: (.*)")
_REQUIRED = re.compile(r"Missing required plugins: (.*)")
_NOT_FOUND = re.compile(r"(?:file or directory not found|not found): (\S+)")
_IMPORTING_PLUGIN = re.compile(r'Error importing plugin "([^"]+)"')
_CONFIG_FILE_ERROR = re.compile(r"^(?:ERROR: )?(?P<file>[^\s:]+\.(?:toml|ini|cfg)): ")
_AT_LINE = re.compile(r"\(at line (\d+)")


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
            # an unknown option named like a secret takes one: never leave it behind alone
            skip = takes_value(arg) or ("=" not in arg and secret_option(arg))
            continue
        out.append(arg)
    return out


def _installed(distribution: str) -> bool:
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


def _quoted(arg: str) -> str:
    """``arg`` as a shell reads it; ``[REDACTED]`` needs no quotes inside the quoted
    addopts (``'addopts=--api-token [REDACTED]'``, not ``'"'"'[REDACTED]'"'"'``)."""
    bare = arg.replace(REDACTED, "R")
    return arg if shlex.quote(bare) == bare else shlex.quote(arg)


def _addopts_override(facts: Facts, rest: list[str]) -> str:
    """The command that runs pytest with ``rest`` as its addopts, for one run; each
    argument redacted on its own (``--api-token='a b'`` is one)."""
    joined = " ".join(_quoted(arg) for arg in redact_argv(rest))
    override = shlex.quote("addopts=" + joined)
    argv = shlex.join(redact_argv(facts.argv))
    return f"{shlex.quote(facts.python)} -m pytest -o {override} {argv}".strip()


def _addopts_location(facts: Facts) -> dict[str, Any] | None:
    if facts.inifile is None:
        return None
    return {"file": facts.rel(facts.inifile), "line": _ini_line(facts, "addopts")}


def _provider_remedy(
    names: list[str], where: str, provider: Provider | None, installed: bool, facts: Facts
) -> tuple[str, Remedy]:
    """The summary of unrecognized options of one provider, and the remedy that
    provides them."""
    python = shlex.quote(facts.python)
    shown = ", ".join(names)
    option = f"option {shown}" if len(names) == 1 else f"options {shown}"
    if provider is None:
        return (
            f"{option} (from {where}) is not provided by any installed plugin",
            Remedy(
                f"{python} -m pip list",
                f"find the pytest plugin that adds {shown} and install it into "
                f"{facts.python}; or remove the option if it is a typo",
            ),
        )
    package, plugin = provider.distribution, provider.plugin
    need = "needs" if len(names) == 1 else "need"
    if installed:
        return (
            f"{option} (from {where}) {need} {package}, which is installed but not "
            f"loaded (-p no:{plugin} or PYTEST_DISABLE_PLUGIN_AUTOLOAD)",
            Remedy(
                facts.pytest_command(_without(facts.argv, f"no:{plugin}")),
                f"let pytest load {package}: drop -p no:{plugin} and unset "
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
            ),
        )
    version = sys.version.split()[0]
    return (
        f"{option} (from {where}) {need} {package}, which is not installed",
        Remedy(
            f"{python} -m pip install {package}",
            f"install {package} into the interpreter that ran pytest "
            f"({facts.python}, Python {version})",
        ),
    )


def _grouped(flags: list[str], facts: Facts) -> list[list[str]]:
    """The unrecognized flags by their root cause: one group per distribution that
    provides them and place they came from (pytest-json-report's ``--json-report`` and
    ``--json-report-file`` are one missing package); an unknown flag alone."""
    groups: dict[tuple[str, str], list[str]] = {}
    for flag in flags:
        provider = provider_of(flag)
        key = (provider.distribution if provider else flag, _option_source(flag, facts)[0])
        groups.setdefault(key, []).append(flag)
    return list(groups.values())


def _missing_plugin(flags: list[str], facts: Facts, error: str) -> Blocker:
    """Options pytest does not know, of one provider: which plugin adds them, and how
    to run without them."""
    flag = flags[0]
    provider: Provider | None = provider_of(flag)
    source, where = _option_source(flag, facts)
    names = list(dict.fromkeys(f.split("=", 1)[0] for f in flags))
    name = names[0]
    installed = provider is not None and _installed(provider.distribution)
    summary, provide = _provider_remedy(names, where, provider, installed, facts)
    shown = ", ".join(names)

    def without(args: list[str]) -> list[str]:
        for each in flags:
            args = _without(args, each)
        return args

    if source == "addopts":
        skip = Remedy(
            _addopts_override(facts, without(facts.addopts)),
            f"run without {shown}: the same addopts minus "
            + ("the option" if len(names) == 1 else "the options"),
        )
    elif source == "env":
        skip = Remedy(
            f"env -u PYTEST_ADDOPTS {facts.pytest_command()}",
            f"PYTEST_ADDOPTS adds {shown}; run without it, or remove {shown} from it",
        )
    else:
        skip = Remedy(facts.pytest_command(without(facts.argv)), f"run without {shown}")
    return Blocker(
        kind="missing-plugin",
        key=name.lstrip("-"),
        summary=summary,
        error=error,
        exit_code=facts.code(4),
        location=_addopts_location(facts) if source == "addopts" else None,
        cause={
            "option": name,
            **({"options": names} if len(names) > 1 else {}),
            "source": where,
            "provided_by": provider.distribution if provider is not None else None,
            "installed": installed,
            "python": facts.python,
        },
        remedies=[provide, skip],
    )


def _without_plugin(args: list[str], name: str) -> list[str]:
    """``args`` without ``-p NAME`` (also written ``-pNAME`` or ``-p=NAME``); other
    ``-p`` options stay."""
    out: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "-p" and index + 1 < len(args):
            if args[index + 1] != name:
                out.extend(args[index : index + 2])
            index += 2
            continue
        if arg not in (f"-p{name}", f"-p={name}"):
            out.append(arg)
        index += 1
    return out


def _unimportable_plugin(name: str, facts: Facts, error: str, exit_code: int) -> Blocker:
    """``-p NAME`` (or ``pytest_plugins``) names a module that cannot be imported."""
    python = shlex.quote(facts.python)

    def asks(args: list[str]) -> bool:
        return _without_plugin(args, name) != args

    remedies = [
        Remedy(
            f"{python} -m pip install {shlex.quote(name)}",
            f"install the distribution that provides {name!r} into {facts.python}",
        )
    ]
    location = None
    if asks(facts.argv):
        where = "the command line"
        remedies.append(
            Remedy(
                facts.pytest_command(_without_plugin(facts.argv, name)), f"run without -p {name}"
            )
        )
    elif asks(facts.addopts):
        where = f"addopts in {facts.rel(facts.inifile) if facts.inifile else 'the ini file'}"
        remedies.append(
            Remedy(
                _addopts_override(facts, _without_plugin(facts.addopts, name)),
                f"run without -p {name}: the same addopts minus it (then remove it there)",
            )
        )
        location = _addopts_location(facts)
    elif asks(facts.env_addopts):
        where = "the PYTEST_ADDOPTS environment variable"
        remedies.append(
            Remedy(
                f"env -u PYTEST_ADDOPTS {facts.pytest_command()}",
                f"PYTEST_ADDOPTS asks for -p {name}; run without it, or remove it from there",
            )
        )
    else:
        where = "pytest_plugins in a conftest"
        remedies.append(
            Remedy(
                f"grep -rn --include=conftest.py pytest_plugins {shlex.quote(str(facts.rootdir))}",
                f"find the conftest whose pytest_plugins names {name!r} and remove it there",
            )
        )
    return Blocker(
        kind="missing-plugin",
        key=name,
        summary=f"plugin {name!r} (from {where}) cannot be imported",
        error=error,
        exit_code=exit_code,
        location=location,
        cause={"plugin": name, "source": where, "installed": False, "python": facts.python},
        remedies=remedies,
    )


def usage_error(raw: str, facts: Facts) -> list[Blocker]:
    """Blockers from a UsageError's text; ``raw`` is read, only its redaction is kept."""
    echoed = raw
    for value in option_secrets([*facts.argv, *facts.addopts, *facts.env_addopts]):
        echoed = echoed.replace(value, REDACTED)
    error = redact_long(echoed)
    unrecognized = _UNRECOGNIZED.search(raw)
    if unrecognized:
        flags = [
            f for f in unrecognized.group(1).split() if f.startswith("-")
        ] or facts.unknown_flags
        return [_missing_plugin(group, facts, error) for group in _grouped(flags, facts)]
    required = _REQUIRED.search(raw)
    if required:
        return [_required_plugins(required.group(1), facts, error)]
    importing = _IMPORTING_PLUGIN.search(raw)
    if importing:
        return [_unimportable_plugin(importing.group(1), facts, error, facts.code(4))]
    not_found = _NOT_FOUND.search(raw)
    if not_found:
        return [path_not_found(not_found.group(1), facts, error)]
    return [_rejected_arguments(error, facts)]


def _required_plugins(listed: str, facts: Facts, error: str) -> Blocker:
    names = [name.strip() for name in listed.split(",")]
    return Blocker(
        kind="missing-plugin",
        key=names[0],
        summary=f"required_plugins names {', '.join(names)}, which "
        + ("is" if len(names) == 1 else "are")
        + " not installed",
        error=error,
        exit_code=facts.code(4),
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


def _config_location(error: str, facts: Facts) -> dict[str, Any] | None:
    """The configuration file (and line) a usage error is about, when it names one."""
    in_file = _CONFIG_FILE_ERROR.match(error)
    if in_file:  # a broken pyproject.toml, or minversion
        line = _AT_LINE.search(error)
        return {
            "file": facts.rel(in_file.group("file")),
            "line": int(line.group(1)) if line else None,
        }
    if "config option" in error and facts.inifile is not None:
        return {"file": facts.rel(facts.inifile), "line": None}
    return None


def _rejected_arguments(error: str, facts: Facts) -> Blocker:
    headline = _headline(error, facts)
    return Blocker(
        kind="usage-error",
        key=slug(headline, 40),
        summary=f"pytest rejected its arguments: {headline[:PRE_CUT]}",
        error=error,
        exit_code=facts.code(4),
        location=_config_location(error, facts),
        cause={"arguments": redact_argv(facts.argv)},
        remedies=[
            Remedy(
                f"{shlex.quote(facts.python)} -m pytest --help",
                "correct the argument, option or expression the error names, then run again",
            )
        ],
    )


def _headline(error: str, facts: Facts) -> str:
    """The line of an error that says what is wrong, with the project folder left out."""
    lines = [line.strip() for line in error.splitlines() if line.strip()]
    chosen = next((line for line in lines if ": error: " in line), lines[0] if lines else "")
    chosen = chosen.split(": error: ", 1)[-1].removeprefix("ERROR: ")
    return chosen.replace(f"{facts.cwd}/", "").replace(str(facts.cwd), ".")
