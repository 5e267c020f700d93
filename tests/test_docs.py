"""Every code sample in the docs runs (or says why it does not), and the docs agree with
the code: the agent text, the CI workflow, the pre-commit hook."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from pytest_tasktracker.settings import declared_checks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(
    r"^(?P<indent> *)(?P<fence>`{3,})(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)$",
    re.M | re.S,
)
NOT_RUN = re.compile(r"<!-- not-run: (?P<reason>[^>]+) -->\s*$")
RUNNABLE = {"console", "python", "toml", "ini", "yaml", "json"}


@dataclass
class Sample:
    page: str
    line: int
    lang: str
    body: str
    not_run: str | None


def samples(path: Path) -> list[Sample]:
    text = path.read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NOT_RUN.search(before)
        found.append(
            Sample(
                path.name,
                text.count("\n", 0, match.start()) + 1,
                match.group("lang"),
                textwrap.dedent(match.group("body")),
                marker.group("reason") if marker else None,
            )
        )
    return found


ALL = [sample for page in DOCS for sample in samples(page)]


def test_every_sample_runs_or_says_why_not() -> None:
    unmarked = [
        f"{s.page}:{s.line} ({s.lang or 'no language'})"
        for s in ALL
        if s.lang not in RUNNABLE and s.not_run is None
    ]
    assert unmarked == []
    assert len([s for s in ALL if s.lang in RUNNABLE]) >= 15


def sandbox(tmp_path: Path) -> Path:
    folder = tmp_path / "cache-project"
    shutil.copytree(ROOT / "examples" / "cache-project", folder)
    return folder


def command(line: str) -> list[str]:
    args = shlex.split(line)
    if args[0] == "pytest":
        return [sys.executable, "-m", "pytest", *args[1:]]
    if args[0] == "tasktracker":
        return [sys.executable, "-m", "pytest_tasktracker", *args[1:]]
    raise AssertionError(f"a console sample runs pytest or tasktracker, not {args[0]}")


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line, '*' matching anything; a line '...' stands for any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    pattern = ".*".join(re.escape(part) for part in expected[0].split("*"))
    return (
        bool(actual)
        and re.fullmatch(pattern, actual[0]) is not None
        and matches(expected[1:], actual[1:])
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    "page", [p for p in DOCS if any(s.lang == "console" for s in samples(p))], ids=lambda p: p.name
)
def test_console_samples_print_what_the_page_says(page: Path, tmp_path: Path) -> None:
    folder = sandbox(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "GITHUB_ACTIONS")}
    # As in an activated virtual environment: `python` is the one running these tests.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for sample in samples(page):
        if sample.lang != "console":
            continue
        steps: list[tuple[str, list[str]]] = []
        for line in sample.body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                steps[-1][1].append(line)
        for cmd, expected in steps:
            result = subprocess.run(
                command(cmd), cwd=folder, env=env, capture_output=True, text=True, check=False
            )
            actual = (
                result.stdout + (result.stderr if cmd.startswith("pytest") else "")
            ).splitlines()
            if cmd.startswith("pytest"):
                actual = result.stderr.splitlines() + result.stdout.splitlines()
            assert matches(expected, actual), (
                f"{sample.page}:{sample.line}: $ {cmd}\nexpected:\n"
                + "\n".join(expected)
                + "\nactual:\n"
                + "\n".join(actual)
            )


@pytest.mark.parametrize(
    "sample",
    [s for s in ALL if s.lang in ("python", "toml", "ini", "yaml", "json")],
    ids=lambda s: f"{s.page}:{s.line}",
)
def test_code_samples_run_or_parse(sample: Sample, tmp_path: Path) -> None:
    if sample.lang == "python":  # in a process of its own, as a user would run it
        result = subprocess.run(
            [sys.executable, "-c", sample.body],
            cwd=sandbox(tmp_path),
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{sample.page}:{sample.line}\n{result.stderr}"
    elif sample.lang == "toml":
        data = tomllib.loads(sample.body)
        if "tasktracker" in data["tool"]:  # the project's named checks, read as settings do
            (tmp_path / "pyproject.toml").write_text(sample.body)
            assert declared_checks(tmp_path, "", "pytest.ini")
        else:
            assert data["tool"]["pytest"]["ini_options"]["tracker"]
    elif sample.lang == "ini":
        parser = configparser.ConfigParser()
        parser.read_string(sample.body)
        assert parser.get("pytest", "tracker")
    elif sample.lang == "yaml":
        assert YAML(typ="safe", pure=True).load(sample.body)
    else:
        data = json.loads(sample.body)
        schemas = ROOT / "src/pytest_tasktracker/schemas"
        if "$schema" in data:  # a copy of a shipped schema: it must be that file
            shipped = {json.loads(p.read_text())["$id"]: p for p in schemas.glob("*.json")}
            assert data == json.loads(shipped[data["$id"]].read_text())
        else:
            name = (
                "journal"
                if data.get("schema", "").startswith("pytest-tasktracker/journal")
                else "results"
            )
            schema = json.loads((schemas / f"{name}.schema.json").read_text())
            Draft202012Validator(schema).validate(data)


def test_the_agent_guide_in_the_docs_is_the_one_the_cli_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pytest_tasktracker.cli import main

    assert main(["--agent-help"]) == 0
    printed = capsys.readouterr().out
    page = (ROOT / "docs" / "agent-workflow.md").read_text()
    inside = page.split("<!-- agent-help:start -->\n", 1)[1].split("<!-- agent-help:end -->")[0]
    assert inside == re.sub(r"^# ", "## ", printed, flags=re.M)


def workflow(name: str = "tracker") -> dict[str, object]:
    (sample,) = [
        s for s in ALL if s.page == "ci.md" and s.lang == "yaml" and f"name: {name}\n" in s.body
    ]
    data = YAML(typ="safe", pure=True).load(sample.body)
    assert isinstance(data, dict)
    return data


@pytest.mark.e2e
def test_the_github_workflow_fails_on_a_false_tick_with_an_annotation(tmp_path: Path) -> None:
    folder = sandbox(tmp_path)
    steps = workflow()["jobs"]["tests"]["steps"]  # type: ignore[index]
    runs = [step["run"] for step in steps if "run" in step and not step["run"].startswith("pip ")]
    assert runs == [
        "pytest --tracker pr_info/TASK_TRACKER.md --tracker-gate",
        "tasktracker blockers",
    ]
    env = {**os.environ, "GITHUB_ACTIONS": "true"}
    env.pop("PYTEST_ADDOPTS", None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    verify = command("tasktracker verify 1.4")  # the declared pylint, which passes
    subprocess.run(verify, cwd=folder, env=env, check=True, capture_output=True)
    tracker = folder / "pr_info" / "TASK_TRACKER.md"
    tracker.write_text(
        tracker.read_text().replace(
            "- [ ] PR review", "- [x] PR review (tests could not run here, verified by code review)"
        )
    )
    first = subprocess.run(
        command(runs[0]), cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    assert first.returncode == 1, first.stdout
    assert (
        "::error file=pr_info/TASK_TRACKER.md,line=19,title=tasktracker gate%3A pull-request.1::"
        in first.stdout
    )
    second = subprocess.run(
        command(runs[1]), cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    assert (second.returncode, second.stdout) == (
        0,
        "no open blockers in pr_info/.tasktracker/blockers\n",
    )


@pytest.mark.e2e
def test_the_sharded_workflow_combines_to_what_one_run_says(tmp_path: Path) -> None:
    """The shell steps of docs/ci.md's sharded workflow, matrix spelled out, in the example
    project; then the gate job's steps on what the shards left in shards/."""
    folder = sandbox(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "GITHUB_ACTIONS")}
    jobs: Any = workflow("tracker-shards")["jobs"]
    shard_runs = [s["run"] for s in jobs["shard"]["steps"] if "run" in s and "pip " not in s["run"]]
    for group in jobs["shard"]["strategy"]["matrix"]["include"]:
        for run in shard_runs:
            line = run.replace("${{ matrix.group }}", str(group["group"]))
            line = line.replace("${{ matrix.deselect }}", group["deselect"])
            subprocess.run(command(line), cwd=folder, env=env, capture_output=True, check=False)
    for run in [s["run"] for s in jobs["gate"]["steps"] if "run" in s and "pip " not in s["run"]]:
        done = subprocess.run(
            command(run), cwd=folder, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"$ {run}\n{done.stdout}{done.stderr}"
    combined = json.loads((folder / "pr_info" / ".tasktracker" / "results.json").read_text())
    subprocess.run(command("pytest"), cwd=folder, env=env, capture_output=True, check=False)
    # the one run above wrote its own evidence over the combined file: compare the two
    whole = json.loads((folder / "pr_info" / ".tasktracker" / "results.json").read_text())
    assert {e["id"]: e["outcome"] for e in combined["subtasks"]} == {
        e["id"]: e["outcome"] for e in whole["subtasks"]
    }
    assert {e["id"]: e["outcome"] for e in combined["subtasks"]}["1.3"] == "passed"


@pytest.mark.e2e
def test_the_attested_workflow_runs_as_far_as_it_can_without_github(tmp_path: Path) -> None:
    """docs/ci.md's signing and verifying workflows in the example project: the run's
    step writes what actions/attest takes; the statement it wrote stands in for the one
    `gh attestation verify` hands back; the gate accepts it, then names what differs."""
    folder = sandbox(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "GITHUB_ACTIONS")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    jobs: Any = workflow("tracker-attested")["jobs"]
    steps = jobs["tests"]["steps"]
    runs = [step["run"] for step in steps if "run" in step and not step["run"].startswith("pip ")]
    assert len(runs) == 1
    verify = command("tasktracker verify 1.4")  # the declared pylint, as in the gate's job
    subprocess.run(verify, cwd=folder, env=env, check=True, capture_output=True)
    done = subprocess.run(
        command(runs[0]), cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (attest,) = [
        step["with"] for step in steps if step.get("uses", "").startswith("actions/attest")
    ]
    statement = json.loads((folder / "statement.json").read_text())
    subjects = attest["subject-path"].split()
    assert subjects == [subject["name"] for subject in statement["subject"]]
    assert all((folder / subject).is_file() for subject in subjects)
    assert attest["predicate-type"] == statement["predicateType"]
    predicate = json.loads((folder / attest["predicate-path"]).read_text())
    assert predicate == statement["predicate"]
    (folder / "attested.json").write_text(json.dumps(statement))  # what gh would hand back
    verifying: Any = workflow("tracker-verify")["jobs"]
    checks = verifying["verify"]["steps"]
    ours = [s["run"] for s in checks if s.get("run", "").startswith("tasktracker ")]
    assert [s["run"].split()[:3] for s in checks if "run" in s][1] == [
        "gh",
        "attestation",
        "verify",
    ]
    ok = subprocess.run(command(ours[0]), cwd=folder, env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    results = folder / "pr_info" / ".tasktracker" / "results.json"
    results.write_text(results.read_text() + " ")
    (folder / "tinycache.py").write_text((folder / "tinycache.py").read_text() + "\n")
    bad = subprocess.run(command(ours[0]), cwd=folder, env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    page = (ROOT / "docs" / "ci.md").read_text()
    shown = page.split("A file that differs fails the gate, naming it:")[1].split("```text\n")[1]
    expected = shown.split("```")[0].splitlines()
    assert matches(
        [re.sub(r"sha256 \w+", "sha256 *", line) for line in expected], bad.stdout.splitlines()
    )


@pytest.mark.e2e
def test_the_pre_commit_hook_runs_the_gate_as_pre_commit_would(tmp_path: Path) -> None:
    (hook,) = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "tasktracker-gate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert re.search(hook["files"], "pr_info/TASK_TRACKER.md")
    assert re.search(hook["files"], ".kiro/specs/x/tasks.md")
    (sample,) = [s for s in ALL if s.page == "ci.md" and "repos:" in s.body]
    config = YAML(typ="safe", pure=True).load(sample.body)
    assert config["repos"][0]["hooks"] == [{"id": hook["id"]}]
    folder = sandbox(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "GITHUB_ACTIONS")}
    entry = command(hook["entry"])
    clean = subprocess.run(entry, cwd=folder, env=env, capture_output=True, text=True, check=False)
    assert (clean.returncode, clean.stdout) == (
        0,
        "judging pr_info/TASK_TRACKER.md ('tracker' in pyproject.toml) with the evidence in "
        "pr_info/.tasktracker\ngate passed: no sub-task is ticked\n",
    )
    tracker = folder / "pr_info" / "TASK_TRACKER.md"
    tracker.write_text(
        tracker.read_text().replace(
            "- [ ] Run tests to verify they pass", "- [x] Run tests to verify they pass"
        )
    )
    dirty = subprocess.run(entry, cwd=folder, env=env, capture_output=True, text=True, check=False)
    assert dirty.returncode == 1
    assert dirty.stdout.endswith("gate failed: 1 of 1 ticked sub-tasks lack evidence (1.3)\n")


def test_the_reference_page_lists_every_public_name_with_its_parameters(tmp_path: Path) -> None:
    import inspect

    import pytest_tasktracker

    page = (ROOT / "docs" / "reference.md").read_text()
    headings = re.findall(r"^### `([\w]+)(?:\((.*)\))?`$", page, re.M)
    assert sorted(name for name, _ in headings) == sorted(pytest_tasktracker.__all__)
    assert dir(pytest_tasktracker) == sorted(pytest_tasktracker.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        _ = pytest_tasktracker.nothing_here
    for name, params in headings:
        if name == "__version__":
            from importlib.metadata import version

            assert pytest_tasktracker.__version__ == version("pytest-tasktracker")
            continue
        documented = [p.split("=")[0].strip() for p in params.split(",") if p.strip()]
        actual = list(inspect.signature(getattr(pytest_tasktracker, name)).parameters)
        assert documented == actual, name
    (tmp_path / "pr_info").mkdir()
    (tmp_path / "pr_info" / "TASK_TRACKER.md").write_text("### Step 1: S\n- [ ] A\n")
    (sample,) = [s for s in ALL if s.page == "reference.md" and s.lang == "python"]
    done = subprocess.run(
        [sys.executable, "-c", sample.body], cwd=tmp_path, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, "S\n"), done.stderr
