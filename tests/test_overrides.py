"""A run given other collection or warning settings than the project's is not the
project's suite: it verifies nothing of what it touched (``-o python_functions=...``
that leaves the failing test out, ``-o testpaths=...`` for a whole-suite sub-task,
``-W ignore`` where the project turns a warning into a failure)."""

from __future__ import annotations

import sys

import pytest

from pytest_tasktracker.plugin.run_hooks import overrides

TRACKER = """\
### Step 1: Cache
- [ ] Run pytest on tests/test_a.py and fix all failures
- [ ] Run all tests
"""
TESTS = """\
import warnings

def test_ok():
    pass

def test_fails():
    assert False

def test_warns():
    warnings.warn("old", DeprecationWarning)
"""


def project(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ntracker = "TASKS.md"\nfilterwarnings = ["error"]\n'
        'testpaths = ["tests"]\n'
    )
    pytester.makefile(".md", TASKS=TRACKER)
    (pytester.mkdir("tests") / "test_a.py").write_text(TESTS)
    (pytester.path / "tests" / "sandbox").mkdir()
    (pytester.path / "tests" / "sandbox" / "test_s.py").write_text("def test_s():\n    pass\n")


@pytest.mark.parametrize(
    "args",
    [
        ["-o", "python_functions=test_o*"],
        ["-opython_functions=test_o*"],
        ["--override-ini=python_functions=test_o* test_w*", "-W", "ignore::DeprecationWarning"],
        ["-o", "testpaths=tests/sandbox"],
        ["-o", "norecursedirs=tests"],
        ["-k", "not fails", "-W", "ignore"],
    ],
    ids=["-o", "-oKEY", "--override-ini", "testpaths", "norecursedirs", "-W"],
)
def test_a_run_with_the_projects_settings_overridden_ticks_nothing(
    pytester: pytest.Pytester, args: list[str]
) -> None:
    project(pytester)
    before = (pytester.path / "TASKS.md").read_bytes()
    result = pytester.run(sys.executable, "-m", "pytest", "--tracker-update", *args)
    assert "ticked" not in result.stdout.str()
    assert (pytester.path / "TASKS.md").read_bytes() == before
    # the oracle: plain pytest on the scope, with the project's own settings, fails
    # (without the plugin, its ini key is unknown, and this project turns warnings to errors)
    plain = pytester.run(
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:tasktracker",
        "-W",
        "ignore::pytest.PytestConfigWarning",
        "tests/test_a.py",
    )
    assert plain.ret == pytest.ExitCode.TESTS_FAILED


def test_the_same_from_pytest_addopts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-o python_functions=test_o*")
    result = pytester.run(sys.executable, "-m", "pytest", "--tracker-update")
    assert "ticked" not in result.stdout.str()


def test_a_stricter_run_still_verifies(pytester: pytest.Pytester) -> None:
    project(pytester)
    (pytester.path / "tests" / "test_a.py").write_text("def test_ok():\n    pass\n")
    result = pytester.run(
        sys.executable,
        "-m",
        "pytest",
        "--tracker-update",
        "-W",
        "error::UserWarning",
        "-o",
        "xfail_strict=true",
    )
    assert "ticked 1.1, 1.2" in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-o", "python_files=x.py"], "-o python_files=... changed what the project collects"),
        (["-o", "console_output_style=classic"], None),
        (["-W", "error"], None),
        (["-Werror::UserWarning"], None),
        (["-Wignore"], "-W changed which warnings fail a test"),
        (["--pythonwarnings=default"], "--pythonwarnings changed which warnings fail a test"),
        (["-o", "xfail_strict=false"], "-o xfail_strict=... changed what the project collects"),
        (["--tracker", "T.md", "-q"], None),
    ],
)
def test_which_options_are_overrides(args: list[str], said: str | None) -> None:
    found = overrides(args)
    assert (found if found is None else found.split(" or ")[0]) == (
        said if said is None else said.split(" or ")[0]
    )


