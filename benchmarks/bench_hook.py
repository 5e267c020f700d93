"""The hook's cost per tool call, against Python's own start.

    python benchmarks/bench_hook.py [--rounds 15] [--instructions]

Hooks run on every tool call of a coding agent, so what the agent waits for is the
hook's start-up and answer. On a project set up by ``tasktracker init`` (the command it
writes, the tracker pinned), after a session's first look, this runs each event as the
host would (the JSON on stdin) and compares it with ``python -c pass``, paired per round
(median of the ratios, wall time). ``--instructions`` counts instructions instead
(valgrind), which decide the budgets of issue #29: at most 2x ``python -c pass`` for an
event that touches neither the tracker nor the state folder, at most 3x for one that
does.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_library import instructions

TRACKER = "pr_info/TASK_TRACKER.md"
# As installed: bytecode cached (with PYTHONDONTWRITEBYTECODE, every start would compile
# the modules it imports from source).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def tick(text: str) -> dict[str, object]:
    edit = {"file_path": TRACKER, "old_string": f"- [ ] {text}", "new_string": f"- [x] {text}"}
    return {"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": edit}


# (what, the event, whether it touches the tracker or the state folder)
EVENTS: list[tuple[str, dict[str, object], bool]] = [
    (
        "before a shell command",
        {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}},
        False,
    ),
    (
        "after a shell command",
        {
            "hook_event_name": "PostToolUse",
            "tool_name": "Bash",
            "tool_input": {"command": "ls"},
            "tool_response": {"stdout": ""},
        },
        False,
    ),
    (
        "before reading a file",
        {"hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {}},
        False,
    ),
    (
        "before editing a source file",
        {
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": "src/app.py", "old_string": "1", "new_string": "2"},
        },
        False,  # a file the guard does not watch: the quick path answers
    ),
    (
        "before ticking a box no test verifies",
        {
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": TRACKER, "old_string": "- [ ] b", "new_string": "- [x] b"},
        },
        True,
    ),
    (
        "before ticking a box no run backs (refused)",
        tick("Run pytest on tests/test_other.py"),
        True,
    ),
    (
        "before ticking a box a fresh pass backs (the code looked at)",
        tick("Run pytest on tests/test_app.py"),
        True,
    ),
    (
        "before ticking a box naming pylint, not run (the code looked at)",
        tick("Run pylint on src/app.py"),
        True,
    ),
    ("the end of a turn", {"hook_event_name": "Stop", "stop_hook_active": False}, True),
    (
        "after a tool ticked a box a fresh pass backs (the code looked at)",
        {
            "hook_event_name": "PostToolUse",
            "tool_name": "Edit",
            "tool_input": tick("Run pytest on tests/test_app.py")["tool_input"],
            "tool_response": {"success": True},
        },
        True,
    ),
]
for runner in ("tasktracker run --", "pytest"):
    EVENTS.append(
        (
            f"after `{runner} --tracker-update tests` (it ticked a box)",
            {
                "hook_event_name": "PostToolUse",
                "tool_name": "Bash",
                "tool_input": {"command": f"{runner} --tracker-update tests"},
                "tool_response": {"stdout": ""},
            },
            True,
        )
    )
RUNS = {
    "tasktracker run --": ["-m", "pytest_tasktracker", "run", "--"],
    "pytest": ["-m", "pytest"],
}
PROVEN = "- [ ] Run pytest on tests/test_app.py\n"  # a real run proves it; step 1's is ticked


def prepare(what: str, root: Path, argv: list[str]) -> None:
    """Before each event, the project as the first look left it (step 1's box ticked,
    step 2's open, and looked at); before the look after a tick, step 2's box ticked by
    the "tool"."""
    tracker = root / TRACKER
    text = tracker.read_text()
    ticked = PROVEN.replace("[ ]", "[x]")
    if text.count(ticked) != 1:
        tracker.write_text(text.replace(ticked, PROVEN).replace(PROVEN, ticked, 1))
        after: dict[str, object] = {
            "hook_event_name": "PostToolUse",
            "tool_name": "Bash",
            "tool_input": {},
        }
        stdin = event_input(root, after)
        subprocess.run(argv, cwd=root, input=stdin, text=True, env=ENV, check=True)
    if what.startswith("after a tool ticked"):
        tracker.write_text(tracker.read_text().replace(PROVEN, ticked))
    for runner, args in RUNS.items():
        if what.startswith(f"after `{runner} "):
            run = [sys.executable, *args, "--tracker-update", "-q", "-p", "no:cacheprovider"]
            subprocess.run([*run, "tests"], cwd=root, env=ENV, check=True, stdout=-3)


def project(folder: Path) -> tuple[Path, list[str]]:
    """A small project set up by ``tasktracker init``, after a session's first look; and
    the PreToolUse hook command init wrote, as an argument list."""
    root = folder / "project"
    (root / "pr_info").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "tests").mkdir()
    (root / "src" / "app.py").write_text("VALUE = 1\n")
    (root / "tests" / "test_app.py").write_text("def test_app():\n    assert True\n")
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n\n[tool.pytest.ini_options]\n')
    (root / ".gitignore").write_text(".tasktracker/\n__pycache__/\n.pytest_cache/\n")
    steps = "".join(
        f"### Step {n}: part {n}\n- [x] a\n- [ ] b\n- [ ] Run pylint on src/app.py\n"
        "- [ ] Run pytest on tests/test_other.py\n\n"
        for n in range(3, 30)
    )
    (root / TRACKER).write_text(
        f"# Tracker\n\n### Step 1: app\n{PROVEN}\n### Step 2: again\n{PROVEN}\n{steps}"
    )
    subprocess.run(
        [sys.executable, "-m", "pytest_tasktracker", "init"], cwd=root, check=True, stdout=-3
    )
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
    subprocess.run(run, cwd=root, check=True, stdout=-3, env=ENV)
    text = (root / TRACKER).read_text()  # step 1's box ticked: the end of a turn looks at it
    (root / TRACKER).write_text(text.replace(PROVEN, PROVEN.replace("[ ]", "[x]"), 1))
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "start"]):
        git = ["git", "-c", "user.name=bench", "-c", "user.email=b@b", *args]
        subprocess.run(git, cwd=root, check=True, stdout=-3)
    time.sleep(2.5)  # the code's fingerprint is taken of files settled for two seconds
    settings = json.loads((root / ".claude" / "settings.json").read_text())
    command = settings["hooks"]["PreToolUse"][0]["hooks"][0]["command"]
    argv = shlex.split(command)
    start = {"hook_event_name": "SessionStart", "source": "startup", "cwd": str(root)}
    subprocess.run(argv, cwd=root, input=json.dumps(start), text=True, check=True, env=ENV)
    for what, event, _touches in EVENTS:  # bytecode written once, as after installing
        prepare(what, root, argv)
        subprocess.run(
            argv,
            cwd=root,
            input=event_input(root, event),
            text=True,
            env=ENV,
            capture_output=True,
            check=False,
        )
    return root, argv


def event_input(root: Path, event: dict[str, object]) -> str:
    return json.dumps({**event, "cwd": str(root), "session_id": "bench"})


def wall(argv: list[str], root: Path, stdin: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv, cwd=root, input=stdin, text=True, check=False, capture_output=True, env=ENV
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--instructions", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-hook-"))
    try:
        root, argv = project(folder)
        baseline = [sys.executable, "-c", "pass"]
        print(f"hook command: {shlex.join(['python', *argv[1:]])}")
        if args.instructions:
            counted = instructions(baseline, root, env=ENV)
            assert counted is not None
            print(f"python -c pass: {counted / 1e6:.1f} M instructions")
            print("| event | M instructions | vs python -c pass | budget | verdict |")
            print("|---|---:|---:|---:|---|")
            for what, event, touches in EVENTS:
                prepare(what, root, argv)
                found = instructions(argv, root, env=ENV, stdin=event_input(root, event), ok=(0, 2))
                assert found is not None, what
                budget = 3.0 if touches else 2.0
                ratio = found / counted
                verdict = "met" if ratio <= budget else "NOT MET"
                print(f"| {what} | {found / 1e6:.1f} | {ratio:.2f}x | {budget:.0f}x | {verdict} |")
            return
        rows = []
        for what, event, touches in EVENTS:
            stdin = event_input(root, event)
            ratios, times, bases = [], [], []
            for _ in range(args.rounds):
                prepare(what, root, argv)
                base = wall(baseline, root, "")
                took = wall(argv, root, stdin)
                bases.append(base)
                times.append(took)
                ratios.append(took / base)
            rows.append((what, statistics.median(times), statistics.median(ratios), touches))
        print(f"python -c pass: {statistics.median(bases) * 1e3:.1f} ms (median)")
        print("| event | ms (median) | vs python -c pass (paired median) | budget |")
        print("|---|---:|---:|---:|")
        for what, took, ratio, touches in rows:
            print(f"| {what} | {took * 1e3:.1f} | {ratio:.2f}x | {3 if touches else 2}x |")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
