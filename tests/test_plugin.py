"""The plugin end to end with pytester: enabling, linking, outcomes, evidence, update."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from conftest import evidence_file

TRACKER = """\
# Task Status Tracker

## Tasks

### Step 1: Cache
- [ ] Write test file `tests/test_cache.py` with 2 test cases
- [ ] Run tests to verify they fail (TDD approach)
- [ ] Implement cache
- [ ] Run tests to verify they pass
- [x] Run pytest on test_broken.py and fix all failures
- [ ] Quality checks: pylint, pytest, mypy

### Step 2: Marked
- [ ] Implement the marked thing
- [ ] Run the full test suite

## Pull Request
- [ ] PR review
"""


@pytest.fixture(params=["serial", "xdist"])
def mode(request: pytest.FixtureRequest) -> list[str]:
    return [] if request.param == "serial" else ["-n", "2"]


def make_project(
    pytester: pytest.Pytester, tracker: str = TRACKER, broken: bool = True, marked: bool = True
) -> Path:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    (pytester.path / "pr_info").mkdir(exist_ok=True)
    path = pytester.path / "pr_info" / "TASK_TRACKER.md"
    path.write_text(tracker)
    tests = pytester.mkdir("tests")
    marker = '@pytest.mark.task("2.1")\n' if marked else ""
    (tests / "test_cache.py").write_text(
        f"import pytest\n\ndef test_a():\n    pass\n\n{marker}def test_b():\n    pass\n"
    )
    if broken:
        (tests / "test_broken.py").write_text("def test_x():\n    assert 0\n")
    return path


def results(pytester: pytest.Pytester, state: str = "pr_info/.tasktracker") -> dict[str, Any]:
    return evidence_file(pytester.path / state / "results.json")


def outcomes(pytester: pytest.Pytester) -> dict[str, str]:
    subtasks = results(pytester)["subtasks"]
    assert isinstance(subtasks, list)
    return {entry["id"]: entry["outcome"] for entry in subtasks}


def test_without_a_tracker_the_plugin_is_silent_and_imports_nothing_but_itself(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed and idle, the plugin costs what importing its two plugin modules (the
    run's, with its hooks' module, and the look's) and their packages costs."""
    monkeypatch.delenv("PYTEST_TRACKER", raising=False)
    make_project(pytester, broken=False)
    pytester.makeconftest(
        "import sys\n"
        "def pytest_sessionfinish():\n"
        "    ours = sorted(m for m in sys.modules if m.startswith('pytest_tasktracker'))\n"
        "    heavy = [m for m in ('jinja2', 'ruamel.yaml') if m in sys.modules]\n"
        "    print('LOADED', ','.join(heavy + ours))\n"
    )
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*LOADED pytest_tasktracker,pytest_tasktracker.agents,"
            "pytest_tasktracker.agents.pytest_look,pytest_tasktracker.plugin,"
            "pytest_tasktracker.plugin.hooks"
        ]
    )
    result.stdout.no_fnmatch_line("*task tracker*")
    assert not (pytester.path / "pr_info" / ".tasktracker").exists()


PUBLIC_TUPLES = [  # the public records (pytest_tasktracker's names) are named tuples
    "pytest_tasktracker.tracker.editing.Change",
    "pytest_tasktracker.tracker.editing.Applied",
    "pytest_tasktracker.tracker.model.SubTask",
    "pytest_tasktracker.tracker.model.Step",
]
ENTRY_MODULES = [  # what pytest loads from the entry points, through its rewriter
    "pytest_tasktracker",
    "pytest_tasktracker.agents",
    "pytest_tasktracker.agents.pytest_look",
    "pytest_tasktracker.plugin",
]


