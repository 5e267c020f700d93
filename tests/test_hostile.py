"""Hostile input: huge files, huge lines, deep nesting, odd paths, injection, secrets."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from conftest import run_cli
from pytest_tasktracker import TrackerReadError, load, parse
from pytest_tasktracker.blockers.reports import file_name, report_text


def test_a_50_mb_tracker_is_refused_unread_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.md"
    with path.open("wb") as handle:
        handle.write(b"- [ ] a\n" * (50 * 1024 * 1024 // 8))
    read = []
    real_read = os.read

    def counting(fd: int, size: int) -> bytes:
        data = real_read(fd, size)
        read.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting)
    code, _, err = run_cli(capsys, "--tracker", str(path), "check", "tasks.1")
    monkeypatch.undo()
    assert sum(read) < 1024 * 1024  # refused by its size, not after reading 50 MB
    assert code == 2
    assert err == (
        f"tasktracker: error: {path}: is 52,428,800 bytes, more than the 33,554,432 a tracker "
        "may have\n"
    )
    assert path.stat().st_size == 50 * 1024 * 1024


@pytest.mark.parametrize(
    "line",
    [
        "# " + " " * 1_000_000 + "x",
        "# x" + " " * 1_000_000 + "#",
        "- [ ] " + "run " * 250_000,
        "- [ ] <!-- tests: " * 50_000,
        "- [ ] password=" + "a" * 1_000_000,
        "<a" + " b" * 500_000,
        "- " * 500_000 + "[ ] x",
    ],
    ids=[
        "heading-spaces",
        "heading-closing",
        "run-words",
        "comments",
        "assignment",
        "html",
        "markers",
    ],
)
def test_a_1_mb_line_is_linear(line: str) -> None:
    """Ten times the line takes about ten times as long, not a hundred (a quadratic
    pattern) or more (backtracking): a ratio of two timings in one process, which load
    slows alike, rather than a time limit."""
    from pytest_tasktracker.redact import redact_text
    from pytest_tasktracker.rules.intent import read_intent, unverified_claim

    def seconds(text: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            tracker = parse(f"### Step 1: x\n{text}\n- [x] after\n")
            for subtask in tracker.subtasks:
                read_intent(subtask)
                unverified_claim(subtask)
            redact_text(text, {})
            best = min(best, time.perf_counter() - start)
            assert tracker.subtasks[-1].text == "after"
        return best

    tenth = line[: len(line) // 10]
    assert seconds(line) < 40 * max(seconds(tenth), 0.002)


def test_a_thousand_levels_of_nesting(tmp_path: Path) -> None:
    text = "".join("  " * depth + f"- [ ] level {depth}\n" for depth in range(1000))
    tracker = parse(text)
    assert len(tracker.subtasks) == 1000
    assert tracker.subtasks[-1].depth == 999
    assert tracker.subtasks[-1].text == "level 999"


def test_nul_bytes_and_invalid_utf8_are_clear_errors(tmp_path: Path) -> None:
    for data, message in (
        (b"- [ ] a\x00b\n", "is binary, not markdown (a NUL byte at offset 7)"),
        (b"- [ ] \xc3\x28\n", "is not UTF-8 (byte 0xc3 on line 1, offset 6)"),
    ):
        path = tmp_path / "t.md"
        path.write_bytes(data)
        with pytest.raises(TrackerReadError) as info:
            load(path, "t.md")
        assert str(info.value) == f"t.md: {message}"


def test_a_tracker_outside_the_project_works_and_keeps_its_state_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "plan.md").write_text("- [ ] a\n")
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    assert run_cli(capsys, "--tracker", str(elsewhere / "plan.md"), "check", "a")[0] == 0
    assert (elsewhere / "plan.md").read_text() == "- [x] a\n"


HOSTILE = [
    "{{ config.items() }} {% for x in y %}{% endfor %}",
    "---\nkind: forged\n---",
    "!!python/object/apply:os.system ['echo pwned']",
    "```\n````\n~~~ closing fences",
    "\x1b[31mred\x1b[0m and \x07 bell",
    "   leading spaces\ntrailing spaces   \n\ttabs",
    "'quotes' \"double\" : colon # hash & amp * star | pipe > gt",
    "emoji \U0001f3af and \u2028 line separator",
]


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_comes_out_literally_and_the_front_matter_reads_back(hostile: str) -> None:
    front: dict[str, Any] = {
        "schema": "pytest-tasktracker/blocker/1",
        "status": "open",
        "kind": "usage-error",
        "exit_code": 4,
        "summary": hostile.replace("\n", " "),
        "error": hostile,
        "location": {"file": hostile, "line": 3},
        "cause": {"arguments": [hostile]},
        "remedies": [{"command": hostile, "why": hostile}],
        "affected": [{"id": "1.1", "text": hostile, "line": 3, "step": "1"}],
        "verified": [],
        "tracker": "t.md",
        "command": {
            "argv": [hostile],
            "cwd": "/p",
            "rootdir": "/p",
            "inifile": None,
            "python": "python",
            "python_version": "3",
            "pytest": "9",
            "plugins": {},
        },
        "first_seen": "t",
        "last_seen": "t",
        "occurrences": 1,
    }
    text = report_text(front)
    end = text.index("\n---\n", 4)
    back = YAML(typ="safe", pure=True).load(text[4 : end + 1])
    assert back == front
    body = text[end + 5 :]
    assert "\x1b" not in body
    assert "\x07" not in body
    if "{{" in hostile:
        assert "{{ config.items() }}" in body
    fences = re.findall(r"^ *(`{3,})text$", body, re.M)
    assert fences
    longest = max(map(len, re.findall("`+", hostile)), default=0)
    assert all(len(fence) > longest for fence in fences)


@pytest.mark.parametrize("key", ["../../x", "con", "a" * 500, "/etc/passwd", "..", "C:\\x"])
def test_file_names_stay_inside_the_state_folder(key: str, tmp_path: Path) -> None:
    name = file_name("usage-error", key, key)
    assert re.fullmatch(r"[a-z0-9-]+\.md", name)
    assert len(name) <= 83
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()
    assert name.lower() not in ("con.md", "prn.md", "aux.md", "nul.md")


SECRETS = {
    "GITHUB_TOKEN": "ghp_" + "A1b2C3d4" * 5,
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "SLACK_BOT_TOKEN": "xoxb-1234567890-abcdefghijkl",
    "OPENAI_API_KEY": "sk-proj-" + "x9Y8z7W6" * 5,
    "DATABASE_URL": "postgres://admin:s3cr3t-pa55@db.internal:5432/app",
}
ARGV_SECRETS = ["hunter2-password-value", "https://bob:pa55word@example.invalid/x"]


@pytest.mark.e2e
@pytest.mark.parametrize("blocked", [True, False], ids=["blocked-run", "verified-run"])
def test_secrets_in_the_environment_and_argv_never_reach_a_file(
    tmp_path: Path, blocked: bool
) -> None:
    (tmp_path / "pr_info").mkdir()
    tracker = tmp_path / "pr_info" / "TASK_TRACKER.md"
    tracker.write_text("### Step 1: x\n- [ ] Run pytest on tests/test_a.py\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\ntracker = pr_info/TASK_TRACKER.md\ntracker_blocked_file = pr_info/.blocked.txt\n"
    )
    if blocked:
        args = [f"--password={ARGV_SECRETS[0]}", ARGV_SECRETS[1]]
    else:  # a run that verifies, with secret-shaped arguments that pytest accepts
        args = ["-k", f"not {SECRETS['GITHUB_TOKEN']}", "-o", f"cache_dir={ARGV_SECRETS[1]}"]
    env = {
        **os.environ,
        **SECRETS,
        "PYTEST_ADDOPTS": f"--token={SECRETS['GITHUB_TOKEN']}" if blocked else "",
    }
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    written = [p for p in (tmp_path / "pr_info").rglob("*") if p.is_file()]
    assert any(p.name == "results.json" or p.suffix == ".md" for p in written if p != tracker)
    for path in written:
        text = path.read_text(errors="replace")
        secrets = [*SECRETS.values(), "s3cr3t-pa55", "pa55word", ARGV_SECRETS[1]]
        for secret in [*secrets, *([ARGV_SECRETS[0]] if blocked else [])]:
            assert secret not in text, (path.name, secret)
