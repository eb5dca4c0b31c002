"""The incidents page, the tables and the header in Chromium, on the real content.

Without JavaScript /incidents/ (and its numbered pages) lists every incident, with totals equal to
the CSV downloads' sums; with it, filters and sorting narrow and order the rows and keep their state
in the address. Every table on every page type fits its column or shows that it scrolls, and the
header is at most two rows at 1280 px and the same height on every page.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.standards import DESKTOP, PHONE, page_url, pages_by_type

ROWS = "#incident-table tbody tr"


@pytest.fixture
def plain_tab(browser: Any) -> Iterator[Any]:
    """Open a desktop-sized tab with JavaScript off."""
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


def csv_rows(site: Path, name: str) -> list[dict[str, str]]:
    with (site / "data" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def table_rows(page: Any) -> list[dict[str, str]]:
    """Return the incidents table's rows as shown: slug and every cell's text."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#incident-table tbody tr')].map(tr => ({
            slug: tr.querySelector('th a').getAttribute('href').split('/').filter(Boolean).pop(),
            cells: [...tr.cells].map(c => c.textContent.trim()),
            date: tr.querySelector('time').getAttribute('datetime'),
        }))"""
    )


def shown_totals(page: Any) -> dict[str, tuple[int, int]]:
    """Return each total on the page: (people counted, incidents left out as disputed or not known)."""
    found = {}
    for box in page.locator("#totals [data-measure]").all():
        note = box.locator(".note").inner_text()
        left_out = re.search(r"disputed or not known in (\d+) incident", note)
        number = box.locator("strong").inner_text()
        assert number.startswith("at least ") == bool(left_out), (number, note)
        found[box.get_attribute("data-measure")] = (
            int(number.removeprefix("at least ")),
            int(left_out.group(1)) if left_out else 0,
        )
    return found


def all_pages_rows(page: Any, root: str) -> list[dict[str, str]]:
    """Return the rows of /incidents/ and of every numbered page it links to."""
    page.goto(root + "incidents/")
    rows = table_rows(page)
    for href in page.eval_on_selector_all(".pager a", "links => links.map(a => a.href)")[1:]:
        page.goto(href)
        rows += table_rows(page)
    return rows


def test_without_javascript_every_incident_is_listed_once(real_site: Path, real_site_url: str, plain_tab: Any) -> None:
    rows = all_pages_rows(plain_tab, real_site_url)
    incidents = csv_rows(real_site, "incidents.csv")
    assert [row["slug"] for row in rows] == [row["slug"] for row in reversed(incidents)]  # newest first
    assert not plain_tab.locator("#incident-filters").is_visible()  # filters need JavaScript: hidden without it
    by_slug = {row["slug"]: row for row in incidents}
    for row in rows:
        wanted = by_slug[row["slug"]]
        assert row["date"] == wanted["date"]
        assert row["cells"][1] == wanted["title"]
        assert row["cells"][2] == f"{wanted['city']}, {wanted['state']}"
        assert row["cells"][7] == ("Yes" if wanted["reviewed"] == "true" else "Not yet")


def test_totals_equal_the_downloads_sums(real_site: Path, real_site_url: str, plain_tab: Any) -> None:
    incidents = csv_rows(real_site, "incidents.csv")
    people = csv_rows(real_site, "people.csv")
    expected = {}
    for key, column in (("killed", "people_killed"), ("injured", "people_injured")):
        cells = [row[column] for row in incidents]
        open_here = {row["slug"] for row in incidents if not row[column]}
        # An open count shows "at least": the known counts plus the people the open incidents' files list.
        listed = sum(1 for p in people if p["incident_slug"] in open_here and p["outcome"] == key)
        expected[key] = (sum(int(c) for c in cells if c) + listed, cells.count(""))
    assert expected["killed"][1] + expected["injured"][1] > 0  # the real record has open counts: shown, not 0
    for rel in ("incidents/", ""):
        plain_tab.goto(real_site_url + rel)
        totals = shown_totals(plain_tab)
        assert totals["killed"] == expected["killed"], rel
        assert totals["injured"] == expected["injured"], rel
        # Shot at and missed, and officers shot, from people.csv: an incident with an open count is left out.
        missed = sum(1 for p in people if p["outcome"] == "uninjured" and p["shot_by"])
        officers = sum(
            1 for p in people if p["role"] == "officer" and p["outcome"] in ("killed", "injured") and p["shot_by"]
        )
        assert totals["missed"][0] == missed and totals["officers"][0] == officers, rel
        assert totals["missed"][1] >= 1 and totals["officers"][1] >= 1, rel


def test_the_filter_data_loads_only_when_a_reader_filters(real_site_url: str, tab: Any) -> None:
    asked = []
    tab.on("request", lambda request: asked.append(request.url))
    tab.goto(real_site_url + "incidents/", wait_until="load")
    assert tab.locator("#incident-filters").is_visible()
    assert not [url for url in asked if url.endswith("index.json")]
    tab.select_option("#filter-year", "2024")
    tab.wait_for_function("document.querySelectorAll('#incident-table tbody tr').length < 10")
    assert [url for url in asked if url.endswith("incidents/index.json")]


def test_year_and_agency_narrow_the_rows_and_the_address_keeps_them(
    real_site: Path, real_site_url: str, tab: Any
) -> None:
    incidents = csv_rows(real_site, "incidents.csv")
    roles = ("involved", "investigating", "reviewing", "assisting")
    wanted = [
        row["slug"]
        for row in reversed(incidents)
        if row["date"].startswith("2018") and any("kcpd" in row[f"agencies_{role}"].split("; ") for role in roles)
    ]
    assert 0 < len(wanted) < len(incidents)
    tab.goto(real_site_url + "incidents/", wait_until="load")
    everything = {row["slug"]: row["cells"] for row in table_rows(tab)}
    tab.select_option("#filter-year", "2018")
    tab.select_option("#filter-agency", "kcpd")
    tab.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(wanted)}")
    rows = table_rows(tab)
    assert [row["slug"] for row in rows] == wanted
    assert all(row["cells"] == everything[row["slug"]] for row in rows)  # the script writes the server's cells
    assert re.search(r"\?year=2018&agency=kcpd$", tab.url)
    assert f"{len(wanted)} of {len(incidents)} incidents" in tab.locator("#incident-status").inner_text()
    killed = sum(int(row["people_killed"] or 0) for row in incidents if row["slug"] in wanted)
    assert shown_totals(tab)["killed"][0] == killed  # the totals follow the filters
    tab.reload(wait_until="load")
    tab.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(wanted)}")
    assert [row["slug"] for row in table_rows(tab)] == wanted
    assert tab.input_value("#filter-year") == "2018" and tab.input_value("#filter-agency") == "kcpd"
    tab.click("#incident-filters button[type=reset]")
    tab.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(incidents)}")
    assert tab.url.endswith("/incidents/")


def test_sorting_orders_the_rows_and_the_address_keeps_it(real_site_url: str, tab: Any) -> None:
    tab.goto(real_site_url + "incidents/", wait_until="load")
    tab.click("#incident-table th[data-sort=title] button")
    tab.wait_for_url(re.compile(r"\?sort=title$"))
    tab.wait_for_function("document.querySelector('th[data-sort=title]').ariaSort === 'ascending'")
    titles = [row["cells"][1] for row in table_rows(tab)]
    assert titles == sorted(titles, key=str.lower) and len(set(titles)) > 1
    assert tab.locator("#incident-caption").inner_text() == "Incidents, by incident"
    tab.click("#incident-table th[data-sort=title] button")
    tab.wait_for_url(re.compile(r"\?sort=-title$"))
    tab.wait_for_function("document.querySelector('th[data-sort=title]').ariaSort === 'descending'")
    assert [row["cells"][1] for row in table_rows(tab)] == sorted(titles, key=str.lower, reverse=True)
    tab.click("#incident-table th[data-sort=date] button")  # the date sorts newest first, then oldest first
    tab.click("#incident-table th[data-sort=date] button")
    tab.wait_for_url(re.compile(r"\?sort=date$"))
    tab.reload(wait_until="load")
    tab.wait_for_function("document.querySelector('th[data-sort=date]').ariaSort === 'ascending'")
    dates = [row["date"] for row in table_rows(tab)]
    assert dates == sorted(dates) and dates[0] < dates[-1]


TABLES_FIT = """() => [...document.querySelectorAll('main table')].map(table => {
    let box = table.parentElement;
    while (box !== document.body && getComputedStyle(box).overflowX === 'visible') box = box.parentElement;
    const style = getComputedStyle(box);
    return {
        caption: (table.caption ? table.caption.textContent : table.className).trim().slice(0, 60),
        wide: table.getBoundingClientRect().width > box.clientWidth + 1,
        scrolls: ['auto', 'scroll'].includes(style.overflowX),
        shadow: style.backgroundImage.includes('radial-gradient'),
        focusable: box.tabIndex === 0,
    };
})"""


def test_every_table_fits_or_shows_that_it_scrolls(real_site: Path, real_site_url: str, tab: Any) -> None:
    problems = []
    for kind, rel in pages_by_type(real_site).items():
        for viewport in (PHONE, DESKTOP):
            tab.set_viewport_size(viewport)
            tab.goto(page_url(real_site_url, rel), wait_until="load")
            for table in tab.evaluate(TABLES_FIT):
                if table["wide"] and not (table["scrolls"] and table["shadow"] and table["focusable"]):
                    problems.append(f"{rel} ({kind}, {viewport['width']} px): {table['caption']!r} is cut off")
    assert not problems, "\n".join(problems)


def test_the_agencies_and_dictionary_tables_fit_a_phone(real_site_url: str, tab: Any) -> None:
    for viewport in (PHONE, DESKTOP):
        tab.set_viewport_size(viewport)
        tab.goto(real_site_url + "agencies/", wait_until="load")
        assert [t for t in tab.evaluate(TABLES_FIT) if t["wide"]] == [], viewport
        tab.goto(real_site_url + "data/", wait_until="load")
        assert [t for t in tab.evaluate(TABLES_FIT) if t["wide"]] == [], viewport
        # A column name breaks only after an underscore: no piece between breaks spans two lines.
        split = tab.evaluate(
            """() => [...document.querySelectorAll('table.fields th code')].flatMap(code =>
                [...code.childNodes].filter(n => n.nodeType === 3).filter(n => {
                    const range = document.createRange();
                    range.selectNodeContents(n);
                    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
                }).map(n => code.textContent))"""
        )
        assert split == [], viewport


HEADER = """() => {
    const header = document.querySelector('.site-header');
    const items = [header.querySelector('.site-name'), ...header.querySelectorAll('nav a')];
    let rows = 0, bottom = -Infinity;
    for (const box of items.map(el => el.getBoundingClientRect()).sort((a, b) => a.top - b.top)) {
        if (box.top >= bottom - 2) rows += 1;  // below every item so far: a new row
        bottom = Math.max(bottom, box.bottom);
    }
    return {height: header.getBoundingClientRect().height, rows};
}"""


def test_the_header_is_two_rows_at_most_and_the_same_on_every_page(
    real_site: Path, real_site_url: str, tab: Any
) -> None:
    for viewport in (DESKTOP, PHONE):
        tab.set_viewport_size(viewport)
        heights = {}
        for kind, rel in pages_by_type(real_site).items():
            tab.goto(page_url(real_site_url, rel), wait_until="load")
            found = tab.evaluate(HEADER)
            heights[kind] = found["height"]
            if viewport is DESKTOP:
                assert found["rows"] <= 2, f"{rel}: the header takes {found['rows']} rows at 1280 px"
        assert len(set(heights.values())) == 1, f"header heights at {viewport['width']} px: {heights}"