@pytest.mark.parametrize("mode", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_tracked_run_loads_the_library_with_python_s_own_loader(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    """pytest's assertion rewriter loads a plugin's modules at ten times the cost of
    Python's loader (``plugin.hooks._import_unrewritten``): a run that verifies and ticks
    loads every module it uses with Python's, in the controller and the workers, and
    builds no dataclass."""
    make_project(pytester, broken=False)
    pytester.makeconftest(
        "import sys\n"
        "def pytest_sessionfinish(session):\n"
        "    ours = {m: type(sys.modules[m].__spec__.loader).__name__\n"
        "            for m in sorted(sys.modules) if m.startswith('pytest_tasktracker')}\n"
        "    rewritten = [m for m, loader in ours.items() if 'Rewrit' in loader]\n"
        "    built = [f'{m}.{name}' for m in ours for name, value in vars(sys.modules[m]).items()\n"
        "             if getattr(value, '__module__', None) == m\n"
        "             and (hasattr(value, '__dataclass_fields__') or hasattr(value, '_fields'))]\n"
        "    worker = getattr(session.config, 'workerinput', {}).get('workerid', 'main')\n"
        "    with open(f'loaded-{worker}.txt', 'w') as file:\n"
        '        file.write(f\'{len(ours)} {",".join(rewritten)} {",".join(built) or "-"}\')\n'
    )
    tracker = "pr_info/TASK_TRACKER.md"
    result = pytester.runpytest_subprocess("--tracker", tracker, "--tracker-update", *mode)
    result.assert_outcomes(passed=2)
    loaded = {path.name: path.read_text().split() for path in pytester.path.glob("loaded-*")}
    expected = ["loaded-main.txt"] + (["loaded-gw0.txt", "loaded-gw1.txt"] if mode else [])
    assert sorted(loaded) == sorted(expected)
    for count, rewritten, records in loaded.values():
        assert int(count) > 20
        assert rewritten.split(",") == ENTRY_MODULES
        # Defining a dataclass costs 3.8 M instructions (its methods are compiled from
        # text), a named tuple 0.9 M: more than many a module. The run's records are
        # slotted classes; the library's public records stay named tuples.
        assert records.split(",") == PUBLIC_TUPLES


def test_the_task_marker_is_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    make_project(pytester, broken=False)
    pytester.runpytest("--strict-markers").assert_outcomes(passed=2)


def test_a_run_reports_every_linked_sub_task(pytester: pytest.Pytester, mode: list[str]) -> None:
    make_project(pytester)
    result = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", *mode)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- task tracker: pr_info/TASK_TRACKER.md -*",
            "1.1  passed   2 passed            Write test file `tests/test_cache.py` with 2*",
            "1.2  failed   1 failed, 2 passed  Run tests to verify they fail (TDD approach)",
            "1.4  failed   1 failed, 2 passed  Run tests to verify they pass",
            "1.5  failed   1 failed            Run pytest on test_broken.py and fix all*",
            "1.6  failed   1 failed, 2 passed  Quality checks: pylint, pytest, mypy",
            "2.1  passed   1 passed            Implement the marked thing",
            "2.2  failed   1 failed, 2 passed  Run the full test suite",
            "7 linked sub-tasks: 2 passed, 5 failed; 2 unlinked",
            "evidence: pr_info/.tasktracker/results.json",
        ]
    )
    assert outcomes(pytester) == {
        "1.1": "passed",
        "1.2": "failed",
        "1.3": "unlinked",
        "1.4": "failed",
        "1.5": "failed",
        "1.6": "failed",
        "2.1": "passed",
        "2.2": "failed",
        "pull-request.1": "unlinked",
    }


def test_quiet_prints_one_line_and_verbose_names_the_tests(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    quiet = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "-q")
    quiet.stdout.fnmatch_lines(
        ["task tracker pr_info/TASK_TRACKER.md: 7 linked sub-tasks: 2 passed, 5 failed; 2 unlinked"]
    )
    quiet.stdout.no_fnmatch_line("1.1 *")
    verbose = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "-v")
    verbose.stdout.fnmatch_lines(
        [
            "1.1  passed   2 passed *",
            "     2 linked test(s) passed",
            "       passed     tests/test_cache.py::test_a",
            "       passed     tests/test_cache.py::test_b",
        ]
    )


