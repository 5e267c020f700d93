"""Spin detection: the same blocked run again and again is told to stop and hand over."""

from __future__ import annotations

import pytest

from conftest import blocker_front, cli_in, tasktracker

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


SEGFAULT = """\
Fatal Python error: Segmentation fault

Current thread 0x{thread} (most recent call first):
  File "/p/test_a.py", line {line} in test_dies
"""


@pytest.mark.parametrize(
    ("kind", "first", "second", "same"),
    [
        (
            "crash",
            SEGFAULT.format(thread="00007fdafbdd0b80", line=4),
            SEGFAULT.format(thread="00007f25a2a91b80", line=4),
            True,
        ),
        (
            "crash",
            SEGFAULT.format(thread="00007fdafbdd0b80", line=4),
            SEGFAULT.format(thread="00007fdafbdd0b80", line=5),
            False,
        ),
        (
            "timeout",
            "no result after 31 s; stopped with SIGTERM",
            "no result after 30 s; stopped with SIGTERM",
            True,
        ),
        (
            "timeout",
            "no result after 31 s; stopped with SIGTERM",
            "no result after 31 s; stopped with SIGTERM, then SIGKILL",
            False,
        ),
    ],
    ids=["thread-address", "another-line", "duration", "another-end"],
)
def test_a_fingerprint_is_of_the_cause_not_of_addresses_or_durations(
    kind: str, first: str, second: str, same: bool
) -> None:
    from pytest_tasktracker.blockers.reports import fingerprint

    command = {"argv": ["-x"]}
    one = fingerprint({"kind": kind, "error": first, "command": command})
    other = fingerprint({"kind": kind, "error": second, "command": command})
    assert (one == other) is same


def test_three_identical_segfaults_say_stop_retrying(pytester: pytest.Pytester) -> None:
    """faulthandler names the crashed thread by its address, new in every process: the
    third crash of the same test is still the same blocker, three runs in a row."""
    pytester.makepyfile(test_a="import ctypes\n\ndef test_dies():\n    ctypes.string_at(0)\n")
    (pytester.path / "TASKS.md").write_text(TRACKER)
    folder = pytester.path / ".tasktracker" / "blockers"
    errors = []
    for run in (1, 2, 3):
        result = tasktracker(
            pytester.path, "run", "--tracker", "TASKS.md", "--", "-p", "no:randomly"
        )
        assert result.returncode == 125, result.stderr
        front = blocker_front(folder)
        errors.append(front["error"])
        assert (front["kind"], front["repeats"], front["stop_retrying"]) == (
            "crash",
            run,
            run == 3,
        )
    assert errors[0] != errors[1]  # the thread's address: new each time
    assert "BLOCKED (crash, 3 runs in a row: stop retrying): " in result.stderr
