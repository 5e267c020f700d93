"""Tried as an agent that wants the box ticked would: every way to put ``[x]`` on a box
without a passing run ends with the box unticked, the tick refused, or the gate failing
and naming the cause (issue: one judge, fed only by what the tool itself saw).

The project: test_a.py passes, test_b.py fails, test_c.py holds the only test of 1.3
(linked by its ``task`` marker, and failing), and pylint is declared as a check. A real
tracked run has recorded evidence; hook events are Claude Code's real shapes
(tests/data/).
"""

from __future__ import annotations

import io
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import event, tasktracker
from pytest_tasktracker.agents.hook import handle
from pytest_tasktracker.agents.hosts import host
from pytest_tasktracker.cli import _settings

TRACKER = """\
### Step 1: Parts
- [ ] Run pytest on test_a.py
- [ ] Run pytest on test_b.py
- [ ] Implement the parser
- [ ] Run pylint on modified files
"""
PYLINT = shlex.join([sys.executable, "-c", "pass"])
INI = f"[pytest]\ntracker = TASKS.md\ntracker_checks =\n    pylint = {PYLINT}\n"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project after ``pytest --tracker-update``: 1.1 ticked, 1.2 and 1.3 failed."""
    root = tmp_path_factory.mktemp("recorded")
    (root / "pytest.ini").write_text(INI)
    (root / "TASKS.md").write_text(TRACKER)
    (root / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / "test_b.py").write_text("def test_b():\n    assert 0\n")
    (root / "test_c.py").write_text(
        "import pytest\n\n@pytest.mark.task('1.3')\ndef test_c():\n    assert 0\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tracker-update"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stdout
    assert (root / "TASKS.md").read_text().splitlines()[1] == "- [x] Run pytest on test_a.py"
    return root


@pytest.fixture
def root(tmp_path: Path, recorded: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(recorded, copy)
    return copy


def line(root: Path, number: int) -> str:
    return (root / "TASKS.md").read_text().splitlines()[number]


def tick(root: Path, number: int) -> None:
    path = root / "TASKS.md"
    lines = path.read_text().splitlines(keepends=True)
    lines[number] = lines[number].replace("- [ ]", "- [x]")
    path.write_text("".join(lines))


def gate(root: Path) -> subprocess.CompletedProcess[str]:
    return tasktracker(root, "gate")


def hook(raw: str, tracker: str | None = None) -> dict[str, Any] | None:
    out, err = io.StringIO(), io.StringIO()
    code = handle(raw, host("claude"), lambda cwd: _settings(tracker, None, cwd), out, err)
    assert (code, err.getvalue()) == (0, "")
    return json.loads(out.getvalue()) if out.getvalue() else None


def python(root: Path, code: str) -> None:
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)


FORGE_PASS = """
import json, pathlib
path = pathlib.Path('.tasktracker/results.json')
data = json.loads(path.read_text())
for entry in data['subtasks']:
    if entry['id'] == '1.2':
        entry['outcome'] = 'passed'
        entry['tests'] = {'passed': ['test_b.py::test_b']}
path.write_text(json.dumps(data))
"""
INVENT = """
import json, pathlib
path = pathlib.Path('.tasktracker/results.json')
data = json.loads(path.read_text())
data['subtasks'].append({'id': '1.4', 'text': 'Run pylint on modified files', 'step': '1',
    'line': 5, 'status': ' ', 'outcome': 'passed', 'reason': '', 'rule': 'named',
    'targets': [], 'tests': {'passed': ['test_made_up.py::test_it']}, 'run': 0})
for entry in data['subtasks']:
    if entry['id'] == '1.2':
        entry.update(outcome='passed', tests={'passed': ['test_made_up.py::test_it']})
path.write_text(json.dumps(data))
"""
NO_JOURNAL = FORGE_PASS + "\npathlib.Path('.tasktracker/journal.jsonl').unlink()\n"
NAIVE_LINE = (
    FORGE_PASS
    + """
import hashlib
journal = pathlib.Path('.tasktracker/journal.jsonl')
last = json.loads(journal.read_text().splitlines()[-1])
last['files']['results.json'] = hashlib.sha256(path.read_bytes()).hexdigest()
with journal.open('a') as file:
    file.write(json.dumps(last) + '\\n')