@pytest.mark.parametrize("how", ["cli", "env", "ini", "cli-over-env", "env-over-ini"])
def test_the_tracker_is_enabled_by_option_environment_or_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    make_project(pytester, broken=False)
    other = pytester.path / "other.md"
    other.write_text("- [ ] Run pytest on test_cache.py <!-- marker -->\n")
    args: list[str] = []
    ini = ""
    if how in ("cli", "cli-over-env"):
        args = ["--tracker", "pr_info/TASK_TRACKER.md"]
    if how == "env":
        monkeypatch.setenv("PYTEST_TRACKER", "pr_info/TASK_TRACKER.md")
    if how == "cli-over-env":
        monkeypatch.setenv("PYTEST_TRACKER", "other.md")
    if how == "ini":
        ini = 'tracker = "pr_info/TASK_TRACKER.md"\n'
    if how == "env-over-ini":
        monkeypatch.setenv("PYTEST_TRACKER", "pr_info/TASK_TRACKER.md")
        ini = 'tracker = "other.md"\n'
    pytester.makepyprojecttoml(f'[tool.pytest.ini_options]\ntestpaths = ["tests"]\n{ini}')
    result = pytester.runpytest(*args)
    result.stdout.fnmatch_lines(["*- task tracker: pr_info/TASK_TRACKER.md -*"])


def test_a_missing_tracker_is_a_usage_error_naming_where_it_came_from(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, broken=False)
    result = pytester.runpytest("--tracker", "pr_info/NOPE.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --tracker: pr_info/NOPE.md: no such file"])


@pytest.mark.parametrize("source", ["ini", "env"])
def test_a_configured_tracker_that_is_gone_leaves_the_plugin_idle(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mode: list[str], source: str
) -> None:
    """mcp-coder deletes pr_info/ when it makes the pull request: every later run works."""
    make_project(pytester, broken=False)
    (pytester.path / "pr_info" / "TASK_TRACKER.md").unlink()
    ini = 'tracker = "pr_info/TASK_TRACKER.md"\n' if source == "ini" else ""
    if source == "env":
        monkeypatch.setenv("PYTEST_TRACKER", "pr_info/TASK_TRACKER.md")
    pytester.makepyprojecttoml(f'[tool.pytest.ini_options]\ntestpaths = ["tests"]\n{ini}')
    result = pytester.runpytest(*mode)
    assert result.ret == 0
    where = "'tracker' in pyproject.toml" if source == "ini" else "$PYTEST_TRACKER"
    result.stdout.fnmatch_lines(
        [f"tracker pr_info/TASK_TRACKER.md not found ({where}): tracking off"]
    )
    assert not (pytester.path / "pr_info" / ".tasktracker").exists()


@pytest.mark.parametrize("cli", [None, "", "t.md"])
@pytest.mark.parametrize("env", [None, "", "e.md"])
@pytest.mark.parametrize("ini", ["", "  ", "i.md"])
def test_the_plugins_idle_check_agrees_with_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli: str | None, env: str | None, ini: str
) -> None:
    """The plugin asks whether anything names a tracker before it imports the settings:
    its answer is the settings' own."""
    from pytest_tasktracker.plugin.hooks import _names_a_tracker
    from pytest_tasktracker.settings import ENV_TRACKER, resolve

    if env is None:
        monkeypatch.delenv(ENV_TRACKER, raising=False)
    else:
        monkeypatch.setenv(ENV_TRACKER, env)
    config = cast(pytest.Config, SimpleNamespace(getini={"tracker": ini}.__getitem__))
    settings = resolve(
        cwd=tmp_path, cli_tracker=cli, env=os.environ, ini={"tracker": ini}, ini_path=None
    )
    assert _names_a_tracker(config, SimpleNamespace(tracker=cli)) is (settings is not None)


def test_a_bad_ini_boolean_is_a_usage_error_naming_the_key(pytester: pytest.Pytester) -> None:
    make_project(pytester, broken=False)
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ntracker = "pr_info/TASK_TRACKER.md"\ntracker_update = "maybe"\n'
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: 'tracker_update' in pyproject.toml: expected true or false, got 'maybe'"]
    )


@pytest.mark.parametrize("state", [".", ".."])
def test_a_state_folder_that_holds_the_project_is_a_usage_error(
    pytester: pytest.Pytester, state: str
) -> None:
    """Its records would count as the project's code: no evidence would stay fresh."""
    make_project(pytester, broken=False)
    result = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "--tracker-state", state)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: the state folder * would hold the project itself: *"])


MARKER_FORMS = """\
import pytest

pytestmark = pytest.mark.task("T001")

@pytest.mark.task("T002")
class TestClass:
    def test_in_class(self):
        pass

@pytest.mark.task("T003", "T004")
def test_function():
    pass

@pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.task("T005"))])
def test_cases(n):
    assert n in (1, 2)
"""


