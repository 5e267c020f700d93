"""The code state: which files are code (the same with git and without), the records that
spare work (never trusted past a change), the environment's entries, and what a judge
reads of the last run."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conftest import commit_all, git
from pytest_tasktracker.rules import codecache, codefiles, codestate, environment
from pytest_tasktracker.rules.freshness import same_state

START = {
    "pytest.ini": "[pytest]\n",
    "test_a.py": "def test_a():\n    pass\n",
    "src/pkg/__init__.py": "",
    "src/pkg/mod.py": "X = 1\n",
    "README.md": "# x\n",
}

# A file made after the run: does it make the evidence stale? The same with git (no
# .gitignore, as an sdist or a new project starts) and without.
TABLE = {
    ".coverage": False,
    ".coverage.host.1234.567890": False,
    "logs/mcp_tools_py_20261207_040611.log": False,  # a test tool's own log
    "htmlcov/index.html": False,
    ".tox/py311/lib/python3.11/site-packages/x.py": False,
    "build/lib/pkg/mod.py": False,
    "dist/pkg-1.0.tar.gz": False,
    "pkg.egg-info/PKG-INFO": False,
    "src/pkg.egg-info/SOURCES.txt": False,
    ".venv/lib/python3.11/site-packages/x.py": False,
    "env/pyvenv.cfg": False,  # a virtualenv under any name (with its bin/python)
    "env/lib/python3.11/site-packages/y.py": False,
    "__pycache__/test_a.cpython-311-pytest-9.2.0.pyc": False,
    "src/pkg/__pycache__/mod.cpython-311.pyc": False,
    "src/pkg/mod.pyc": False,
    ".test_a.py.swp": False,
    "src/pkg/.mod.py.swo": False,
    "test_a.py~": False,
    "#test_a.py#": False,
    ".#test_a.py": False,
    ".DS_Store": False,
    ".pytest_cache/v/cache/lastfailed": False,
    ".mypy_cache/3.11/pkg.data.json": False,
    ".hypothesis/examples/0/1": False,
    "node_modules/x/index.js": False,
    "site/index.html": False,
    "docs/guide.txt": False,
    "NOTES.md": False,
    "src/pkg/notes.rst": False,
    "shards/shard-1/results.json": False,  # another state folder, with...
    "shards/shard-1/code/run.json": False,  # ...its record
    "helpers.py": True,
    "conftest.py": True,
    "src/pkg/new.py": True,
    "src/pkg/build/steps.py": True,  # a package named build, not the top's build/
    "setup.cfg": True,
    "tox.ini": True,
    ".coveragerc": True,
    "data/input.json": True,
    "tests/test_b.py": True,
}


@pytest.mark.e2e
@pytest.mark.parametrize("place", ["src/pkg", "tests"])
def test_a_pyvenv_cfg_dropped_beside_code_hides_none_of_it(project: Path, place: str) -> None:
    """A folder is a virtualenv by its ``pyvenv.cfg`` and its Python, and not where git
    tracks a file: a ``pyvenv.cfg`` dropped into the tests' or the code's folder after a
    run leaves a later edit there seen."""
    make(project, {"tests/test_b.py": "def test_b():\n    pass\n"})
    if (project / ".git").exists():
        commit_all(project)
    make(project, {f"{place}/pyvenv.cfg": "home = /usr/bin\n"})
    before = codestate.code_state(project).digest
    edited = project / place / ("mod.py" if place == "src/pkg" else "test_b.py")
    edited.write_text(edited.read_text() + "# edited\n")
    assert not same_state(before, codestate.code_state(project).digest)


def make(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def unmake(root: Path, name: str) -> None:
    (root / name).unlink()
    folder = (root / name).parent
    while folder != root and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


@pytest.fixture(params=["git", "plain"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    make(root, START)
    if request.param == "git":  # no .gitignore
        commit_all(root)
    return root


@pytest.mark.e2e
def test_tool_output_and_editor_files_are_not_code_with_git_or_without(
    project: Path, tmp_path: Path
) -> None:
    records = tmp_path / "records"
    before = codestate.code_state(project, records=records)
    verdicts = {}
    for name in TABLE:
        make(project, {name: "made after the run\n"})
        if name == "env/pyvenv.cfg":
            make(project, {"env/bin/python": "#!"})  # ignored: it lies in the virtualenv
        if name.startswith("shards/shard-1/results"):
            make(project, {"shards/shard-1/code/run.json": "{}"})
        now = codestate.code_state(project, records=records)
        verdicts[name] = not same_state(before.digest, now.digest)
        if not name.startswith("shards/shard-1/results") and name != "env/pyvenv.cfg":
            unmake(project, name)
    assert verdicts == TABLE


@pytest.mark.e2e
def test_the_records_never_say_fresh_for_changed_code(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each step changes the code or not; the digest with the records (from the step
    before) is always the digest without them."""
    monkeypatch.setattr(codefiles, "SETTLED_NS", -(10**12))  # every file settled at once
    monkeypatch.setattr(codecache, "SETTLED_NS", -(10**12))
    records = tmp_path / "records"
    in_git = (project / ".git").exists()
    steps: list[Callable[[], object]] = [
        lambda: None,
        lambda: (project / "src/pkg/mod.py").write_text("X = 2\n"),  # same size
        lambda: (project / "src/pkg/mod.py").write_text("X = 3\n"),  # git lists it again
        lambda: (project / "new.py").write_text("Y = 1\n"),
        lambda: git(project, "add", "new.py") if in_git else None,
        lambda: (project / "new.py").write_text("Y = 2\n"),
        lambda: git(project, "commit", "-qam", "more") if in_git else None,
        lambda: (project / "test_a.py").unlink(),
        lambda: (project / "test_a.py").write_text(START["test_a.py"]),
        lambda: os.replace(project / "new.py", project / "renamed.py"),
        lambda: (project / "README.md").write_text("# changed\n"),
    ]
    digests = []
    for step in steps:
        step()
        remembered = codestate.code_state(project, records=records)
        fresh = codestate.code_state(project)
        assert remembered.digest == fresh.digest
        assert dict(remembered.files) == dict(fresh.files)
        digests.append(fresh.digest)
    assert len(set(digests[:3])) == 3
    assert digests[8] != digests[7]
    assert digests[10] == digests[9]  # a doc edit changes nothing


