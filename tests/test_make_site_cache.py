"""make site's cache: only what changed is made and written, and the cache can never make a build wrong."""

from __future__ import annotations

import os
from pathlib import Path

from kcrecord.engine.write import MARKER
from tests.hostile import run_cli


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def times(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def build(root: Path, *args: str) -> None:
    run = run_cli(root, "build", "--no-search", *args)
    assert run.code == 0, run.err


def test_an_edit_rewrites_only_the_files_whose_bytes_changed(small_project: Path) -> None:
    site = small_project / "site"
    build(small_project)
    before = times(site)
    build(small_project)
    assert times(site) == before  # nothing changed: nothing written
    about = small_project / "content" / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nOne more line about the record.\n", encoding="utf-8")
    build(small_project)
    after = times(site)
    rewritten = sorted(rel for rel in after if after[rel] != before.get(rel))
    assert rewritten == ["about/index.html"]
    assert "One more line about the record." in (site / "about" / "index.html").read_text(encoding="utf-8")


def test_the_cache_gives_the_bytes_of_a_cold_build_and_can_be_deleted_or_damaged(small_project: Path) -> None:
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    build(small_project)
    incident.write_text(incident.read_text(encoding="utf-8").replace("title: ", "title: Edited: ", 1) + "\n")
    incident.write_text(incident.read_text(encoding="utf-8").replace("title: Edited: ", "title: Edited, ", 1))
    build(small_project)
    warm = files(small_project / "site")
    build(small_project, "--no-cache", "--out", str(small_project / "cold"))
    assert files(small_project / "cold") == warm
    for state in (small_project / ".cache" / "engine").iterdir():
        state.write_bytes(b"not a pickle")  # damaged: a cold build, never an error
    build(small_project, "--out", str(small_project / "again"))
    assert files(small_project / "again") == warm


def test_a_file_changed_in_the_output_folder_is_made_again(small_project: Path) -> None:
    site = small_project / "site"
    build(small_project)
    want = files(site)
    (site / "index.html").write_text("changed by hand")
    (site / "timeline" / "index.html").unlink()
    os.utime(site / "about" / "index.html", ns=(1, 1))  # same bytes, another time: kept, not rewritten
    build(small_project)
    assert files(site) == want
    assert (site / MARKER).is_file()
