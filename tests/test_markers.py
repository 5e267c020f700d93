"""``task`` markers read from test files without a run (rules/markers.py)."""

from __future__ import annotations

from pathlib import Path

from pytest_tasktracker.rules.markers import ids_in, marked_ids, marked_ids_watched


def test_every_spelling_of_a_marker_names_its_ids() -> None:
    source = """
import pytest
from pytest import mark

pytestmark = [pytest.mark.task("1.1")]

@pytest.mark.task("2.11", 'T004')
def test_a(): ...

@mark . task ( "Step-3" )
class TestB: ...

@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.task(r"4.2"))])
def test_c(x): ...

@pytest.mark.taskforce("9.9")
@pytest.mark.task()
def test_d(): ...
"""
    assert ids_in(source) == {"1.1", "2.11", "t004", "step-3", "4.2"}


def test_marked_ids_are_read_under_testpaths_only(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("@pytest.mark.task('1.2')\ndef test(): ...\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "x.py").write_text("@pytest.mark.task('8.8')\n")
    (tmp_path / "tests" / ".venv").mkdir()
    (tmp_path / "tests" / ".venv" / "test_v.py").write_text("mark.task('7.7')\n")
    assert marked_ids(tmp_path, ["tests"]) == {"1.2"}
    assert marked_ids(tmp_path) == {"1.2", "8.8"}


def test_the_files_markers_are_read_from_are_watched_up_to_a_limit(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("@pytest.mark.task('1.2')\ndef test_a(): ...\n")
    (tmp_path / "env2").mkdir()
    (tmp_path / "env2" / "pyvenv.cfg").write_text("")
    found = marked_ids_watched(tmp_path)
    assert found is not None
    ids, watched = found
    assert ids == frozenset({"1.2"})
    assert sorted(str(entry[0]) for entry in watched) == sorted(
        [
            str(tmp_path),
            str(tmp_path.parent),
            str(tmp_path / "tests"),
            str(tmp_path / "env2"),  # left out for what it holds: watched for that
            str(tmp_path / "tests" / "test_a.py"),
        ]
    )
    assert all(len(entry) == 5 for entry in watched)  # path, size, times, inode
    assert marked_ids_watched(tmp_path, limit=4) is None
