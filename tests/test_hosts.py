"""Every coding-agent host: its recorded events in (tests/data/hosts/NAME/), its exact
answer out, and the command ``tasktracker init --agent NAME`` configures, run as the
host runs it, from the project's root.

The project: test_a.py passes and has evidence (a real run); test_b.py was never run.
Ticking 1.1 is backed; ticking 1.2 is not.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import TWO_TESTS, run_cli, two_tests_with_evidence
from pytest_tasktracker.agents import quick
from pytest_tasktracker.agents.hook import handle, settings_finder
from pytest_tasktracker.agents.hosts import NAMES, host

DATA = Path(__file__).parent / "data" / "hosts"
TRACKER = TWO_TESTS
TICK_B = ("- [ ] Run pytest on test_b.py", "- [x] Run pytest on test_b.py")
RERUN = "`pytest --tracker TASKS.md --tracker-update`"
FALSE_TICK = (
    f"1.2 Run pytest on test_b.py: asks for a test run and has no passing evidence; run {RERUN}; "
    "it ticks what passes"
)
DENIED = (
    f"This edit ticks sub-tasks that no passing test run backs:\n- {FALSE_TICK}\n"
    "Run the tests instead (tasktracker run -- --tracker-update); a box is ticked by the run "
    "that proves it. If the run is blocked, report the blocker; do not tick."
)
UNTICKED = (
    f"tasktracker unticked sub-tasks ticked without passing evidence:\n- {FALSE_TICK}\n"
    "Tick them by running their tests (tasktracker run -- --tracker-update)."
)
STOPPING = (
    f"tasktracker unticked sub-tasks ticked in this session without passing evidence:\n"
    f"- {FALSE_TICK}\nTick them by running their tests (tasktracker run -- --tracker-update)."
)
SED = "sed -i 's/- \\[ \\] Run pytest on test_b/- [x] Run pytest on test_b/' TASKS.md"
CLAUDE_DENY = {
    "hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": DENIED,
    }
}
# What each host is answered, by case: (stdout as JSON or None, exit code).
EXPECTED: dict[str, dict[str, tuple[Any, int]]] = {
    "claude": {
        "pre-edit": (CLAUDE_DENY, 0),
        "pre-shell": (None, 0),
        "post-shell": ({"decision": "block", "reason": UNTICKED}, 0),
        "stop": ({"decision": "block", "reason": STOPPING}, 0),
    },
    "codex": {
        "pre-edit": (CLAUDE_DENY, 0),
        "pre-shell": (None, 0),
        "post-shell": ({"decision": "block", "reason": UNTICKED}, 0),
        "stop": ({"decision": "block", "reason": STOPPING}, 0),
    },
    "gemini": {
        "pre-edit": ({"decision": "deny", "reason": DENIED}, 0),
        "pre-shell": (None, 0),
        "post-shell": ({"hookSpecificOutput": {"additionalContext": UNTICKED}}, 0),
        "stop": ({"decision": "deny", "reason": STOPPING}, 0),
    },
    "cursor": {
        "pre-edit": (
            {
                "permission": "deny",
                "agent_message": DENIED,
                "user_message": "tasktracker: This edit ticks sub-tasks that no passing test "
                "run backs:",
            },
            0,
        ),
        "pre-shell": ({}, 0),
        "post-shell": ({"agent_message": UNTICKED}, 0),
        "stop": ({"followup_message": STOPPING}, 0),
    },
    "copilot": {
        "pre-edit": ({"permissionDecision": "deny", "permissionDecisionReason": DENIED}, 0),
        "pre-shell": (None, 0),
        "post-shell": ({"decision": "block", "reason": UNTICKED}, 0),
        "stop": ({"decision": "block", "reason": STOPPING}, 0),
    },
}
EVENTS = {"pre-edit": "preToolUse", "pre-shell": "preToolUse", "post-shell": "postToolUse"}
EVENTS["stop"] = "agentStop"  # Copilot's events do not name themselves


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state folder of a real run in which test_a.py passed (test_b.py not run)."""
    return two_tests_with_evidence(tmp_path_factory.mktemp("evidence"))