def test_a_collected_doc_file_is_code_and_the_record_says_so(project: Path, tmp_path: Path) -> None:
    make(project, {"README.rst": ">>> 1 + 1\n2\n"})
    records = tmp_path / "records"
    plain = codestate.code_state(project, records=records)
    counted = codestate.code_state(project, records=records, also={"README.rst", "test_a.py"})
    # a module the run loaded is hashed wherever git puts it (ignored too): with git, the
    # record keeps it; without git, the walk found it
    in_git = (project / ".git").exists()
    assert counted.also == (("README.rst", "test_a.py") if in_git else ("README.rst",))
    assert set(counted.files) - set(plain.files) == {"README.rst"}
    (project / "README.rst").write_text(">>> 1 + 1\n3\n")
    again = codestate.code_state(project, records=records, also={"README.rst"})
    assert again.digest != counted.digest
    assert codestate.code_state(project, records=records).digest == plain.digest


def site(folder: Path, *names: str) -> str:
    for name in names:
        (folder / name).mkdir(parents=True)
    return str(folder)


def test_installed_versions_come_from_the_metadata_folders_names(tmp_path: Path) -> None:
    first = site(
        tmp_path / "a",
        "cachetools-8.0.3.dist-info",
        "Foo_Bar-1.0.dist-info",
        "six-1.16.0-py3.11.egg-info",
        "mypkg.egg-info",
        "cachetools",
    )
    (tmp_path / "a" / "mypkg.egg-info" / "PKG-INFO").write_text("Name: mypkg\nVersion: 2.0\n")
    second = site(tmp_path / "b", "cachetools-5.5.2.dist-info", "attrs-26.1.0.dist-info")
    entries, held = environment.installed([first, second, str(tmp_path / "missing")])
    assert entries == {
        "/installed/cachetools": "8.0.3",  # the first on the path wins, as an import
        "/installed/foo-bar": "1.0",
        "/installed/six": "1.16.0",
        "/installed/mypkg": "2.0",
        "/installed/attrs": "26.1.0",
    }
    assert held == [first, second]


