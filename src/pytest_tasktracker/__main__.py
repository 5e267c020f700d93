"""``python -m pytest_tasktracker``: the ``tasktracker`` command line."""

from __future__ import annotations

from pytest_tasktracker.cli import run_main

if __name__ == "__main__":
    run_main()
