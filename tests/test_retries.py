"""Spin detection: the same blocked run again and again is told to stop and hand over."""

from __future__ import annotations

import pytest

from conftest import blocker_front, cli_in

TRACKER = "### Step 1: S\n- [ ] Run pytest on test_a.py\n"


def project(pytester: pytest.Pytester, ini: str = "") -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\naddopts = "--no-such-option"\n'
        f'tracker_blocked_file = "blocked.txt"\n{ini}'
    )
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    (pytester.path / "TASKS.md").write_text(TRACKER)


def blocked_run(pytester: pytest.Pytester) -> pytest.RunResult:
    result = pytester.runpytest("--tracker", "TASKS.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    return result


STOP = "BLOCKED (missing-plugin, {n} runs in a row: stop retrying): *"


@pytest.mark.parametrize(("ini", "limit"), [("", 3), ("tracker_retry_limit = 2\n", 2)])
def test_the_same_blocked_run_again_and_again_is_told_to_stop(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], ini: str, limit: int
) -> None:
    project(pytester, ini)
    folder = pytester.path / ".tasktracker" / "blockers"
    for run in range(1, limit):
        result = blocked_run(pytester)
        assert "retrying will not help" not in result.stderr.str()
        assert blocker_front(folder)["repeats"] == run
    result = blocked_run(pytester)
    result.stderr.fnmatch_lines([STOP.format(n=limit)])
    front = blocker_front(folder)
    assert (front["repeats"], front["stop_retrying"]) == (limit, True)
    assert "## Retrying will not help" in next(folder.glob("*.md")).read_text()
    assert "retrying will not help" in (pytester.path / "blocked.txt").read_text()
    code, out, _ = cli_in(pytester, capsys, "blockers", "--tracker", "TASKS.md")
    assert code == 1
    assert f"the same blocker, {limit} runs in a row: retrying will not help" in out


def test_a_change_in_between_starts_the_count_again(pytester: pytest.Pytester) -> None:
    project(pytester)
    folder = pytester.path / ".tasktracker" / "blockers"
    blocked_run(pytester)
    blocked_run(pytester)
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\naddopts = "--no-such-option --another-one"\n'
    )
    pytester.runpytest("--tracker", "TASKS.md")
    (pytester.path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = "--no-such-option"\n'
    )
    blocked_run(pytester)
    assert blocker_front(folder, "missing-plugin-no-such-option*")["repeats"] == 1


def test_a_bad_retry_limit_is_a_usage_error_naming_the_key(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntracker_retry_limit = "zero"\n')
    pytester.makepyfile(test_a="def test_a():\n    pass\n")
    (pytester.path / "TASKS.md").write_text(TRACKER)
    result = pytester.runpytest("--tracker", "TASKS.md")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: 'tracker_retry_limit' in pyproject.toml: expected a whole number of at "
            "least 1, got 'zero'"
        ]
    )