def test_a_judge_looks_at_the_runs_environment_not_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "site-packages"
    site(folder, "cachetools-8.0.3.dist-info")
    monkeypatch.syspath_prepend(str(folder))
    entries, where = environment.here(tmp_path / "project")
    assert entries["/installed/cachetools"] == "8.0.3"
    assert str(folder) in where.sites
    (folder / "cachetools-8.0.3.dist-info").rename(folder / "cachetools-5.5.2.dist-info")
    monkeypatch.setattr("sys.path", [])  # the judge's own path has nothing of it
    again = environment.again(where)
    assert again is not None
    assert again["/installed/cachetools"] == "5.5.2"
    assert again["/python"] == entries["/python"]
    assert environment.again(where._replace(host="another-machine")) is None


def test_a_manifest_name_is_a_digest_or_nothing(tmp_path: Path) -> None:
    state = codestate.CodeState("0123456789abcdef-01234567", {"a.py": "1"})
    codestate.remember(tmp_path, state)
    known = codestate.manifests(tmp_path)
    assert dict(known) == {"0123456789abcdef-01234567": {"a.py": "1"}}
    assert known.get("../../etc/passwd") is None
    assert known.get("fedcba9876543210") is None


@pytest.mark.parametrize("flag", ["--assume-unchanged", "--skip-worktree"])
def test_a_file_git_is_told_not_to_look_at_still_counts(tmp_path: Path, flag: str) -> None:
    """``git update-index --assume-unchanged app.py`` hides a change from ``git status``
    and from the index's hashes: the file is hashed as it is, and the state changes."""
    root = tmp_path / "project"
    make(root, {"app.py": "X = 1\n", "tests/test_app.py": "def test_a():\n    pass\n"})
    commit_all(root)
    records = tmp_path / "records"
    before = codestate.code_state(root, records=records).digest
    (root / "app.py").write_text("X = 2\n")
    git(root, "update-index", flag, "app.py")
    after = codestate.code_state(root, records=records)
    assert after.digest != before
    assert after.files["app.py"] == codefiles_hash(root / "app.py")
    again = codestate.code_state(root, records=records)  # the same index: from the records
    assert again.digest == after.digest


def codefiles_hash(path: Path) -> str:
    """The digest git would give the file's content (a blob's SHA-1)."""
    import hashlib

    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@given(st.text(alphabet="aZ9-_.", max_size=12))
@example("zope.interface")
@example("Foo__Bar--baz..x")
def test_a_distribution_s_name_is_normalized_as_pep_503_says(name: str) -> None:
    """``re.sub(r"[-_.]+", "-", name).lower()``, without compiling it."""
    import re

    assert environment._normalized(name) == re.sub(r"[-_.]+", "-", name).lower()


@given(st.text(alphabet="0123456789abcdefA-g", max_size=27))
@example("0123456789abcdef")
@example("0123456789abcdef-01234567")
@example("0123456789abcdef-0123456-")
@example("0123456789abcdef001234567")
def test_a_digest_is_what_its_pattern_matches_whole(text: str) -> None:
    import re

    found = re.fullmatch(r"[0-9a-f]{16}(?:-[0-9a-f]{8})?", text) is not None
    assert codestate.is_digest(text) == found
