"""The real site's maps in Chromium: a text alternative, every located incident drawn at its precision, small pages."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from kcrecord.outputs.maps import load_geography
from tests.standards import DESKTOP, PHONE, page_url

REPO = Path(__file__).resolve().parent.parent
MAP_BUDGET = 30_000  # bytes a page's map may add: the inline drawing plus the outline files it loads
LOCATOR_INLINE_BUDGET = 1_500  # an incident page is near its 40 KB limit: its locator inlines very little
CURATED = "incidents/2024-11-07-independence-oval-springs-apartments/index.html"

# Read a map as drawn: its text alternative, its marks (with how many incidents each stands for), its size.
READ_MAP = """(selector) => {
  const box = document.querySelector(selector);
  const svg = box.querySelector('svg.map-svg');
  const ids = (svg.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
  const frame = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('circle')].map(c => {
    const r = c.getBoundingClientRect();
    const title = c.querySelector('title');
    return {
      x: c.getAttribute('cx'), y: c.getAttribute('cy'), r: Number(c.getAttribute('r')),
      point: c.parentElement.getAttribute('fill') === '#111',
      dashed: getComputedStyle(c).strokeDasharray !== 'none',
      count: title && /^(\\d+) incidents (at this spot|within a few km)$/.test(title.textContent)
        ? Number(RegExp.$1) : 1,
      inside: r.left >= frame.left - 1 && r.right <= frame.right + 1
        && r.top >= frame.top - 1 && r.bottom <= frame.bottom + 1,
      width: r.width,
    };
  });
  return {
    role: svg.getAttribute('role'),
    labels: ids.map(id => (document.getElementById(id) || {textContent: ''}).textContent.trim()),
    images: [...svg.querySelectorAll('image')].map(i => i.getAttribute('href')),
    marks,
    html: box.outerHTML,
    width: frame.width,
    pageWidth: document.documentElement.clientWidth,
  };
}"""


def front_matter(path: Path) -> dict:
    """Read an incident file's front matter directly, apart from the build."""
    text = path.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---", 2)[1])


def content_locations() -> list[dict]:
    """Return every incident's location as its file gives it."""
    return [front_matter(path)["location"] for path in sorted((REPO / "content/incidents").glob("*.md"))]


def is_city_level(location: dict) -> bool:
    """Return True when the file gives the location to the city only (or says its coordinates are not vouched for)."""
    return location["precision"] in ("city", "unknown") or location.get("coordinates_precision") == "not-available"


def outline_bytes(real_site: Path, images: list[str], base: str) -> int:
    """Return the size of the outline files a map loads."""
    return sum((real_site / href.removeprefix(base)).stat().st_size for href in images)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
@pytest.mark.parametrize("rel, selector", [("index.html", "#map-home"), ("incidents/index.html", "#map-incidents")])
def test_the_whole_area_map_draws_every_located_incident_at_its_precision(
    real_site: Path, real_site_url: str, real_base_url: str, tab: Any, viewport: dict, rel: str, selector: str
) -> None:
    if not (real_site / rel).is_file():
        pytest.skip(f"{rel} is not built")  # the incidents page is new: once built, it must carry the map
    tab.set_viewport_size(viewport)
    tab.goto(page_url(real_site_url, rel))
    drawn = tab.evaluate(READ_MAP, selector)
    locations = content_locations()
    located = [loc for loc in locations if loc.get("latitude") is not None and loc.get("longitude") is not None]
    assert located, "the real content has incidents with coordinates"

    # A text alternative: role img, a title and a description that counts what is shown and what is not.
    assert drawn["role"] == "img" and len(drawn["labels"]) == 2 and all(drawn["labels"])
    description = drawn["labels"][1]
    assert f"{len(located)} incidents of {len(locations)} drawn" in description
    missing = len(locations) - len(located)
    assert f"{missing} incidents have no coordinates" in description

    # Every located incident is drawn, once, at its own spot (merged marks count each incident they stand for).
    assert sum(mark["count"] for mark in drawn["marks"]) == len(located)
    frame = load_geography().frames["area"]
    expected = Counter()
    for loc in located:
        x, y = frame.project(loc["longitude"], loc["latitude"])
        expected[(f"{round(x, 1):g}", f"{round(y, 1):g}", is_city_level(loc))] += 1
    got = Counter()
    for mark in drawn["marks"]:
        got[(f"{float(mark['x']):g}", f"{float(mark['y']):g}", not mark["point"])] += mark["count"]
    assert got == expected
    # Drawn inside the map, visible, and a city-level location is a dashed circle, never a point.
    base = re.sub(r"^https?://[^/]+", "", real_base_url)
    for mark in drawn["marks"]:
        assert mark["inside"] and mark["width"] > 2, mark
        if not mark["point"]:
            assert mark["dashed"] and mark["r"] > 3, mark
    assert drawn["width"] <= drawn["pageWidth"]

    # The same facts in a table: the counts by county add up to every incident.
    rows = tab.eval_on_selector_all(
        f"{selector} table.map-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert sum(int(shown) for _, shown, _ in rows) == len(located)
    assert sum(int(shown) + int(hidden) for _, shown, hidden in rows) == len(locations)

    # Under its budget: the inline drawing plus the outline files it loads.
    total = len(drawn["html"].encode()) + outline_bytes(real_site, drawn["images"], base)
    assert total < MAP_BUDGET, total


def test_an_agency_map_and_a_locator_stay_small_and_say_what_they_show(
    real_site: Path, real_site_url: str, real_base_url: str, tab: Any
) -> None:
    base = re.sub(r"^https?://[^/]+", "", real_base_url)
    tab.goto(page_url(real_site_url, "agencies/kcpd/index.html"))
    agency = tab.evaluate(READ_MAP, "#map-agency")
    assert agency["role"] == "img" and "naming this agency" in agency["labels"][0]
    assert agency["marks"] and all(mark["inside"] for mark in agency["marks"])
    assert len(agency["html"].encode()) + outline_bytes(real_site, agency["images"], base) < MAP_BUDGET
    imported = sorted(p.parent.relative_to(real_site).as_posix() for p in real_site.glob("incidents/*wapo*/index.html"))
    for rel in (CURATED, imported[0] + "/index.html"):
        tab.goto(page_url(real_site_url, rel))
        locator = tab.evaluate(READ_MAP, "figure.map-locator")
        assert locator["role"] == "img" and all(locator["labels"]), rel
        assert len(locator["html"].encode()) < LOCATOR_INLINE_BUDGET, (rel, len(locator["html"].encode()))
        assert len(locator["html"].encode()) + outline_bytes(real_site, locator["images"], base) < MAP_BUDGET
        location = front_matter(next((REPO / "content/incidents").glob(rel.split("/")[1] + ".md")))["location"]
        if location.get("latitude") is None:
            assert not locator["marks"] and "no coordinates" in locator["labels"][1], rel
        else:
            (mark,) = locator["marks"]
            assert mark["point"] != is_city_level(location), rel


def test_every_page_with_a_map_loads_its_outline_files(real_site: Path) -> None:
    for page in [
        real_site / "index.html",
        *real_site.glob("agencies/*/index.html"),
        *real_site.glob("incidents/*/index.html"),
    ]:
        for href in re.findall(r'<image href="([^"]+)"', page.read_text(encoding="utf-8")):
            rel = href.split("/maps/", 1)[1]
            assert (real_site / "maps" / rel).is_file(), (page, href)
