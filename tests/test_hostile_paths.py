"""Files the build cannot read as content are reported, never skipped: odd names, folders, places (an audit).

Each case is checked with make check and make site: exit 1, a `path:line: field: message` line
naming what to do, no traceback, and an earlier site/ left byte for byte as it was.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile import assert_refused, run_cli, tree_digest


def non_utf8_page(root: Path) -> None:
    with open(os.path.join(os.fsencode(root / "content" / "pages"), b"bad\xff.md"), "wb") as file:
        file.write(b"---\ntitle: x\n---\n")


def non_utf8_folder(root: Path) -> None:
    folder = os.path.join(os.fsencode(root / "content" / "incidents"), b"d\xe9j\xe0")
    os.mkdir(folder)
    with open(os.path.join(folder, b"2024-05-01-x.md"), "wb") as file:
        file.write(b"---\ntitle: x\n---\n")


def non_utf8_static(root: Path) -> None:
    with open(os.path.join(os.fsencode(root / "static"), b"logo-\xff.svg"), "wb") as file:
        file.write(b"<svg/>")


def line_break_in_a_static_name(root: Path) -> None:
    (root / "static" / "a\u2028b.txt").write_text("x")
    (root / "static" / "c\nd.txt").write_text("x")


def incidents_a_file(root: Path) -> None:
    shutil.rmtree(root / "content" / "incidents")
    (root / "content" / "incidents").write_text("---\ntitle: [\n---\n")


def misspelt_folder(root: Path) -> None:
    (root / "content" / "incident").mkdir()
    (root / "content" / "incident" / "2024-05-01-x.md").write_text("---\ntitle: [\n---\n")


def file_beside_the_folders(root: Path) -> None:
    (root / "content" / "2024-05-01-y.md").write_text("---\ntitle: x\n---\n")


def too_deep(root: Path) -> None:
    """Folders nested past the system's path length limit (made a level at a time, relative to the last)."""
    descriptor = os.open(root / "content" / "incidents", os.O_RDONLY)
    try:
        for _ in range(25):
            os.mkdir("d" * 200, dir_fd=descriptor)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
        file = os.open("2024-05-01-deep.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor)
        os.write(file, b"---\ntitle: x\n---\n")
        os.close(file)
    finally:
        os.close(descriptor)


CASES: dict[str, tuple[Callable[[Path], None], str, str]] = {  # what, where the report points, what it says
    "a page whose name is not UTF-8": (non_utf8_page, "content/pages/bad\\xff.md:1: file:", "rename it"),
    "a folder whose name is not UTF-8": (non_utf8_folder, "content/incidents/d\\xe9j\\xe0:1: file:", "rename it"),
    "a static file whose name is not UTF-8": (non_utf8_static, "static/logo-\\xff.svg:1: file:", "rename it"),
    "line breaks in static names": (line_break_in_a_static_name, "static/a\\u2028b.txt:1: file:", "rename it"),
    "content/incidents is a file": (incidents_a_file, "content/incidents:1: file:", "expected a folder here"),
    "a misspelt folder in content/": (misspelt_folder, "content/incident/:1: file:", "content/incidents/"),
    "a file beside the three folders": (file_beside_the_folders, "content/2024-05-01-y.md:1: file:", "move this file"),
    "folders past the path length limit": (too_deep, "content/incidents/ddd", "could not be read"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_content_the_build_cannot_read_is_reported_and_site_is_left(small_project: Path, case: str) -> None:
    make, where, says = CASES[case]
    assert run_cli(small_project, "build").code == 0
    site = small_project / "site"
    before = tree_digest(site)
    make(small_project)
    for command in ("check", "build"):
        run = run_cli(small_project, command)
        assert_refused(run, where, says)
        assert "internal error" not in run.err
    assert tree_digest(site) == before


def test_a_file_a_build_without_its_cache_wrote_is_removed_by_the_next_build_with_it(small_project: Path) -> None:
    """The nothing-changed check gives way when the folder holds a file the last cached build did not write."""
    assert run_cli(small_project, "build").code == 0
    extra = small_project / "static" / "extra.txt"
    extra.write_text("for a while")
    assert run_cli(small_project, "build", "--no-cache").code == 0
    assert (small_project / "site" / "static" / "extra.txt").is_file()
    extra.unlink()
    assert run_cli(small_project, "build").code == 0
    assert not (small_project / "site" / "static" / "extra.txt").exists()
