"""make site's search index with the cache: Pagefind runs while the state is saved, and a build stopped or
failed while it runs is indexed again by the next build, to the very bundle a cold build gives.

Pagefind is replaced by small stand-ins (PAGEFIND_BINARY) that fail, kill the build, or note what they
saw before running the real binary.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kcrecord.engine import search
from kcrecord.engine.engine import Engine
from kcrecord.outputs.search_index import pagefind_binary
from tests.hostile import run_cli, tree_digest

REPO = Path(__file__).resolve().parents[1]
INCIDENT = "content/incidents/2024-03-01-officer-shoots-man-at-bus-stop.md"


def stand_in(folder: Path, body: str) -> Path:
    """Write an executable Python script that runs body, then the real Pagefind with the same arguments."""
    script = folder / "pagefind-stand-in"
    real = pagefind_binary()
    run_real = f"os.execv({str(real)!r}, [{str(real)!r}, *sys.argv[1:]])"
    script.write_text(f"#!{sys.executable}\nimport os, sys, glob, time, signal\n{body}\n{run_real}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def edit(root: Path, old: str, new: str) -> None:
    path = next((root / "content" / "incidents").glob("*.md"))
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def cold_bundle(root: Path) -> str:
    run = run_cli(root, "build", "--no-cache", "--out", str(root / "cold"), "--quiet")
    assert run.code == 0, run.err
    return tree_digest(root / "cold" / "pagefind")


@pytest.fixture
def built(small_project: Path) -> Path:
    run = run_cli(small_project, "build", "--quiet")
    assert run.code == 0, run.err
    return small_project


def first_words(root: Path) -> tuple[str, str]:
    """Return a word of an incident's narrative and another to put in its place."""
    path = next((root / "content" / "incidents").glob("*.md"))
    narrative = path.read_text(encoding="utf-8").split("\n---", 2)[-1]
    word = next(word for word in narrative.split() if word.isalpha() and len(word) > 5)
    return word, "Zanzibarish"


@pytest.mark.parametrize("stop", ["fails", "kills the build"])
def test_a_build_stopped_while_indexing_is_indexed_again_next_time(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: str
) -> None:
    old, new = first_words(built)
    edit(built, old, new)
    if stop == "fails":
        body = "print('no index today', file=sys.stderr); sys.exit(3)"
    else:
        body = "os.kill(os.getppid(), signal.SIGKILL); time.sleep(30); sys.exit(4)"
    monkeypatch.setenv("PAGEFIND_BINARY", str(stand_in(tmp_path, body)))
    run = run_cli(built, "build", "--quiet")
    assert run.code != 0
    if stop == "fails":
        assert "pagefind failed (3): no index today" in run.err
    left = list(built.glob(".site-search-*"))
    assert len(left) == (stop == "kills the build"), "a failed run leaves its staging folder behind"
    # A killed build cannot clean up: the next build does, at once (no process holds the folder's lock).
    monkeypatch.delenv("PAGEFIND_BINARY")
    run = run_cli(built, "build", "--quiet")  # the content as in the stopped build: only the index is missing
    assert run.code == 0, run.err
    assert tree_digest(built / "site" / "pagefind") == cold_bundle(built)
    assert not list(built.glob(".site-search-*"))


