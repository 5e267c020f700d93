"""Benchmarks: pytest-tasktracker's cost next to plain pytest and its peers.

    python benchmarks/run.py [--sizes 1000,10000,50000] [--rounds 7] [--quick]
                             [--real-suite] [--write-docs]

Builds its own suites of trivial tests with a tracker linking them, then runs each
variant side by side, alternating the order every round, and prints medians, ratios to
plain pytest and peak memory. Variants: plain pytest (plugin disabled), plugin installed
but idle, --tracker, --tracker --tracker-update, pytest-json-report, pytest-reportlog;
serially and with -n 2. Then the idle cost on `pytest --co` of 5,000 tests, the library
at 100 / 10,000 / 100,000 sub-tasks, and (with --real-suite) a real test suite taken
from a package's source distribution. --write-docs puts the tables in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from bench_library import instructions as library_instructions  # noqa: E402
from bench_library import report as library_report  # noqa: E402
from bench_library import run as library_run  # noqa: E402

LAUNCHER = (
    "import resource, sys, pytest\n"
    "code = pytest.main(sys.argv[1:])\n"
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)
TESTS_PER_FILE = 100


@dataclass
class Variant:
    name: str
    args: list[str]
    needs: str | None = None  # a module that must be importable


def variants(tmp: Path) -> list[Variant]:
    return [
        Variant("plain pytest (plugin disabled)", ["-p", "no:tasktracker"]),
        Variant("installed, idle", []),
        Variant("--tracker", ["--tracker", "TRACKER.md"]),
        Variant("--tracker --tracker-update", ["--tracker", "TRACKER.md", "--tracker-update"]),
        Variant(
            "pytest-json-report",
            ["-p", "no:tasktracker", "--json-report", f"--json-report-file={tmp}/report.json"],
            "pytest_jsonreport",
        ),
        Variant(
            "pytest-reportlog",
            ["-p", "no:tasktracker", f"--report-log={tmp}/log.jsonl"],
            "pytest_reportlog",
        ),
    ]


def build_suite(folder: Path, tests: int) -> Path:
    """A suite of trivial tests, 100 to a file, with a tracker linking every file."""
    suite = folder / f"suite_{tests}"
    (suite / "tests").mkdir(parents=True)
    (suite / "pytest.ini").write_text("[pytest]\ntestpaths = tests\n")
    files = max(1, tests // TESTS_PER_FILE)
    body = "".join(f"def test_{n}():\n    pass\n\n" for n in range(TESTS_PER_FILE))
    lines = ["# Task Status Tracker\n", "## Tasks\n"]
    for number in range(files):
        (suite / "tests" / f"test_mod_{number}.py").write_text(body)
        if number % 10 == 0:
            lines.append(f"\n### Step {number // 10 + 1}: Part {number // 10 + 1}\n")
        lines.append(f"- [ ] Run pytest on tests/test_mod_{number}.py and fix all failures\n")
    lines.append("\n## Pull Request\n- [ ] Run the full test suite\n")
    tracker = "".join(lines)
    (suite / "TRACKER.md").write_text(tracker)
    (suite / "TRACKER.orig").write_text(tracker)
    return suite


def environment() -> dict[str, str]:
    """The runs' environment: as a user's, with bytecode cached (the warm-up run writes
    it). With PYTHONDONTWRITEBYTECODE set, pytest compiles every plugin package's modules
    from source on every run (it rewrites their asserts), which is not what users see."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(suite: Path, args: Sequence[str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the run and its workers, peak RSS in KB).

    The tracker is restored before each run, so every --tracker-update run ticks the same
    boxes; the state folder is kept, as in a project: each run merges into the evidence
    of the runs before it."""
    shutil.copyfile(suite / "TRACKER.orig", suite / "TRACKER.md")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, "-q", "-p", "no:cacheprovider", *args],
        cwd=suite,
        capture_output=True,
        text=True,
        check=False,
        env=environment(),
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in (0, 5):
        raise SystemExit(f"benchmark run failed ({result.returncode}):\n{result.stdout[-2000:]}")
    match = re.search(r"MAXRSS (\d+)", result.stderr)
    return elapsed, cpu, int(match.group(1)) if match else 0


@dataclass
class Result:
    wall: float  # median seconds
    cpu: float
    rss: int  # peak KB
    wall_ratio: float  # median over rounds of (this run / the plain run of its round)
    cpu_ratio: float
    spread: float  # half the interquartile range of the wall ratios
    fastest_ratio: float  # this variant's fastest run / plain pytest's fastest run


def compare(suite: Path, chosen: list[Variant], extra: list[str], rounds: int) -> dict[str, Result]:
    """Each round runs every variant once, in alternating order; a variant is compared
    with the plain run of the same round, which cancels the machine's slow drifts."""
    walls: dict[str, list[float]] = {v.name: [] for v in chosen}
    cpus: dict[str, list[float]] = {v.name: [] for v in chosen}
    memory: dict[str, int] = {v.name: 0 for v in chosen}
    for variant in chosen:  # warm the file cache, write the bytecode and the state
        run_once(suite, [*variant.args, *extra])
    for round_number in range(rounds):
        order = chosen if round_number % 2 == 0 else list(reversed(chosen))
        for variant in order:
            seconds, cpu, rss = run_once(suite, [*variant.args, *extra])
            walls[variant.name].append(seconds)
            cpus[variant.name].append(cpu)
            memory[variant.name] = max(memory[variant.name], rss)
    plain = chosen[0].name
    results = {}
    for name in walls:
        wall_ratios = [a / b - 1 for a, b in zip(walls[name], walls[plain], strict=True)]
        cpu_ratios = [a / b - 1 for a, b in zip(cpus[name], cpus[plain], strict=True)]
        quartiles = statistics.quantiles(wall_ratios, n=4) if len(wall_ratios) > 1 else [0, 0, 0]
        results[name] = Result(
            statistics.median(walls[name]),
            statistics.median(cpus[name]),
            memory[name],
            statistics.median(wall_ratios),
            statistics.median(cpu_ratios),
            (quartiles[2] - quartiles[0]) / 2,
            min(walls[name]) / min(walls[plain]) - 1,
        )
    return results


