"""runinfo.git_head reads the checked-out commit without running git: a plain
repository, a worktree or submodule (a ``.git`` file), packed refs, a detached head."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pytest_tasktracker.runinfo import git_head

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "89abcdef0123456789abcdef0123456789abcdef"


def repository(root: Path, head: str = "ref: refs/heads/main\n") -> Path:
    dot_git = root / ".git"
    (dot_git / "refs" / "heads").mkdir(parents=True)
    (dot_git / "HEAD").write_text(head)
    return dot_git


def test_a_branch_is_read_from_its_ref_file_from_any_folder_below(tmp_path: Path) -> None:
    dot_git = repository(tmp_path)
    (dot_git / "refs" / "heads" / "main").write_text(SHA + "\n")
    (tmp_path / "src" / "deep").mkdir(parents=True)
    assert git_head(tmp_path / "src" / "deep") == SHA


def test_a_detached_head_is_the_commit_itself(tmp_path: Path) -> None:
    repository(tmp_path, OTHER + "\n")
    assert git_head(tmp_path) == OTHER


def test_a_packed_ref_is_found_in_packed_refs(tmp_path: Path) -> None:
    dot_git = repository(tmp_path)
    (dot_git / "packed-refs").write_text(
        f"# pack-refs with: peeled fully-peeled sorted\n{OTHER} refs/heads/other\n"
        f"{SHA} refs/heads/main\n"
    )
    assert git_head(tmp_path) == SHA


@pytest.mark.parametrize("packed", [None, f"{OTHER} refs/heads/other\n"])
def test_a_branch_with_no_commit_yet_has_no_head(tmp_path: Path, packed: str | None) -> None:
    dot_git = repository(tmp_path)
    if packed is not None:
        (dot_git / "packed-refs").write_text(packed)
    assert git_head(tmp_path) is None


def test_a_worktree_reads_its_own_head_and_the_common_refs(tmp_path: Path) -> None:
    main = repository(tmp_path / "main")
    (main / "refs" / "heads" / "feature").write_text(SHA + "\n")
    own = main / "worktrees" / "wt"
    own.mkdir(parents=True)
    (own / "HEAD").write_text("ref: refs/heads/feature\n")
    (own / "commondir").write_text("../..\n")
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {own}\n")
    assert git_head(tmp_path / "wt") == SHA


@pytest.mark.parametrize("text", ["not a gitdir line\n", ""])
def test_a_git_file_that_names_no_gitdir_gives_no_head(tmp_path: Path, text: str) -> None:
    (tmp_path / ".git").write_text(text)
    assert git_head(tmp_path) is None


def test_a_folder_named_in_a_git_file_that_is_gone_is_passed_over(tmp_path: Path) -> None:
    dot_git = repository(tmp_path)
    (dot_git / "refs" / "heads" / "main").write_text(SHA)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".git").write_text("gitdir: ../nowhere\n")
    assert git_head(tmp_path / "sub") == SHA


def test_an_unreadable_head_gives_no_head(tmp_path: Path) -> None:
    (tmp_path / ".git" / "HEAD").mkdir(parents=True)  # a folder where HEAD should be
    assert git_head(tmp_path) is None


def test_a_git_folder_without_head_gives_no_head(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # a folder without HEAD stops the search here
    assert git_head(tmp_path) is None


def test_it_agrees_with_git_on_a_real_worktree(tmp_path: Path) -> None:
    def git(*args: str, cwd: Path = tmp_path / "repo") -> str:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()

    (tmp_path / "repo").mkdir()
    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "a")
    git("pack-refs", "--all")
    git("worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "b",
        cwd=tmp_path / "wt",
    )
    assert git_head(tmp_path / "repo") == git("rev-parse", "HEAD")
    assert git_head(tmp_path / "wt") == git("rev-parse", "HEAD", cwd=tmp_path / "wt")
