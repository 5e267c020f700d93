"""A blocker names every sub-task whose scope the blocked run was meant to verify: bare
file names resolved against the project's files, whole-suite sub-tasks included."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import blocker_front, cli_in

TRACKER = """\
### Step 1: Feature
- [ ] Run pytest on test_a.py and fix all failures
- [ ] Run pytest on tests/test_b.py and fix all failures
- [ ] Implement the feature
- [ ] 3. Checkpoint - Ensure all tests pass
"""


@pytest.fixture(params=["serial", "xdist"])
def mode(request: pytest.FixtureRequest) -> list[str]:
    return [] if request.param == "serial" else ["-n", "2"]


def project(pytester: pytest.Pytester) -> Path:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    tests = pytester.mkdir("tests")
    (tests / "test_a.py").write_text("def test_a():\n    pass\n")
    (tests / "test_b.py").write_text("def test_b():\n    pass\n")
    path = pytester.path / "TASKS.md"
    path.write_text(TRACKER)
    return path


def affected_ids(pytester: pytest.Pytester) -> list[str]:
    front = blocker_front(pytester.path / ".tasktracker" / "blockers")
    return [entry["id"] for entry in front["affected"]]


def test_a_conftest_error_names_sub_tasks_that_name_their_file_by_bare_name(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    project(pytester)
    (pytester.path / "tests" / "conftest.py").write_text("import not_installed_anywhere\n")
    pytester.runpytest("--tracker", "TASKS.md", *mode)
    assert affected_ids(pytester) == ["1.1", "1.2", "1.4"]
    code, _, err = cli_in(pytester, capsys, "check", "1.1", "--tracker", "TASKS.md")
    assert code == 1
    assert "has an open blocker" in err


def test_a_collection_error_names_whole_suite_sub_tasks(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    project(pytester)
    (pytester.path / "tests" / "test_b.py").write_text("import not_installed_anywhere\n")
    pytester.runpytest("--tracker", "TASKS.md", *mode)
    assert affected_ids(pytester) == ["1.2", "1.4"]
    code, _, err = cli_in(pytester, capsys, "check", "1.4", "--tracker", "TASKS.md")
    assert code == 1
    assert "has an open blocker" in err
