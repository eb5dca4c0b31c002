"""Issue 11, classes 6 and 9: the build replaces only a folder it wrote, recovers from being killed, and
says in one line which folder it could not write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcrecord.engine.output import OutputFolder
from kcrecord.engine.write import MARKER, MARKER_TEXT, recover
from tests.hostile import REPO, assert_refused, run_cli, tree_digest


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(child.stdout)


@pytest.mark.parametrize(
    "out",
    ["content", ".", "..", "content/incidents", "templates/new", "static", ".git", "kcrecord", "tests", "imports"],
)
def test_output_over_the_project_or_its_sources_is_refused(small_project: Path, out: str) -> None:
    (small_project / ".git").mkdir()
    (small_project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    for name in ("kcrecord", "tests", "imports"):
        (small_project / name).mkdir(exist_ok=True)
        (small_project / name / "keep.txt").write_text("keep")
    before = tree_digest(small_project.parent)
    run = run_cli(small_project, "build", "--out", str(small_project / out))
    assert_refused(run, "refusing to write the site")
    assert tree_digest(small_project.parent) == before


def test_a_folder_the_build_did_not_write_is_refused(small_project: Path, tmp_path: Path) -> None:
    for name, files in {"photos": ["a.jpg", "b/c.txt"], "other-site": ["index.html"], "one-file": ["notes.md"]}.items():
        folder = tmp_path / name
        for rel in files:
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_text(rel)
        before = tree_digest(folder)
        run = run_cli(small_project, "build", "--out", str(folder))
        assert_refused(run, "holds files the build did not write")
        assert tree_digest(folder) == before
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    assert_refused(run_cli(small_project, "build", "--out", str(a_file)), "not a folder")
    assert a_file.read_text() == "x"


def test_missing_empty_and_earlier_builds_are_replaced(small_project: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for out in (tmp_path / "new" / "site", empty):
        assert run_cli(small_project, "build", "--out", str(out)).code == 0
        assert (out / MARKER).read_bytes() == MARKER_TEXT
    (empty / "CNAME").write_text("someone else's file")
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    page = empty / "incidents" / incident.stem / "index.html"
    assert page.is_file()
    incident.rename(tmp_path / incident.name)  # deleted: its pages are made no more
    assert run_cli(small_project, "build", "--out", str(empty), "--no-cache").code == 0
    assert not page.exists() and not page.parent.exists()  # the build's own: removed, with no cache to remember it
    assert (empty / "CNAME").read_text() == "someone else's file"  # not the build's: left as it was
    (tmp_path / incident.name).rename(incident)
    for marker in ("a link", "other text"):  # only the marker this tool writes counts
        (empty / MARKER).unlink()
        if marker == "a link":
            (empty / MARKER).symlink_to(small_project / "site.yaml")
        else:
            (empty / MARKER).write_text("something else")
        before = tree_digest(empty)
        assert_refused(run_cli(small_project, "build", "--out", str(empty)), "did not write")
        assert tree_digest(empty) == before


def test_another_tools_site_is_not_taken_for_ours(small_project: Path, tmp_path: Path) -> None:
    other = tmp_path / "jekyll-site"
    for rel in ("index.html", "sitemap.xml", "feed.xml", "static/style.css", "IMPORTANT-notes.txt", "photo.jpg"):
        (other / rel).parent.mkdir(parents=True, exist_ok=True)
        (other / rel).write_text(rel)
    before = tree_digest(other)
    assert_refused(run_cli(small_project, "build", "--out", str(other)), "did not write")
    assert tree_digest(other) == before


def test_an_output_that_is_a_link_is_refused(small_project: Path, tmp_path: Path) -> None:
    for target in (tmp_path / "nowhere" / "dir", small_project / "content"):
        link = tmp_path / f"link-{target.name}"
        link.symlink_to(target)
        before = tree_digest(small_project)
        assert_refused(run_cli(small_project, "build", "--out", str(link)), "symbolic link")
        assert not (tmp_path / "nowhere").exists()
        assert tree_digest(small_project) == before


def test_leftovers_of_killed_builds_are_cleaned_but_not_others(tmp_path: Path) -> None:
    target = tmp_path / "site"
    dead = _dead_pid()
    ours_new = tmp_path / f".site-new-{dead}-abc"
    ours_old = tmp_path / f".site-old-{dead}-def"
    foreign = tmp_path / f".site-new-{dead}-zzz"  # same shape of name, not written by the build
    live = tmp_path / f".site-new-{os.getppid()}-live"  # a build still running
    for folder in (ours_new, ours_old, live):
        folder.mkdir()
        (folder / MARKER).write_bytes(MARKER_TEXT)
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep")
    (ours_old / "index.html").write_text("the old site")
    recover(target)
    assert (target / "index.html").read_text() == "the old site"  # killed between the renames: put back
    assert not ours_new.exists() and not ours_old.exists()
    assert (foreign / "precious.txt").read_text() == "keep"
    assert live.exists()


def test_killed_between_the_two_renames_the_next_build_still_has_a_site(small_project: Path) -> None:
    assert run_cli(small_project, "build").code == 0
    site = small_project / "site"
    before = tree_digest(site)
    aside = small_project / f".site-old-{_dead_pid()}-x"
    site.rename(aside)  # what a kill after the first rename leaves
    recover(site)
    assert tree_digest(site) == before
    assert run_cli(small_project, "build").code == 0
    assert not [p for p in small_project.iterdir() if p.name.startswith(".site-")]


def test_a_build_killed_while_writing_leaves_site_and_is_cleaned_up(small_project: Path) -> None:
    assert run_cli(small_project, "build").code == 0
    before = tree_digest(small_project / "site")
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    incident.write_text(incident.read_text() + "\nOne more sentence.\n")  # so the build has pages to write
    slow = "import time, kcrecord.engine.output as o\n"
    slow += "def hang(*a, **k): time.sleep(60)\no.OutputFolder.commit = hang\n"
    slow += f"from kcrecord.cli import main; main(['--root', {str(small_project)!r}, 'build'])"
    child = subprocess.Popen([sys.executable, "-c", slow], env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 60
    while not [p for p in small_project.iterdir() if p.name.startswith(".site-stage-")] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert tree_digest(small_project / "site") == before  # the new pages waited beside it, staged
    assert [p for p in small_project.iterdir() if p.name.startswith(".site-stage-")]
    assert run_cli(small_project, "build").code == 0
    assert not [p for p in small_project.iterdir() if p.name.startswith(".site-")]
    assert "One more sentence." in (small_project / "site" / "incidents" / incident.stem / "index.html").read_text()


@pytest.mark.parametrize("out", ["/proc/kcrecord-test/site", "/sys/kernel/kcrecord-test-site"])
def test_an_unwritable_output_is_one_line(small_project: Path, out: str) -> None:
    run = run_cli(small_project, "build", "--out", out)
    assert_refused(run, out, "could not write the site there")
    assert len(run.err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permissions; the /proc and /sys cases cover it")
def test_a_read_only_folder_is_one_line(small_project: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    run = run_cli(small_project, "build", "--out", str(locked / "site"))
    assert_refused(run, "could not write the site there", "Permission denied")


def test_the_writer_refuses_before_writing_anything(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("years of work")
    with pytest.raises(Exception, match="did not write"):
        OutputFolder(folder, {}).prepare()
    assert (folder / "thesis.tex").read_text() == "years of work"
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


def edit_static(root: Path) -> None:
    style = root / "static" / "style.css"
    style.write_text(style.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")


def edit_narrative(root: Path) -> None:
    path = sorted((root / "content" / "incidents").glob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n\nOne more sentence for the test.\n", encoding="utf-8")


@pytest.mark.parametrize("linked", ["static", "incidents"])
def test_a_link_in_the_output_folder_is_never_written_through(small_project: Path, tmp_path: Path, linked: str) -> None:
    """Found by an outside audit: with site/static a link to a folder elsewhere, the build overwrote the files there."""
    root = small_project
    assert run_cli(root, "build", "--no-search", "--quiet").code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "style.css").write_text("the user's own", encoding="utf-8")
    folder = root / "site" / linked
    if linked == "incidents":  # one incident's folder, deeper down
        folder = next(path for path in folder.iterdir() if path.is_dir())
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    folder.symlink_to(elsewhere)
    edit_static(root)
    edit_narrative(root)
    before = tree_digest(root / "site")
    for flags in (["--no-search"], ["--no-search", "--no-cache"]):
        run = run_cli(root, "build", *flags, "--quiet")
        refused = run.code != 0 and "a link, where the build writes files" in run.err + run.out
        assert refused, (run.code, run.out, run.err)
        assert "Traceback" not in run.err + run.out
        assert [path.name for path in elsewhere.iterdir()] == ["style.css"]
        assert (elsewhere / "style.css").read_text(encoding="utf-8") == "the user's own"
        assert tree_digest(root / "site") == before
    folder.unlink()  # the link removed, as the message says: the next build writes the site
    run = run_cli(root, "build", "--no-search", "--quiet")
    assert run.code == 0, run.err
    assert run_cli(root, "build", "--no-search", "--no-cache", "--out", str(tmp_path / "clean"), "--quiet").code == 0
    for name in (MARKER, ".kcrecord-files"):
        (tmp_path / "clean" / name).unlink()
        (root / "site" / name).unlink()
    assert tree_digest(root / "site") == tree_digest(tmp_path / "clean")


def test_a_missing_list_of_written_files_does_not_make_every_file_the_builds(small_project: Path) -> None:
    """Found by an outside audit: with .kcrecord-files gone, a user's CNAME in site/ was removed as the build's own."""
    root = small_project
    assert run_cli(root, "build", "--no-search", "--quiet").code == 0
    (root / "site" / "CNAME").write_text("example.org\n", encoding="utf-8")
    (root / "site" / ".kcrecord-files").unlink()
    edit_narrative(root)
    for flags in (["--no-search"], ["--no-search", "--no-cache"]):
        run = run_cli(root, "build", *flags, "--quiet")
        assert run.code == 0, run.err
        assert (root / "site" / "CNAME").read_text(encoding="utf-8") == "example.org\n"


def test_a_build_with_nothing_changed_puts_back_its_list(small_project: Path) -> None:
    """Found by an outside audit: with nothing changed, a deleted .kcrecord-files stayed deleted."""
    root = small_project
    assert run_cli(root, "build", "--no-search", "--quiet").code == 0
    listed = (root / "site" / ".kcrecord-files").read_bytes()
    (root / "site" / ".kcrecord-files").unlink()
    run = run_cli(root, "build", "--no-search", "--quiet")
    assert run.code == 0, run.err
    assert (root / "site" / ".kcrecord-files").read_bytes() == listed