def test_every_marker_form_links(pytester: pytest.Pytester, mode: list[str]) -> None:
    pytester.makefile(
        ".md",
        plan="## Phase 1: Forms\n" + "".join(f"- [ ] T00{n} form {n}\n" for n in range(1, 7)),
    )
    pytester.makepyfile(test_forms=MARKER_FORMS)
    result = pytester.runpytest("--tracker", "plan.md", "-v", *mode)
    result.assert_outcomes(passed=4)
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    tests = {e["id"]: [t["nodeid"] for t in e["tests"]] for e in data["subtasks"]}
    assert tests == {
        "T001": [
            "test_forms.py::TestClass::test_in_class",
            "test_forms.py::test_function",
            "test_forms.py::test_cases[1]",
            "test_forms.py::test_cases[2]",
        ],
        "T002": ["test_forms.py::TestClass::test_in_class"],
        "T003": ["test_forms.py::test_function"],
        "T004": ["test_forms.py::test_function"],
        "T005": ["test_forms.py::test_cases[2]"],
        "T006": [],
    }


def test_an_unknown_marker_id_is_a_collection_error_naming_the_nearest_ids(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".md", plan="### Step 2: X\n" + "- [ ] thing\n" * 11)
    pytester.makepyfile(
        test_bad='import pytest\n\n@pytest.mark.task("2.99")\ndef test_x():\n    pass\n'
    )
    result = pytester.runpytest("--tracker", "plan.md", *mode)
    assert result.ret in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.TESTS_FAILED)
    result.stdout.fnmatch_lines(
        [
            "test_bad.py::test_x: unknown sub-task id '2.99'; nearest known ids: 2.9, 2.8, "
            "2.7 in tracker plan.md (@pytest.mark.task)",
        ]
    )
    result.assert_outcomes(errors=1)


def test_an_explicit_link_in_the_tracker(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".md",
        plan="- [ ] Cache works <!-- tests: tests/test_cache.py::test_b, tests/test_other.py -->\n"
        "- [ ] Notes\n  <!-- tests: tests/test_cache.py::test_a -->\n",
    )
    make_project(pytester, tracker="", broken=False, marked=False)
    (pytester.path / "tests" / "test_other.py").write_text("def test_o():\n    pass\n")
    pytester.runpytest("--tracker", "plan.md")
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    assert [(e["id"], e["rule"], [t["nodeid"] for t in e["tests"]]) for e in data["subtasks"]] == [
        ("tasks.1", "explicit", ["tests/test_cache.py::test_b", "tests/test_other.py::test_o"]),
        ("tasks.2", "explicit", ["tests/test_cache.py::test_a"]),
    ]


def test_a_named_node_id_links_that_test_only(pytester: pytest.Pytester) -> None:
    pytester.makefile(".md", plan="- [ ] Fix tests/test_cache.py::test_a\n")
    make_project(pytester, tracker="", broken=False, marked=False)
    pytester.runpytest("--tracker", "plan.md")
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    assert data["subtasks"][0]["tests"] == [
        {"nodeid": "tests/test_cache.py::test_a", "outcome": "passed"}
    ]


