"""Mutation testing for the modules that decide ticks and blockers (``tox -e mutation``).

    python tools/mutation.py [MODULE ...] [--jobs N] [--list]

Each mutant changes one thing in a copy of ``src/`` (a comparison flipped, ``and`` for
``or``, a condition negated, a return value dropped, a number moved by one, a boolean
flipped, one alternative deleted from a regular expression) and runs that module's fast
tests against it. A mutant is *killed* when a test fails. The score is killed / all.
Survivors are printed with their line, for a person to judge: some are equivalent
mutants that no test can kill.

Not part of CI: a full run takes a while (minutes per module).
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import queue
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "pytest_tasktracker"

# module (relative to the package) -> the fast tests that should kill its mutants
TARGETS = {
    "rules/intent.py": ["tests/test_intent.py"],
    "rules/judge.py": ["tests/test_judge.py"],
    "rules/gate.py": ["tests/test_rules_gate.py"],
    "rules/journal.py": ["tests/test_journal.py"],
    "rules/checks.py": ["tests/test_judge.py"],
    "rules/scope.py": ["tests/test_scope.py"],
    "rules/outcomes.py": ["tests/test_scope.py", "tests/test_evidence.py"],
    "rules/linking.py": ["tests/test_linking.py", "tests/test_scope.py", "tests/test_intent.py"],
    "rules/evidence.py": ["tests/test_evidence.py", "tests/test_judge.py"],
    "tracker/model.py": ["tests/test_tracker.py", "tests/test_model.py"],
    "tracker/editing.py": ["tests/test_editing.py"],
    "rules/update.py": ["tests/test_update.py"],
    "blockers/diagnose.py": ["tests/test_diagnose.py"],
    "blockers/usage.py": ["tests/test_diagnose.py"],
}

_FLIP = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    module: str
    line: int
    what: str
    source: str


def _alternatives(pattern: str) -> list[tuple[int, int]]:
    """Spans of the top-level ``|`` alternatives of a regular expression."""
    spans, depth, start, escaped, in_class = [], 0, 0, False, False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            spans.append((start, index))
            start = index + 1
    spans.append((start, len(pattern)))
    return spans if len(spans) > 1 else []


def _is_regex_call(node: ast.AST) -> TypeGuard[ast.Call]:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
        and node.func.attr == "compile"
    )


def mutants(module: str) -> Iterator[Mutant]:
    tree = ast.parse((PACKAGE / module).read_text())
    nodes = list(ast.walk(tree))
    regex_args = {
        id(call.args[0])
        for call in nodes
        if _is_regex_call(call) and call.args and isinstance(call.args[0], ast.Constant)
    }
    for index, node in enumerate(nodes):
        for what, change in _changes(node, id(node) in regex_args):
            mutated = copy.deepcopy(tree)
            target = list(ast.walk(mutated))[index]
            change(target)
            yield Mutant(module, getattr(node, "lineno", 0), what, ast.unparse(mutated))


def _changes(node: ast.AST, is_regex: bool) -> Iterator[tuple[str, Callable[[Any], None]]]:
    if isinstance(node, ast.Compare):
        for n, op in enumerate(node.ops):
            if type(op) in _FLIP:

                def flip(t: ast.Compare, n: int = n) -> None:
                    t.ops[n] = _FLIP[type(t.ops[n])]()

                yield f"{type(op).__name__} flipped", flip
    elif isinstance(node, ast.BoolOp):

        def swap(t: ast.BoolOp) -> None:
            t.op = ast.Or() if isinstance(t.op, ast.And) else ast.And()

        yield "and/or swapped", swap
    elif isinstance(node, (ast.If, ast.While, ast.IfExp)):

        def negate(t: Any) -> None:
            t.test = ast.UnaryOp(ast.Not(), t.test)

        yield "condition negated", negate
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):

            def drop(t: ast.Return) -> None:
                t.value = ast.Constant(None)

            yield "returns None", drop
    elif isinstance(node, ast.Constant) and type(node.value) is bool:

        def negate_constant(t: ast.Constant) -> None:
            t.value = not bool(t.value)

        yield "boolean flipped", negate_constant
    elif isinstance(node, ast.Constant) and type(node.value) is int and node.value < 10**6:

        def bump(t: ast.Constant) -> None:
            t.value = int(str(t.value)) + 1

        yield "number + 1", bump
    elif is_regex and isinstance(node, ast.Constant) and isinstance(node.value, str):
        for start, end in _alternatives(node.value):

            def cut(t: ast.Constant, start: int = start, end: int = end) -> None:
                text = str(t.value)
                t.value = (text[: max(start - 1, 0)] + text[end:]).strip("|")

            yield f"regex alternative {node.value[start:end][:40]!r} deleted", cut


def run(mutant: Mutant, tests: list[str], workdir: Path) -> bool:
    """Whether the tests kill ``mutant``."""
    src = workdir / "src"
    (src / "pytest_tasktracker" / mutant.module).write_text(mutant.source)
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-x",
                "-q",
                "-p",
                "no:randomly",
                "-p",
                "no:xdist",
                "-p",
                "no:cacheprovider",
                *tests,
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(src)},
            capture_output=True,
            timeout=300,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return True
    finally:
        shutil.copy(PACKAGE / mutant.module, src / "pytest_tasktracker" / mutant.module)
    return result.returncode != 0


def score(module: str, tests: list[str], jobs: int) -> tuple[int, list[Mutant], int]:
    """(killed, survivors, all) for ``module``'s mutants, ``jobs`` at a time, each job in a
    work folder of its own."""
    found = list(mutants(module))
    folders: queue.Queue[Path] = queue.Queue()
    for _ in range(jobs):
        workdir = Path(tempfile.mkdtemp(prefix="mutation-"))
        shutil.copytree(PACKAGE, workdir / "src" / "pytest_tasktracker")
        folders.put(workdir)

    def one(mutant: Mutant) -> bool:
        workdir = folders.get()
        try:
            return run(mutant, tests, workdir)
        finally:
            folders.put(workdir)

    with ThreadPoolExecutor(jobs) as pool:
        dead = list(pool.map(one, found))
    while not folders.empty():
        shutil.rmtree(folders.get())
    survivors = [mutant for mutant, killed in zip(found, dead, strict=True) if not killed]
    return sum(dead), survivors, len(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("modules", nargs="*", default=list(TARGETS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="count the mutants and stop")
    args = parser.parse_args(argv)
    total_killed = total = 0
    for module in args.modules:
        if args.list:
            print(f"{module}: {len(list(mutants(module)))} mutants")
            continue
        tests = [t for t in TARGETS[module] if (ROOT / t).exists()]
        killed, survivors, count = score(module, tests, args.jobs)
        total_killed += killed
        total += count
        percent = 100 * killed / count if count else 100.0
        print(f"{module}: {killed} of {count} mutants killed ({percent:.0f}%)", flush=True)
        for mutant in survivors:
            print(f"  survived: {module}:{mutant.line}: {mutant.what}", flush=True)
    if total:
        print(f"total: {total_killed} of {total} killed ({100 * total_killed / total:.0f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
