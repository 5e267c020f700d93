"""Cost of the code-state digest taken at the end of every tracked run and by every judge
(``gate``, ``check``, the hooks).

    python benchmarks/bench_codestate.py [--files 20000] [--repeat 7] [--no-instructions]

Builds FILES small source files three ways: a git repository with all of them committed
(clean), a git repository where none is (``git init`` in an unpacked sdist: all
untracked), and a plain folder. Each is digested as a run and a judge do
(``code_state`` with the environment's entries and the state folder's records,
``rules/codecache.py``): the first digest (no records yet: every file without git is
read) and the ones after it, where nothing changed (the usual case: the gate after a
run, the hooks, a run again).

Budgets (issue #28): under 50 ms clean, under 200 ms untracked and without git, at 20,000
files. Instruction counts decide (valgrind, every process: git's too; the imports are
subtracted), wall time beside. The issue measured 191, 623 and 820 ms for the code of
main 28b3e5a, whose digests of these three folders count 461.3 M, 1,845.6 M and
2,409.6 M instructions here, git's included (counted as below, its ``code_state(root)``);
a budget in instructions is its milliseconds at that code's rate (50 ms clean = 50/191 of
461.3 M = 120.8 M).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_tasktracker.rules import codestate, environment

# scenario: (milliseconds the issue measured, instructions of that code here, budget ms)
BEFORE = {
    "git, clean": (191.0, 461.3e6, 50.0),
    "git, all untracked": (623.0, 1845.6e6, 200.0),
    "no git": (820.0, 2409.6e6, 200.0),
}
SNIPPET = """\
import sys
from pathlib import Path
from pytest_tasktracker.rules import codestate, environment
root, records = Path(sys.argv[1]), Path(sys.argv[2])
if sys.argv[3] == "digest":
    codestate.code_state(root, records=records, installed=environment.here(root)[0])
"""


def build(root: Path, files: int, git: bool, commit: bool) -> None:
    for number in range(files):
        folder = root / "src" / f"pkg{number % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod_{number}.py").write_text(f"VALUE = {number}\n" * 20)
    if git:
        command = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
        subprocess.run([*command, "init", "-q"], cwd=root, check=True)
        if commit:
            subprocess.run([*command, "add", "."], cwd=root, check=True)
            subprocess.run([*command, "commit", "-q", "-m", "files"], cwd=root, check=True)


def digest(root: Path, records: Path) -> float:
    start = time.perf_counter()
    codestate.code_state(root, records=records, installed=environment.here(root)[0])
    return (time.perf_counter() - start) * 1000


def instructions(root: Path, records: Path, what: str) -> int:
    """Instructions of the snippet and of every process it starts (valgrind writes each
    process's count to a file of its own: git's stderr is not the snippet's)."""
    with tempfile.TemporaryDirectory() as logs:
        done = subprocess.run(
            [
                "valgrind",
                "--tool=cachegrind",
                "--cache-sim=no",
                "--trace-children=yes",
                "--cachegrind-out-file=/dev/null",
                f"--log-file={logs}/%p.log",
                sys.executable,
                "-c",
                SNIPPET,
                str(root),
                str(records),
                what,
            ],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        counts = [
            int(found.replace(",", ""))
            for log in Path(logs).glob("*.log")
            for found in re.findall(r"I\s+refs:\s+([\d,]+)", log.read_text())
        ]
    if done.returncode != 0 or not counts:
        raise SystemExit(f"valgrind could not count the digest of {root}: {done.stderr[-2000:]}")
    return sum(counts)


def counted(root: Path, records: Path) -> tuple[float, float]:
    """Millions of instructions of the first digest (no records yet) and of one after."""
    shutil.rmtree(records, ignore_errors=True)
    imports = instructions(root, records, "-")
    first = instructions(root, records, "digest") - imports
    again = instructions(root, records, "digest") - imports
    return first / 1e6, again / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-instructions", action="store_true", help="wall time only")
    args = parser.parse_args()
    count = not args.no_instructions and shutil.which("valgrind") is not None
    rows = [
        "| files | mode | first (ms) | after (ms) | first (M instr.) | after (M instr.) "
        "| before (M instr.) | after / before | budget (M instr.) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    with tempfile.TemporaryDirectory() as temporary:
        for number, (mode, (then_ms, then_count, budget_ms)) in enumerate(BEFORE.items()):
            root = Path(temporary) / f"project{number}"
            root.mkdir()
            build(root, args.files, git=mode != "no git", commit=mode == "git, clean")
            time.sleep(2.5)  # the files settle: a digest trusts no file changed in the last 2 s
            records = Path(temporary) / f"records{number}"
            first = digest(root, records)
            after = statistics.median(digest(root, records) for _ in range(args.repeat))
            budget = budget_ms * then_count / then_ms
            if count:
                first_m, after_m = counted(root, records)
                ratio = f"{after_m * 1e6 / then_count:.2f}"
                verdict = "ok" if after_m * 1e6 <= budget else "OVER"
                cells = f"{first_m:,.1f} | {after_m:,.1f}"
                measure = f"{after_m:,.1f} M instructions"
            else:
                ratio, cells = "-", "- | -"
                verdict = "ok" if after <= budget_ms else "OVER"
                measure = f"{after:.0f} ms (wall: valgrind not used)"
            rows.append(
                f"| {args.files:,} | {mode} | {first:.0f} | {after:.0f} | {cells} "
                f"| {then_count / 1e6:,.1f} | {ratio} | {budget / 1e6:,.1f} |"
            )
            verdicts.append(
                f"  {verdict:4} {mode}: {measure} "
                f"(budget {budget_ms:g} ms = {budget / 1e6:,.1f} M at the rate of #28)"
            )
    print("\n".join(rows))
    print("Budgets (the digest after the first):")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