@pytest.fixture
def root(tmp_path: Path, evidence: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(evidence, project)
    return project


def event(agent: str, case: str, root: Path, **values: Any) -> str:
    text = (DATA / agent / f"{case}.json").read_text()
    fields = {"cwd": str(root), "old": TICK_B[0], "new": TICK_B[1], "command": SED}
    for key, value in {**fields, "active": False, **values}.items():
        text = text.replace(
            "{" + key + "}",
            json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value),
        )
    json.loads(text)  # still valid JSON
    return text


def answer(agent: str, raw: str, case: str) -> tuple[Any, int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = handle(raw, host(agent), settings_finder(None, None), out, err, EVENTS[case])
    return json.loads(out.getvalue()) if out.getvalue() else None, code, err.getvalue()


@pytest.mark.parametrize("agent", NAMES)
def test_each_host_is_answered_in_its_own_shape(root: Path, agent: str) -> None:
    tracker = root / "TASKS.md"
    found, code, err = answer(agent, event(agent, "pre-edit", root), "pre-edit")
    assert (found, code, err) == (*EXPECTED[agent]["pre-edit"], "")
    assert tracker.read_text() == TRACKER
    found, code, err = answer(agent, event(agent, "pre-shell", root), "pre-shell")
    assert (found, code, err) == (*EXPECTED[agent]["pre-shell"], "")  # the look is taken
    tracker.write_text(TRACKER.replace(*TICK_B))  # what the shell's sed did
    found, code, err = answer(agent, event(agent, "post-shell", root), "post-shell")
    assert (found, code, err) == (*EXPECTED[agent]["post-shell"], "")
    assert tracker.read_text() == TRACKER  # unticked, byte for byte
    tracker.write_text(TRACKER.replace(*TICK_B))  # ticked again, as an editor would
    found, code, err = answer(agent, event(agent, "stop", root), "stop")
    assert (found, code, err) == (*EXPECTED[agent]["stop"], "")
    assert tracker.read_text() == TRACKER  # the session's tick undone


@pytest.mark.parametrize("agent", ["claude", "codex", "gemini"])
def test_a_host_that_already_keeps_the_agent_going_is_let_go(root: Path, agent: str) -> None:
    (root / "TASKS.md").write_text(TRACKER.replace(*TICK_B))
    assert answer(agent, event(agent, "stop", root, active=True), "stop")[0] is None


def test_a_host_that_says_nothing_is_let_go_after_five_turns(root: Path) -> None:
    (root / "TASKS.md").write_text(TRACKER.replace(*TICK_B))
    blocks = [answer("copilot", event("copilot", "stop", root), "stop")[0] for _ in range(7)]
    assert [bool(found) for found in blocks] == [True] * 5 + [False] * 2
    answer("copilot", event("copilot", "pre-shell", root), "pre-shell")  # work goes on
    assert answer("copilot", event("copilot", "stop", root), "stop")[0] is not None


@pytest.mark.parametrize("case", ["task-completed", "pre-taskupdate"])
def test_the_agents_own_task_list_cannot_complete_an_unproven_sub_task(
    root: Path, case: str
) -> None:
    for subject, refused in (
        ("1.2 Run pytest on test_b.py", True),
        ("Run pytest on test_b.py", True),
        ("1.1", False),  # its evidence backs it
        ("Refactor the parser", False),  # names no sub-task
    ):
        raw = (DATA / "claude" / f"{case}.json").read_text()
        raw = raw.replace("{cwd}", str(root)).replace("{subject}", subject)
        out, err = io.StringIO(), io.StringIO()
        code = handle(raw, host("claude"), settings_finder(None, None), out, err)
        if not refused:
            assert (code, out.getvalue(), err.getvalue()) == (0, "", "")
            continue
        why = (
            "This task is sub-task 1.2 of TASKS.md (Run pytest on test_b.py), and it is not "
            f"done: asks for a test run and has no passing evidence; run {RERUN}; it ticks "
            "what passes."
        )
        if case == "task-completed":  # exit codes only
            assert (code, out.getvalue(), err.getvalue()) == (2, "", why + "\n")
        else:
            assert json.loads(out.getvalue())["hookSpecificOutput"] == {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": why,
            }


def test_an_error_while_judging_the_tracker_refuses_and_elsewhere_lets_through(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_tasktracker.agents import guard

    def broken(*_: object) -> None:
        raise RuntimeError("the judge fell over")

    monkeypatch.setattr(guard, "false_ticks", broken)
    monkeypatch.setattr(guard, "look", broken)
    monkeypatch.setattr(guard, "keep_records", broken)  # the rest of the look before a tool
    found, code, err = answer("claude", event("claude", "pre-edit", root), "pre-edit")
    assert (code, err) == (0, "")
    assert found["hookSpecificOutput"]["permissionDecisionReason"] == (
        "tasktracker could not judge this (RuntimeError: the judge fell over), and it touches "
        "the tracker, its state folder or its settings: refused until it can. Run "
        "`tasktracker doctor`."
    )
    other = event("claude", "pre-shell", root, command="ls -l")
    assert answer("claude", other, "pre-shell") == (
        None,
        0,
        "tasktracker hook: RuntimeError: the judge fell over (allowed)\n",
    )


def configured(root: Path, agent: str) -> str:
    """The hook command ``init --agent`` wrote for ``agent``'s pre-tool event."""
    files = {
        "claude": (".claude/settings.json", "PreToolUse"),
        "codex": (".codex/hooks.json", "PreToolUse"),
        "gemini": (".gemini/settings.json", "BeforeTool"),
        "cursor": (".cursor/hooks.json", "preToolUse"),
        "copilot": (".github/hooks/tasktracker.json", "preToolUse"),
    }
    name, hook_event = files[agent]
    (entry,) = json.loads((root / name).read_text())["hooks"][hook_event]
    handler = entry["hooks"][0] if "hooks" in entry else entry
    command = handler.get("command") or handler["bash"]
    assert isinstance(command, str)
    return command


@pytest.mark.e2e
@pytest.mark.parametrize("agent", NAMES)
def test_the_command_init_configures_runs_from_the_project_root(
    root: Path, agent: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root)
    assert run_cli(capsys, "init", "--agent", agent)[0] == 0
    command = configured(root, agent)
    assert "--tracker TASKS.md" in command
    assert shlex.split(command)[0].endswith("python") or "python" in command.split()[0]
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        input=event(agent, "pre-edit", root),
        capture_output=True,
        text=True,
        cwd=root,
        env={
            "PATH": "/usr/bin:/bin",
            "CLAUDE_PROJECT_DIR": str(root),
            "GEMINI_PROJECT_DIR": str(root),
        },
        check=False,
    )
    assert (json.loads(done.stdout), done.returncode) == EXPECTED[agent]["pre-edit"], done.stderr


def test_an_unknown_host_is_named_with_the_known_ones() -> None:
    expected = "unknown agent 'aider': one of claude, codex, gemini, cursor, copilot"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        host("aider")


def quick_and_full(agent: str, raw: str, case: str) -> tuple[Any, Any]:
    """The quick path's answer (stdout, exit code; None: it steps aside) and the full
    guard's, for the hook as init pins it (``--tracker TASKS.md``)."""
    argv = ["--agent", agent, "--tracker", "TASKS.md", "--event", EVENTS[case]]
    found = quick.answer(argv, raw)
    out, err = io.StringIO(), io.StringIO()
    code = handle(raw, host(agent), settings_finder("TASKS.md", None), out, err, EVENTS[case])
    return (None if found is None else (found[1], found[0])), (out.getvalue(), code)


@pytest.mark.parametrize("agent", NAMES)
def test_each_host_is_answered_from_the_look_s_verdicts_as_in_full(root: Path, agent: str) -> None:
    """A refused tick and the end of a turn, answered by the quick path in each host's
    own shape, exactly as the full guard answers them."""
    answer(agent, event(agent, "pre-shell", root), "pre-shell")  # the look
    quick_answer, full_answer = quick_and_full(agent, event(agent, "pre-edit", root), "pre-edit")
    assert quick_answer == full_answer
    assert (json.loads(full_answer[0]), full_answer[1]) == EXPECTED[agent]["pre-edit"]
    quick_answer, full_answer = quick_and_full(agent, event(agent, "stop", root), "stop")
    assert quick_answer == full_answer == ("{}\n" if agent == "cursor" else "", 0)
    if agent != "cursor":  # Cursor bounds the loop itself
        raw = event(agent, "stop", root, active=True)
        if agent == "copilot":
            raw = raw.replace('"stopReason"', '"stopHookActive": true, "stopReason"')
        quick_answer, full_answer = quick_and_full(agent, raw, "stop")
        assert quick_answer == full_answer == ("", 0)
