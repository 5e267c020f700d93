"""Stale or fresh, and what changed, from a code state's digest and manifests: the files'
part and the environment's (Python and the installed distributions)."""

from __future__ import annotations

import pytest

from pytest_tasktracker.rules.evidence import Evidence
from pytest_tasktracker.rules.freshness import CodeNow, same_state

ENV = {"/python": "cpython 3.11.7", "/installed/cachetools": "8.0.3"}
OLD = {"test_a.py": "1", "src/a.py": "1", **ENV}


def proven_on(code: str) -> Evidence:
    tests = (("test_a.py::test_a", "passed"),)
    return Evidence("1.1", "Fix test_a.py", "passed", "", tests, None, "named", code)


@pytest.mark.parametrize(
    ("proven", "now", "same"),
    [
        ("f0-e0", "f0-e0", True),
        ("f0-e0", "f0-e1", False),  # another environment
        ("f0-e0", "f1-e0", False),
        ("f0-e0", "f0", True),  # a judge on another machine: the files alone
        ("f0", "f0-e1", True),  # evidence from before environments were counted
        ("f0", "f1", False),
    ],
)
def test_the_same_state_is_the_same_files_and_where_both_know_it_environment(
    proven: str, now: str, same: bool
) -> None:
    assert same_state(proven, now) is same


@pytest.mark.parametrize(
    ("now_digest", "now", "said"),
    [
        (
            "f0-e1",
            {**OLD, "/installed/cachetools": "5.5.2"},
            "the environment changed since the run (cachetools 8.0.3 -> 5.5.2)",
        ),
        (
            "f1-e1",
            {
                "test_a.py": "1",
                "src/a.py": "2",
                "/python": "cpython 3.12.1",
                "/installed/attrs": "26.1.0",
            },
            "1 file changed since the run (src/a.py); and the environment (Python cpython "
            "3.11.7 -> cpython 3.12.1, attrs not installed -> 26.1.0, cachetools 8.0.3 -> not "
            "installed)",
        ),
        ("f1", {"test_a.py": "1", "src/a.py": "2"}, "1 file changed since the run (src/a.py)"),
        ("f1-e0", {**OLD, "README.rst": "1"}, None),  # counted since: a later run collected it
        ("f1-e0", {**OLD, "b.py": "1"}, "1 file changed since the run (b.py)"),
        ("f1-e0", OLD, "the code changed since the run"),  # the manifests alike: unknown
    ],
    ids=["package", "files-and-python", "judge-elsewhere", "newly-collected", "new-file", "?"],
)
def test_what_changed_names_files_and_the_environment(
    now_digest: str, now: dict[str, str], said: str | None
) -> None:
    code = CodeNow(now_digest, now, {"f0-e0": OLD})
    assert code.stale(proven_on("f0-e0")) == said


def test_without_a_manifest_a_change_of_environment_alone_is_named() -> None:
    code = CodeNow("f0-e1", {})
    assert code.stale(proven_on("f0-e0")) == (
        "the environment changed since the run (Python or an installed package)"
    )
    assert code.stale(proven_on("f9-e0")) == "the code changed since the run"