def test_tests_of_another_folder_do_not_count_for_this_project(
    pytester: pytest.Pytester,
) -> None:
    """From a folder holding a passing ``tests/test_a.py`` of its own, a run pointed at
    this project's tracker and state folder (whose separate path makes pytest take this
    project's rootdir) would name that file ``tests/test_a.py``: a file of this project
    that did not run. It is a collection error, and nothing is ticked."""
    project(pytester)
    pytester.run(sys.executable, "-m", "pytest")  # the state folder exists
    before = (pytester.path / "TASKS.md").read_bytes()
    other = pytester.path.parent / "other"
    (other / "tests").mkdir(parents=True)
    (other / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (other / "tests" / "test_a.py").write_text("def test_ok():\n    pass\n")
    import subprocess

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"--tracker={pytester.path / 'TASKS.md'}",
            "--tracker-state",
            str(pytester.path / ".tasktracker"),
            "--tracker-update",
        ],
        cwd=other,
        capture_output=True,
        text=True,
    )
    assert "is outside the rootdir" in done.stdout
    assert "BLOCKED (collection-error)" in done.stderr
    assert (pytester.path / "TASKS.md").read_bytes() == before
    # without this project's state folder on the command line, pytest takes the other
    # folder's rootdir: the tracker belongs to a project that configures it
    fresh = subprocess.run(
        [sys.executable, "-m", "pytest", f"--tracker={pytester.path / 'TASKS.md'}"],
        cwd=other,
        capture_output=True,
        text=True,
    )
    assert fresh.returncode == pytest.ExitCode.USAGE_ERROR
    assert (
        f"--tracker names ../{pytester.path.name}/TASKS.md, the tracker "
        f"../{pytester.path.name}/pyproject.toml configures: run pytest in that project"
    ) in fresh.stderr


FAILING_LEFT_OUT = "python_functions=test_ok test_warns"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-o", f"addopts=-o '{FAILING_LEFT_OUT}'"], "-o python_functions=... changed"),
        (["-o", "addopts=-W ignore"], "-W changed which warnings fail a test"),
        (["-o", "addopts=-p evil"], "-o addopts=... gave -p"),
        (["-o", "addopts=-c other.ini"], "-o addopts=... gave -c"),
        (["-o", "addopts=-q -x"], None),  # what runs and how it is shown: the remedies' kind
    ],
)
def test_an_override_of_addopts_is_read_for_what_it_holds(
    args: list[str], said: str | None
) -> None:
    found = overrides(args)
    assert (found if said is None else found and found.startswith(said)) == said or (
        found is not None and said is not None and said in found
    )


def ticked_nothing(pytester: pytest.Pytester, *args: str) -> str:
    """Run with ``args``: nothing is ticked; the reasons the evidence gives."""
    before = (pytester.path / "TASKS.md").read_bytes()
    result = pytester.run(sys.executable, "-m", "pytest", "--tracker-update", *args)
    assert "ticked" not in result.stdout.str()
    assert (pytester.path / "TASKS.md").read_bytes() == before
    return (pytester.path / ".tasktracker" / "results.json").read_text()


# Marks the project's failing tests xfail: the sub-task's file then "passes".
LENIENT = (
    "import pytest\n\n"
    "def pytest_collection_modifyitems(items):\n"
    "    for item in items:\n"
    "        if item.name != 'test_ok':\n"
    "            item.add_marker(pytest.mark.xfail)\n"
)


def test_another_configuration_file_is_not_the_project_s(pytester: pytest.Pytester) -> None:
    """``-c`` naming an ini outside the project that leaves the failing test out."""
    project(pytester)
    other = pytester.path.parent / f"{pytester.path.name}-other.ini"
    tracker = pytester.path / "TASKS.md"
    other.write_text(f"[pytest]\ntracker = {tracker}\n{FAILING_LEFT_OUT.replace('=', ' = ')}\n")
    out = ticked_nothing(pytester, "-c", str(other), "--rootdir", str(pytester.path))
    assert "not the project's configuration file" in out