def table(title: str, results: dict[str, Result]) -> str:
    out = [
        f"**{title}**",
        "",
        "| variant | wall, median (s) | vs plain (± half IQR) | fastest vs fastest "
        "| CPU, median (s) | vs plain | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        out.append(
            f"| {name} | {r.wall:.3f} | {r.wall_ratio:+.1%} ± {r.spread:.1%} "
            f"| {r.fastest_ratio:+.1%} | {r.cpu:.3f} "
            f"| {r.cpu_ratio:+.1%} | {r.rss / 1024:.0f} |"
        )
    return "\n".join(out)


def instructions(suite: Path, args: Sequence[str]) -> int | None:
    """Instructions executed by the run and all its processes (valgrind), or None.

    Deterministic to a few instructions from run to run (with PYTHONHASHSEED fixed), where
    wall time here varies by several percent: the figure that can resolve 1%. It counts
    work, not time: memory stalls and I/O are not in it."""
    if shutil.which("valgrind") is None:
        return None
    shutil.copyfile(suite / "TRACKER.orig", suite / "TRACKER.md")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    # Every test must run and pass: a run that collected nothing (exit 5) counts far fewer
    # instructions and would make any plugin look cheap or dear.
    return library_instructions(argv, suite, environment(), ok=(0,))


def count_pair(suite: Path, first: list[str], second: list[str]) -> tuple[int, int] | None:
    """Instructions of two runs, side by side on two copies of the suite (the counts do
    not depend on what else runs)."""
    twin = suite.with_name(suite.name + "_twin")
    if not twin.exists():
        shutil.copytree(suite, twin)
    with ThreadPoolExecutor(2) as pool:
        counting = pool.submit(instructions, twin, first)
        later = instructions(suite, second)
        earlier = counting.result()
    return None if earlier is None or later is None else (earlier, later)


