"""The hook's quick path (``agents.quick``): what it may answer alone, that it answers
exactly as the full guard would, what it imports, and the edits an agent that wants a
tick might try past it.

The project: test_a.py passed in a real run; test_b.py never ran. Ticking 1.2 is false.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import TWO_TESTS, commit_all, git, two_tests_with_evidence
from pytest_tasktracker import jsonscan
from pytest_tasktracker.agents import quick
from pytest_tasktracker.agents import verdicts as verdicts_module
from pytest_tasktracker.agents.hook import handle, settings_finder
from pytest_tasktracker.agents.hosts import host
from pytest_tasktracker.fileid import identity
from pytest_tasktracker.rules import codeprint

TRACKER = TWO_TESTS
TICK_A = ("- [ ] Run pytest on test_a.py", "- [x] Run pytest on test_a.py")
TICK_B = ("- [ ] Run pytest on test_b.py", "- [x] Run pytest on test_b.py")
ARGV = ["--agent", "claude", "--tracker", "TASKS.md"]


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_tests_with_evidence(tmp_path_factory.mktemp("evidence"), "notes.md", "data.txt")


@pytest.fixture
def root(tmp_path: Path, evidence: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(evidence, project)
    full(project, {"hook_event_name": "SessionStart", "source": "startup"})  # the look
    return project


def full(root: Path, data: dict[str, Any]) -> tuple[str, int]:
    """The full guard's answer to an event (stdout, exit code)."""
    out, err = io.StringIO(), io.StringIO()
    raw = json.dumps({"cwd": str(root), "session_id": "s", **data})
    code = handle(raw, host("claude"), settings_finder("TASKS.md", None), out, err)
    return out.getvalue(), code


def quick_answer(root: Path, data: dict[str, Any]) -> int | None:
    return quick.run(ARGV, json.dumps({"cwd": str(root), "session_id": "s", **data}))


def edit(path: str, old: str = "x", new: str = "y") -> dict[str, Any]:
    tool_input = {"file_path": path, "old_string": old, "new_string": new}
    return {"hook_event_name": "PreToolUse", "tool_name": "Edit", "tool_input": tool_input}


def write(name: str, content: str) -> dict[str, Any]:
    tool_input = {"file_path": name, "content": content}
    return {"hook_event_name": "PreToolUse", "tool_name": "Write", "tool_input": tool_input}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


SHELL = {"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": "ls"}}
AFTER_SHELL = {**SHELL, "hook_event_name": "PostToolUse", "tool_response": {"stdout": ""}}
QUIET = {
    "before a shell command": SHELL,
    "after a shell command": AFTER_SHELL,
    "before a read": {"hook_event_name": "PreToolUse", "tool_name": "Read", "tool_input": {}},
    "before editing a test file": edit("test_a.py", "pass", "assert True"),
    "before editing notes": edit("notes.md", "notes", "more notes"),
    "a session's start": {"hook_event_name": "SessionStart", "source": "resume"},
}
WATCHED = {
    "a tick the code decides (1.1 passed: is that pass on this code?)": edit("TASKS.md", *TICK_A),
    "a tick with a reworded sub-task": edit("TASKS.md", TICK_B[0], TICK_B[1] + " again"),
    "a tick that rewords in as many letters": edit(
        "TASKS.md", TICK_B[0], TICK_B[1].replace("test_b", "test_c")
    ),
    "an untick": edit("TASKS.md", "- [x] Write", "- [ ] Write"),
    "a results.json": edit(".tasktracker/results.json", "{", "{ "),
    "the pytest configuration": edit("pytest.ini", "TASKS.md", "DECOY.md"),
    "Claude Code's hooks": edit(".claude/settings.json", "{", '{"disableAllHooks": true, '),
    "Codex's hooks": edit(".codex/hooks.json", "{", "{ "),
    "Copilot's hooks": edit(".github/hooks/tasktracker.json", "{", "{ "),
    "a patch that moves a file onto the tracker": {
        "hook_event_name": "PreToolUse",
        "tool_name": "apply_patch",
        "tool_input": {
            "command": "*** Begin Patch\n*** Update File: notes.md\n*** Move to: TASKS.md\n"
            "@@\n-notes\n+notes\n*** End Patch\n"
        },
    },
    "the agent's own task list": {
        "hook_event_name": "PreToolUse",
        "tool_name": "TaskUpdate",
        "tool_input": {"taskId": "1", "status": "completed"},
    },
}