def test_pagefind_runs_while_the_state_is_saved(
    small_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "seen"
    engine = small_project / ".cache" / "engine"
    body = (
        f"deadline = time.time() + 20\n"
        f"while time.time() < deadline and not glob.glob({str(engine)!r} + '/*.search'):\n"
        f"    time.sleep(0.01)\n"
        f"open({str(seen)!r}, 'w').write(repr(sorted(os.listdir({str(engine)!r}))))"
    )
    monkeypatch.setenv("PAGEFIND_BINARY", str(stand_in(tmp_path, body)))
    run = run_cli(small_project, "build", "--quiet")  # cold: no state before this build saves it
    assert run.code == 0, run.err
    assert ".search" in seen.read_text(encoding="utf-8"), "the state was not saved while Pagefind ran"
    monkeypatch.delenv("PAGEFIND_BINARY")
    assert tree_digest(small_project / "site" / "pagefind") == cold_bundle(small_project)


def test_the_index_is_made_again_only_when_a_page_changed(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    monkeypatch.setenv("PAGEFIND_BINARY", str(stand_in(tmp_path, f"open({str(calls)!r}, 'a').write('ran\\n')")))
    os.utime(built / INCIDENT if (built / INCIDENT).exists() else next((built / "content" / "incidents").glob("*.md")))
    assert run_cli(built, "build", "--quiet").code == 0  # a file touched, its bytes the same
    assert not calls.exists()
    old, new = first_words(built)
    edit(built, old, new)
    run = run_cli(built, "build", "--quiet")
    assert run.code == 0, run.err
    assert calls.read_text(encoding="utf-8") == "ran\n"
    monkeypatch.delenv("PAGEFIND_BINARY")
    assert tree_digest(built / "site" / "pagefind") == cold_bundle(built)


def test_a_build_stopped_after_its_pages_moved_in_and_before_its_state_was_saved_is_indexed_again(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by an outside audit: the next build found the pages written, changed nothing, and kept the old index.

    The search mark now names the pages the index was made from (kcrecord/engine/search.py, pages_mark).
    """
    old, new = first_words(built)
    edit(built, old, new)

    def stopped(*_args: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C once the pages are in place, before the state is saved

    monkeypatch.setattr(search, "save_state", stopped)
    with pytest.raises(KeyboardInterrupt):
        Engine(built, built / "site", cache=built / ".cache").run()
    monkeypatch.undo()
    pages = (built / "site" / "incidents").rglob("index.html")
    assert any(new in page.read_text(encoding="utf-8") for page in pages), "the stopped build wrote no page"
    run = run_cli(built, "build", "--quiet")
    assert run.code == 0, run.err
    assert tree_digest(built / "site" / "pagefind") == cold_bundle(built)


@pytest.mark.parametrize("between", [["--no-search"], ["--no-search", "--no-cache"], ["--no-cache"]])
def test_pages_written_by_a_build_in_between_are_indexed_by_the_next(built: Path, between: list[str]) -> None:
    """Found by an outside audit: a build without the index (or the cache) wrote pages the next found written."""
    old, new = first_words(built)
    edit(built, old, new)
    run = run_cli(built, "build", "--quiet", *between)
    assert run.code == 0, run.err
    run = run_cli(built, "build", "--quiet")
    assert run.code == 0, run.err
    assert tree_digest(built / "site" / "pagefind") == cold_bundle(built)


@pytest.mark.parametrize("cached", [True, False])
@pytest.mark.parametrize("changed", [False, True])
def test_a_build_without_search_leaves_no_old_index(built: Path, cached: bool, changed: bool) -> None:
    """An index left by an earlier build would answer with its old pages: --no-search gives a clean build's folder."""
    root = built
    assert (root / "site" / "pagefind").is_dir()
    if changed:
        word, other = first_words(root)
        edit(root, word, other)
    flags = ["--no-search"] + ([] if cached else ["--no-cache"])
    run = run_cli(root, "build", *flags, "--quiet")
    assert run.code == 0, run.err
    clean = run_cli(root, "build", "--no-search", "--no-cache", "--out", str(root / "clean"), "--quiet")
    assert clean.code == 0, clean.err
    assert not (root / "site" / "pagefind").exists()
    assert tree_digest(root / "site") == tree_digest(root / "clean")
    run = run_cli(root, "build", "--quiet")  # and the next build with search makes the index again
    assert run.code == 0, run.err
    assert tree_digest(root / "site" / "pagefind") == cold_bundle(root)


KILLED_IN_REMOVAL = """
import os, signal, sys
sys.argv = ["build.py", *sys.argv[2:]]
from kcrecord.engine import search
real_rmtree, real_unlink = search.shutil.rmtree, os.unlink
def rmtree(path, *args, **kwargs):  # the removal: killed after {removals} files
    left = [{removals}]
    def unlink(name, *args, **kwargs):
        if left[0] == 0:
            os.kill(os.getpid(), signal.SIGKILL)
        left[0] -= 1
        return real_unlink(name, *args, **kwargs)
    os.unlink = unlink
    real_rmtree(path, *args, **kwargs)
search.shutil.rmtree = rmtree
from kcrecord.cli import main
sys.exit(main(ending=True))
"""


@pytest.mark.parametrize("removals", [0, 3, 8])
def test_a_build_without_search_killed_while_removing_the_index_leaves_none_or_all(
    built: Path, tmp_path: Path, removals: int
) -> None:
    """Found by an outside audit: killed part-way, the removal left part of the index, which the next build kept."""
    root = built
    whole = tree_digest(root / "site" / "pagefind")
    script = tmp_path / "killed.py"
    script.write_text(KILLED_IN_REMOVAL.format(removals=removals), encoding="utf-8")
    command = [sys.executable, str(script), "-", "--root", str(root), "build", "--no-search", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == -signal.SIGKILL, done.stderr  # killed in the removal, as the test means
    left = tree_digest(root / "site" / "pagefind")
    assert left in {whole, "missing"}
    run = run_cli(root, "build", "--quiet")
    assert run.code == 0, run.err
    assert tree_digest(root / "site" / "pagefind") == cold_bundle(root)


def test_a_link_where_the_index_goes_is_refused(built: Path, tmp_path: Path) -> None:
    """The build neither writes through a user's link nor removes it: it says what to do."""
    root = built
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("the user's", encoding="utf-8")
    shutil.rmtree(root / "site" / "pagefind")
    (root / "site" / "pagefind").symlink_to(theirs)
    for flags in ([], ["--no-search"]):
        run = run_cli(root, "build", *flags, "--quiet")
        assert run.code != 0 and "pagefind: a link" in run.err + run.out, run.err
        assert "Traceback" not in run.err + run.out
    assert [path.name for path in theirs.iterdir()] == ["keep.txt"]


def test_only_the_builds_own_staging_folders_are_cleaned_up(built: Path) -> None:
    """Found by an outside audit: any old `.site-search-*` folder holding a pagefind/ folder was removed."""
    root = built
    old = 1_000_000_000  # 2001: far older than any build
    theirs = [root / ".site-search-backup", root / ".site-search-notes", root / ".site-search-abcdefghi"]
    ours = root / ".site-search-abcd_123"
    for folder in [*theirs, ours]:
        (folder / "pagefind").mkdir(parents=True)
        (folder / "pagefind" / "keep.txt").write_text("x", encoding="utf-8")
        os.utime(folder, (old, old))
    word, other = first_words(root)
    edit(root, word, other)  # a page changes: the index is made again, and leftovers are looked for
    run = run_cli(root, "build", "--quiet")
    assert run.code == 0, run.err
    assert all((folder / "pagefind" / "keep.txt").exists() for folder in theirs)
    assert not ours.exists()


def test_a_link_inside_the_index_is_not_written_through(built: Path, tmp_path: Path) -> None:
    """Found by an outside audit: a link in pagefind/ to a folder elsewhere had the bundle's files written there."""
    root = built
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("the user's", encoding="utf-8")
    inside = next(path for path in (root / "site" / "pagefind").iterdir() if path.is_dir())
    shutil.rmtree(inside)
    inside.symlink_to(elsewhere)
    word, other = first_words(root)
    edit(root, word, other)
    run = run_cli(root, "build", "--quiet")
    assert run.code == 0, run.err
    assert [path.name for path in elsewhere.iterdir()] == ["keep.txt"]
    assert not inside.is_symlink()
    assert tree_digest(root / "site" / "pagefind") == cold_bundle(root)


def staging_left(root: Path, tail: str, files: bool = True) -> Path:
    """Make a staging folder as a build killed while indexing leaves it (its bundle half written), unlocked."""
    folder = root / f".site-search-{tail}"
    (folder / "pagefind").mkdir(parents=True)
    if files:
        (folder / "pagefind" / "pagefind.js").write_text("half", encoding="utf-8")
    return folder


@pytest.mark.parametrize("flags", [[], ["--no-search"]], ids=["indexing", "no-search"])
def test_a_killed_builds_staging_folder_goes_at_the_next_build(built: Path, flags: list[str]) -> None:
    """Found by an outside audit: a folder left by a build killed while indexing stayed beside site/ for an hour."""
    left = staging_left(built, "kill1234")
    word, other = first_words(built)
    edit(built, word, other)  # a page changes: the index is made again
    run = run_cli(built, "build", *flags, "--quiet")
    assert run.code == 0, run.err
    assert not left.exists()
    assert not list(built.glob(".site-search-*"))


def test_a_staging_folder_in_use_is_left_alone(built: Path) -> None:
    """A folder another build holds the lock of (it is indexing into it now) is not removed, however old."""
    fcntl = pytest.importorskip("fcntl")
    used = staging_left(built, "inuse123")
    os.utime(used, (1_000_000_000, 1_000_000_000))
    handle = os.open(used, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        word, other = first_words(built)
        edit(built, word, other)
        for flags in ([], ["--no-search"]):
            run = run_cli(built, "build", *flags, "--quiet")
            assert run.code == 0, run.err
            assert (used / "pagefind" / "pagefind.js").read_text(encoding="utf-8") == "half"
    finally:
        os.close(handle)
    run = run_cli(built, "build", "--no-search", "--quiet")  # the lock is gone: the folder is left over now
    assert run.code == 0, run.err
    assert not used.exists()


def test_an_empty_staging_folder_is_left_while_it_may_be_about_to_be_locked(built: Path) -> None:
    """A build makes its folder, then locks it: a young empty folder with no lock may be one being made."""
    young = staging_left(built, "young123", files=False)
    (young / "pagefind").rmdir()
    old = staging_left(built, "old12345", files=False)
    (old / "pagefind").rmdir()
    os.utime(old, (1_000_000_000, 1_000_000_000))
    run = run_cli(built, "build", "--no-search", "--quiet")
    assert run.code == 0, run.err
    assert young.exists() and not old.exists()