def instruction_table(
    suite: Path, modes: list[tuple[str, list[str]]]
) -> tuple[str, dict[str, float]]:
    """The table, and --tracker's extra instructions over plain pytest per mode."""
    rows = [
        "**Instructions executed, 10,000 trivial tests (valgrind; all processes)**",
        "",
        "| mode | plain pytest (plugin disabled) | --tracker | vs plain |",
        "|---|---:|---:|---:|",
    ]
    ratios = {}
    for mode, extra in modes:
        counts = count_pair(
            suite, ["-p", "no:tasktracker", *extra], ["--tracker", "TRACKER.md", *extra]
        )
        if counts is None:
            return "(instruction counts skipped: valgrind is missing or a run failed)", {}
        plain, tracker = counts
        ratios[mode] = tracker / plain - 1
        rows.append(f"| {mode} | {plain:,} | {tracker:,} | {tracker / plain - 1:+.2%} |")
    return "\n".join(rows), ratios


def verdicts(
    active: dict[str, dict[str, Result]], idle: dict[str, Result], counted: dict[str, float]
) -> str:
    lines = ["Budgets:"]
    wall = idle["installed, idle"]
    ratio = counted.get("idle", wall.wall_ratio)
    measure = "instructions" if "idle" in counted else "wall"
    lines.append(
        f"  {'ok' if ratio < 0.02 else 'OVER':4} idle on `pytest --co`, 5,000 tests: "
        f"{ratio:+.2%} {measure}; wall {wall.wall_ratio:+.1%} ± {wall.spread:.1%} "
        "(budget: under 2%, within noise)"
    )
    for mode, results in active.items():
        tracker = results["--tracker"]
        # Instruction counts resolve 1% where wall time cannot; without them, wall time.
        over = counted.get(mode, tracker.wall_ratio)
        measure = "instructions" if mode in counted else "wall"
        lines.append(
            f"  {'ok' if over <= 0.03 else 'OVER':4} --tracker on 10,000 tests, {mode}: "
            f"{over:+.2%} {measure}; wall {tracker.wall_ratio:+.1%} ± {tracker.spread:.1%}, "
            f"CPU {tracker.cpu_ratio:+.1%} (budget: at most +3%)"
        )
        if "pytest-json-report" in results:
            json_report = results["pytest-json-report"]
            lines.append(
                f"  {'ok' if tracker.wall < json_report.wall else 'OVER':4} --tracker below "
                f"pytest-json-report, {mode}: {tracker.wall:.3f}s vs {json_report.wall:.3f}s"
            )
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import pytest

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, pytest {pytest.__version__}"
    )