def with_root(data: dict[str, Any], root: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(json.dumps(data).replace("{root}", str(root)))
    return result


@pytest.mark.e2e
@pytest.mark.parametrize("case", QUIET)
def test_what_the_quick_path_answers_the_full_guard_answers_the_same(root: Path, case: str) -> None:
    data = with_root(QUIET[case], root)
    before = snapshot(root)
    assert quick_answer(root, data) == 0
    assert snapshot(root) == before  # and it changed nothing
    assert full(root, data) == ("", 0)


@pytest.mark.parametrize("case", WATCHED)
def test_whatever_the_guard_watches_goes_to_the_full_guard(root: Path, case: str) -> None:
    assert quick_answer(root, with_root(WATCHED[case], root)) is None


# Answered from the look's verdicts (agents.verdicts): 1.2 has no evidence, whatever the
# code; 1.3 (Write the README) no test verifies, and no task marker names it.
STOP = {"hook_event_name": "Stop", "stop_hook_active": False}
FROM_VERDICTS = {
    "a tick without evidence": edit("TASKS.md", *TICK_B),
    "the same by its absolute path": edit("{root}/TASKS.md", *TICK_B),
    "the same by a whole new text": write("TASKS.md", TRACKER.replace(*TICK_B)),
    "the end of a turn": STOP,
    "the end of a turn the host already extends": {**STOP, "stop_hook_active": True},
}


def answered(root: Path, data: dict[str, Any], argv: list[str] = ARGV) -> tuple[str, int] | None:
    """The quick path's answer (stdout, exit code), or None when it steps aside."""
    found = quick.answer(argv, json.dumps({"cwd": str(root), "session_id": "s", **data}))
    return None if found is None else (found[1], found[0])


@pytest.mark.parametrize("case", FROM_VERDICTS)
def test_the_look_s_verdicts_answer_as_the_full_guard(root: Path, case: str) -> None:
    data = with_root(FROM_VERDICTS[case], root)
    before = snapshot(root)
    found = answered(root, data)
    assert found is not None
    assert snapshot(root) == before  # and it changed nothing
    assert found == full(root, data)


def test_a_refused_tick_is_refused_in_the_full_guard_s_words(root: Path) -> None:
    out, code = answered(root, edit("TASKS.md", *TICK_B)) or ("", -1)
    assert (json.loads(out), code) == (
        {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "This edit ticks sub-tasks that no passing test "
                "run backs:\n- 1.2 Run pytest on test_b.py: asks for a test run and has no "
                "passing evidence; run `pytest --tracker TASKS.md --tracker-update`; it ticks "
                "what passes\nRun the tests instead (tasktracker run -- --tracker-update); a "
                "box is ticked by the run that proves it. If the run is blocked, report the "
                "blocker; do not tick.",
            }
        },
        0,
    )


MIXED = TRACKER + (
    "- [ ] Run pylint on test_a.py\n"
    "- [ ] Implement the parser (verified via code review)\n"
    "- [ ] Write tests for the parser and run them to verify they fail\n"
    "- [ ] Prepare the commit message\n"
    "- [ ] Fix the docs <!-- tests: test_b.py -->\n"
)


def every_tick_set(tracker: str) -> list[str]:
    """``tracker`` with each non-empty set of its open boxes ticked."""
    boxes = [line for line in tracker.splitlines() if line.startswith("- [ ]")]
    texts = []
    for chosen in range(1, 2 ** len(boxes)):
        text = tracker
        for index, line in enumerate(boxes):
            if chosen >> index & 1:
                text = text.replace(line, line.replace("[ ]", "[x]", 1))
        texts.append(text)
    return texts


