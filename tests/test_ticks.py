"""Every writer of ``[x]`` goes through the judge (ticks.py).

Two ways of looking: the source (nothing but ``ticks.write`` calls the library's box
editors), and the behaviour (with a judge that refuses everything, no writer ticks a
box; with the real judge, the same steps tick it, so the test can tell).
"""

from __future__ import annotations

import ast
import shlex
import sys
from pathlib import Path

import pytest

from conftest import cli_in
from pytest_tasktracker import state
from pytest_tasktracker.errors import ConcurrentEditError
from pytest_tasktracker.rules.judge import Reason
from pytest_tasktracker.ticks import write
from pytest_tasktracker.tracker.editing import Change, load
from pytest_tasktracker.tracker.model import Tracker

try:  # imported before any in-process pytest run: pytester's module snapshot would
    # otherwise drop the MCP SDK's compiled dependencies between runs
    import anyio
    from mcp import Client

    from pytest_tasktracker.agents.mcp_server import Project, build_server
except ImportError:  # pragma: no cover - the mcp extra is in the test extra
    Client = None  # type: ignore[assignment,misc]

PACKAGE = Path(__file__).parent.parent / "src" / "pytest_tasktracker"
EDITORS = {"apply_changes", "set_status", "replace_if_unchanged"}  # what edits a box
ALLOWED = {"ticks.py", "tracker/editing.py"}  # the one writer, and the library itself


def calls_to_editors(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in EDITORS:
                found.append(f"{name} at line {node.lineno}")
    return found


def test_nothing_but_the_one_writer_edits_a_tracker_box() -> None:
    writers = {
        str(path.relative_to(PACKAGE)): calls
        for path in sorted(PACKAGE.rglob("*.py"))
        if (calls := calls_to_editors(path))
    }
    assert set(writers) == ALLOWED, writers
    assert [call.split(" at ")[0] for call in writers["ticks.py"]] == ["apply_changes"] * 2


def test_the_listing_sees_a_writer_that_goes_around_the_judge(tmp_path: Path) -> None:
    rogue = tmp_path / "rogue.py"
    rogue.write_text("def tick(p, c):\n    editing.apply_changes(p, c)\n")
    assert calls_to_editors(rogue) == ["apply_changes at line 2"]


TRACKER = """\
### Step 1: S
- [ ] Run pytest on test_a.py
- [ ] Run pylint on modified files
"""


def project(pytester: pytest.Pytester) -> Path:
    command = shlex.join([sys.executable, "-c", "pass"])
    pytester.makeini(f"[pytest]\ntracker = TASKS.md\ntracker_checks =\n    pylint = {command}\n")
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    path = pytester.path / "TASKS.md"
    path.write_text(TRACKER)
    return path


@pytest.fixture(params=["the-real-judge", "a-judge-that-refuses"])
def refusing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    if request.param == "the-real-judge":
        return False

    def refuse(*_: object) -> list[Reason]:
        return [Reason("test", "refused by the test", "nothing")]

    monkeypatch.setattr(state, "judge", refuse)
    return True


def boxes(path: Path) -> list[str]:
    return [line[:5] for line in path.read_text().splitlines() if line.startswith("- [")]


def test_the_plugin_ticks_only_through_the_judge(pytester: pytest.Pytester, refusing: bool) -> None:
    path = project(pytester)
    result = pytester.runpytest("--tracker-update")
    assert result.ret == 0
    assert boxes(path)[0] == ("- [ ]" if refusing else "- [x]")
    if refusing:
        result.stdout.fnmatch_lines(["not ticked 1.1: refused by the test; nothing"])


def test_update_ticks_only_through_the_judge(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], refusing: bool
) -> None:
    path = project(pytester)
    assert pytester.runpytest().ret == 0  # evidence, and no tick: the run does not update
    code, out, _ = cli_in(pytester, capsys, "update")
    assert code == 0
    assert boxes(path)[0] == ("- [ ]" if refusing else "- [x]")
    if refusing:
        assert "not ticked 1.1 (line 2): refused by the test; nothing" in out


def test_verify_and_check_tick_only_through_the_judge(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], refusing: bool
) -> None:
    path = project(pytester)
    code, _, _ = cli_in(pytester, capsys, "verify", "1.2")
    assert code == 0
    assert boxes(path)[1] == ("- [ ]" if refusing else "- [x]")
    cli_in(pytester, capsys, "uncheck", "1.2")
    code, _, err = cli_in(pytester, capsys, "check", "1.2")
    assert (code, boxes(path)[1]) == ((1, "- [ ]") if refusing else (0, "- [x]"))
    if refusing:
        assert err == "tasktracker: refused to tick 1.2: refused by the test; nothing\n"


def test_the_mcp_tools_tick_only_through_the_judge(
    pytester: pytest.Pytester, refusing: bool
) -> None:
    if Client is None:  # pragma: no cover
        pytest.skip("the mcp extra is not installed")
    path = project(pytester)

    async def main() -> None:
        async with Client(build_server(Project(pytester.path))) as client:
            await client.call_tool("verify", {"ids": ["1.2"]})
            await client.call_tool("check", {"ids": ["1.2"]})

    anyio.run(main)
    assert boxes(path)[1] == ("- [ ]" if refusing else "- [x]")


EDITED = "### Step 1: S\n- [x] Run pytest on test_a.py\n- [x] Run pylint on modified files\n"


def stale_tracker(tmp_path: Path) -> tuple[Path, Tracker, list[Change]]:
    """A tracker loaded, then saved by an editor that renamed 1.2 and added a line."""
    path = tmp_path / "TASKS.md"
    path.write_text(EDITED)
    tracker = load(path, "TASKS.md")
    path.write_text("Notes first.\n" + EDITED.replace("pylint", "ruff"))
    changes = [Change(s.id, False, s.text) for s in tracker.subtasks]
    return path, tracker, changes


def test_a_sub_task_edited_during_the_write_is_left_alone_and_the_rest_written(
    tmp_path: Path,
) -> None:
    path, tracker, changes = stale_tracker(tmp_path)
    report = write(path, "TASKS.md", tracker, changes, state.Record({}, []), "pytest")
    assert (report.unticked, report.skipped, report.error) == (["1.1"], ["1.2"], None)
    assert path.read_text() == (
        "Notes first.\n### Step 1: S\n- [ ] Run pytest on test_a.py\n"
        "- [x] Run ruff on modified files\n"
    )


def test_strict_raises_on_an_edit_during_the_write_and_writes_nothing(tmp_path: Path) -> None:
    path, tracker, changes = stale_tracker(tmp_path)
    before = path.read_text()
    with pytest.raises(ConcurrentEditError, match=r"1\.2"):
        write(path, "TASKS.md", tracker, changes, state.Record({}, []), "pytest", strict=True)
    assert path.read_text() == before