def test_a_whole_suite_sub_task_needs_an_unnarrowed_run(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    make_project(pytester, broken=False)
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", *mode)
    assert outcomes(pytester)["2.2"] == "passed"
    narrowed = pytester.runpytest(
        "--tracker", "pr_info/TASK_TRACKER.md", "-k", "test_a", "-v", *mode
    )
    narrowed.stdout.fnmatch_lines(["     1 of 2 linked tests ran (1 not selected)"])
    # The narrowed run could not judge 2.2, so the earlier evidence stays.
    assert outcomes(pytester)["2.2"] == "passed"
    assert results(pytester)["last_run"]["outcomes"]["not-run"] >= 1


BROKEN_FIXTURES = """\
import pytest

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup")

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown")
"""
OUTCOMES = (
    BROKEN_FIXTURES
    + """

@pytest.mark.task("T1")
def test_pass():
    pass

@pytest.mark.task("T2")
def test_fail():
    assert 0

@pytest.mark.task("T3")
def test_setup_error(broken_setup):
    pass

@pytest.mark.task("T4")
def test_teardown_error(broken_teardown):
    pass

@pytest.mark.task("T5")
def test_skip():
    pytest.skip("no")

@pytest.mark.task("T6")
@pytest.mark.xfail(reason="known")
def test_xfail():
    assert 0

@pytest.mark.task("T7", "T1")
def test_pass_two():
    pass

@pytest.mark.task("T8")
@pytest.mark.skip
def test_skip_a():
    pass

@pytest.mark.task("T8")
def test_pass_beside_a_skip():
    pass

@pytest.mark.task("T9")
def test_deselected():
    pass
"""
)


def test_each_outcome_is_judged_from_every_phase(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".md", plan="".join(f"- [ ] T{n} thing {n}\n" for n in range(1, 11)))
    pytester.makepyfile(test_outcomes=OUTCOMES)
    pytester.runpytest(
        "--tracker", "plan.md", "--deselect", "test_outcomes.py::test_deselected", *mode
    )
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    assert {e["id"]: (e["outcome"], e["reason"]) for e in data["subtasks"]} == {
        "T1": ("passed", "2 linked test(s) passed"),
        "T2": ("failed", "1 linked test(s) failed"),
        "T3": ("error", "1 linked test(s) errored"),
        "T4": ("error", "1 linked test(s) errored"),
        "T5": ("skipped", "every linked test was skipped"),
        "T6": ("passed", "1 linked test(s) passed"),
        "T7": ("passed", "1 linked test(s) passed"),
        "T8": ("passed", "1 linked test(s) passed"),
        "T9": ("not-run", "0 of 1 linked tests ran (1 not selected)"),
        "T10": ("unlinked", "no test is linked to it"),
    }


PLUGIN_MADE_TESTS = """
import pytest

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # a test made here, never in a collect report: its marker is read from the item
    module = items[0].parent
    made = pytest.Function.from_parent(module, name="test_made_here", callobj=lambda: None)
    made.add_marker(pytest.mark.task("T2"))
    items.append(made)

class Dropper:
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        items[:] = [item for item in items if item.name != "test_dropped"]  # unannounced

def pytest_configure(config):
    config.pluginmanager.register(Dropper())
"""


def test_tests_a_plugin_makes_or_drops_are_linked_and_judged(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    pytester.makefile(".md", plan="- [ ] T1 kept\n- [ ] T2 made\n- [ ] T3 dropped\n")
    pytester.makeconftest(PLUGIN_MADE_TESTS)
    pytester.makepyfile(
        test_it='import pytest\n\n@pytest.mark.task("T1")\ndef test_kept():\n    pass\n\n'
        '@pytest.mark.task("T3")\ndef test_dropped():\n    pass\n'
    )
    result = pytester.runpytest("--tracker", "plan.md", *mode)
    result.assert_outcomes(passed=2)
    data = evidence_file(pytester.path / ".tasktracker" / "results.json")
    assert {
        e["id"]: (e["outcome"], [t["nodeid"] for t in e["tests"]], e["scope"], e.get("deselected"))
        for e in data["subtasks"]
    } == {
        "T1": ("passed", ["test_it.py::test_kept"], 1, None),
        "T2": ("passed", ["test_it.py::test_made_here"], 1, None),
        "T3": ("not-run", [], 1, 1),  # dropped: in its scope, counted as not selected
    }


def test_a_report_rewritten_by_another_plugin_is_honoured(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    # As pytest-check does: the call passes, a makereport wrapper marks it failed.
    pytester.makeconftest(
        "import pytest\n\n"
        "@pytest.hookimpl(wrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    report = yield\n"
        "    if report.when == 'call' and item.name == 'test_soft':\n"
        "        report.outcome = 'failed'\n"
        "        report.longrepr = 'soft assertion failed'\n"
        "    return report\n"
    )
    (pytester.path / "plan.md").write_text("- [x] T1 soft checks pass\n")
    pytester.makepyfile(
        test_soft='import pytest\n\n@pytest.mark.task("T1")\ndef test_soft():\n    pass\n'
    )
    pytester.runpytest("--tracker", "plan.md", "--tracker-update", *mode)
    assert (pytester.path / "plan.md").read_text() == "- [ ] T1 soft checks pass\n"


def test_update_ticks_what_passed_and_unticks_regressions_and_nothing_else(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    path = make_project(pytester)
    result = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "--tracker-update", *mode)
    result.stdout.fnmatch_lines(["ticked 1.1, 2.1; unticked 1.5"])
    expected = (
        TRACKER.replace("- [ ] Write test file", "- [x] Write test file")
        .replace("- [x] Run pytest on test_broken", "- [ ] Run pytest on test_broken")
        .replace("- [ ] Implement the marked", "- [x] Implement the marked")
    )
    assert path.read_text() == expected


def test_red_phase_and_other_checks_are_never_ticked(pytester: pytest.Pytester) -> None:
    path = make_project(pytester, broken=False)
    (pytester.path / "tests" / "test_broken.py").write_text("def test_fixed():\n    pass\n")
    result = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "--tracker-update")
    result.stdout.fnmatch_lines(["ticked 1.1, 1.4, 2.1, 2.2"])  # 1.5 was ticked already
    data = {e["id"]: e["outcome"] for e in results(pytester)["subtasks"]}
    assert (data["1.2"], data["1.6"]) == ("passed", "passed")  # evidence, yet no tick
    assert "- [ ] Run tests to verify they fail (TDD approach)" in path.read_text()
    assert "- [ ] Quality checks: pylint, pytest, mypy" in path.read_text()


def test_ini_tracker_update_and_tracker_state(pytester: pytest.Pytester) -> None:
    path = make_project(pytester, broken=False)
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
        'tracker = "pr_info/TASK_TRACKER.md"\ntracker_update = true\n'
        'tracker_state = "build/evidence"\n'
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["ticked 1.1, 2.1, 2.2", "evidence: build/evidence/results.json"])
    assert "- [x] Write test file" in path.read_text()
    assert results(pytester, "build/evidence")["subtasks"]


def test_the_tracker_state_option(pytester: pytest.Pytester) -> None:
    make_project(pytester, broken=False)
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "--tracker-state", "out")
    assert results(pytester, "out")["tracker"] == "pr_info/TASK_TRACKER.md"