def test_whatever_boxes_an_edit_ticks_the_quick_answer_is_the_full_guard_s(root: Path) -> None:
    """The oracle: every set of boxes ticked in one edit, in a tracker of every kind of
    sub-task (passed, never run, named checks, a claim, a red phase, none verifies, an
    explicit link); where the quick path answers, the full guard answers the same."""
    tracker = root / "TASKS.md"
    tracker.write_text(MIXED)
    full(root, {"hook_event_name": "SessionStart", "source": "startup"})
    answers = {"quick": 0, "full": 0}
    for text in every_tick_set(MIXED):
        data = write("TASKS.md", text)
        found = answered(root, data)
        answers["quick" if found is not None else "full"] += 1
        if found is not None:
            assert found == full(root, data), text
        assert tracker.read_text() == MIXED  # only asked: nothing was written
    # 1.1 and 1.4 are the code's to decide: every set holding either goes to the judge
    boxes = MIXED.count("- [ ]")
    assert answers == {"quick": 2 ** (boxes - 2) - 1, "full": 3 * 2 ** (boxes - 2)}


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files just written count as settled (the code's fingerprint is taken only when
    nothing in it changed in the last two seconds; test_codeprint.py shows that rule)."""
    monkeypatch.setattr(codeprint, "SETTLED_NS", 0)


@pytest.mark.parametrize("with_git", [False, True], ids=["files", "git"])
def test_ticks_the_code_decides_are_answered_while_the_code_is_as_the_look_saw_it(
    root: Path, settled: None, with_git: bool
) -> None:
    """The oracle again, on the code now kept too: 1.1's pass is fresh (ticked), 1.4
    names pylint (refused); every set of boxes is answered quickly, as in full."""
    if with_git:
        commit_all(root)
    tracker = root / "TASKS.md"
    tracker.write_text(MIXED)
    full(root, SHELL)  # the look
    for text in every_tick_set(MIXED):
        data = write("TASKS.md", text)
        found = answered(root, data)
        assert found is not None, text
        assert found == full(root, data), text
    tick_a = edit("TASKS.md", *TICK_A)
    assert answered(root, tick_a) == ("", 0)
    (root / "data.txt").write_text("other data\n")  # code no marker walk looks at
    assert answered(root, tick_a) is None
    out, _code = full(root, tick_a)
    assert "1.1 Run pytest on test_a.py: its evidence is from another code state" in out


def test_the_end_of_a_turn_with_a_fresh_pass_ticked_is_answered_until_the_code_changes(
    root: Path, settled: None
) -> None:
    tracker = root / "TASKS.md"
    tracker.write_text(TRACKER.replace(*TICK_A))
    full(root, AFTER_SHELL)  # the look after the run ticked 1.1
    assert answered(root, STOP) == full(root, STOP) == ("", 0)
    (root / "data.txt").write_text("other data\n")
    assert answered(root, STOP) is None
    out, _code = full(root, STOP)
    assert "1.1 Run pytest on test_a.py: its evidence is from another code state" in out


def test_the_quick_path_steps_aside_when_anything_the_verdicts_rest_on_changed(
    root: Path,
) -> None:
    tick = edit("TASKS.md", *TICK_B)
    assert answered(root, tick) is not None

    def steps_aside(change: Any) -> None:
        change()
        assert answered(root, tick) is None
        full(root, SHELL)  # the next look
        assert answered(root, tick) is not None

    ini = root / "pytest.ini"
    steps_aside(lambda: ini.write_text(ini.read_text() + "tracker_stale = warn\n"))
    marker = "import pytest\n\n@pytest.mark.task('1.3')\ndef test_c():\n    pass\n"
    steps_aside(lambda: (root / "test_c.py").write_text(marker))
    steps_aside(lambda: (root / "sub").mkdir())
    verdicts = root / ".tasktracker" / ".guard" / "verdicts.json"
    steps_aside(lambda: verdicts.write_text("{"))
    other_version = verdicts_module.VERSION + 1
    steps_aside(
        lambda: verdicts.write_text(
            verdicts.read_text().replace(
                f'"key": [{verdicts_module.VERSION}', f'"key": [{other_version}'
            )
        )
    )
    absolute = edit(str(root / "TASKS.md"), *TICK_B)
    assert answered(root, {**absolute, "cwd": str(root / "sub")}) is None  # other words
    assert answered(root, tick, ["--agent", "gemini", "--tracker", "TASKS.md"]) is None


def test_a_task_marker_added_since_the_look_links_what_no_test_verified(root: Path) -> None:
    """1.3 could be ticked; a test file now names it in a ``task`` marker, so it needs
    evidence: the end of a turn is no longer the quick path's to let go."""
    assert answered(root, STOP) == ("", 0)
    marker = "import pytest\n\n@pytest.mark.task('1.3')\ndef test_c():\n    pass\n"
    (root / "test_c.py").write_text(marker)
    assert answered(root, STOP) is None
    out, _code = full(root, STOP)
    assert json.loads(out)["reason"].startswith(
        "The tracker holds ticks without evidence:\n- 1.3 Write the README: is linked to tests"
    )


def test_a_plan_changed_in_the_session_holds_the_turn_past_the_quick_path(root: Path) -> None:
    tracker = root / "TASKS.md"
    tracker.write_text(TRACKER.replace("Write the README", "Write the READMEs"))  # a shell
    full(root, AFTER_SHELL)  # the look after it
    assert answered(root, STOP) is None
    out, _code = full(root, STOP)
    assert json.loads(out)["reason"].startswith(
        "tasktracker: the words, step or test links of sub-tasks changed during this session"
    )


def test_the_end_of_a_turn_after_a_kept_turn_is_the_full_guard_s(root: Path) -> None:
    (root / "TASKS.md").write_text(TRACKER.replace(*TICK_B))  # after the last tool call
    assert answered(root, STOP) is None
    out, _code = full(root, STOP)  # unticked, and the turn kept: a count of kept turns
    assert "1.2 Run pytest on test_b.py" in json.loads(out)["reason"]
    assert answered(root, STOP) is None  # the turns kept count until a tool call passes
    full(root, SHELL)
    assert answered(root, STOP) == ("", 0)


def test_a_hard_link_to_the_tracker_is_the_tracker(root: Path) -> None:
    os.link(root / "TASKS.md", root / "alias.md")
    data = edit("alias.md", *TICK_B)
    assert quick_answer(root, data) is None
    out, _code = full(root, data)
    assert (
        "1.2 Run pytest on test_b.py"
        in json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    )


