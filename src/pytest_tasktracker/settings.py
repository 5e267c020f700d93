"""One resolved settings object, from the command line > environment > ini file > default.

Both the pytest plugin and the ``tasktracker`` command line resolve their settings here,
so the two always agree on which tracker and which state folder a project uses.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from pytest_tasktracker.slotted import Slotted

ENV_TRACKER = "PYTEST_TRACKER"
DEFAULT_TRACKER = Path("pr_info") / "TASK_TRACKER.md"
STATE_FOLDER_NAME = ".tasktracker"

DEFAULT_RETRY_LIMIT = 3
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A configuration value is bad; the message names where it came from."""


class Settings(Slotted):
    __slots__ = (
        "tracker",
        "tracker_source",
        "state",
        "update",
        "gate",
        "blocked_file",
        "retry_limit",
        "root",
        "stale_fails",
        "checks",
        "testpaths",
    )

    def __init__(
        self,
        tracker: Path,
        tracker_source: str,
        state: Path,
        update: bool = False,
        gate: bool = False,
        blocked_file: Path | None = None,
        retry_limit: int = DEFAULT_RETRY_LIMIT,
        root: Path | None = None,
        stale_fails: bool = True,
        checks: tuple[tuple[str, str], ...] = (),
        testpaths: tuple[str, ...] = (),
    ) -> None:
        self.tracker = tracker
        self.tracker_source = tracker_source  # where the tracker path came from, for messages
        self.state = state
        self.update = update
        self.gate = gate
        self.blocked_file = blocked_file
        self.retry_limit = retry_limit  # identical blocked runs before "stop retrying"
        self.root = root  # the project's root (the ini file's folder): the code state's
        # evidence from another code state fails the gate (else: warns)
        self.stale_fails = stale_fails
        self.checks = checks  # the project's named checks: (name, command)
        self.testpaths = testpaths  # the ini's testpaths, where task markers are looked for

    @property
    def code_root(self) -> Path:
        return self.root if self.root is not None else self.tracker.parent

    @property
    def declared(self) -> dict[str, str]:
        """The project's named checks, name -> command."""
        return dict(self.checks)

    @property
    def results_file(self) -> Path:
        return self.state / "results.json"

    @property
    def blockers_folder(self) -> Path:
        return self.state / "blockers"


def parse_bool(value: str, source: str) -> bool:
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(f"{source}: expected true or false, got {value!r}")


def parse_count(value: str, source: str, default: int) -> int:
    text = value.strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise SettingsError(f"{source}: expected a whole number of at least 1, got {value!r}")
    return int(text)


def resolve(
    *,
    cwd: Path,
    cli_tracker: str | None = None,
    cli_state: str | None = None,
    cli_update: bool = False,
    cli_gate: bool = False,
    env: Mapping[str, str],
    ini: Mapping[str, str],
    ini_path: Path | None,
    require_tracker: bool = False,
) -> Settings | None:
    """Resolve the settings, or None when nothing enables the tracker.

    Relative paths from the command line or the environment are taken from ``cwd``;
    relative paths from the ini file from the ini file's folder, as pytest does.
    """
    ini_folder = ini_path.parent if ini_path is not None else cwd
    ini_name = ini_path.name if ini_path is not None else "the ini file"
    if cli_tracker:
        tracker, source = cwd / cli_tracker, "--tracker"
    elif env.get(ENV_TRACKER):
        tracker, source = cwd / env[ENV_TRACKER], f"${ENV_TRACKER}"
    elif ini.get("tracker", "").strip():
        tracker, source = ini_folder / ini["tracker"].strip(), f"'tracker' in {ini_name}"
    elif require_tracker:
        tracker, source = cwd / DEFAULT_TRACKER, "the default"
    else:
        return None

    if cli_state:
        state = cwd / cli_state
    elif ini.get("tracker_state", "").strip():
        state = ini_folder / ini["tracker_state"].strip()
    else:
        state = tracker.parent / STATE_FOLDER_NAME

    if state.resolve() == ini_folder.resolve() or ini_folder.resolve().is_relative_to(
        state.resolve()
    ):
        raise SettingsError(
            f"the state folder {state} would hold the project itself: its records would "
            "count as code, and no evidence would stay fresh; give a folder of its own "
            "(default: .tasktracker/ beside the tracker)"
        )
    update = cli_update or parse_bool(
        ini.get("tracker_update", ""), f"'tracker_update' in {ini_name}"
    )
    gate = cli_gate or parse_bool(ini.get("tracker_gate", ""), f"'tracker_gate' in {ini_name}")
    blocked = ini.get("tracker_blocked_file", "").strip()
    stale = ini.get("tracker_stale", "").strip().lower() or "fail"
    if stale not in ("fail", "warn"):
        raise SettingsError(f"'tracker_stale' in {ini_name}: expected fail or warn, got {stale!r}")
    return Settings(
        tracker=tracker,
        tracker_source=source,
        state=state,
        update=update,
        gate=gate,
        blocked_file=ini_folder / blocked if blocked else None,
        retry_limit=parse_count(
            ini.get("tracker_retry_limit", ""),
            f"'tracker_retry_limit' in {ini_name}",
            DEFAULT_RETRY_LIMIT,
        ),
        root=ini_folder,
        stale_fails=stale == "fail",
        checks=declared_checks(ini_folder, ini.get("tracker_checks", ""), ini_name),
        testpaths=tuple(ini.get("testpaths", "").split()),
    )


