from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The suite runs a bounded number of examples (profile "ci"); `tox -e fuzz` runs many more.
settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CORPUS = Path(__file__).parent / "corpus"
TRACKERS = sorted(
    p for p in CORPUS.glob("*.md") if "blocker" not in p.name and p.name != "README.md"
)


def event(name: str, root: Path, **values: Any) -> str:
    """A hook event recorded from its host (tests/data/NAME), with ``{cwd}`` and the other
    placeholders filled in as JSON strings or values."""
    text = (Path(__file__).parent / "data" / name).read_text()
    for key, value in {"cwd": str(root), **values}.items():
        text = text.replace(
            "{" + key + "}",
            json.dumps(value)[1:-1] if isinstance(value, str) else json.dumps(value),
        )
    json.loads(text)  # still valid JSON
    return text


@pytest.fixture
def corpus() -> Path:
    return CORPUS


@pytest.fixture
def seed_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose tracker is the mcp-coder tracker from commit 7129c046, as cwd."""
    (tmp_path / "pr_info").mkdir()
    (tmp_path / "pr_info" / "TASK_TRACKER.md").write_bytes(
        corpus_tracker("7129c046_TASK").read_bytes()
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYTEST_TRACKER", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``tasktracker ARGV`` in-process: (exit code, stdout, stderr)."""
    from pytest_tasktracker.cli import main

    capsys.readouterr()  # drop what ran before, such as an in-process pytest run
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli_in(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    """``tasktracker ARGV`` run in the pytester project, outside GitHub Actions."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(pytester.path)
        patch.delenv("GITHUB_ACTIONS", raising=False)
        return run_cli(capsys, *argv)


def evidence_file(path: Path) -> dict[str, Any]:
    """A results.json as written, checked against its schema, then as readers take it
    (every entry with its rows and its run)."""
    from jsonschema import Draft202012Validator

    from pytest_tasktracker.rules.evidence import expand

    schema_file = (
        Path(__file__).parent.parent / "src/pytest_tasktracker/schemas/results.schema.json"
    )
    data = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator(json.loads(schema_file.read_text())).validate(data)
    assert isinstance(data, dict)
    return expand(data)


def blocker_front(folder: Path, pattern: str = "*.md") -> dict[str, Any]:
    """The front matter of the one blocker report in ``folder`` that matches ``pattern``."""
    from ruamel.yaml import YAML

    (report,) = folder.glob(pattern)
    text = report.read_text()
    front: dict[str, Any] = YAML(typ="safe").load(text[4 : text.index("\n---\n", 4)])
    return front


def absent(*modules: str) -> pytest.MarkDecorator:
    """Skip a test that needs these plugins not to be installed (it shows the blocker
    their missing option makes)."""
    import importlib.util

    found = [name for name in modules if importlib.util.find_spec(name) is not None]
    return pytest.mark.skipif(bool(found), reason=f"installed here: {', '.join(found)}")


def corpus_tracker(name: str) -> Path:
    """The corpus tracker whose file name contains ``name``."""
    (match,) = [path for path in TRACKERS if name in path.name]
    return match


def tasktracker(
    project: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``tasktracker ARGS`` as a real process in ``project`` (``env``: variables to set)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_tasktracker", *args],
        cwd=project,
        env=None if env is None else {**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def run_pytest_in(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``pytest -q ARGS`` as a real process in ``project`` (no cache folder)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


class Golden:
    """Expected data of many cases in one JSON file; ``UPDATE_GOLDEN=1`` rewrites it from
    what the cases give (review the diff before committing it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.updating = bool(os.environ.get("UPDATE_GOLDEN"))
        self.expected: dict[str, Any] = (
            {} if self.updating or not path.exists() else json.loads(path.read_text())
        )
        self.found: dict[str, Any] = {}

    def check(self, name: str, found: Any) -> None:
        if self.updating:
            self.found[name] = found
            self.path.write_text(json.dumps(self.found, indent=1, ensure_ascii=False) + "\n")
            return
        assert found == self.expected[name]


# The project the hook tests share: test_a.py passed in a real run, test_b.py never ran.
def git(root: Path, *args: str) -> None:
    """``git ARGS`` in ``root``, as a user with a name and address."""
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def commit_all(root: Path) -> None:
    """``root`` made a git repository whose one commit holds every file in it."""
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "start")


TWO_TESTS = (
    "# Tasks\n\n### Step 1: Parts\n\n- [ ] Run pytest on test_a.py\n"
    "- [ ] Run pytest on test_b.py\n- [x] Write the README\n"
)


def two_tests_with_evidence(root: Path, *extra: str) -> Path:
    """``root`` made the shared hook project (``extra``: more files, each with a line of
    text), with the evidence of a real run of test_a.py alone."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\ntracker = TASKS.md\n")
    (root / "TASKS.md").write_text(TWO_TESTS)
    (root / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / "test_b.py").write_text("def test_b():\n    pass\n")
    for name in extra:
        (root / name).write_text(f"{name}\n")
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_a.py"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return root


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Two tiers: a test that starts pytest or another process is ``e2e``
    (``-m "not e2e"`` is the fast tier: the rules, the library, golden files)."""
    e2e = pytest.mark.e2e
    for item in items:
        if "pytester" in getattr(item, "fixturenames", ()):
            item.add_marker(e2e)
