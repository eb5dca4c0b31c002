"""Two builds of the same content are byte-identical: every file, pagefind/ and data/incidents.db included."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import REPO, SMALL_SITE, copy_project
from tests.engine_edits import add_incident


def tree(folder: Path) -> dict[str, bytes]:
    """Return every file below folder by relative path, nothing left out."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def cli_build(root: Path, out: Path, seed: str) -> dict[str, bytes]:
    """Build root into out with build.py, as `make site` does, under the given hash seed.

    Without Pagefind the build fails, and so does this test, with build.py's line saying how to
    install it: `make test` installs it (tools/install_pagefind.py), so nothing is skipped.
    """
    env = {**os.environ, "PYTHONHASHSEED": seed}
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "build", "--out", str(out), "--quiet"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr or result.stdout
    return tree(out)


def test_two_builds_of_the_fixture_site_are_byte_identical(tmp_path: Path) -> None:
    root = copy_project(SMALL_SITE, tmp_path / "project")
    first = cli_build(root, tmp_path / "one" / "site", "1")  # a cold build: no .cache/ yet
    assert "data/incidents.db" in first
    assert "pagefind/pagefind-entry.json" in first
    assert any(rel.startswith("pagefind/filter/") for rel in first), "the search index has no filter files"
    second = cli_build(root, tmp_path / "two" / "site", "2")
    assert sorted(first) == sorted(second), "the two builds wrote different files"
    differing = [rel for rel in first if first[rel] != second[rel]]
    assert not differing, f"{len(differing)} files differ between two builds: {differing[:20]}"


def test_a_rebuild_after_an_edit_and_its_undoing_is_the_cold_build(tmp_path: Path) -> None:
    """`make site` again after a change that was undone writes what a fresh build writes, byte for byte."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    out = tmp_path / "site"
    cold = cli_build(root, out, "1")
    incident = sorted((root / "content" / "incidents").glob("*.md"))[0]
    text = incident.read_text(encoding="utf-8")
    incident.write_text(text + "\nA sentence added, then taken out again.\n", encoding="utf-8")
    edited = cli_build(root, out, "2")
    assert edited != cold, "the edit changed nothing: the test does not exercise a rebuild"
    incident.write_text(text, encoding="utf-8")
    undone = cli_build(root, out, "3")
    assert sorted(undone) == sorted(cold), "the rebuild wrote different files"
    differing = [rel for rel in cold if cold[rel] != undone[rel]]
    assert not differing, f"{len(differing)} files differ from the cold build: {differing[:20]}"


def test_agencies_sharing_a_label_are_listed_in_one_order_whatever_the_hash_seed(tmp_path: Path) -> None:
    """Ties between agencies of one label were left to a set's order, which changes with the hash seed."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    agencies = root / "content" / "agencies"
    department = (agencies / "example-pd.md").read_text(encoding="utf-8")
    sample = (root / "content" / "incidents" / "2024-03-05-example-shooting.md").read_text(encoding="utf-8")
    for number, slug in enumerate(["north-pd", "south-pd", "east-pd", "west-pd"]):
        name = slug.split("-")[0].capitalize()
        text = department.replace("Example Police Department", f"{name} Police Department").replace("EPD", "PD")
        (agencies / f"{slug}.md").write_text(text, encoding="utf-8")
        incident = sample.replace("id: example-pd", f"id: {slug}").replace("lead: example-pd", f"lead: {slug}")
        incident = incident.replace("Officer fires at man", f"Officer fires at man ({number})")
        (root / "content" / "incidents" / f"2024-03-05-copy-{number}.md").write_text(incident, encoding="utf-8")
    builds = [cli_build(root, tmp_path / seed / "site", seed) for seed in ("1", "2", "3", "4")]
    pages = [{rel: data for rel, data in build.items() if not rel.startswith("pagefind/")} for build in builds]
    assert b"PD (" in pages[0]["incidents/index.html"], "the agencies do not share a label: nothing is tested"
    for other in pages[1:]:
        assert [rel for rel in pages[0] if pages[0][rel] != other.get(rel)] == []


def test_a_build_brought_up_to_date_after_an_incident_is_added_indexes_as_a_clean_build(tmp_path: Path) -> None:
    """Pagefind numbers pages in the order their folder lists them: the order they were made in, on tmpfs.

    A build with the cache makes the new incident's page last, a clean build among the others; the
    pages are linked in sorted order for Pagefind (search_index.link_pages), so both bundles are
    the same. Run on tmpfs where there is one (/dev/shm), where the listing follows the making.
    """
    shm = Path("/dev/shm")
    scratch = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    try:
        root = copy_project(SMALL_SITE, scratch / "project")
        cli_build(root, scratch / "site", "1")
        add_incident(root, random.Random(4))
        updated = cli_build(root, scratch / "site", "2")
        clean = cli_build(root, scratch / "clean" / "site", "3")  # another output folder: nothing there to reuse
        assert sorted(updated) == sorted(clean), "the two builds wrote different files"
        differing = [rel for rel in clean if clean[rel] != updated[rel]]
        assert not differing, f"{len(differing)} files differ from the clean build: {differing[:20]}"
    finally:
        if scratch != tmp_path:
            shutil.rmtree(scratch, ignore_errors=True)