def test_serial_and_xdist_give_the_same_evidence_and_ticks(pytester: pytest.Pytester) -> None:
    path = make_project(pytester)
    seen = []
    for args in ([], ["-n", "2"]):
        path.write_text(TRACKER)
        pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "--tracker-update", *args)
        data = results(pytester)
        entries = [
            {key: value for key, value in entry.items() if key != "run"}
            for entry in data["subtasks"]
        ]
        seen.append((entries, path.read_bytes()))
        (pytester.path / "pr_info" / ".tasktracker" / "results.json").unlink()
    assert seen[0] == seen[1]


def test_evidence_from_an_earlier_run_is_kept_when_a_run_does_not_select_it(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester)
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    assert outcomes(pytester)["1.5"] == "failed"
    (pytester.path / "tests" / "test_broken.py").write_text("def test_x():\n    pass\n")
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "tests/test_cache.py")
    assert outcomes(pytester)["1.5"] == "failed"  # not selected: earlier evidence stays
    assert outcomes(pytester)["1.1"] == "passed"
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md", "tests/test_broken.py")
    assert outcomes(pytester)["1.5"] == "passed"


def test_a_corrupt_results_file_is_moved_aside_not_lost(pytester: pytest.Pytester) -> None:
    make_project(pytester, broken=False)
    state = pytester.path / "pr_info" / ".tasktracker"
    state.mkdir()
    (state / "results.json").write_text("{ not json")
    result = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["task tracker warning: *results.json: is not valid JSON*"])
    (aside,) = state.glob("results.json.corrupt-*")
    assert aside.read_text() == "{ not json"
    assert results(pytester)["subtasks"]
    # A second damaged file gets a name of its own: the first copy is never overwritten.
    (state / "results.json").write_text("[1, 2")
    pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    copies = sorted(p.read_text() for p in state.glob("results.json.corrupt-*"))
    assert copies == ["[1, 2", "{ not json"]