def test_a_conftest_above_the_project_is_not_the_project_s(pytester: pytest.Pytester) -> None:
    """A conftest.py in the folder above, loaded with ``--confcutdir``, marks the
    failing tests xfail: the run verifies nothing, and leaves nothing in the project's
    diff."""
    project(pytester)
    above = pytester.path.parent / "conftest.py"
    above.write_text(LENIENT)
    try:
        out = ticked_nothing(pytester, f"--confcutdir={pytester.path.parent}")
    finally:
        above.unlink()
    assert "a conftest.py outside the project" in out


def test_a_plugin_no_installed_distribution_holds_is_not_the_project_s(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A module given to ``-p`` from a folder on PYTHONPATH outside the project."""
    project(pytester)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "lenient_plugin.py").write_text(LENIENT)
    monkeypatch.setenv("PYTHONPATH", str(elsewhere))
    out = ticked_nothing(pytester, "-p", "lenient_plugin")
    assert "which no installed distribution holds" in out


# Python runs a sitecustomize at start-up, before pytest: this one makes every test pass.
EVERY_TEST_PASSES = "import _pytest.python\n_pytest.python.Function.runtest = lambda self: None\n"


def test_start_up_code_from_pythonpath_outside_the_project_verifies_nothing(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A ``sitecustomize.py`` on ``PYTHONPATH`` outside the project: no ``-p``, no
    conftest, nothing left in the project or the environment's record."""
    project(pytester)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "sitecustomize.py").write_text(EVERY_TEST_PASSES)
    monkeypatch.setenv("PYTHONPATH", str(elsewhere))
    out = ticked_nothing(pytester)
    assert "sitecustomize) from PYTHONPATH, outside the project" in out


def test_pythonpath_inside_the_project_is_the_project_s(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester)
    (pytester.path / "tests" / "test_a.py").write_text("def test_ok():\n    pass\n")
    (pytester.mkdir("src") / "helpers.py").write_text("X = 1\n")
    (pytester.path / "tests" / "conftest.py").write_text("import helpers\n")
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "src"))
    result = pytester.run(sys.executable, "-m", "pytest", "--tracker-update")
    assert "ticked 1.1, 1.2" in result.stdout.str()


def test_start_up_code_no_distribution_holds_is_not_the_environment_s() -> None:
    import sysconfig
    from pathlib import Path

    from pytest_tasktracker.plugin.run_hooks import _standard_or_installed

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    assert _standard_or_installed("os", str(stdlib / "os.py"))
    assert _standard_or_installed("pytest", str(Path(pytest.__file__)))
    dropped = Path(sysconfig.get_paths()["purelib"]) / "sitecustomize.py"
    assert not _standard_or_installed("sitecustomize", str(dropped))


@pytest.mark.parametrize(
    ("python", "args", "tests", "said"),
    [
        (["-O"], ["--assert=plain", "-p", "no:warnings"], TESTS, "Python ran with -O"),
        (
            [],
            ["-p", "no:warnings"],
            TESTS.replace("assert False", "pass"),  # it fails on its warning alone
            "-p no:warnings turned off pytest's own warnings plugin",
        ),
    ],
    ids=["-O --assert=plain -p no:warnings", "-p no:warnings"],
)
def test_a_run_whose_asserts_or_warnings_are_off_verifies_nothing(
    pytester: pytest.Pytester, python: list[str], args: list[str], tests: str, said: str
) -> None:
    """Asserts removed (``-O``, ``$PYTHONOPTIMIZE``; ``-p no:warnings`` silences pytest's
    error that they are), or the project's ``filterwarnings`` dropped: the failing tests
    of tests/test_a.py pass."""
    project(pytester)
    (pytester.path / "tests" / "test_a.py").write_text(tests)
    before = (pytester.path / "TASKS.md").read_bytes()
    result = pytester.run(sys.executable, *python, "-m", "pytest", "--tracker-update", *args)
    assert "3 passed" in result.stdout.str()
    assert "ticked" not in result.stdout.str()
    assert (pytester.path / "TASKS.md").read_bytes() == before
    assert said in (pytester.path / ".tasktracker" / "results.json").read_text()