def _tasktracker_table(pyproject: Path) -> dict[str, object]:
    """``[tool.tasktracker]`` of a pyproject.toml, parsed only when the file names it
    (a tracked run then imports no TOML parser)."""
    try:
        raw = pyproject.read_bytes()
    except OSError:
        return {}
    if b"tasktracker" not in raw:
        return {}
    from pytest_tasktracker.inifile import tasktracker_table  # only when pyproject names us

    return tasktracker_table(pyproject)


def declared_checks(folder: Path, ini_value: str, ini_name: str) -> tuple[tuple[str, str], ...]:
    """The project's named checks: ``[tool.tasktracker.checks]`` in the pyproject.toml of
    ``folder`` (``pylint = "pylint src"`` or a list of arguments), then the ini key
    ``tracker_checks`` (a line ``NAME = COMMAND`` each), which wins for a name in both."""
    found: dict[str, str] = {}
    source: dict[str, str] = {}
    table = _tasktracker_table(folder / "pyproject.toml")
    checks = table.get("checks", {})
    where = "[tool.tasktracker.checks] in pyproject.toml"
    if not isinstance(checks, dict):
        raise SettingsError(f"{where}: expected a table of NAME = COMMAND")
    for name, command in checks.items():
        if isinstance(command, list) and command and all(isinstance(a, str) for a in command):
            command = shlex.join(command)
        if not isinstance(command, str) or not command.strip():
            raise SettingsError(f"{where}: {name}: expected a command, got {command!r}")
        found[str(name)] = command.strip()
        source[str(name)] = where
    for line in ini_value.splitlines():
        if not line.strip():
            continue
        name, equals, command = line.partition("=")
        if not equals or not name.strip() or not command.strip():
            raise SettingsError(
                f"'tracker_checks' in {ini_name}: expected a line NAME = COMMAND, got {line!r}"
            )
        found[name.strip()] = command.strip()
        source[name.strip()] = f"'tracker_checks' in {ini_name}"
    if "pytest" in found:
        raise SettingsError(
            f"{source['pytest']}: pytest is not a named check: the plugin records pytest's part"
        )
    return tuple(found.items())


def resolve_in(cwd: Path, tracker: str | None = None, state: str | None = None) -> Settings:
    """The settings of the project in ``cwd`` as the ``tasktracker`` tools see it: its ini
    file and environment, ``tracker``/``state`` as given on a command line, and the
    default tracker when nothing names one."""
    from pytest_tasktracker.inifile import find_inifile  # not on the plugin's start

    ini = find_inifile(cwd)
    settings = resolve(
        cwd=cwd,
        cli_tracker=tracker,
        cli_state=state,
        env=os.environ,
        ini=ini.values,
        ini_path=ini.path,
        require_tracker=True,
    )
    assert settings is not None
    return settings
