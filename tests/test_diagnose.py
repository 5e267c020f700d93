"""The diagnosis, case by case, without running pytest: from the facts a run leaves, the
exact blockers (kind, summary, error, location, cause, remedies, paths).

Each case builds ``Facts`` in a small project folder and compares every field of every
blocker with ``tests/golden/diagnosis.json``. After a deliberate change, regenerate it
with ``UPDATE_GOLDEN=1 pytest tests/test_diagnose.py`` and review the diff. The
end-to-end tests in test_blockers.py show the same rules through real pytest runs; these
are the fast ones that the mutation score (``tox -e mutation``) is measured with.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from pluggy import PluginValidationError

from conftest import Golden
from pytest_tasktracker.blockers import usage
from pytest_tasktracker.blockers.diagnose import diagnose
from pytest_tasktracker.blockers.facts import Facts

GOLDEN = Path(__file__).parent / "golden" / "diagnosis.json"
PYTHON = "/venv/bin/python"


def make_facts(root: Path, argv: list[str] | None = None, **fields: Any) -> Facts:
    facts = Facts(argv=argv or [], cwd=root, rootdir=root, inifile=None, env_addopts=[])
    facts.python = PYTHON
    for name, value in fields.items():
        setattr(facts, name, value)
    return facts


def with_ini(root: Path, text: str) -> Path:
    ini = root / "pytest.ini"
    ini.write_text(text)
    return ini


class Absent:
    """A meta path finder for which ``names`` are not installed, wherever this runs."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def find_spec(self, name: str, *_: object) -> None:
        if name in self.names:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def conftest_failure(root: Path, source: str, absent: tuple[str, ...] = ()) -> BaseException:
    """The ConftestImportFailure pytest raises for a conftest that fails to import."""
    from _pytest.config import ConftestImportFailure

    path = root / "tests" / "conftest.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(source)
    finder = Absent(*absent)
    hidden = {name: sys.modules.pop(name) for name in absent if name in sys.modules}
    sys.meta_path.insert(0, finder)
    try:
        exec(compile(source, str(path), "exec"), {})
    except Exception as error:  # the conftest's own error
        return ConftestImportFailure(path, cause=error)
    finally:
        sys.meta_path.remove(finder)
        sys.modules.update(hidden)
    raise AssertionError("the conftest imported")


def hook_error(
    root: Path,
    source: str = "\n\ndef pytest_collect_file(path, parent):\n    pass\n",
    hook: str = "pytest_collect_file",
    arguments: str = "path, parent",
    where: str = "conftest.py",
) -> BaseException:
    conftest = root / where
    conftest.parent.mkdir(exist_ok=True)
    conftest.write_text(source)
    return PluginValidationError(
        object(),
        f"Plugin '{conftest}' for hook '{hook}'\nhookimpl definition: "
        f"{hook}({arguments})\nArgument(s) {{'path'}} are declared in the "
        "hookimpl but can not be found in the hookspec",
    )