def test_results_nested_thousands_deep_are_set_aside_and_keep_the_exit_code(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, broken=False)
    state = pytester.path / "pr_info" / ".tasktracker"
    state.mkdir()
    # Deeper than any Python's limit: 3.11 stops at 1,000 levels, 3.13 at 10,000.
    (state / "results.json").write_text("[" * 100_000 + "]" * 100_000)
    result = pytester.runpytest("--tracker", "pr_info/TASK_TRACKER.md")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["task tracker warning: *nested too deeply*"])
    assert results(pytester)["subtasks"]


MIXED = (
    BROKEN_FIXTURES
    + """
def test_pass(): pass
def test_fail(): assert False
def test_skip(): pytest.skip("no")
@pytest.mark.xfail(strict=False)
def test_xfail(): assert False
@pytest.mark.xfail(strict=False)
def test_xpass(): pass
def test_setup_error(broken_setup): pass
def test_teardown_error(broken_teardown): pass
def test_subtest_fails(subtests):
    with subtests.test("one"):
        pass
    with subtests.test("two"):
        assert False
def test_subtest_skipped_then_passes(subtests):
    with subtests.test("one"):
        pytest.skip("later")
"""
)


@pytest.mark.parametrize("terminal", [[], ["-p", "no:terminal"]], ids=["reporter", "no-reporter"])
def test_every_outcome_is_the_same_with_or_without_the_terminal_reporter(
    pytester: pytest.Pytester, terminal: list[str], mode: list[str]
) -> None:
    # The reports come from the terminal reporter's stats, or from a hook where there is
    # none: a run judges every kind of outcome alike either way (and as this table says).
    if not hasattr(pytest, "Subtests"):
        pytest.importorskip("pytest_subtests")
    lines = "".join(
        f"- [ ] T{n} <!-- tests: test_mixed.py::{name} -->\n"
        for n, name in enumerate(
            [
                "test_pass",
                "test_fail",
                "test_skip",
                "test_xfail",
                "test_xpass",
                "test_setup_error",
                "test_teardown_error",
                "test_subtest_fails",
                "test_subtest_skipped_then_passes",
            ]
        )
    )
    (pytester.path / "plan.md").write_text(lines)
    pytester.makepyfile(test_mixed=MIXED)
    pytester.runpytest("--tracker", "plan.md", "-p", "no:randomly", *terminal, *mode)
    subtasks = results(pytester, ".tasktracker")["subtasks"]
    found = {e["id"]: (e["outcome"], [t["outcome"] for t in e["tests"]]) for e in subtasks}
    assert found == {
        "T0": ("passed", ["passed"]),
        "T1": ("failed", ["failed"]),
        "T2": ("skipped", ["skipped"]),
        "T3": ("passed", ["xfailed"]),
        "T4": ("passed", ["xpassed"]),
        "T5": ("error", ["error"]),
        "T6": ("error", ["error"]),
        "T7": ("failed", ["failed"]),
        "T8": ("passed", ["passed"]),  # the test's own call comes after its subtests
    }


def test_the_kept_reports_are_taken_in_the_order_they_were_made(tmp_path: Path) -> None:
    """From the terminal reporter's lists, by ``stop``; a report another plugin made
    without a number there sorts as made at 0, as before, instead of failing the run."""
    from pytest_tasktracker.blockers.facts import Facts
    from pytest_tasktracker.plugin.tracker_run import TrackerRun
    from pytest_tasktracker.settings import Settings

    def report(name: str, when: str, outcome: str, stop: object) -> SimpleNamespace:
        return SimpleNamespace(nodeid=name, when=when, outcome=outcome, stop=stop)

    late, early = report("t.py::a", "call", "failed", 3.0), report("t.py::b", "call", "passed", 2)
    setup = report("t.py::c", "setup", "passed", 1.0)  # a passing setup tells nothing
    warning = SimpleNamespace(message="w")  # not a test's report
    run = TrackerRun(cast(Settings, None), "T.md", Facts([], tmp_path, tmp_path, None))
    run.kept_by = SimpleNamespace(stats={"failed": [late], "passed": [early], "": [setup]})
    assert run.test_reports() == [early, late]
    odd = report("t.py::d", "call", "passed", None)
    run.kept_by.stats["warnings"] = [warning, odd]
    assert run.test_reports() == [odd, early, late]
