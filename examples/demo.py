"""Run the bundled example for real: a blocked run, then a verified run, then the gate.

    python examples/demo.py [--keep]

It copies examples/cache-project to a temporary folder (kept with --keep) and runs pytest
there three times with the interpreter that runs this script. Exit code 0 when the demo
went as described in examples/cache-project/README.md.
"""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ruamel.yaml import YAML

EXAMPLE = Path(__file__).parent / "cache-project"


def say(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shown = " ".join(shlex.quote(arg) for arg in args)
    print(f"$ python {shown}", flush=True)
    result = subprocess.run(
        [sys.executable, *args], cwd=folder, capture_output=True, text=True, check=False
    )
    print(result.stdout + result.stderr, end="", flush=True)
    print(f"(exit code {result.returncode})", flush=True)
    return result


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text()
    data = YAML(typ="safe", pure=True).load(text[4 : text.index("\n---\n", 4) + 1])
    assert isinstance(data, dict)
    return data


def main() -> int:
    keep = "--keep" in sys.argv[1:]
    folder = Path(tempfile.mkdtemp(prefix="tasktracker-demo-")) / "cache-project"
    shutil.copytree(EXAMPLE, folder)
    print(f"example project copied to {folder}")
    tracker = folder / "pr_info" / "TASK_TRACKER.md"
    before = tracker.read_bytes()

    say("1. A blocked run: addopts asks for -n 2, and pytest-xdist is not there")
    args = ["-m", "pytest"]
    if importlib.util.find_spec("xdist") is not None:
        print("(pytest-xdist is installed here, so this run disables it with -p no:xdist)")
        args += ["-p", "no:xdist"]
    blocked = run(folder, *args)
    reports = sorted((folder / "pr_info" / ".tasktracker" / "blockers").glob("*.md"))
    if blocked.returncode != 4 or len(reports) != 1 or tracker.read_bytes() != before:
        print("demo failed: expected exit code 4, one blocker report and an untouched tracker")
        return 1
    report = reports[0]
    front = front_matter(report)
    print(f"\nblocker report: {report.relative_to(folder)}")
    print(report.read_text().split("\n## Sub-tasks that must stay unticked")[0])
    print(f"pr_info/.blocked.txt: {(folder / 'pr_info' / '.blocked.txt').read_text()}", end="")
    print("the tracker is unchanged: nothing was ticked")

    say("2. A verified run: the report's second remedy, with --tracker-update")
    remedies = front["remedies"]
    assert isinstance(remedies, list)
    assert isinstance(remedies[-1], dict)
    command = shlex.split(str(remedies[-1]["command"]))[1:]  # drop the interpreter path
    verified = run(folder, *command, "--tracker-update")
    if verified.returncode != 0 or "resolved blocker" not in verified.stdout:
        print("demo failed: the verified run should pass and resolve the blocker")
        return 1

    say("3. The gate: every tick must be backed by evidence")
    gate = run(folder, "-m", "pytest_tasktracker", "gate")
    run(folder, "-m", "pytest_tasktracker", "status")
    if not keep:
        shutil.rmtree(folder.parent)
    else:
        print(f"kept {folder}")
    return gate.returncode


if __name__ == "__main__":
    sys.exit(main())