"""
)


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("forgery", "why"),
    [
        (FORGE_PASS, "results.json was not written by a recorded run"),
        (INVENT, "results.json was not written by a recorded run"),
        (NO_JOURNAL, "results.json was recorded before runs were journaled (no journal.jsonl)"),
        (
            NAIVE_LINE,
            ".tasktracker/journal.jsonl is damaged at line 2 (it does not follow the line "
            "before it)",
        ),
    ],
    ids=["a-failure-made-a-pass", "an-invented-test", "the-journal-deleted", "a-naive-line"],
)
def test_forged_evidence_ticks_nothing_and_the_gate_names_it(
    root: Path, forgery: str, why: str
) -> None:
    python(root, forgery)
    refused = tasktracker(root, "check", "1.2")
    assert refused.returncode == 1
    assert "its evidence is not trusted: " in refused.stderr
    assert why in refused.stderr
    assert line(root, 2) == "- [ ] Run pytest on test_b.py"
    denied = hook(
        event(
            "claude-pretooluse-edit.json",
            root,
            old="- [ ] Run pytest on test_b.py",
            new="- [x] Run pytest on test_b.py",
        )
    )
    assert denied is not None
    assert denied["hookSpecificOutput"]["permissionDecision"] == "deny"
    tick(root, 2)  # by hand, as a shell would
    result = gate(root)
    assert result.returncode == 1
    assert f"1.2 Run pytest on test_b.py: its evidence is not trusted: {why}" in result.stdout
    stop = hook(event("claude-stop.json", root, active=False))
    assert stop is not None
    assert "1.2 Run pytest on test_b.py: its evidence is not trusted" in stop["reason"]
    tasktracker(root, "uncheck", "1.2")
    update = tasktracker(root, "update")  # untrusted evidence decides nothing, and says so
    assert update.stdout.endswith(
        f"not ticked 1.2 (line 3): its evidence is not trusted: {why}; run `pytest --tracker "
        "TASKS.md --tracker-update` to record it again\n"
    ), update.stdout
    assert line(root, 2) == "- [ ] Run pytest on test_b.py"


@pytest.mark.e2e
def test_a_forged_state_folder_is_put_back_after_the_shell_call(root: Path) -> None:
    before = (root / ".tasktracker" / "results.json").read_bytes()
    command = f"python -c {shlex.quote(FORGE_PASS)}"
    assert hook(event("claude-pretooluse-bash.json", root, command=command)) is None
    python(root, FORGE_PASS)
    after = hook(event("claude-posttooluse-command.json", root, command=command))
    assert after is not None
    assert after["reason"].startswith(
        "tasktracker put back the state folder (results.json): this tool call changed it "
        "without a recorded test run."
    )
    assert (root / ".tasktracker" / "results.json").read_bytes() == before
    assert tasktracker(root, "check", "1.2").stderr.startswith(
        "tasktracker: refused to tick 1.2: its linked tests failed (test_b.py::test_b)"
    )


@pytest.mark.e2e
def test_a_real_run_in_a_shell_call_is_kept(root: Path) -> None:
    (root / "test_b.py").write_text("def test_b():\n    pass\n")
    command = "python -m pytest -q -p no:cacheprovider --tracker-update"
    hook(event("claude-pretooluse-bash.json", root, command=command))
    subprocess.run(shlex.split(command.replace("python", sys.executable, 1)), cwd=root, check=False)
    assert hook(event("claude-posttooluse-command.json", root, command=command)) is None
    assert line(root, 2) == "- [x] Run pytest on test_b.py"
    assert gate(root).returncode == 0


@pytest.mark.e2e
def test_the_tracker_setting_cannot_be_pointed_at_a_decoy(root: Path) -> None:
    decoy = INI.replace("tracker = TASKS.md", "tracker = DECOY.md")
    write = event("claude-pretooluse-write.json", root, path="pytest.ini", content=decoy)
    denied = hook(write)
    assert denied is not None
    reason = denied["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason.startswith("this edit changes which tracker, state folder or named checks")
    checks = INI.replace(PYLINT, "true")
    assert hook(event("claude-pretooluse-write.json", root, path="pytest.ini", content=checks))
    (root / "DECOY.md").write_text("### Step 1: Parts\n- [ ] Nothing\n")
    (root / "pytest.ini").write_text(decoy)  # as a shell would
    stop = hook(event("claude-stop.json", root, active=False), tracker="TASKS.md")
    assert stop is not None
    assert "now names DECOY.md" in stop["reason"]
    tick(root, 2)
    judged = gate(root)  # the decoy shares the state folder: its evidence is TASKS.md's
    assert judged.stdout.startswith(
        "judging DECOY.md ('tracker' in pytest.ini) with the evidence in .tasktracker\n"
    )
    pinned = tasktracker(root, "--tracker", "TASKS.md", "gate")
    assert pinned.returncode == 1
    assert "1.2 Run pytest on test_b.py: its linked tests failed" in pinned.stdout


@pytest.mark.e2e
def test_the_evidence_of_another_tracker_backs_nothing(root: Path) -> None:
    (root / "DECOY.md").write_text(
        TRACKER.replace("- [ ] Run pytest on test_a.py", "- [x] Run pytest on test_a.py")
    )
    result = tasktracker(root, "--tracker", "DECOY.md", "gate")
    assert result.returncode == 1
    assert (
        "1.1 Run pytest on test_a.py: its evidence is not trusted: the evidence in .tasktracker "
        "is for the tracker TASKS.md, not DECOY.md" in result.stdout
    )


@pytest.mark.e2e
def test_a_check_s_name_is_not_the_agent_s_word(root: Path) -> None:
    named = tasktracker(root, "verify", "1.4", "--check", "pylint", "--", "true")
    assert named.returncode == 2
    assert named.stderr.startswith("tasktracker: error: pylint: not the declared command `")
    as_pytest = tasktracker(root, "verify", "1.1", "--check", "pytest", "--", "true")
    assert as_pytest.returncode == 2
    assert "pytest is not a check for verify" in as_pytest.stderr
    assert not (root / ".tasktracker" / "checks.json").exists()
    tick(root, 4)
    result = gate(root)
    assert (
        "1.4 Run pylint on modified files: names checks without passing evidence on this "
        "code: pylint (not run)" in result.stdout
    )
    (root / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")  # nothing declared
    undeclared = tasktracker(root, "verify", "1.4", "--check", "pylint", "--", "true")
    assert undeclared.returncode == 2
    assert "`true` is not pylint" in undeclared.stderr


@pytest.mark.e2e
def test_a_hand_written_check_record_counts_for_nothing(root: Path) -> None:
    assert tasktracker(root, "verify", "1.4").returncode == 0
    assert line(root, 4) == "- [x] Run pylint on modified files"
    python(
        root,
        "import json, pathlib; p = pathlib.Path('.tasktracker/checks.json'); "
        "d = json.loads(p.read_text()); d['checks']['1.3'] = d['checks']['1.4']; "
        "p.write_text(json.dumps(d))",
    )
    result = gate(root)
    assert result.returncode == 1
    assert "checks.json was not written by a recorded run" in result.stdout


@pytest.mark.e2e
def test_a_marker_link_is_known_without_a_run(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\ntestpaths = tests\n")
    (tmp_path / "TASKS.md").write_text(TRACKER)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_c.py").write_text(
        "import pytest\n\npytestmark = [pytest.mark.task('1.3')]\n\ndef test_c():\n    pass\n"
    )
    refused = tasktracker(tmp_path, "check", "1.3")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "tasktracker: refused to tick 1.3: is linked to tests and has no passing evidence"
    )
    tick(tmp_path, 3)
    assert "1.3 Implement the parser: is linked to tests" in gate(tmp_path).stdout


@pytest.mark.e2e
def test_verify_asks_the_judge_and_never_leaves_a_box_it_did_not_tick(root: Path) -> None:
    blocked = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "test_missing.py"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "BLOCKED (path-not-found)" in blocked.stderr + blocked.stdout
    (root / "test_b.py").write_text("def test_b():\n    pass\n")  # fixed, not yet run
    tick(root, 2)
    result = tasktracker(root, "verify", "1.2", "--check", "pylint")
    assert result.returncode == 0  # pylint passed; the box is still not backed
    assert "1.2 not ticked: has an open blocker: .tasktracker/blockers/" in result.stdout
    assert "unticked 1.2 (line 3): Run pytest on test_b.py" in result.stdout
    assert line(root, 2) == "- [ ] Run pytest on test_b.py"


@pytest.mark.e2e
def test_check_on_a_tick_the_judge_rejects_exits_1_and_says_why(root: Path) -> None:
    tick(root, 2)
    result = tasktracker(root, "check", "1.2")
    assert result.returncode == 1
    assert result.stderr == (
        "tasktracker: 1.2 is ticked, but no evidence backs it: its linked tests failed "
        "(test_b.py::test_b); fix them and run `pytest --tracker TASKS.md --tracker-update` "
        "(which unticks regressions)\n"
    )


@pytest.mark.parametrize("first", ["claude-sessionstart.json", "claude-pretooluse-bash.json"])
def test_a_shell_tick_in_the_session_s_first_tool_call_is_undone(root: Path, first: str) -> None:
    command = "sed -i 's/- \\[ \\] Run pytest on test_b/- [x] Run pytest on test_b/' TASKS.md"
    assert hook(event(first, root, command=command)) is None  # the look, before the tool
    tick(root, 2)
    after = hook(event("claude-posttooluse-bash.json", root))
    assert after is not None
    assert after["reason"].startswith(
        "tasktracker unticked sub-tasks ticked without passing evidence:\n- 1.2 Run pytest on "
        "test_b.py: its linked tests failed (test_b.py::test_b)"
    )
    assert line(root, 2) == "- [ ] Run pytest on test_b.py"