def _cases() -> dict[str, Callable[[Path], Facts]]:
    cases: dict[str, Callable[[Path], Facts]] = {}

    def case(function: Callable[[Path], Facts]) -> Callable[[Path], Facts]:
        cases[function.__name__] = function
        return function

    @case
    def option_from_addopts_not_installed(root: Path) -> Facts:
        ini = with_ini(root, "[pytest]\ntestpaths = tests\naddopts = -q -n auto\n")
        return make_facts(
            root,
            ["tests", "-k", "a and b"],
            inifile=ini,
            addopts=["-q", "-n", "auto"],
            exception=pytest.UsageError(
                "usage: pytest [options]\npytest: error: unrecognized arguments: -n auto"
            ),
        )

    @case
    def option_from_addopts_installed_not_loaded(root: Path) -> Facts:
        facts = option_from_addopts_not_installed(root)
        facts.argv = ["-p", "no:xdist"]
        return facts

    @case
    def option_from_the_command_line(root: Path) -> Facts:
        error = "pytest: error: unrecognized arguments: --timeout=5 tests"
        return make_facts(
            root, ["--timeout=5", "tests"], exception=pytest.UsageError(f"usage: x\n{error}")
        )

    @case
    def option_with_its_value_apart(root: Path) -> Facts:
        error = "pytest: error: unrecognized arguments: -n tests"
        return make_facts(root, ["-n", "2", "tests", "-x"], exception=pytest.UsageError(error))

    @case
    def option_with_a_value_from_addopts(root: Path) -> Facts:
        ini = with_ini(root, "[pytest]\naddopts = --timeout=30 -ra\n")
        error = "pytest: error: unrecognized arguments: --timeout=30"
        return make_facts(
            root,
            [],
            inifile=ini,
            addopts=["--timeout=30", "-ra"],
            exception=pytest.UsageError(error),
        )

    @case
    def option_beside_a_token_in_addopts(root: Path) -> Facts:
        """The token's value stays beside its option: hidden, never left behind alone."""
        ini = with_ini(root, "[pytest]\naddopts = -n 2 --api-token s3cr3t '--db-password=a b'\n")
        return make_facts(
            root,
            ["-p", "no:xdist"],
            inifile=ini,
            addopts=["-n", "2", "--api-token", "s3cr3t", "--db-password=a b"],
            exception=pytest.UsageError(
                "pytest: error: unrecognized arguments: -n --api-token --db-password=a b"
            ),
        )

    @case
    def option_disabled_written_together(root: Path) -> Facts:
        facts = option_from_addopts_not_installed(root)
        facts.argv = ["-pno:xdist", "-x"]
        return facts

    @case
    def option_from_the_environment(root: Path) -> Facts:
        return make_facts(
            root,
            [],
            env_addopts=["--reruns", "2"],
            exception=pytest.UsageError("pytest: error: unrecognized arguments: --reruns 2"),
        )

    @case
    def option_nobody_provides(root: Path) -> Facts:
        return make_facts(
            root,
            ["--frobnicate"],
            exception=pytest.UsageError("pytest: error: unrecognized arguments: --frobnicate"),
        )

    @case
    def option_without_a_dash_in_the_error(root: Path) -> Facts:
        return make_facts(
            root,
            ["--cov"],
            unknown_flags=["--cov"],
            exception=pytest.UsageError("pytest: error: unrecognized arguments: x"),
        )

    @case
    def required_plugins(root: Path) -> Facts:
        ini = with_ini(root, "[pytest]\nminversion = 8\nrequired_plugins = pytest-xdist\n")
        message = "Missing required plugins: pytest-xdist, pytest-mock"
        return make_facts(root, inifile=ini, exception=pytest.UsageError(message))

    def unimportable(root: Path, argv: list[str], **fields: Any) -> Facts:
        error = ImportError("No module named 'nosuch'", name="nosuch")
        return make_facts(root, argv, exception=error, **fields)

    @case
    def plugin_from_the_command_line(root: Path) -> Facts:
        return unimportable(root, ["-p", "nosuch", "-x"])

    @case
    def plugin_written_together(root: Path) -> Facts:
        return unimportable(root, ["-pnosuch", "-p", "xdist", "-x"])

    @case
    def plugin_from_addopts(root: Path) -> Facts:
        ini = with_ini(root, "[pytest]\n# a comment\naddopts = -p nosuch -k 'a b'\n")
        return unimportable(root, [], inifile=ini, addopts=["-p", "nosuch", "-k", "a b"])

    @case
    def plugin_from_the_environment(root: Path) -> Facts:
        return unimportable(root, [], env_addopts=["-p=nosuch"])

    @case
    def plugin_from_a_conftest(root: Path) -> Facts:
        message = "Error importing plugin \"nosuch\": No module named 'nosuch'"
        return make_facts(root, exception=pytest.UsageError(message), exit_code=4)

    @case
    def missing_file_with_a_near_name(root: Path) -> Facts:
        (root / "tests").mkdir()
        (root / "tests" / "test_alpha.py").write_text("def test_one():\n    pass\n")
        missing = "tests/test_alpah.py"
        return make_facts(
            root,
            [missing, "-q"],
            exception=pytest.UsageError(f"file or directory not found: {missing}"),
        )

    @case
    def missing_file_reported_absolute(root: Path) -> Facts:
        (root / "tests").mkdir()
        (root / "tests" / "test_alpha.py").write_text("def test_one():\n    pass\n")
        missing = f"{root}/tests/test_alpah.py"
        return make_facts(
            root,
            ["tests/test_alpah.py", "-q"],
            exception=pytest.UsageError(f"file or directory not found: {missing}"),
        )

    @case
    def missing_file_with_many_near_names(root: Path) -> Facts:
        for folder in "abcd":
            (root / folder).mkdir()
            (root / folder / "test_alpha.py").write_text("")
        return make_facts(root, ["e/test_alpha.py"], missing_paths=["e/test_alpha.py"])

    @case
    def missing_test_in_a_missing_file(root: Path) -> Facts:
        return make_facts(root, ["gone.py::test_x"], missing_paths=["gone.py::test_x"])

    @case
    def missing_test_with_a_near_name(root: Path) -> Facts:
        (root / "test_a.py").write_text("class TestBox:\n    def test_alpha(self):\n        pass\n")
        missing = "test_a.py::TestBox::test_alpah"
        return make_facts(
            root, [missing], exception=pytest.UsageError(f"not found: {missing}\n(no match)")
        )

    @case
    def missing_paths_and_nothing_near(root: Path) -> Facts:
        return make_facts(root, ["nowhere.py", "gone/"], missing_paths=["nowhere.py", "gone/"])

    @case
    def bad_selection_expression(root: Path) -> Facts:
        error = (
            "ERROR: Wrong expression passed to '-k': a and: at column 6: expected not OR "
            f"left parenthesis OR identifier; got end of input\n{root}/x"
        )
        return make_facts(root, ["-k", "a and"], exception=pytest.UsageError(error))

    @case
    def bad_option_value(root: Path) -> Facts:
        error = (
            "usage: pytest [options] [file_or_dir] [file_or_dir] [...]\n"
            "pytest: error: argument --tb: invalid choice: 'bogus'"
        )
        return make_facts(root, ["--tb=bogus"], exception=pytest.UsageError(error))

    @case
    def unknown_config_option_without_an_ini(root: Path) -> Facts:
        error = "ERROR: Unknown config option: foo\n"
        return make_facts(root, ["--strict-config"], exception=pytest.UsageError(error))

    @case
    def broken_pyproject(root: Path) -> Facts:
        error = "ERROR: pyproject.toml: Invalid value (at line 3, column 9)"
        return make_facts(root, exception=pytest.UsageError(error))

    @case
    def unknown_config_option(root: Path) -> Facts:
        ini = with_ini(root, "[pytest]\nfoo = 1\n")
        error = "ERROR: Unknown config option: foo\n"
        return make_facts(
            root, ["--strict-config"], inifile=ini, exception=pytest.UsageError(error)
        )

    @case
    def conftest_that_fails_to_import(root: Path) -> Facts:
        return make_facts(
            root, exception=conftest_failure(root, "import os\nimport nosuchmodule.sub\n")
        )

    @case
    def conftest_missing_a_declared_dependency(root: Path) -> Facts:
        """mcp-coder at 7129c046 without its dependencies: ``import git``, from GitPython,
        which its pyproject declares. Not ``pip install git``."""
        corpus = Path(__file__).parent / "corpus"
        (root / "pyproject.toml").write_bytes(
            (corpus / "mcp-coder_7129c046_pyproject.toml").read_bytes()
        )
        source = (corpus / "mcp-coder_7129c046_tests_conftest_head.py.txt").read_text()
        return make_facts(root, exception=conftest_failure(root, source, absent=("git",)))

    @case
    def collection_error_of_an_undeclared_module_named_otherwise(root: Path) -> Facts:
        (root / "pyproject.toml").write_text('[project]\nname = "p"\ndependencies = []\n')
        error = (
            "test_y.py:1: in <module>\n    import yaml\n"
            "E   ModuleNotFoundError: No module named 'yaml'"
        )
        return make_facts(root, collect_errors={"test_y.py": error})

    @case
    def collection_error_of_the_projects_own_package(root: Path) -> Facts:
        (root / "pyproject.toml").write_text('[project]\nname = "mypkg"\n')
        (root / "src" / "mypkg").mkdir(parents=True)
        (root / "src" / "mypkg" / "__init__.py").write_text("")
        error = "E   ModuleNotFoundError: No module named 'mypkg.core'"
        return make_facts(root, collect_errors={"tests/test_core.py": error})

    @case
    def collection_error_of_a_module_in_an_extra_and_a_requirements_file(root: Path) -> Facts:
        (root / "pyproject.toml").write_text(
            '[project]\nname = "p"\n'
            '[project.optional-dependencies]\ntest = ["pytest-asyncio>=0.21"]\n'
        )
        (root / "requirements-test.txt").write_text("# pinned\npython-dateutil==2.9\n")
        return make_facts(
            root,
            collect_errors={
                "test_a.py": "E   ModuleNotFoundError: No module named 'pytest_asyncio'",
                "test_d.py": "E   ModuleNotFoundError: No module named 'dateutil'",
            },
        )

    @case
    def conftest_with_a_syntax_error(root: Path) -> Facts:
        return make_facts(root, exception=conftest_failure(root, "x = 1\ndef broken(:\n"))

    @case
    def conftest_that_raises(root: Path) -> Facts:
        source = "def setup():\n    raise RuntimeError('boom')\n\nsetup()\n"
        return make_facts(root, ["-x"], exception=conftest_failure(root, source))

    @case
    def hook_with_removed_arguments(root: Path) -> Facts:
        return make_facts(root, exception=hook_error(root))

    @case
    def hook_of_boltons_25_on_pytest_9(root: Path) -> Facts:
        """boltons 25.0.0: ``pytest_ignore_collect(path, config)`` using ``path.basename``."""
        corpus = Path(__file__).parent / "corpus" / "boltons_25.0.0_tests_conftest.py.txt"
        source = corpus.read_text()
        return make_facts(
            root,
            exception=hook_error(
                root, source, "pytest_ignore_collect", "path, config", "tests/conftest.py"
            ),
        )

    @case
    def worker_usage_error(root: Path) -> Facts:
        return make_facts(root, worker_errors=["pytest: error: unrecognized arguments: --reruns"])

    @case
    def internal_error(root: Path) -> Facts:
        (root / "conftest.py").write_text("def pytest_runtest_logreport(report):\n    1 / 0\n")
        text = (
            'INTERNALERROR>   File "/usr/lib/python3/site-packages/pluggy/_callers.py", line '
            f'121, in _multicall\nINTERNALERROR>   File "{root}/conftest.py", line 2, in '
            "pytest_runtest_logreport\nINTERNALERROR>   File "
            '".venv/lib/python3/site-packages/pluggy/_hooks.py", line 512, in __call__\n'
            "INTERNALERROR> ZeroDivisionError: division by zero"
        )
        return make_facts(root, ["-q"], internal_error=text)

    @case
    def worker_crash(root: Path) -> Facts:
        return make_facts(
            root,
            ["-n", "2"],
            crashes=[("test_a.py::test_dies", "worker 'gw0' crashed while running")],
        )

    @case
    def collection_errors(root: Path) -> Facts:
        (root / "test_w.py").write_text("import pytest\n\n\ndef test_warned():\n    pass\n")
        return make_facts(
            root,
            [],
            collect_errors={
                "test_m.py": "test_m.py:1: in <module>\n    import nosuch\n"
                "E   ModuleNotFoundError: No module named 'nosuch'",
                "test_s.py": '  File "test_s.py", line 4\nE   SyntaxError: invalid syntax',
                "test_w.py": "/usr/lib/python3/site-packages/_pytest/x.py:9: in f\n"
                "E   pytest.PytestRemovedIn9Warning: old\nE   see https://docs\n"
                "Test: test_w.py::test_warned",
                "": "E   something else entirely",
                "test_p.py": "no traceback at all\nthe last line",
                "test_x.py": 'File "test_x.py", line 7, in <module>\n'
                'File "helpers.py", line 3, in helper\nE   ValueError: bad',
            },
        )

    @case
    def interrupted(root: Path) -> Facts:
        return make_facts(root, ["-x"], interrupted="KeyboardInterrupt\nmore")

    @case
    def interrupted_behind_another_blocker(root: Path) -> Facts:
        return make_facts(root, interrupted="KeyboardInterrupt", missing_paths=["gone.py"])

    @case
    def nothing_collected(root: Path) -> Facts:
        return make_facts(
            root, ["-k", "nothing", "--api-key=s3cr3t"], narrowing=["nothing"], exit_code=5
        )

    @case
    def nothing_collected_unnarrowed(root: Path) -> Facts:
        return make_facts(root, exit_code=5)

    @case
    def a_clean_failed_run(root: Path) -> Facts:
        return make_facts(root, exit_code=1)

    return cases


