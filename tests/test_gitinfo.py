"""The commit stamped on a build: git's answer, kept only while what git reads for it is unchanged.

kcrecord/content/gitinfo.py keeps rev-parse's answer while HEAD, the branch's ref file and
packed-refs are as they were. Each way the checked-out commit can move is driven here with real
git, and every answer is compared with git's own.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from kcrecord.content import gitinfo
from kcrecord.content.gitinfo import UNKNOWN, git_commit


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.fixture()
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "test@example.org")
    git(root, "config", "user.name", "Test")
    (root / "a.txt").write_text("one\n", encoding="utf-8")
    git(root, "add", "a.txt")
    git(root, "commit", "-q", "-m", "one")
    return root


def commit(root: Path, text: str) -> None:
    (root / "a.txt").write_text(text, encoding="utf-8")
    git(root, "commit", "-q", "-am", text)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_answer_is_gits_own_through_random_moves(repository: Path, seed: int) -> None:
    rng = random.Random(seed)
    moves = ["commit", "branch", "switch", "detach", "pack", "reset", "amend"]
    for step in range(14):
        move = rng.choice(moves)
        if move == "commit":
            commit(repository, f"step {step}\n")
        elif move == "branch":
            git(repository, "branch", "-f", f"b{step % 3}")
        elif move == "switch":
            branches = git(repository, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()
            git(repository, "checkout", "-q", rng.choice(branches))
        elif move == "detach":
            git(repository, "checkout", "-q", "--detach", "HEAD~0")
        elif move == "pack":
            git(repository, "pack-refs", "--all")
        elif move == "reset":
            first = git(repository, "rev-list", "--max-parents=0", "HEAD").split()[0]
            git(repository, "reset", "-q", "--hard", first)
        else:
            git(repository, "commit", "-q", "--amend", "-m", f"amended {step}")
        assert git_commit(repository) == git(repository, "rev-parse", "HEAD"), (step, move)
        assert git_commit(repository) == git(repository, "rev-parse", "HEAD"), (step, move)  # the kept answer


def test_a_commit_packed_away_between_two_builds_is_seen(repository: Path) -> None:
    git(repository, "pack-refs", "--all")  # the branch lives in packed-refs alone
    before = git_commit(repository)
    commit(repository, "two\n")
    git(repository, "pack-refs", "--all")  # HEAD and the (missing) loose ref read as before: only packed-refs moved
    assert git_commit(repository) == git(repository, "rev-parse", "HEAD") != before


def test_the_kept_answer_saves_asking_git(repository: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    real = gitinfo._rev_parse  # noqa: SLF001 - counting the processes started

    def counted(root: Path) -> str:
        asked.append(root)
        return real(root)

    monkeypatch.setattr(gitinfo, "_rev_parse", counted)
    first = git_commit(repository)
    assert git_commit(repository) == first and len(asked) == 1
    commit(repository, "two\n")
    assert git_commit(repository) != first and len(asked) == 2


def test_outside_a_plain_checkout_git_is_asked_every_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert git_commit(tmp_path) == UNKNOWN
    (tmp_path / ".git").write_text("gitdir: /nowhere\n", encoding="utf-8")  # a worktree's .git is a file
    assert gitinfo._what_head_reads(tmp_path) is None  # noqa: SLF001
    monkeypatch.setenv("GIT_DIR", str(tmp_path))
    assert gitinfo._what_head_reads(tmp_path) is None  # noqa: SLF001


def test_a_failure_to_ask_git_is_not_kept(repository: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A timeout (or git missing for a moment) gives 'unknown' that time only: the next build asks again."""
    real = subprocess.run
    failures = [subprocess.TimeoutExpired(["git"], 10)]

    def flaky(*args: object, **kwargs: object) -> object:
        if failures:
            raise failures.pop()
        return real(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", flaky)
    assert git_commit(repository) == UNKNOWN
    assert git_commit(repository) == git(repository, "rev-parse", "HEAD")
