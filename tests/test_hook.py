"""``tasktracker hook``: Claude Code's events (shapes recorded in tests/data/) in, the
decision out, and the tracker never ticked without evidence.

The project: test_a.py passes and has evidence (a real pytest run); test_b.py was never
run. Ticking 1.1 is allowed, ticking 1.2 is not.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import event
from pytest_tasktracker.agents.edits import edits_of
from pytest_tasktracker.agents.hook import handle
from pytest_tasktracker.agents.hosts import host
from pytest_tasktracker.cli import _settings

TRACKER = (
    "# Tasks\n\n### Step 1: Parts\n\n- [ ] Run pytest on test_a.py\n"
    "- [ ] Run pytest on test_b.py\n- [x] Write the README\n"
)
TICK_A = ("- [ ] Run pytest on test_a.py", "- [x] Run pytest on test_a.py")
TICK_B = ("- [ ] Run pytest on test_b.py", "- [x] Run pytest on test_b.py")


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """results.json of a real run in which test_a.py passed (test_b.py not run)."""
    root = tmp_path_factory.mktemp("evidence")
    (root / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (root / "TASKS.md").write_text(TRACKER)
    (root / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / "test_b.py").write_text("def test_b():\n    pass\n")
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_a.py"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return root / ".tasktracker" / "results.json"


@pytest.fixture
def root(tmp_path: Path, evidence: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (tmp_path / "TASKS.md").write_text(TRACKER)
    for name in ("test_a.py", "test_b.py"):  # the code the evidence was proven on
        (tmp_path / name).write_bytes((evidence.parent.parent / name).read_bytes())
    shutil.copytree(evidence.parent, tmp_path / ".tasktracker")  # results.json, journal
    return tmp_path


def hook(raw: str) -> tuple[int, dict[str, Any] | None, str]:
    out, err = io.StringIO(), io.StringIO()
    code = handle(raw, host("claude"), lambda cwd: _settings(None, None, cwd), out, err)
    return code, json.loads(out.getvalue()) if out.getvalue() else None, err.getvalue()


def denied(decision: dict[str, Any] | None) -> str:
    assert decision is not None
    output = decision["hookSpecificOutput"]
    assert output["hookEventName"] == "PreToolUse"
    assert output["permissionDecision"] == "deny"
    return str(output["permissionDecisionReason"])


@pytest.mark.e2e
def test_an_edit_that_ticks_without_evidence_is_denied(root: Path) -> None:
    code, decision, err = hook(
        event("claude-pretooluse-edit.json", root, old=TICK_B[0], new=TICK_B[1])
    )
    reason = denied(decision)
    assert code == 0
    assert err == ""
    assert (
        "- 1.2 Run pytest on test_b.py: asks for a test run and has no passing evidence; run "
        "`pytest --tracker TASKS.md --tracker-update`; it ticks what passes\n"
    ) in reason
    assert "tasktracker run -- --tracker-update" in reason
    assert (root / "TASKS.md").read_text() == TRACKER


@pytest.mark.parametrize(
    ("old", "new"),
    [
        TICK_A,  # backed by a passing run
        ("- [x] Write the README", "- [ ] Write the README"),  # an untick
        ("# Tasks", "# The tasks"),  # text that is no sub-task's
        ("- [x] Write the README", "- [x] Write the README\n- [ ] Write the changelog"),  # new
        ("no such text", "- [x] x"),  # the tool itself refuses it
    ],
    ids=["backed-tick", "untick", "text", "new-sub-task", "no-match"],
)
def test_every_other_edit_is_allowed_untouched(root: Path, old: str, new: str) -> None:
    assert hook(event("claude-pretooluse-edit.json", root, old=old, new=new)) == (0, None, "")


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        (  # reworded into a red phase while ticking: the judge would exempt it
            TICK_B[0],
            "- [x] Run pytest on test_b.py, or mark them as known failing",
            "1.2 Run pytest on test_b.py",
        ),
        (  # linked to one chosen test
            TICK_B[0],
            TICK_B[0] + " <!-- tests: test_a.py -->",
            "1.2 Run pytest on test_b.py",
        ),
        (  # no longer a box the parser reads: gone, its words now 1.1's
            TICK_B[0],
            "-[x] Run pytest on test_b.py",
            "1.1 Run pytest on test_a.py\n- 1.2 Run pytest on test_b.py",
        ),
        ("### Step 1: Parts", "### Step 1: The parts", "1.1 Run pytest on test_a.py"),
    ],
    ids=["reworded", "linked", "unparsed", "step-renamed"],
)
def test_an_edit_of_the_plan_is_denied(root: Path, old: str, new: str, changed: str) -> None:
    code, answer, _ = hook(event("claude-pretooluse-edit.json", root, old=old, new=new))
    assert code == 0
    reason = denied(answer)
    assert reason.startswith(
        "This edit changes the words, step or test links of sub-tasks, or removes them:\n"
        f"- {changed}"
    )
    assert (root / "TASKS.md").read_text() == TRACKER


def test_a_multiedit_names_every_false_tick(root: Path) -> None:
    raw = event(
        "claude-pretooluse-multiedit.json",
        root,
        old=TICK_A[0],
        new=TICK_A[1],
        old2=TICK_B[0],
        new2=TICK_B[1],
    )
    reason = denied(hook(raw)[1])
    assert "1.2 Run pytest on test_b.py" in reason
    assert "1.1 " not in reason


def test_a_write_of_the_whole_tracker_is_judged_like_an_edit(root: Path) -> None:
    raw = event(
        "claude-pretooluse-write.json", root, path="TASKS.md", content=TRACKER.replace(*TICK_B)
    )
    assert "1.2 Run pytest on test_b.py" in denied(hook(raw)[1])


def test_an_mcp_edit_tool_is_guarded_too_whatever_its_name(root: Path) -> None:
    raw = event("claude-pretooluse-mcp-edit.json", root, old=TICK_B[0], new=TICK_B[1])
    assert "1.2" in denied(hook(raw)[1])
    other = raw.replace("mcp__workspace__edit_file", "mcp__files__patch")
    assert "1.2" in denied(hook(other)[1])  # what it writes, not what it is called


@pytest.mark.parametrize("path", [".tasktracker/results.json", ".tasktracker/blockers/x.md"])
def test_the_state_folder_is_written_only_by_runs(root: Path, path: str) -> None:
    raw = event("claude-pretooluse-write.json", root, path=path, content="{}")
    assert "written only by test runs" in denied(hook(raw)[1])


def test_a_shell_tick_is_unticked_byte_exact_after_the_tool(root: Path) -> None:
    raw = event("claude-posttooluse-bash.json", root)
    assert hook(raw) == (0, None, "")  # the first look records the ticks it finds
    tracker = root / "TASKS.md"
    tracker.write_text(TRACKER.replace(*TICK_A).replace(*TICK_B))  # what sed -i did
    _code, decision, _ = hook(raw)
    assert decision is not None
    assert decision["decision"] == "block"
    assert "unticked sub-tasks ticked without passing evidence:\n- 1.2 " in decision["reason"]
    assert tracker.read_text() == TRACKER.replace(*TICK_A)  # the backed tick stays
    assert hook(raw) == (0, None, "")  # nothing new since


def test_stop_is_refused_while_ticks_lack_evidence_and_lets_go_when_active(root: Path) -> None:
    assert hook(event("claude-stop.json", root, active=False)) == (0, None, "")
    (root / "TASKS.md").write_text(TRACKER.replace(*TICK_B))
    _code, decision, _ = hook(event("claude-stop.json", root, active=False))
    assert decision is not None
    assert decision["decision"] == "block"
    assert "- 1.2 Run pytest on test_b.py" in decision["reason"]
    assert "Write the README" not in decision["reason"]  # no test can prove it: not ours
    assert hook(event("claude-stop.json", root, active=True)) == (0, None, "")


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]"])
def test_bad_input_is_one_line_on_stderr_and_allowed(root: Path, raw: str) -> None:
    code, decision, err = hook(raw)
    assert code == 0
    assert decision is None
    assert err.startswith("tasktracker hook: ")
    assert err.endswith("(allowed)\n")
    assert err.count("\n") == 1


def after(tool_input: dict[str, Any], text: str) -> str | None:
    (edit,) = edits_of(tool_input)
    return edit.apply(text)


def test_edits_apply_as_the_tools_do() -> None:
    text = "a b a\n"
    assert after({"file_path": "f", "old_string": "a", "new_string": "c"}, text) == "c b a\n"
    every = {"file_path": "f", "old_string": "a", "new_string": "c", "replace_all": True}
    assert after(every, text) == "c b c\n"
    assert after({"file_path": "f", "content": "new"}, text) == "new"
    multi = {
        "file_path": "f",
        "edits": [{"old_string": "a", "new_string": "x"}, {"old_string": "x b", "new_string": "y"}],
    }
    assert after(multi, text) == "y a\n"
    missing = {"file_path": "f", "edits": [{"old_string": "zz", "new_string": "y"}]}
    assert after(missing, text) is None
    assert after({"path": "f", "old_str": "b", "new_str": "B"}, text) == "a B a\n"  # Copilot
    assert edits_of({"command": "pytest -q"}) == []  # a shell command writes no file by name
    assert edits_of({"file_path": "f"}) == []  # a read


PATCH = """*** Begin Patch
*** Update File: TASKS.md
@@ ### Step 1: Parts
\x20
-- [ ] Run pytest on test_a.py
+- [x] Run pytest on test_a.py
 - [ ] Run pytest on test_b.py