def test_a_patch_that_moves_a_ticked_copy_onto_the_tracker_is_denied(root: Path) -> None:
    (root / "decoy.md").write_text(TRACKER)
    patch = (
        "*** Begin Patch\n*** Update File: decoy.md\n*** Move to: TASKS.md\n@@\n"
        f"-{TICK_B[0]}\n+{TICK_B[1]}\n*** End Patch\n"
    )
    data = {"hook_event_name": "PreToolUse", "tool_name": "apply_patch"}
    out, _code = full(root, {**data, "tool_input": {"command": patch}})
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason.startswith("This edit ticks sub-tasks that no passing test run backs:\n- 1.2")


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        (".claude/settings.json", "{}", '{"disableAllHooks": true}'),
        (".claude/settings.local.json", '{"hooks": {}}', '{"hooks": {"Stop": []}}'),
        (".codex/config.toml", "", '[mcp_servers.tasktracker]\ncommand = "true"\n'),
        (".gemini/settings.json", "{}", '{"hooksConfig": {"enabled": false}}'),
        (".cursor/hooks.json", '{"version": 1, "hooks": {}}', '{"version": 1}'),
        (".github/hooks/other.json", "{}", '{"hooks": {"preToolUse": []}}'),
    ],
)
def test_no_host_s_hooks_can_be_switched_off_by_an_edit(
    root: Path, name: str, before: str, after: str
) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(before)
    out, _code = full(root, edit(name, before, after) if before else write(name, after))
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason == (
        f"{name} holds the hooks that guard the tracker: an agent may not change them. Ask "
        "the user to."
    )


def test_the_home_folder_s_hooks_are_guarded_too(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text("{}")
    monkeypatch.setenv("HOME", str(home))
    data = edit(str(home / ".claude" / "settings.json"), "{}", '{"disableAllHooks": true}')
    assert quick_answer(root, data) is None
    out, _code = full(root, data)
    assert json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"].startswith(
        "~/.claude/settings.json holds the hooks that guard the tracker"
    )


def test_other_settings_of_a_hook_file_stay_the_agent_s(root: Path) -> None:
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text('{"permissions": {}}')
    data = edit(".claude/settings.json", '"permissions": {}', '"permissions": {"allow": []}')
    assert full(root, data) == ("", 0)


def test_after_a_change_the_quick_path_steps_aside(root: Path) -> None:
    """A shell that ticked, or wrote the state folder, is the full guard's to answer."""
    tracker = root / "TASKS.md"
    tracker.write_text(tracker.read_text().replace(*TICK_B))
    assert quick_answer(root, AFTER_SHELL) is None
    tracker.write_text(TRACKER)
    full(root, AFTER_SHELL)
    assert quick_answer(root, AFTER_SHELL) == 0
    results = root / ".tasktracker" / "results.json"
    results.write_text(results.read_text() + " ")
    assert quick_answer(root, AFTER_SHELL) is None


KEPT = {"agents.hosts", "agents.hosts.wire", "lightwrite"}
SHA = {"_sha2" if sys.version_info >= (3, 12) else "_sha256"}


@pytest.mark.parametrize(
    ("event", "more"),
    [
        (SHELL, set()),
        (edit("TASKS.md", *TICK_B), {"agents.verdicts", "agents.edits", *SHA, *KEPT}),
        (STOP, {"agents.verdicts", *SHA, *KEPT}),
    ],
    ids=["a quiet event", "a refused tick", "the end of a turn"],
)
def test_the_quick_path_imports_nothing_but_itself_and_json_s_c_half(
    root: Path, event: dict[str, Any], more: set[str]
) -> None:
    """A hook runs on every tool call: importing typing, json or re would cost a third
    of Python's start again (benchmarks/bench_hook.py). An event answered from the
    look's verdicts adds their module, the edits', the hosts' answers and the
    interpreter's own SHA-256."""
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        f"sys.argv = ['-c', *{ARGV!r}]\n"
        "from pytest_tasktracker.agents import quick\n"
        "code = quick.run(sys.argv[1:], sys.stdin.read())\n"
        "imported = sorted(set(sys.modules) - before)\n"
        "import json\n"
        "print(json.dumps([code, imported, sorted(before)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps({**event, "cwd": str(root)}),
        capture_output=True,
        text=True,
        cwd=root,
        check=True,
    )
    answer, imported, loaded_at_start = json.loads(done.stdout.splitlines()[-1])
    expected = {
        "__future__",
        "_json",
        "pytest_tasktracker",
        "pytest_tasktracker.agents",
        "pytest_tasktracker.agents.quick",
        "pytest_tasktracker.jsonscan",
        "pytest_tasktracker.fileid",
        *(name if name.startswith("_") else f"pytest_tasktracker.{name}" for name in more),
    }
    # Under coverage's subprocess measurement, Python starts with __future__ and _json
    # already loaded: what quick adds is then the rest.
    assert (answer, imported) == (0, sorted(expected - set(loaded_at_start)))


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, 2.5, -3e2, true, false, null, "x\\u00e9\\n"], "b": {}}',
        " [] ",
        "NaN",
        "[Infinity, -Infinity]",
        '"\\ud83d\\ude00"',
    ],
)
def test_loads_reads_json_as_json_loads_does(text: str) -> None:
    assert repr(quick.loads(text)) == repr(json.loads(text))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON)
def test_dumps_writes_json_as_json_dumps_does(value: Any) -> None:
    assert jsonscan.dumps(value) == json.dumps(value)


def test_dumps_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        jsonscan.dumps({"a": {1}})


@pytest.mark.parametrize("text", ["", "{", '{"a": 1} x', "[1,]", "{'a': 1}", "\x00"])
def test_loads_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(ValueError, match=r"\w"):  # JSONDecodeError, or our own
        quick.loads(text)


