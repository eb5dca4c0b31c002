"""Pagefind reads only the incident pages when that gives the very index reading every page would give.

kcrecord/outputs/search_index.py chooses the pages (pages_to_read). The claim is an equivalence, so it
is driven with generated folders: pages in and out of incidents/, marked with data-pagefind-body in a
tag, holding the attribute's name only as text, or not at all; Pagefind runs both ways and the two
bundles must be byte for byte the same.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from kcrecord.outputs import search_index
from kcrecord.outputs.search_index import EVERY_PAGE, INCIDENT_PAGES, pages_to_read

WORDS = ["officer", "shot", "car", "street", "police", "county", "night", "report", "witness", "video"]


ESCAPED = "&lt;main data-pagefind-body&gt;"
HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'


def page(rng: random.Random, mark: str) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))
    body = {
        "tag": f"<main data-pagefind-body><h1>{rng.choice(WORDS)}</h1><p>{words}</p></main>",
        "text": f"<main><h1>{rng.choice(WORDS)}</h1><p>{words} data-pagefind-body {ESCAPED}</p></main>",
        "none": f"<main><h1>{rng.choice(WORDS)}</h1><p>{words}</p></main>",
    }[mark]
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body>{body}</body></html>'
    )


def write_site(folder: Path, rng: random.Random) -> None:
    for number in range(rng.randint(1, 5)):
        where = folder / "incidents" / f"2020-01-0{number + 1}-case" / "index.html"
        where.parent.mkdir(parents=True)
        where.write_text(page(rng, rng.choice(["tag", "tag", "none", "text"])), encoding="utf-8")
    (folder / "incidents" / "index.html").write_text(page(rng, rng.choice(["none", "none", "tag"])), encoding="utf-8")
    for name in ("about", "agencies/kcpd", "timeline/2020"):
        where = folder / name / "index.html"
        where.parent.mkdir(parents=True, exist_ok=True)
        where.write_text(page(rng, rng.choice(["none"] * 6 + ["tag", "text"])), encoding="utf-8")
    (folder / "index.html").write_text(page(rng, rng.choice(["none"] * 5 + ["tag"])), encoding="utf-8")


def bundle(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
    }


def run_pagefind(site: Path, output: Path, glob: str) -> dict[str, bytes]:
    command = [str(search_index.pagefind_binary()), "--site", str(site), "--output-path", str(output)]
    subprocess.run([*command, "--glob", glob, "--silent"], check=True, capture_output=True)
    return bundle(output)


@pytest.mark.parametrize("seed", range(30))
def test_the_pages_chosen_give_the_index_every_page_gives(tmp_path: Path, seed: int) -> None:
    try:
        search_index.pagefind_binary()
    except FileNotFoundError:
        pytest.fail("Pagefind is not installed: make .venv/.installed installs it")
    rng = random.Random(seed)
    site = tmp_path / "site"
    write_site(site, rng)
    chosen = pages_to_read(site)
    every = run_pagefind(site, tmp_path / "every", EVERY_PAGE)
    assert run_pagefind(site, tmp_path / "chosen", chosen) == every


def test_only_incident_pages_when_only_they_are_marked(tmp_path: Path) -> None:
    rng = random.Random(1)
    (tmp_path / "incidents" / "a").mkdir(parents=True)
    (tmp_path / "incidents" / "a" / "index.html").write_text(page(rng, "tag"), encoding="utf-8")
    (tmp_path / "about").mkdir()
    (tmp_path / "about" / "index.html").write_text(page(rng, "none"), encoding="utf-8")
    assert pages_to_read(tmp_path) == INCIDENT_PAGES
    (tmp_path / "about" / "index.html").write_text(page(rng, "text"), encoding="utf-8")
    assert pages_to_read(tmp_path) == EVERY_PAGE  # read whole when in doubt
    (tmp_path / "about" / "index.html").write_text(page(rng, "none"), encoding="utf-8")
    (tmp_path / "incidents" / "a" / "index.html").write_text(page(rng, "text"), encoding="utf-8")
    assert pages_to_read(tmp_path) == EVERY_PAGE  # the name in text marks nothing: Pagefind reads every page


def test_the_built_site_reads_only_its_incident_pages(real_site: Path) -> None:
    assert pages_to_read(real_site) == INCIDENT_PAGES