CASES = _cases()


def rendered(blockers: list[Any], root: Path) -> list[dict[str, Any]]:
    text = json.dumps([asdict(blocker) for blocker in blockers], sort_keys=True)
    text = text.replace(str(root), "<root>")
    return list(json.loads(text.replace(f"Python {sys.version.split()[0]})", "Python <version>)")))


@pytest.fixture(scope="module")
def golden() -> Golden:
    return Golden(GOLDEN)


@pytest.mark.parametrize("name", list(CASES))
def test_diagnosis(
    name: str, tmp_path: Path, golden: Golden, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "installed but not loaded" is a case of its own, not this machine's packages
    monkeypatch.setattr(usage, "_installed", lambda dist: name.endswith("_not_loaded"))
    root = tmp_path / "project"
    root.mkdir()
    found = rendered(diagnose(CASES[name](root)), root)
    golden.check(name, found)


def test_installed_asks_the_installed_distributions() -> None:
    assert usage._installed("pytest") is True
    assert usage._installed("no-such-distribution-x7") is False


def test_every_kind_of_blocker_has_a_case(golden: Golden) -> None:
    kinds = {blocker["kind"] for blockers in golden.expected.values() for blocker in blockers}
    assert kinds == {
        "collection-error",
        "conftest-error",
        "internal-error",
        "interrupted",
        "missing-plugin",
        "no-tests",
        "path-not-found",
        "usage-error",
        "worker-crash",
    }
    assert golden.expected["a_clean_failed_run"] == []