*** Add File: notes.md
+first
*** End Patch
"""


def test_a_codex_patch_is_read_as_the_edits_it_makes() -> None:
    tracker, notes = edits_of({"command": ["apply_patch", PATCH]})
    assert (tracker.path, notes.path) == ("TASKS.md", "notes.md")
    assert tracker.apply(TRACKER) == TRACKER.replace(*TICK_A)
    assert tracker.apply("something else\n") is None
    assert notes.apply("") == "first\n"


def test_the_hook_command_as_claude_code_runs_it(root: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest_tasktracker", "hook"],
        input=event("claude-pretooluse-edit.json", root, old=TICK_B[0], new=TICK_B[1]),
        capture_output=True,
        text=True,
        cwd=root.parent,  # the event's cwd decides the project
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1.2 Run pytest on test_b.py" in denied(json.loads(done.stdout))


def test_a_patch_is_found_as_codex_finds_it_whitespace_at_line_ends_aside() -> None:
    """Codex's apply_patch matches a hunk's lines ignoring trailing, then surrounding,
    whitespace: a tick in such a patch is judged as the edit it makes."""
    for removed in (TICK_A[0] + "   ", "  " + TICK_A[0] + "\t"):
        patch = PATCH.replace(f"-{TICK_A[0]}", f"-{removed}")
        (tracker, _notes) = edits_of({"command": ["apply_patch", patch]})
        assert tracker.apply(TRACKER) == TRACKER.replace(*TICK_A)
    unknown = PATCH.replace(f"-{TICK_A[0]}", "-- [ ] Run pytest on test_z.py")
    (tracker, _notes) = edits_of({"command": ["apply_patch", unknown]})
    assert tracker.apply(TRACKER) is None
