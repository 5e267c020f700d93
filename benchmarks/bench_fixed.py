"""The fixed cost of a tracked run: what ``--tracker --tracker-update`` adds to a small
suite, in instructions (valgrind), against plain pytest on the same suite.

    python benchmarks/bench_fixed.py [--tests 1000] [--journal LINES]

Agents run small slices of a suite many times, so what a tracked run costs before and
after its tests matters more than its cost per test (issue #31). The suite: trivial
tests, 100 to a file, a tracker with a sub-task per file and one for the whole suite;
the state folder of an earlier tracked run in place, as in a project; bytecode cached.
The budget of #31 is half the fixed cost at 28b3e5a on 1,000 tests (237 M): 118 M.
``--journal``: the run journal holds that many lines first, as a mature project's does
(it rotates at 1,000).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from run import build_suite, instructions

BUDGET = 118.5e6  # half of 237 M, 28b3e5a, 1,000 trivial tests


def grow_journal(state: Path, lines: int) -> None:
    """Lines that change nothing appended to the journal of ``state`` until it holds
    ``lines``, by the tool's own writer."""
    from pytest_tasktracker.rules import journal

    for _ in range(lines - journal.read(state).lines):
        journal.append(state, by="run", tracker="../TRACKER.md", files={})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tests", type=int, default=1000)
    parser.add_argument("--journal", type=int, default=0, metavar="LINES")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed to count instructions")
    folder = Path(tempfile.mkdtemp(prefix="bench-fixed-"))
    try:
        suite = build_suite(folder, args.tests)
        tracked = ["--tracker", "TRACKER.md", "--tracker-update"]
        instructions(suite, tracked)  # the state folder of an earlier run, bytecode cached
        if args.journal:
            grow_journal(suite / ".tasktracker", args.journal)
        plain = instructions(suite, ["-p", "no:tasktracker"])
        with_tracker = instructions(suite, tracked)
        if plain is None or with_tracker is None:
            raise SystemExit("a run failed")
        added = with_tracker - plain
        verdict = "met" if added <= BUDGET else "NOT MET"
        shown = f", a journal of {args.journal:,} lines" if args.journal else ""
        print(f"{args.tests:,} trivial tests{shown}, python {sys.version.split()[0]}")
        print("| run | M instructions |")
        print("|---|---:|")
        print(f"| plain pytest | {plain / 1e6:,.1f} |")
        print(f"| --tracker --tracker-update | {with_tracker / 1e6:,.1f} |")
        print(f"| added | {added / 1e6:,.1f} ({added / plain:+.1%}) |")
        print(f"budget (#31): {BUDGET / 1e6:.1f} M: {verdict}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