def test_a_plugin_of_the_project_its_configuration_does_not_load_verifies_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module the agent wrote into a hidden folder of the project (out of the code
    state), given to ``-p``: plain pytest never loads it."""
    project(pytester)
    (pytester.mkdir(".x") / "lenient_plugin.py").write_text(LENIENT)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / ".x"))
    out = ticked_nothing(pytester, "-p", "lenient_plugin")
    assert "a plugin of the project's that its configuration does not load" in out


def test_runxfail_is_not_the_project_s_configuration() -> None:
    """An xfail(strict=True) test that passes fails the project's run; ``--runxfail``
    makes it pass."""
    assert overrides(["--runxfail"]) == "--runxfail ran the tests marked xfail as if they were not"
    assert overrides(["-o", "addopts=--runxfail"]) == (
        "--runxfail ran the tests marked xfail as if they were not (inside -o addopts=...)"
    )


def test_code_changed_while_the_run_ran_verifies_nothing(pytester: pytest.Pytester) -> None:
    """A module the tests imported, put back (here by a later test; by a background job
    in an agent's shell) after they passed: the code state, taken at the end, records
    the files as they are then, not as the tests ran them."""
    pytester.makeini("[pytest]\ntracker = TASKS.md\n")
    pytester.makefile(".md", TASKS="### Step 1: S\n- [ ] Run pytest on tests/test_a.py\n")
    (pytester.path / "lib.py").write_text("def answer():\n    return 42\n")
    tests = pytester.mkdir("tests")
    (tests / "test_a.py").write_text("import lib\n\ndef test_a():\n    assert lib.answer() == 42\n")
    (tests / "test_z.py").write_text(
        "from pathlib import Path\n\ndef test_z():\n"
        "    Path('lib.py').write_text('def answer():\\n    return 41\\n')\n"
    )
    out = ticked_nothing(pytester, "-p", "no:randomly")
    assert "lib.py changed while the run ran" in out


@pytest.mark.parametrize("mode", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_compiled_code_of_the_project_without_its_source_verifies_nothing(
    pytester: pytest.Pytester, mode: list[str]
) -> None:
    """A ``.pyc`` beside its conftest, loaded from there (here by ``pytest_plugins``; a
    ``codeop.pyc`` would shadow the standard library's): no diff shows what it does,
    and deleted after the run it leaves no trace."""
    import py_compile

    project(pytester)
    source = pytester.path / "lenient.py"
    source.write_text(LENIENT)
    py_compile.compile(str(source), cfile=str(pytester.path / "tests" / "lenient.pyc"))
    source.unlink()
    (pytester.path / "tests" / "conftest.py").write_text('pytest_plugins = ["lenient"]\n')
    out = ticked_nothing(pytester, "-p", "no:randomly", *mode)
    assert "the run loaded tests/lenient.pyc, compiled code whose source is not in" in out


# Shadows the standard library's codeop (pdb imports it as pytest starts), puts the real
# one in its place in sys.modules, and makes every failing test pass.
SHADOW = """\
import importlib.util, sys, sysconfig
spec = importlib.util.spec_from_file_location(
    "codeop", sysconfig.get_paths()["stdlib"] + "/codeop.py"
)
real = importlib.util.module_from_spec(spec)
sys.modules["codeop"] = real
spec.loader.exec_module(real)
import _pytest.python
_pytest.python.Function.runtest = lambda self: None
"""


def test_compiled_code_that_hides_itself_from_sys_modules_verifies_nothing(
    pytester: pytest.Pytester,
) -> None:
    """A sourceless ``codeop.pyc`` in the project's root, on the module path of
    ``python -m pytest``: loaded before pytest reads a conftest, gone from
    ``sys.modules`` by the end."""
    import py_compile

    project(pytester)
    source = pytester.path / "shadow.py"
    source.write_text(SHADOW)
    py_compile.compile(str(source), cfile=str(pytester.path / "codeop.pyc"))
    source.unlink()
    out = ticked_nothing(pytester, "-p", "no:randomly")
    assert "the run could load codeop.pyc, compiled code whose source is not in" in out
