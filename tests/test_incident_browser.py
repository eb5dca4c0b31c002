"""The real incident pages in Chromium: citations a reader can tell apart and tap, sources without ids, print."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.standards import DESKTOP, PHONE, page_url

CURATED = "incidents/2024-11-07-independence-oval-springs-apartments/index.html"
IMPORTED = "incidents/2015-02-13-kansas-city-wapo-146/index.html"
MIN_TAP = 24  # CSS pixels: WCAG 2.2's minimum target size

# Per page: markers side by side, every citation link, source entries, and what the reader can read.
READ_PAGE = """() => {
  const markers = [...document.querySelectorAll('main a.cite')];
  const glyphs = a => { const r = document.createRange(); r.selectNodeContents(a); return r.getBoundingClientRect(); };
  const pairs = markers.filter(a => a.nextSibling === a.nextElementSibling && a.nextElementSibling
                                    && a.nextElementSibling.matches('a.cite'))
    .map(a => { const b = a.nextElementSibling, ra = glyphs(a), rb = glyphs(b);
                return {a: a.textContent, b: b.textContent, sameLine: Math.abs(ra.top - rb.top) < 2,
                        gap: rb.left - ra.right}; });
  const boxes = markers.map(a => { const r = a.getBoundingClientRect();
                                   return {text: a.textContent, width: r.width, height: r.height}; });
  const entries = [...document.querySelectorAll('ol.sources > li')].map(li => ({
    id: li.id, backLinks: li.querySelectorAll('a[href^="#"]').length}));
  const links = [...document.querySelectorAll('main a')].map(a => ({
    text: a.textContent.trim(), title: a.title || '', href: a.getAttribute('href') || ''}));
  return {pairs, boxes, entries, links, text: document.body.innerText};
}"""


def source_ids() -> set[str]:
    """Every source id any incident file uses."""
    ids = set()
    for path in (REPO / "content" / "incidents").glob("*.md"):
        front = path.read_text(encoding="utf-8").split("\n---", 1)[0].removeprefix("---\n")
        ids.update(source["id"] for source in yaml.safe_load(front)["sources"])
    return ids


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_citations_on_every_incident_page(real_site: Path, real_site_url: str, tab: Any) -> None:
    ids = source_ids()
    pages = sorted(p.relative_to(real_site).as_posix() for p in (real_site / "incidents").glob("*/index.html"))
    assert CURATED in pages and IMPORTED in pages
    problems = []
    pairs_seen = 0
    for rel in pages:
        tab.goto(page_url(real_site_url, rel))  # "load": the stylesheet applied, or markers measure unstyled
        seen = tab.evaluate(READ_PAGE)
        for pair in seen["pairs"]:
            pairs_seen += 1
            if pair["sameLine"] and pair["gap"] < 4:
                problems.append(f"{rel}: markers {pair['a']} and {pair['b']} touch ({pair['gap']:.1f} px apart)")
        for box in seen["boxes"]:
            if not re.fullmatch(r"\[\d+\]", box["text"]):
                problems.append(f"{rel}: a citation marker reads {box['text']!r}, not [n]")
            if box["width"] < MIN_TAP or box["height"] < MIN_TAP:
                problems.append(f"{rel}: marker {box['text']} is {box['width']:.0f}x{box['height']:.0f} px to tap")
        for entry in seen["entries"]:
            if entry["backLinks"] > 3:
                problems.append(f"{rel}: source entry {entry['id']} has {entry['backLinks']} links back")
        for link in seen["links"]:
            if link["text"] in ids or link["title"] in ids or any(sid in link["href"] for sid in ids):
                problems.append(f"{rel}: a link shows or points at the raw source id {link}")
        if "\u21a9" in seen["text"]:
            problems.append(f"{rel}: a back-link arrow is shown")
        problems += [f"{rel}: the raw source id {sid} is shown" for sid in ids if sid in seen["text"]]
    assert pairs_seen > 20  # the curated pages cite several sources side by side
    assert not problems, "\n".join(problems[:40])


@pytest.mark.parametrize("rel", [CURATED, IMPORTED])
def test_print_keeps_address_date_and_licence_without_back_links(real_site_url: str, tab: Any, rel: str) -> None:
    tab.set_viewport_size(DESKTOP)
    tab.goto(page_url(real_site_url, rel))
    tab.emulate_media(media="print")
    printed = tab.evaluate("() => document.body.innerText")
    address = tab.evaluate("() => document.querySelector('link[rel=canonical]').href")
    assert f"This page: {address}" in printed
    assert re.search(r"Last updated \w+ \d{1,2}, \d{4}\.", printed)
    assert "Licence of this record: CC BY" in printed
    assert "Cited in" not in printed and "\u21a9" not in printed
    assert "Suggest a correction" not in printed


def test_imported_page_shows_the_datasets_facts_attributed(real_site_url: str, tab: Any) -> None:
    tab.goto(page_url(real_site_url, IMPORTED))
    facts = tab.evaluate("() => document.querySelector('.facts').innerText")
    assert "According to The Washington Post's data: male; race: Hispanic" in facts
    assert "threat: pointed a weapon; fleeing by car; signs of mental illness: not reported" in facts
    assert "According to The Washington Post's data, no news report of an officer's body camera was found" in facts
    # A city-level point is not offered as a spot on a map.
    assert "Approximate: city only" in facts and "OpenStreetMap" not in facts