def real_suite(folder: Path, rounds: int) -> str | None:
    """A real test suite nobody here wrote: more-itertools' tests from its sdist."""
    download = folder / "sdist"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--quiet",
            "-d",
            str(download),
            "more-itertools==10.5.0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    archives = list(download.glob("*.tar.gz"))
    if result.returncode != 0 or not archives:
        return f"(real suite skipped: the sdist could not be downloaded: {result.stderr[-200:]})"
    shutil.unpack_archive(archives[0], folder)
    (source,) = [
        p
        for p in folder.iterdir()
        if p.name.startswith(("more_itertools-", "more-itertools-")) and p.is_dir()
    ]
    test_files = sorted(p.name for p in (source / "tests").glob("test_*.py"))
    tracker = ["# more-itertools\n", "### Step 1: The library's own tests\n"]
    tracker += [f"- [ ] Run pytest on tests/{name} and fix all failures\n" for name in test_files]
    tracker.append("- [ ] Run tests to verify they pass\n")
    (source / "TRACKER.md").write_text("".join(tracker))
    (source / "TRACKER.orig").write_text("".join(tracker))
    (source / "pytest.ini").write_text("[pytest]\ntestpaths = tests\npythonpath = .\n")
    chosen = [v for v in variants(folder) if v.needs is None or importlib.util.find_spec(v.needs)]
    results = compare(source, chosen, [], rounds)
    return table(
        f"Real suite: more-itertools 10.5.0 from its sdist ({len(test_files)} test files), serial",
        results,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="10,000 tests only, 3 rounds")
    parser.add_argument("--real-suite", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions with valgrind at 10,000 tests (about 10 minutes)",
    )
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    rounds = 3 if args.quick else args.rounds
    sections = [
        f"Machine: {machine()}",
        f"Command: `python benchmarks/run.py {' '.join(sys.argv[1:])}`".strip(),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        active: dict[str, dict[str, Result]] = {}
        counted: dict[str, float] = {}
        for size in sizes:
            suite = build_suite(folder, size)
            chosen = [
                v for v in variants(folder) if v.needs is None or importlib.util.find_spec(v.needs)
            ]
            if size > 10_000:  # the scaling runs: plain and --tracker only
                chosen = [chosen[0], chosen[2]]
            modes: list[tuple[str, list[str]]] = [("serial", [])]
            if importlib.util.find_spec("xdist") and size == 10_000:
                modes.append(("-n 2", ["-n", "2"]))
            for mode, extra in modes:
                # Fewer rounds for the slow scaling runs; 10,000 tests carry the budget.
                results = compare(
                    suite, chosen, extra, rounds if size <= 10_000 else max(3, rounds // 2)
                )
                if size == 10_000:
                    active[mode] = results
                sections.append(table(f"{size:,} trivial tests, {mode}", results))
                print(sections[-1] + "\n", flush=True)
            if args.instructions and size == 10_000:
                text, ratios = instruction_table(suite, modes)
                counted.update(ratios)
                sections.append(text)
                print(sections[-1] + "\n", flush=True)
        idle_suite = build_suite(folder, 5_000) if 5_000 not in sizes else folder / "suite_5000"
        idle_variants = variants(folder)[:2]
        # ~1.5 s runs vary by up to 20% here: many rounds for a 2% budget.
        idle = compare(idle_suite, idle_variants, ["--co"], max(2 * rounds, 15))
        sections.append(table("Idle cost: `pytest --co` on 5,000 tests", idle))
        if args.instructions:
            counts = count_pair(idle_suite, ["-p", "no:tasktracker", "--co"], ["--co"])
            if counts is not None:
                counted["idle"] = counts[1] / counts[0] - 1
                sections[-1] += (
                    f"\n\nInstructions (valgrind): plain {counts[0]:,}, installed but idle "
                    f"{counts[1]:,} ({counted['idle']:+.2%})."
                )
        print(sections[-1] + "\n", flush=True)
        if active:
            sections.append(verdicts(active, idle, counted))
            print(sections[-1] + "\n", flush=True)
        sections.append(
            "**The tracker library**\n\n" + library_report(library_run([100, 10_000, 100_000], 5))
        )
        print(sections[-1] + "\n", flush=True)
        if args.real_suite:
            real = real_suite(folder / "real", rounds)
            if real:
                sections.append(real)
                print(real + "\n", flush=True)
    if args.write_docs:
        page = HERE.parent / "docs" / "performance.md"
        text = page.read_text()
        block = "\n\n".join(sections)
        text = re.sub(
            r"<!-- bench:start -->.*<!-- bench:end -->",
            lambda _: f"<!-- bench:start -->\n{block}\n<!-- bench:end -->",
            text,
            flags=re.S,
        )
        page.write_text(text)
        print(f"wrote {page}")


if __name__ == "__main__":
    main()
