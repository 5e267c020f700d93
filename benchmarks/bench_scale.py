"""A run against a tracker of 100,000 sub-tasks: the size of results.json, peak memory
and time, next to the same run without a tracker.

    python benchmarks/bench_scale.py [--subtasks 100000] [--files 10] [--tests-per-file 100]

Every 12th sub-task asks for the whole suite ("Run all tests ..."); the others each name
one of the test files. So each test is in the scope of thousands of sub-tasks: evidence
that lists a row per test per sub-task grows with their product, evidence that shares
them grows with their sum. Prints the figures and the budgets of issue #19 (results.json
under 5 MB, peak memory at most +50 MB).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from run import run_once


def build(folder: Path, subtasks: int, files: int, per_file: int) -> None:
    (folder / "tests").mkdir()
    (folder / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    body = "".join(f"def test_{n}():\n    pass\n\n" for n in range(per_file))
    for number in range(files):
        (folder / "tests" / f"test_mod_{number}.py").write_text(body)
    parts = ["# Tracker\n"]
    for n in range(subtasks):
        if n % 12 == 0:
            parts.append(f"\n### Step {n // 12 + 1}: Part\n\n")
        if n % 12 == 11:
            parts.append("- [ ] Run all tests and make sure they pass\n")
        else:
            parts.append(f"- [ ] Implement thing {n} in tests/test_mod_{n % files}.py\n")
    (folder / "TRACKER.md").write_text("".join(parts))
    (folder / "TRACKER.orig").write_text("".join(parts))  # run_once restores it each run


def run(folder: Path, *args: str) -> tuple[float, int]:
    """(seconds, peak RSS in KB) of one pytest run."""
    seconds, _cpu, rss = run_once(folder, args)
    return seconds, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subtasks", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--tests-per-file", type=int, default=100)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        build(folder, options.subtasks, options.files, options.tests_per_file)
        run(folder, "-p", "no:tasktracker")  # bytecode and file cache
        plain = run(folder, "-p", "no:tasktracker")
        first = run(folder, "--tracker", "TRACKER.md")
        again = run(folder, "--tracker", "TRACKER.md")  # merges into the first's evidence
        size = (folder / ".tasktracker" / "results.json").stat().st_size
        tracker = (folder / "TRACKER.md").stat().st_size
    print(
        f"{options.subtasks:,} sub-tasks ({tracker / 1e6:.1f} MB tracker), "
        f"{options.files * options.tests_per_file:,} tests"
    )
    print("| run | time (s) | peak RSS (MB) |")
    print("|---|---:|---:|")
    for name, (seconds, rss) in (
        ("plain pytest (plugin disabled)", plain),
        ("--tracker, first run", first),
        ("--tracker, again (merging)", again),
    ):
        print(f"| {name} | {seconds:.2f} | {rss / 1024:.0f} |")
    extra = max(first[1], again[1]) / 1024 - plain[1] / 1024
    print(f"results.json: {size / 1e6:.1f} MB")
    print("Budgets:")
    print(f"  {'ok  ' if size < 5e6 else 'OVER'} results.json under 5 MB: {size / 1e6:.1f} MB")
    print(f"  {'ok  ' if extra <= 50 else 'OVER'} peak memory at most +50 MB: {extra:+.0f} MB")


if __name__ == "__main__":
    main()
