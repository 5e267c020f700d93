"""``--tracker-attest``: an in-toto statement of a run, checked against the published
schema (the in-toto-attestation package's protobuf messages), and ``gate
--attestation`` with a matching and a tampered state folder."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_tasktracker.attestation import (
    PREDICATE_TYPE,
    manifest_sha256,
    manifest_text,
    result_of,
    run_url,
)

EXAMPLE = Path(__file__).parent.parent / "examples" / "cache-project"
ENV_DROP = ("PYTEST_ADDOPTS", "GITHUB_ACTIONS", "GITHUB_SERVER_URL", "GITHUB_RUN_ID")


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=folder, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def attested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project after a run with --tracker-attest and --tracker-junit."""
    folder = tmp_path_factory.mktemp("attested") / "cache-project"
    shutil.copytree(EXAMPLE, folder)
    done = run(
        folder,
        "pytest",
        "--tracker-update",
        "--tracker-attest",
        "statement.json",
        "--tracker-junit",
        "junit.xml",
        "-p",
        "no:randomly",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


@pytest.fixture
def project(attested: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "cache-project"
    shutil.copytree(attested, folder)
    return folder


def statement_of(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "statement.json").read_text())
    return data


@pytest.mark.e2e
def test_the_statement_is_what_the_published_schema_reads(attested: Path) -> None:
    pytest.importorskip("in_toto_attestation")
    from google.protobuf import json_format
    from in_toto_attestation.predicates.test_result.v0 import test_result_pb2
    from in_toto_attestation.v1 import statement_pb2
    from in_toto_attestation.v1.statement import Statement

    data = statement_of(attested)
    parsed = json_format.ParseDict(data, statement_pb2.Statement())  # unknown fields fail
    Statement.copy_from_pb(parsed).validate()
    predicate = json_format.ParseDict(data["predicate"], test_result_pb2.TestResult())
    assert predicate.result == "PASSED"
    assert list(predicate.passed_tests) == [  # sorted, whatever order xdist ran them in
        "tests/test_cache.py::test_a_cache_needs_room_for_one_entry",
        "tests/test_cache.py::test_a_value_put_can_be_read_back",
        "tests/test_cache.py::test_the_least_recently_used_entry_goes_first",
        "tests/test_expiry.py::test_an_entry_expires_after_its_time_to_live",
        "tests/test_expiry.py::test_an_entry_is_fresh_within_its_time_to_live",
    ]
    assert list(predicate.failed_tests) == []


@pytest.mark.e2e
def test_the_subjects_are_the_files_the_gate_judges(attested: Path) -> None:
    data = statement_of(attested)
    assert data["predicateType"] == PREDICATE_TYPE
    state = attested / "pr_info" / ".tasktracker"
    names = [subject["name"] for subject in data["subject"]]
    assert names == [
        "pr_info/TASK_TRACKER.md",
        "pr_info/.tasktracker/results.json",
        "pr_info/.tasktracker/code/manifest.txt",
    ]
    import hashlib

    for subject in data["subject"]:
        digest = hashlib.sha256((attested / subject["name"]).read_bytes()).hexdigest()
        assert subject["digest"] == {"sha256": digest}
    manifest = (state / "code" / "manifest.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in manifest] == [
        "pyproject.toml",
        "tests/test_cache.py",
        "tests/test_expiry.py",
        "tinycache.py",
    ]
    predicate = json.loads((attested / "statement.predicate.json").read_text())
    assert predicate == data["predicate"]
    assert data["predicate"]["configuration"][0]["name"] == "pyproject.toml"
    assert data["predicate"]["configuration"][1] == {
        "name": "pytest",
        "annotations": {
            "args": [
                "--tracker-update",
                "--tracker-attest",
                "statement.json",
                "--tracker-junit",
                "junit.xml",
                "-p",
                "no:randomly",
            ]
        },
    }


@pytest.mark.e2e
def test_the_gate_accepts_the_attested_files_and_names_each_that_differs(
    project: Path,
) -> None:
    ok = run(project, "pytest_tasktracker", "gate", "--attestation", "statement.json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.splitlines()[0] == (
        "attestation statement.json: pr_info/TASK_TRACKER.md, pr_info/.tasktracker/"
        "results.json and the code are the attested ones (result PASSED)"
    )
    tracker = project / "pr_info" / "TASK_TRACKER.md"
    tracker.write_text(tracker.read_text().replace("- [ ] PR review", "- [x] PR review"))
    results = project / "pr_info" / ".tasktracker" / "results.json"
    results.write_text(results.read_text().replace('"passed"', '"passed" ', 1))
    (project / "tinycache.py").write_text((project / "tinycache.py").read_text() + "\n")
    bad = run(project, "pytest_tasktracker", "gate", "--attestation", "statement.json")
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert [line.split(" (sha256")[0] for line in lines] == [
        "attestation statement.json: pr_info/TASK_TRACKER.md is not an attested file",
        "attestation statement.json: pr_info/.tasktracker/results.json is not an attested file",
        "attestation statement.json: the code is not the attested code state (a file changed "
        "since the run)",
    ]


@pytest.mark.e2e
def test_a_report_the_run_wrote_into_the_project_is_not_code(project: Path) -> None:
    """statement.json, its predicate and junit.xml were written after the code state
    was taken: they must not make the run's own evidence stale."""
    for name in ("statement.json", "statement.predicate.json", "junit.xml"):
        assert (project / name).is_file()
    done = run(project, "pytest_tasktracker", "gate")
    assert done.returncode == 0, done.stdout


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "is not JSON"),
        (
            '{"payloadType": "application/vnd.in-toto+json", "payload": "e30="}',
            "is a signed envelope",
        ),
        ('{"_type": "https://in-toto.io/Statement/v0.1"}', "is not an in-toto Statement v1"),
        (
            '{"_type": "https://in-toto.io/Statement/v1", "predicateType": "x", "subject": []}',
            "has predicateType 'x'",
        ),
    ],
)
def test_a_file_that_is_not_a_statement_of_ours_is_one_line(
    project: Path, text: str, problem: str
) -> None:
    (project / "other.json").write_text(text)
    done = run(project, "pytest_tasktracker", "gate", "--attestation", "other.json")
    assert done.returncode == 2
    assert done.stderr.startswith(f"tasktracker: error: other.json: {problem}")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("outcomes", "blocked", "result"),
    [
        ({"a": "passed"}, False, "PASSED"),
        ({"a": "passed", "b": "skipped"}, False, "WARNED"),
        ({"a": "passed", "b": "failed"}, False, "FAILED"),
        ({"a": "error"}, False, "FAILED"),
        ({"a": "passed"}, True, "FAILED"),
        ({}, False, "FAILED"),
    ],
)
def test_the_result(outcomes: dict[str, str], blocked: bool, result: str) -> None:
    assert result_of(outcomes, blocked) == result


def test_the_code_state_subject_leaves_the_environment_out() -> None:
    files = {"b.py": "2", "a.py": "1", "/python": "cpython 3.11", "/installed/x": "1.0"}
    assert manifest_text(files) == b"a.py\t1\nb.py\t2\n"
    assert manifest_sha256(files) == manifest_sha256({"a.py": "1", "b.py": "2"})
    assert manifest_sha256(files) != manifest_sha256({"a.py": "1", "b.py": "3"})


def test_the_run_s_address_under_github_actions() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_RUN_ID": "42",
    }
    assert run_url(env) == "https://github.com/o/r/actions/runs/42"
    assert run_url({}) is None
