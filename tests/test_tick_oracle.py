"""The oracle for every tick: plain pytest, with the plugin off.

For generated suites (passing, failing, skipped tests, failing subtests, parametrized
cases, a sub-folder, a README.rst and a module with doctests), trackers that link them
by file name, path, node id, step and whole suite, and narrowed runs (node ids, paths,
``-k``, ``-m``, ``--deselect``, ``--ignore``, ``-x``, ``--lf`` and ``--ff`` after an
earlier run, ``pytest tests``, ``--doctest-glob``, ``--doctest-modules``), a sub-task
the plugin calls ``passed`` must pass plain pytest on its scope (exit 0), and every
test of that scope must have run, and passed, in the narrowed run itself. The same
holds for the evidence of CI shards put together by ``tasktracker combine``.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import evidence_file

KINDS = ("pass", "fail", "skip", "subfail", "param")
BODIES = {
    "pass": "def {name}():\n    pass\n",
    "fail": "def {name}():\n    assert 0\n",
    "skip": "import pytest\n\ndef {name}():\n    pytest.skip('no')\n",
    "subfail": "def {name}(subtests):\n    with subtests.test('s'):\n        assert 0\n",
    "param": "import pytest\n\n@pytest.mark.parametrize('v', [1, 2])\n"
    "def {name}(v):\n    assert v == 1\n",
}


DOCTEST = {"pass": ">>> 1 + 1\n2\n", "fail": ">>> 1 + 1\n3\n"}


@dataclass(frozen=True)
class Suite:
    files: dict[str, list[tuple[str, str]]]  # path -> [(test name, kind)]
    readme: str | None = None  # README.rst's doctest: pass or fail
    module: str | None = None  # pkg_doc.py's doctest: pass or fail

    def nodeids(self) -> list[str]:
        return [f"{path}::{name}" for path, tests in self.files.items() for name, _ in tests]


@st.composite
def suites(draw: st.DrawFn) -> Suite:
    counter = itertools.count()
    files: dict[str, list[tuple[str, str]]] = {}
    for folder in ("tests", "tests/sub")[: draw(st.integers(1, 2))]:
        for _ in range(draw(st.integers(1, 2))):
            path = f"{folder}/test_f{next(counter)}.py"
            kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3))
            files[path] = [(f"test_t{next(counter)}", kind) for kind in kinds]
    doctests = st.none() | st.sampled_from(sorted(DOCTEST))
    return Suite(files, draw(doctests), draw(doctests))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Suite, str, list[str]]:
    suite = draw(suites())
    paths = list(suite.files)
    nodeids = suite.nodeids()
    lines = ["### Step 1: Work"]
    for path in paths:
        named = path.rpartition("/")[2] if draw(st.booleans()) else path
        lines.append(f"- [ ] Run pytest on {named} and fix all failures")
    lines.append(f"- [ ] Fix {draw(st.sampled_from(nodeids))}")
    lines.append("- [ ] Run tests to verify they pass")
    if suite.readme:
        lines.append("- [ ] Check the README's examples <!-- tests: README.rst -->")
    if suite.module:
        lines.append("- [ ] Check the module's examples <!-- tests: pkg_doc.py -->")
    lines.append("### Step 2: All")
    lines.append("- [ ] Run the full test suite")
    test_names = [n.rpartition("::")[2] for n in nodeids]
    narrowing = draw(
        st.one_of(
            st.just([]),
            st.lists(st.sampled_from(nodeids), min_size=1, max_size=2, unique=True),
            st.lists(st.sampled_from(paths), min_size=1, max_size=2, unique=True),
            st.sampled_from(test_names).map(lambda n: ["-k", f"not {n}"]),
            st.sampled_from(test_names).map(lambda n: ["-k", n]),
            st.just(["-m", "not slow"]),
            st.sampled_from(nodeids).map(lambda n: ["--deselect", n]),
            st.sampled_from(paths).map(lambda p: [f"--ignore={p}"]),
            st.just(["tests/sub"]),
            st.just(["-x"]),
            st.just(["--lf"]),
            st.just(["--ff"]),
            st.just(["tests"]),
            st.just(["--doctest-glob=*.rst", "."]),
            st.just(["--doctest-glob=*.rst", "tests", "README.rst"]),
            st.just(["--doctest-modules", "."]),
        )
    )
    return suite, "\n".join(lines) + "\n", narrowing


def write(root: Path, suite: Suite, tracker: str) -> None:
    root.mkdir()
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (root / "TASKS.md").write_text(tracker)
    for path, tests in suite.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text("\n".join(BODIES[k].format(name=n) for n, k in tests))
    if suite.readme:
        (root / "README.rst").write_text(f"Example\n\n{DOCTEST[suite.readme]}")
    if suite.module:
        (root / "pkg_doc.py").write_text(f'"""Example\n\n{DOCTEST[suite.module]}"""\n')


def scope_args(entry: dict[str, object], suite: Suite) -> list[str]:
    """What plain pytest runs for a sub-task's scope, from its linked names."""
    if entry["rule"] == "suite":
        return []
    found: list[str] = []
    for target in entry["targets"]:  # type: ignore[attr-defined]
        path, _, node = str(target).partition("::")
        if path == "README.rst":
            found += ["--doctest-glob=*.rst", "README.rst"]
        if path == "pkg_doc.py":
            found += ["--doctest-modules", "pkg_doc.py"]
        for file in suite.files:
            if file == path or file.endswith("/" + path):
                found.append(f"{file}::{node}" if node else file)
    return found


