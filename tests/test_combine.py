"""``tasktracker combine``: the shards of one suite (``--deselect``-based, one of them with
``-n 2``), put together, say per sub-task what one unsharded run says."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import evidence_file, run_pytest_in, tasktracker

pytestmark = pytest.mark.e2e

TRACKER = (
    "### Step 1: S\n- [ ] Run pytest on test_a.py\n- [ ] Run pytest on test_b.py\n"
    "- [ ] Run pytest on test_c.py\n- [ ] Run the full test suite\n"
    "- [ ] Fix test_b.py::test_2 and test_c.py::test_1\n"
)
FILES = {
    "test_a.py": "def test_1():\n    pass\n\ndef test_2():\n    pass\n",
    "test_b.py": "def test_1():\n    pass\n\ndef test_2():\n    pass\n",
    "test_c.py": "def test_1():\n    pass\n\ndef test_bad():\n    assert 0\n",
}
SHARDS = {
    "shard1": ["--deselect", "test_b.py", "--deselect", "test_c.py"],
    "shard2": ["--deselect", "test_a.py", "--deselect", "test_c.py"],
    "shard3": ["--deselect", "test_a.py", "--deselect", "test_b.py", "-n", "2"],
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text(TRACKER)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def outcomes(results: Path) -> dict[str, str]:
    data = evidence_file(results)  # every file, the shards' and the combined, by the schema
    return {entry["id"]: entry["outcome"] for entry in data["subtasks"]}


def run_shards(project: Path, names: list[str]) -> None:
    for name in names:
        run_pytest_in(project, "--tracker-state", name, *SHARDS[name])


def test_combined_shards_say_what_one_unsharded_run_says(project: Path) -> None:
    run_pytest_in(project, "--tracker-state", "whole")
    whole = outcomes(project / "whole" / "results.json")
    assert whole == {
        "1.1": "passed",
        "1.2": "passed",
        "1.3": "failed",
        "1.4": "failed",
        "1.5": "passed",
    }
    run_shards(project, list(SHARDS))
    for name in SHARDS:  # no shard alone verifies what spans shards
        assert outcomes(project / name / "results.json")["1.5"] == "not-run"
    # a shard lists what it ran, and counts the rest: the whole-suite sub-task of shard 1
    suite = evidence_file(project / "shard1" / "results.json")["subtasks"][3]
    assert (suite["id"], suite["scope"], suite["deselected"]) == ("1.4", 6, 4)
    assert [t["nodeid"] for t in suite["tests"]] == ["test_a.py::test_1", "test_a.py::test_2"]
    combined = tasktracker(project, "combine", "shard1", "shard2", "shard3/results.json")
    assert combined.returncode == 0, combined.stderr
    assert combined.stdout == (
        "combined 3 shards: 2 failed, 3 passed -> .tasktracker/results.json\n"
    )
    assert outcomes(project / ".tasktracker" / "results.json") == whole
    updated = tasktracker(project, "update")
    assert updated.stdout.splitlines() == [
        "ticked 1.1 (line 2): Run pytest on test_a.py",
        "ticked 1.2 (line 3): Run pytest on test_b.py",
        "ticked 1.5 (line 6): Fix test_b.py::test_2 and test_c.py::test_1",
    ]
    assert tasktracker(project, "gate").returncode == 0
    assert tasktracker(project, "update").stdout == (
        "nothing to change: the tracker agrees with the evidence\n"
    )


def test_a_missing_shard_leaves_what_it_covered_not_run(project: Path) -> None:
    run_shards(project, ["shard1", "shard3"])
    assert tasktracker(project, "combine", "shard1", "shard3").returncode == 0
    assert outcomes(project / ".tasktracker" / "results.json") == {
        "1.1": "passed",
        "1.2": "not-run",
        "1.3": "failed",
        "1.4": "failed",
        "1.5": "not-run",
    }


def test_shards_of_another_tracker_or_collection_are_refused(project: Path) -> None:
    run_shards(project, ["shard1", "shard2"])
    (project / "OTHER.md").write_text(TRACKER)
    run_pytest_in(project, "--tracker", "OTHER.md", "--tracker-state", "other", *SHARDS["shard3"])
    refused = tasktracker(project, "combine", "shard1", "other")
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        "tasktracker: error: other/results.json: is of another tracker ('OTHER.md', not "
        "'TASKS.md' as in shard1/results.json)\n"
    )
    (project / "test_d.py").write_text("def test_1():\n    pass\n")
    (project / "TASKS.md").write_text(TRACKER)
    run_pytest_in(project, "--tracker-state", "more", "--deselect", "test_a.py")
    refused = tasktracker(project, "combine", "shard1", "more")
    assert refused.returncode == 2
    assert refused.stderr.startswith("tasktracker: error: more/results.json: ran on another ")
    assert not (project / ".tasktracker" / "results.json").exists()


def test_shards_of_another_code_state_are_refused(project: Path) -> None:
    run_shards(project, ["shard1"])
    (project / "helpers.py").write_text("X = 1\n")  # the code changed between the jobs
    run_shards(project, ["shard2"])
    refused = tasktracker(project, "combine", "shard1", "shard2")
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        "tasktracker: error: shard2/results.json: ran on another code state ("
    )
    assert refused.stderr.endswith(" as in shard1/results.json)\n")


def test_a_blocked_shards_reports_carry_over(project: Path) -> None:
    run_shards(project, ["shard1"])
    run_pytest_in(project, "--tracker-state", "shard2", *SHARDS["shard2"], "test_missing.py")
    combined = tasktracker(project, "combine", "shard1", "shard2")
    assert combined.returncode == 0, combined.stderr
    assert "carried over 1 blocker report(s) to .tasktracker/blockers" in combined.stdout
    assert [p.name for p in (project / ".tasktracker" / "blockers").glob("*.md")] == [
        p.name for p in (project / "shard2" / "blockers").glob("*.md")
    ]
    assert tasktracker(project, "blockers").returncode == 1


def test_nothing_to_combine_is_one_line(project: Path) -> None:
    result = tasktracker(project, "combine", "nowhere")
    assert (result.returncode, result.stderr) == (
        2,
        "tasktracker: error: nowhere: no such file or folder\n",
    )
    (project / "broken.json").write_text("{")
    result = tasktracker(project, "combine", "broken.json")
    assert result.returncode == 2
    assert result.stderr.startswith("tasktracker: error: broken.json: cannot be read as results")


def test_the_gate_writes_the_job_summary_under_github_and_with_summary(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = project / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = run_pytest_in(project, "--tracker-update", "--tracker-gate")
    assert run.returncode == 1  # test_c.py fails
    table = summary.read_text().splitlines()
    assert (
        table[0]
        == "## Task tracker gate passed: every one of 3 ticked sub-tasks is backed by evidence"
    )
    assert (
        table[6]
        == "| 1.1 Run pytest on test_a.py | ✅ ticked, backed | passed (2 tests) |  | this code |"
    )
    (project / "TASKS.md").write_text(
        (project / "TASKS.md")
        .read_text()
        .replace("- [ ] Run pytest on test_c", "- [x] Run pytest on test_c")
    )
    gate = tasktracker(project, "gate", "--summary", "comment.md")
    assert gate.returncode == 1
    assert gate.stdout.splitlines()[1].startswith("::error file=TASKS.md,line=4,")
    written = summary.read_text()
    comment = (project / "comment.md").read_text()
    assert comment == written[written.index("## Task tracker gate failed") :]
    assert comment.startswith("## Task tracker gate failed: 1 of 4 ticked sub-tasks lack evidence")
    assert summary.read_text().count("## Task tracker gate") == 2  # appended, as GitHub wants


def test_a_hand_edited_results_1_shard_is_combined_without_a_crash() -> None:
    """Rows out of shape in an older shard are no evidence; the run is still combined."""
    from pytest_tasktracker.rules.combine import Shard, combine

    def shard(name: str, tests: object) -> Shard:
        entry = {"id": "1.1", "outcome": "not-run", "tests": tests, "run": {"time": "t"}}
        data = {
            "schema": "pytest-tasktracker/results/1",
            "tracker": "T.md",
            "last_run": {"time": "t", "exit_code": 0},
            "subtasks": [entry],
        }
        return Shard(name, data)

    rows = [{"nodeid": "a.py::t", "outcome": "passed"}]
    combined = combine([shard("one", [1, "x"]), shard("two", rows)], "now")
    (entry,) = combined["subtasks"]
    assert (entry["outcome"], entry["tests"]) == ("not-run", rows)


def test_a_shard_edited_by_hand_is_not_trusted(project: Path) -> None:
    """A shard's results.json that its run's journal does not vouch for (here, failures
    turned into passes) makes the combined evidence untrusted: nothing is ticked, and
    each refusal names the shard."""
    run_shards(project, list(SHARDS))
    forged = project / "shard3" / "results.json"
    forged.write_text(forged.read_text().replace('"failed"', '"passed"'))
    combined = tasktracker(project, "combine", "shard1", "shard2", "shard3")
    assert combined.returncode == 0, combined.stderr
    why = "results.json was not written by a recorded run"
    assert combined.stdout.splitlines()[0] == (
        f"warning: shard3/results.json: {why}; its entries are not trusted"
    )
    assert outcomes(project / ".tasktracker" / "results.json")["1.3"] == "not-run"
    updated = tasktracker(project, "update")
    assert updated.stdout.splitlines()[0] == (
        f"not ticked 1.1 (line 2): its evidence is not trusted: {why} (shard "
        "shard3/results.json); run `pytest --tracker TASKS.md --tracker-update` to record it "
        "again"
    )
    assert "- [x]" not in (project / "TASKS.md").read_text()


def test_a_folder_without_results_is_one_line(project: Path) -> None:
    (project / "empty").mkdir()
    result = tasktracker(project, "combine", "empty")
    assert (result.returncode, result.stderr) == (
        2,
        "tasktracker: error: empty: no results.json found there\n",
    )
