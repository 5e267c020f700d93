"""``python -m pytest_tasktracker`` and the ``tasktracker`` command.

``tasktracker hook`` runs on every tool call of a coding agent: it is dispatched before
the command line is built to ``agents.quick``, which answers when nothing can have
changed (a few ``stat`` calls); everything else is ``cli.run_main``. (The hook command
``tasktracker init`` writes goes to ``agents.quick`` without this module.)
"""

from __future__ import annotations

import sys

_VALUED = ("--tracker", "--tracker-state", "--agent", "--event")


def _command(argv: list[str]) -> str | None:
    """The subcommand of a command line: its first argument that is not an option or an
    option's value."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    argv = sys.argv[1:]
    if _command(argv) == "hook" and "-h" not in argv and "--help" not in argv:
        from pytest_tasktracker.agents.quick import main as hook

        hook()
    from pytest_tasktracker.cli import run_main

    run_main()


if __name__ == "__main__":
    main()