def doctest_options(narrowing: list[str]) -> list[str]:
    """The doctest options of a run: plain pytest on a scope collects as it did."""
    return [arg for arg in narrowing if arg.startswith("--doctest")]


def ran(result: pytest.RunResult) -> dict[str, set[str]]:
    """The outcomes of every report of every test that ran, by node id."""
    outcomes: dict[str, set[str]] = {}
    for report in result.reprec.getreports("pytest_runtest_logreport"):  # type: ignore[attr-defined]
        outcomes.setdefault(report.nodeid, set()).add(report.outcome)
    return outcomes


examples = itertools.count()


@settings(
    max_examples=int(os.environ.get("ORACLE_EXAMPLES", "12")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
# Found here: a step's "Run tests to verify they pass" covers README.rst (a sibling names
# it), which `--doctest-modules .` cannot collect; the run of "." was taken to cover it.
@example(
    case=(
        Suite(
            {"tests/test_f0.py": [("test_t1", "pass")], "tests/test_f2.py": [("test_t3", "pass")]},
            "fail",
        ),
        "### Step 1: Work\n"
        "- [ ] Run pytest on tests/test_f0.py and fix all failures\n"
        "- [ ] Run tests to verify they pass\n"
        "- [ ] Check the README's examples <!-- tests: README.rst -->\n",
        ["--doctest-modules", "."],
    )
)
def test_a_passed_sub_task_passes_plain_pytest_on_its_whole_scope(
    pytester: pytest.Pytester, case: tuple[Suite, str, list[str]]
) -> None:
    suite, tracker, narrowing = case
    root = pytester.path / f"example{next(examples)}"
    write(root, suite, tracker)
    os.chdir(root)
    try:
        cache = ["-p", "no:cacheprovider"]
        if narrowing[:1] in (["--lf"], ["--ff"]):  # an earlier run fails what it fails
            pytester.runpytest_inprocess("-p", "no:tasktracker")
            cache = []
        run = pytester.runpytest_inprocess("--tracker", "TASKS.md", *cache, *narrowing)
        narrowed = ran(run)
        data = evidence_file(root / ".tasktracker" / "results.json")
        for entry in data["subtasks"]:
            if entry["outcome"] != "passed":
                continue
            plain = pytester.runpytest_inprocess(
                "-p",
                "no:tasktracker",
                "-p",
                "no:cacheprovider",
                *doctest_options(narrowing),
                *scope_args(entry, suite),
            )
            scope = ran(plain)
            context = (entry["id"], entry["text"], narrowing)
            assert plain.ret == 0, context
            assert scope, context
            for nodeid in scope:
                assert nodeid in narrowed, (nodeid, *context)
                assert "failed" not in narrowed[nodeid], (nodeid, *context)
    finally:
        os.chdir(pytester.path)