def test_hooks_a_shell_changed_during_the_session_hold_the_turn_once(root: Path) -> None:
    settings = root / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"hooks": {"Stop": [{"hooks": [{"command": "x"}]}]}}')
    full(root, {"hook_event_name": "SessionStart", "source": "startup"})
    stop = {"hook_event_name": "Stop", "stop_hook_active": False}
    assert full(root, stop) == ("", 0)
    settings.write_text('{"hooks": {}, "disableAllHooks": true}')  # a shell's sed
    out, code = full(root, stop)
    assert (json.loads(out), code) == (
        {
            "decision": "block",
            "reason": "tasktracker: the settings that guard the tracker in "
            ".claude/settings.json changed during this session: put them back as they were "
            "(git checkout, or ask the user); only the user changes the hooks and what is "
            "judged, and they will see this.",
        },
        0,
    )
    assert full(root, stop) == ("", 0)  # said once


@pytest.mark.e2e
def test_the_command_a_denial_gives_runs_as_written_from_where_the_agent_is(
    root: Path,
) -> None:
    """The agent works in a sub-folder: the command it is told must tick the box from
    there (it was ``pytest --tracker TASKS.md ...``, "no such file")."""
    (root / "sub").mkdir()
    out, _code = full(root, {**edit(str(root / "TASKS.md"), *TICK_B), "cwd": str(root / "sub")})
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    command = reason.split("run `", 1)[1].split("`", 1)[0]
    assert command == "cd .. && pytest --tracker TASKS.md --tracker-update"
    assert "Run the tests instead (cd .. && tasktracker run -- --tracker-update)" in reason
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run(
        ["/bin/sh", "-c", command], cwd=root / "sub", env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "- [x] Run pytest on test_b.py" in (root / "TASKS.md").read_text()


def test_a_shell_that_rewords_and_ticks_is_unticked_and_the_turn_held(root: Path) -> None:
    """``sed`` turns 1.2 into a red phase ("mark them as known failing", which the judge
    exempts) and ticks it in one command: the tick is undone, and the turn held once."""
    tracker = root / "TASKS.md"
    tracker.write_text(
        tracker.read_text().replace(
            TICK_B[0], "- [x] Run pytest on test_b.py, or mark them as known failing"
        )
    )
    out, code = full(root, AFTER_SHELL)
    assert code == 0
    said = json.loads(out)["reason"]
    assert (
        "1.2 Run pytest on test_b.py, or mark them as known failing: its words, step or test "
        "links changed" in said
    )
    assert "- [ ] Run pytest on test_b.py, or mark them" in tracker.read_text()
    stop = {"hook_event_name": "Stop", "stop_hook_active": False}
    out, code = full(root, stop)
    assert json.loads(out)["reason"].startswith(
        "tasktracker: the words, step or test links of sub-tasks changed during this session "
        "(1.2 Run pytest on test_b.py)"
    )
    assert full(root, stop) == ("", 0)


@pytest.mark.parametrize(
    "patch",
    [
        "*** Begin Patch\n*** Delete File: .codex/hooks.json\n*** End Patch\n",
        "*** Begin Patch\n*** Update File: .codex/hooks.json\n*** Move to: .codex/hooks.off\n"
        "@@\n {\n*** End Patch\n",
    ],
    ids=["delete", "move-away"],
)
def test_a_patch_may_not_delete_or_move_away_a_hosts_hooks(root: Path, patch: str) -> None:
    (root / ".codex").mkdir()
    (root / ".codex" / "hooks.json").write_text('{\n"hooks": {"Stop": []}}\n')
    data = {"hook_event_name": "PreToolUse", "tool_name": "apply_patch"}
    out, _code = full(root, {**data, "tool_input": {"command": patch}})
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert reason.startswith(".codex/hooks.json holds the hooks that guard the tracker")


def test_a_patch_may_delete_the_tracker_at_the_end_of_the_work(root: Path) -> None:
    patch = "*** Begin Patch\n*** Delete File: TASKS.md\n*** End Patch\n"
    data = {"hook_event_name": "PreToolUse", "tool_name": "apply_patch"}
    assert full(root, {**data, "tool_input": {"command": patch}}) == ("", 0)


def test_a_decoy_tracker_in_the_agents_folder_is_not_the_pinned_one(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent writes tests/TASKS.md with nothing ticked and works from tests/: the
    hook still judges the project's TASKS.md, whose hooks configuration pins it."""
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)
    (root / ".claude").mkdir()
    (root / ".claude" / "settings.json").write_text('{"hooks": {}}')
    (root / "tests").mkdir()
    (root / "tests" / "TASKS.md").write_text("# decoy\n\n### Step 1: x\n- [ ] nothing\n")
    data = {**edit(str(root / "TASKS.md"), *TICK_B), "cwd": str(root / "tests")}
    out, _code = full(root, data)
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "1.2 Run pytest on test_b.py" in reason


def test_a_shell_that_declares_its_own_check_and_verifies_gets_nothing(root: Path) -> None:
    """In one shell call: declare pylint as ``true`` and run ``tasktracker verify``. The
    evidence that call wrote is put back, the tick undone, and the turn held once."""
    (root / "TASKS.md").write_text(TRACKER + "- [ ] Run pylint on app.py\n")
    full(root, {"hook_event_name": "SessionStart", "source": "startup"})
    full(root, SHELL)  # the look before the call
    ini = root / "pytest.ini"
    ini.write_text(ini.read_text() + "tracker_checks =\n    pylint = true\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest_tasktracker", "verify", "1.4"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert "ticked 1.4" in done.stdout
    command = "printf 'tracker_checks = pylint = true' >> pytest.ini && tasktracker verify 1.4"
    after = {**AFTER_SHELL, "tool_input": {"command": command}}
    out, _code = full(root, after)
    said = json.loads(out)["reason"]
    assert said.startswith(
        "tasktracker: this tool call changed the settings that guard the tracker (pytest.ini); "
        "the evidence it wrote does not count."
    )
    assert "- [ ] Run pylint on app.py" in (root / "TASKS.md").read_text()
    stop = {"hook_event_name": "Stop", "stop_hook_active": False}
    out, _code = full(root, stop)
    assert "the settings that guard the tracker in pytest.ini changed" in json.loads(out)["reason"]


def test_a_crlf_tracker_is_judged_as_the_edit_tool_sees_it(root: Path) -> None:
    tracker = root / "TASKS.md"
    tracker.write_bytes(tracker.read_bytes().replace(b"\n", b"\r\n"))
    full(root, SHELL)
    data = edit("TASKS.md", TICK_B[0] + "\r\n", TICK_B[1] + "\r\n")
    out, _code = full(root, data)
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "1.2 Run pytest on test_b.py" in reason


def test_a_tick_made_between_two_tool_calls_is_unticked_before_the_next(root: Path) -> None:
    """A background job ticks after a tool call's guard has looked: the next tool call
    finds it, unticks it and is refused, with the reason."""
    tracker = root / "TASKS.md"
    tracker.write_text(TRACKER.replace(*TICK_B))
    out, _code = full(root, SHELL)
    assert json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"].startswith(
        "tasktracker unticked sub-tasks ticked since the last tool call without passing "
        "evidence (outside any tool call the guard saw):\n- 1.2 Run pytest on test_b.py"
    )
    assert tracker.read_text() == TRACKER
    assert full(root, SHELL) == ("", 0)  # tried again


@pytest.mark.parametrize(
    "removed",
    [["ticks.json"], [".guard/started.json"], ["ticks.json", ".guard/started.json"]],
    ids=["the snapshot", "the session's start", "both"],
)
def test_removing_the_guard_s_records_with_a_tick_gains_nothing(
    root: Path, removed: list[str]
) -> None:
    """One shell call removes the guard's baseline and ticks: the tick is undone after
    the call or at the end of the turn, also when the host then lets go."""
    tracker = root / "TASKS.md"
    full(root, SHELL)  # the look before the call
    for name in removed:
        (root / ".tasktracker" / name).unlink()
    tracker.write_text(TRACKER.replace(*TICK_B))
    full(root, AFTER_SHELL)
    full(root, {**STOP, "stop_hook_active": True})
    assert tracker.read_text() == TRACKER


def test_the_guard_s_first_look_unticks_nothing(tmp_path: Path, evidence: Path) -> None:
    """A project whose guard has never looked (hooks just installed): what is ticked is
    the user's, held for at the end of a turn, never unticked."""
    project = tmp_path / "project"
    shutil.copytree(evidence, project)
    tracker = project / "TASKS.md"
    tracker.write_text(TRACKER.replace(*TICK_B))
    assert full(project, SHELL) == ("", 0)
    out, _code = full(project, STOP)
    assert json.loads(out)["reason"].startswith("The tracker holds ticks without evidence")
    assert tracker.read_text() == TRACKER.replace(*TICK_B)


def in_place(path: Path, text: str) -> None:
    """Write ``text`` into ``path`` in place and set its modification time back, as a
    shell can (its change time it cannot set back)."""
    before = path.stat()
    with path.open("r+") as file:
        file.write(text)
        file.truncate()
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_a_tick_written_in_place_with_its_time_set_back_is_seen_after_the_tool(
    root: Path,
) -> None:
    tracker = root / "TASKS.md"
    full(root, SHELL)  # the look
    ticked = TRACKER.replace(*TICK_B).replace("README", "READMF")  # same size, same CRC-ish
    in_place(tracker, ticked)
    assert answered(root, AFTER_SHELL) is None  # the change time says it changed
    out, _code = full(root, AFTER_SHELL)
    assert "tasktracker unticked sub-tasks ticked without passing evidence" in out
    assert "- [ ] Run pytest on test_b.py" in tracker.read_text()


def test_a_forged_evidence_file_with_its_time_set_back_is_seen_after_the_tool(
    root: Path,
) -> None:
    results = root / ".tasktracker" / "results.json"
    full(root, SHELL)
    in_place(results, results.read_text().replace("passed", "PASSED", 1))
    assert answered(root, AFTER_SHELL) is None


def test_the_end_of_a_turn_unticks_what_the_session_ticked_without_evidence(
    root: Path,
) -> None:
    """A tick that got past the guard after its tool (a background job's) is unticked at
    the end of the turn, also when the host then lets the agent stop; the user's own
    earlier ticks are held for, not unticked."""
    tracker = root / "TASKS.md"
    user_s = "- [x] Run pytest on test_b.py, as the user ticked it\n"
    tracker.write_text(TRACKER + user_s)
    full(root, {"hook_event_name": "SessionStart", "source": "startup"})
    tracker.write_text(tracker.read_text().replace(*TICK_B))  # a background job
    out, _code = full(root, {**STOP, "stop_hook_active": True})
    assert out == ""  # the host keeps the agent going no more: the guard lets go
    text = tracker.read_text()
    assert TICK_B[0] in text
    assert user_s in text
    out, _code = full(root, STOP)
    assert "1.4 Run pytest on test_b.py, as the user ticked it" in json.loads(out)["reason"]
    assert tracker.read_text() == text


def test_the_end_of_a_turn_says_what_it_unticked(root: Path) -> None:
    tracker = root / "TASKS.md"
    tracker.write_text(tracker.read_text().replace(*TICK_B))  # after the last tool call
    out, _code = full(root, STOP)
    assert json.loads(out)["reason"] == (
        "tasktracker unticked sub-tasks ticked in this session without passing evidence:\n"
        "- 1.2 Run pytest on test_b.py: asks for a test run and has no passing evidence; run "
        "`pytest --tracker TASKS.md --tracker-update`; it ticks what passes\n"
        "Tick them by running their tests (tasktracker run -- --tracker-update)."
    )
    assert TICK_B[0] in tracker.read_text()


def test_a_decoy_with_hooks_above_the_repository_is_not_the_project(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shell writes a tracker and a host's configuration in the folder above the
    project: the hooks still judge the project's own tracker (the walk up stops at the
    repository's root)."""
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)
    git(root, "init", "-q")
    (root.parent / "TASKS.md").write_text("# decoy\n\n### Step 1: x\n- [ ] nothing\n")
    (root.parent / ".mcp.json").write_text("{}")
    tick = edit(str(root / "TASKS.md"), *TICK_B)
    out, _code = full(root, tick)
    reason = json.loads(out)["hookSpecificOutput"]["permissionDecisionReason"]
    assert "1.2 Run pytest on test_b.py" in reason
    found = answered(root, tick)
    assert found is None or found == (out, 0)


AFTER_EDIT = {
    "hook_event_name": "PostToolUse",
    "tool_name": "Edit",
    "tool_input": {"file_path": "TASKS.md", "old_string": "[ ]", "new_string": "[x]"},
    "tool_response": {"success": True},
}


def look_files(root: Path) -> dict[str, Any]:
    """The look's snapshot and verdicts, with the root's path and every identity and
    fingerprint checked against the files now and replaced by what that found: two
    projects in one state read the same."""
    state = root / ".tasktracker"
    text = (state / "ticks.json").read_text() + (state / ".guard" / "verdicts.json").read_text()
    ticks_text, verdicts_text = text.replace(os.path.realpath(root), "ROOT").split("\n", 1)
    ticks, kept = json.loads(ticks_text), json.loads(verdicts_text)
    tracker_now = identity(str(root / "TASKS.md"))
    records_now = quick.state_records(str(state))
    ticks["identity"] = ticks["identity"] == tracker_now
    ticks["records"] = ticks["records"] == records_now
    kept["key"][3] = kept["key"][3] == tracker_now
    kept["key"][5] = kept["key"][5] == records_now
    from pytest_tasktracker.agents.verdicts import _same_code, _unchanged

    kept["watched"] = _unchanged(json.loads(verdicts_text)["watched"])
    kept["stop_watched"] = _unchanged(json.loads(verdicts_text)["stop_watched"])
    kept["code"] = kept["code"] is not None and _same_code(json.loads(verdicts_text)["code"])
    return {"ticks": ticks, "verdicts": kept}


def few_tick_sets(tracker: str) -> list[str]:
    """The sets of one or two boxes ticked, and all of them."""
    every = every_tick_set(tracker)
    return [text for text in every if text.count("- [x]") - tracker.count("- [x]") <= 2] + [
        every[-1]
    ]


@pytest.mark.parametrize("with_git", [False, True], ids=["files", "git"])
def test_after_a_tool_that_ticked_the_quick_path_leaves_the_look_as_the_full_guard_would(
    tmp_path: Path, evidence: Path, settled: None, with_git: bool
) -> None:
    """The oracle after the tool: two copies of the project in lockstep; after each set
    of ticks, the quick path answers on one and the full guard on the other. Where the
    quick path answers, the answers, the trackers and the look's records agree; it
    answers every set whose ticks the judge lets be, and no other."""
    mine, theirs = roots = [tmp_path / "quick", tmp_path / "full"]
    for root in roots:  # both made before either looks: a look watches the folder above
        shutil.copytree(evidence, root)
        (root / "TASKS.md").write_text(MIXED)
        if with_git:
            commit_all(root)
    for root in roots:
        full(root, {"hook_event_name": "SessionStart", "source": "startup"})
    answered_by = {"quick": 0, "full": 0}
    for text in few_tick_sets(MIXED):
        for root in roots:
            (root / "TASKS.md").write_text(text)
        found = answered(mine, AFTER_EDIT)
        expected = full(theirs, AFTER_EDIT)
        if found is None:
            answered_by["full"] += 1
            assert expected[0], text  # the full guard unticked something, and said so
            full(mine, AFTER_EDIT)
        else:
            answered_by["quick"] += 1
            assert found == expected == ("", 0), text
        assert (mine / "TASKS.md").read_text() == (theirs / "TASKS.md").read_text()
        assert look_files(mine) == look_files(theirs), text
        for root in roots:
            (root / "TASKS.md").write_text(MIXED)
            assert answered(root, AFTER_EDIT) == ("", 0)  # unticking needs no judge
    # the open boxes the judge lets be ticked: 1.1 (a fresh pass), 1.6 (a red phase),
    # 1.7 (nothing to run); not 1.2, 1.8 (no passing run), 1.4 (pylint), 1.5 (a claim)
    allowed = 3
    sets = allowed + allowed * (allowed - 1) // 2
    assert answered_by == {"quick": sets, "full": len(few_tick_sets(MIXED)) - sets}


def test_after_a_tool_that_changed_more_than_boxes_the_full_guard_answers(root: Path) -> None:
    tracker = root / "TASKS.md"
    tracker.write_text(TRACKER.replace(*TICK_A) + "\n")
    assert answered(root, AFTER_EDIT) is None
    tracker.write_text(TRACKER.replace("README", "READYOU"))  # as many letters, no tick
    assert answered(root, AFTER_EDIT) is None
    tracker.write_text(TRACKER.replace("[x] Write", "[-] Write"))
    assert answered(root, AFTER_EDIT) is None
    tracker.write_text(TRACKER.replace("[ ] Run pytest on test_b", "[x] Run pytest on test_b"))
    assert answered(root, AFTER_EDIT) is None  # a tick the judge rejects
    out, _code = full(root, AFTER_EDIT)
    assert "unticked sub-tasks ticked without passing evidence" in out
    assert tracker.read_text() == TRACKER
    (root / ".tasktracker" / "results.json").write_text("{}")  # a record changed too
    tracker.write_text(TRACKER.replace("[x] Write", "[ ] Write"))
    assert answered(root, AFTER_EDIT) is None


def look_bytes(root: Path) -> dict[str, bytes]:
    state = root / ".tasktracker"
    return {name: (state / name).read_bytes() for name in ("ticks.json", ".guard/verdicts.json")}


@pytest.mark.e2e
@pytest.mark.parametrize(
    "command",
    [
        "python -m pytest_tasktracker run -- --tracker-update -p no:cacheprovider",
        "python -m pytest --tracker-update -p no:cacheprovider",
        "python -m pytest --tracker-update -p no:cacheprovider -n 2",
    ],
    ids=["tasktracker run", "pytest", "pytest -n 2"],
)
def test_after_a_tracked_run_the_hook_finds_the_look_it_would_take(
    root: Path, command: str
) -> None:
    """A tracked run (by pytest, with xdist or not; by ``tasktracker run`` and so MCP's
    run_tests) takes the look the hook would take after it: the hook answers on its
    quick path, and the full guard, asked the same, says nothing and changes nothing."""
    done = subprocess.run(
        [sys.executable, *command.split()[1:]], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "- [x] Run pytest on test_b.py" in (root / "TASKS.md").read_text()
    after = {
        "hook_event_name": "PostToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_response": {"stdout": done.stdout},
    }
    assert answered(root, after) == ("", 0)
    looked = look_files(root)
    assert full(root, after) == ("", 0)
    now = look_files(root)
    # the same look; the code's fingerprint, and with it the answers that rest on the
    # code, may be kept only now, two seconds after the project's files were made
    # (codeprint.SETTLED_NS): where both kept an answer, it is the same
    answers = []
    for files in (now, looked):
        del files["verdicts"]["code"]
        boxes = files["verdicts"].pop("boxes")
        files["verdicts"]["boxes"] = [[box[0], box[1], box[4]] for box in boxes]
        answers.append({box[4]: box[2:4] for box in boxes if box[2] is not None})
    assert now == looked
    both = answers[0].keys() & answers[1].keys()
    assert "1.3" in both
    assert {i: answers[0][i] for i in both} == {i: answers[1][i] for i in both}


@pytest.mark.e2e
def test_a_run_of_another_tracker_leaves_the_look_to_the_hook(root: Path) -> None:
    (root / "OTHER.md").write_text(TRACKER)
    looked = look_bytes(root)
    command = [sys.executable, "-m", "pytest_tasktracker", "--tracker", "OTHER.md", "run"]
    done = subprocess.run(
        [*command, "--", "--tracker-update", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert look_bytes(root) == looked  # the look is the hook's, at its own tracker
    assert answered(root, AFTER_SHELL) is None  # the state folder changed: judged in full
