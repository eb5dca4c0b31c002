"""The write stage: the output folder brought up to date in place; failures leave site/ as it was."""

from __future__ import annotations

import os
import random
import stat
from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.engine.output import OutputFolder
from kcrecord.engine.write import EARLIER_MARKER_TEXTS, MANIFEST, MARKER, MARKER_TEXT


def test_write_replaces_the_folder_whole_when_an_older_tool_wrote_it(tmp_path: Path) -> None:
    """A folder with the earlier marker and no list of what was written: that marker's rule, the whole folder is
    the build's. With today's marker and the list gone, only what the build remembers is (see the next test)."""
    target = tmp_path / "site"
    (target / "stale").mkdir(parents=True)
    (target / "stale" / "old.html").write_text("old")
    (target / MARKER).write_bytes(EARLIER_MARKER_TEXTS[0])  # a site an older version of this tool built
    folder = OutputFolder(target, {})
    folder.prepare()
    folder.put("index.html", b"new")
    assert folder.commit({"index.html"}) == ["index.html", "stale/old.html"]
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [MANIFEST, MARKER, "index.html"]
    assert (target / MANIFEST).read_text() == "index.html\n"
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging folders left behind


def test_with_todays_marker_and_no_list_only_what_the_build_remembers_is_removed(tmp_path: Path) -> None:
    """Found by an outside audit: the list deleted, a user's file was removed as the build's."""
    target = tmp_path / "site"
    (target / "old").mkdir(parents=True)
    for rel in ("old/index.html", "CNAME"):
        (target / rel).write_text(rel)
    (target / MARKER).write_bytes(MARKER_TEXT)
    folder = OutputFolder(target, {"old/index.html": (14, 0)})  # what the cache remembers writing
    folder.prepare()
    folder.put("index.html", b"new")
    assert folder.commit({"index.html"}) == ["index.html", "old/index.html"]
    assert (target / "CNAME").read_text() == "CNAME"


@pytest.mark.parametrize("remembered", [True, False])
def test_files_someone_else_put_in_the_folder_are_left_and_the_builds_own_removed(
    tmp_path: Path, remembered: bool
) -> None:
    """Only what a build wrote is removed, as its list says, with or without the cache's memory of it."""
    target = tmp_path / "site"
    written: dict[str, tuple[int, int]] = {}
    folder = OutputFolder(target, written)
    folder.prepare()
    for rel in ("index.html", "old/index.html", "data/x.csv"):
        folder.put(rel, rel.encode())
    folder.commit({"index.html", "old/index.html", "data/x.csv"})
    (target / "CNAME").write_text("record.example.org\n")
    (target / ".well-known").mkdir()
    (target / ".well-known" / "security.txt").write_text("Contact: mailto:x@example.org\n")
    (target / "old" / "notes.txt").write_text("someone's notes beside an output")
    (target / "keep-link").symlink_to(tmp_path)
    (target / f"{MANIFEST}-999999999").write_text("index.html\n")  # a list a killed build was writing: the build's
    folder = OutputFolder(target, written if remembered else {})  # without: a cold build, the cache deleted
    folder.prepare()
    folder.put("index.html", b"index.html")
    assert folder.commit({"index.html"}) == [f"{MANIFEST}-999999999", "data/x.csv", "old/index.html"]
    left = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if not p.is_dir() or p.is_symlink())
    assert left == sorted(
        [".well-known/security.txt", MANIFEST, MARKER, "CNAME", "index.html", "keep-link", "old/notes.txt"]
    )
    assert (target / MANIFEST).read_text() == "index.html\n"
    assert not (target / "data").exists()  # emptied by the build: gone with its last file


def test_template_error_leaves_site_untouched(small_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--root", str(small_project)]) == 0
    before = (small_project / "site" / "index.html").read_bytes()
    template = small_project / "templates" / "home.html"
    template.write_text(template.read_text().replace("{{ config.description }}", "{{ config.no_such_setting }}"))
    assert cli.main(["--root", str(small_project)]) == 1
    err = capsys.readouterr().err
    assert "no_such_setting" in err and "Traceback" not in err
    assert (small_project / "site" / "index.html").read_bytes() == before
    assert sorted(p.name for p in small_project.iterdir() if p.name.startswith(".site")) == []


TOPS = ["index.html", "feed.xml", "incidents", "agencies", "data", "timeline"]


def _random_rel(rng: random.Random) -> str:
    top = rng.choice(TOPS)
    if "." in top:
        return top
    folders = [rng.choice("abc") for _ in range(rng.randrange(0, 3))]
    return "/".join([top, *folders, rng.choice(["index.html", "x.json"])])


def _tree(target: Path) -> dict[str, bytes]:
    return {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*") if p.is_file()}


@pytest.mark.parametrize("seed", range(25))
def test_random_outputs_land_as_a_clean_write_would_put_them(tmp_path: Path, seed: int) -> None:
    """Whole folders the output lacks move with one rename, the rest file by file: the folder ends the same.

    Each file is readable by all (0644, whatever the umask), a file that already held its bytes is
    kept, and what the folder remembers of each written file (size, time) is what the disk says.
    """
    rng = random.Random(seed)
    target = tmp_path / "site"
    written: dict[str, tuple[int, int]] = {}
    expected: dict[str, bytes] = {}
    old_umask = os.umask(0o077)
    try:
        for _round in range(3):
            wanted: dict[str, bytes] = {}
            for _ in range(rng.randrange(0, 25)):
                rel = _random_rel(rng)
                if any(other.startswith(rel + "/") or rel.startswith(other + "/") for other in wanted):
                    continue  # a file and a folder of one name cannot both be outputs
                wanted[rel] = rng.choice([b"", b"same", f"text {rng.random()}".encode()])
            before = {rel: (data, os.stat(target / rel).st_ino) for rel, data in expected.items()}
            folder = OutputFolder(target, written)
            folder.prepare()
            if rng.random() < 0.7:
                folder.scan()
            for rel, data in wanted.items():
                folder.put(rel, data, known_digest=None)
            folder.commit(set(wanted))
            expected = {MARKER: MARKER_TEXT, MANIFEST: "".join(f"{rel}\n" for rel in sorted(wanted)).encode(), **wanted}
            assert _tree(target) == expected
            for rel in wanted:
                info = os.stat(target / rel)
                assert stat.S_IMODE(info.st_mode) == 0o644
                assert written[rel] == (info.st_size, info.st_mtime_ns)
                if rel in before and before[rel][0] == wanted[rel]:
                    assert info.st_ino == before[rel][1]  # the same bytes: the file is kept, not written again
            assert [p.name for p in tmp_path.iterdir()] == ["site"]
    finally:
        os.umask(old_umask)


def test_a_path_through_dot_dot_lands_where_it_points(tmp_path: Path) -> None:
    """Whole folders move only when every staged path in them is plain: a/../b.html is b.html."""
    target = tmp_path / "site"
    target.mkdir()
    folder = OutputFolder(target, {})
    folder.prepare()
    folder.scan()
    folder.put("a/../b.html", b"1")
    folder.put("c/d.html", b"2")
    folder.commit({"a/../b.html", "c/d.html"})
    listed = b"a/../b.html\nc/d.html\n"
    assert _tree(target) == {MARKER: MARKER_TEXT, MANIFEST: listed, "b.html": b"1", "c/d.html": b"2"}
