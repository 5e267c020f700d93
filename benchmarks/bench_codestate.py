"""Time of the code-state digest taken at the end of every tracked run and by the gate.

    python benchmarks/bench_codestate.py [--files 5000] [--repeat 9]

Builds a git repository of FILES small source files in a temporary folder (committed),
changes 20 of them and adds 10 untracked ones, then times ``code_state`` with git and
with the plain walk (no git). Budget (issue #17): under 50 ms at 5,000 files with git.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from pytest_tasktracker.rules import codestate


def build(root: Path, files: int) -> None:
    for number in range(files):
        folder = root / "src" / f"pkg{number % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"mod_{number}.py").write_text(f"VALUE = {number}\n" * 20)
    git = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "files"], cwd=root, check=True)
    for number in range(20):
        path = root / "src" / f"pkg{number % 50}" / f"mod_{number}.py"
        path.write_text("CHANGED = 1\n")
    for number in range(10):
        (root / f"new_{number}.py").write_text("NEW = 1\n")


def median_ms(root: Path, repeat: int, walk: bool) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        if walk:
            codestate._from_walk(root)
        else:
            codestate.code_state(root)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        build(root, args.files)
        with_git = median_ms(root, args.repeat, walk=False)
        walk = median_ms(root, args.repeat, walk=True)
    print("| files | with git (ms) | plain walk (ms) |\n|---|---|---|")
    print(f"| {args.files:,} | {with_git:.1f} | {walk:.1f} |")
    verdict = "met" if with_git < 50 else "NOT met"
    print(f"budget: digest with git under 50 ms at {args.files:,} files: {verdict}")


if __name__ == "__main__":
    main()
