"""Search in a real browser: words find incidents, filters work with no words typed, counts are incidents.

The search page (templates/search.html, static/search.js) runs over Pagefind's index of the incident pages.
The small site checks the mechanics; the real content checks the claims on the record readers use, against
the CSV the same build wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from kcrecord.engine.pipeline import Project, build
from kcrecord.outputs.formats import format_date
from tests.conftest import SMALL_SITE, copy_project
from tests.standards import axe_problems, require_axe, serve

RESULT = "#search-results > li > a"
SELECTS = ("agency", "year", "type", "civilian", "officer")


@pytest.fixture(scope="module")
def small_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the small site (with its search index) once for this module."""
    project = copy_project(SMALL_SITE, tmp_path_factory.mktemp("search") / "project")
    build(Project(project, project / "site"))
    return project / "site"


@pytest.fixture(scope="module")
def root_url(small_built: Path) -> Iterator[str]:
    """Serve the small site under its base path on 127.0.0.1 at a random port."""
    with serve(small_built, "/record/") as root:
        yield root


@pytest.fixture
def search_page(browser: Any, root_url: str) -> Iterator[Any]:
    """Open a phone-sized page in the session's Chromium (tests/conftest.py)."""
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.root = root_url
    yield page
    page.close()


@pytest.fixture
def real_page(browser: Any, real_site_url: str) -> Iterator[Any]:
    """Open a desktop-sized page on the real site."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.root = real_site_url
    yield page
    page.close()


def settle(page: Any) -> None:
    """Wait until the search page has finished the search it started (it marks the form aria-busy meanwhile)."""
    page.wait_for_selector("#search:not([aria-busy])")


def open_search(page: Any, query: str = "") -> None:
    page.goto(page.root + "search/" + query, wait_until="load")
    settle(page)


def shown_count(page: Any) -> int:
    """Return the number of incidents the status line announces."""
    match = re.match(r"(\d+) incidents?\b", page.locator("#search-status").inner_text())
    assert match, page.locator("#search-status").inner_text()
    return int(match.group(1))


def all_results(page: Any) -> list[Any]:
    """Press "Show more" until every result is listed; return the result items."""
    while page.locator("#search-more").is_visible():
        before = page.locator(RESULT).count()
        page.click("#search-more")
        page.wait_for_function(f"document.querySelectorAll('{RESULT}').length > {before}")
    return page.locator("#search-results > li").all()


def titles(page: Any) -> list[str]:
    return sorted(page.locator(RESULT).all_inner_texts())


def choose(page: Any, name: str, value: str) -> None:
    page.select_option(f"select[name={name}]", value)
    settle(page)


def options(page: Any, name: str) -> dict[str, int]:
    """Return each value a filter offers with the count it shows, e.g. {"2023": 1}."""
    texts = page.locator(f"select[name={name}] option").all_inner_texts()[1:]
    pairs = [re.fullmatch(r"(.+) \((\d+)\)", text) for text in texts]
    assert all(pairs), texts
    return {pair.group(1): int(pair.group(2)) for pair in pairs if pair}


def test_a_word_from_an_incident_finds_it(search_page: Any) -> None:
    open_search(search_page)
    search_page.fill("#search-q", "knife")
    settle(search_page)
    assert titles(search_page) == ["Officer fires at man holding a knife outside a store"]
    search_page.locator(RESULT).first.click()
    search_page.wait_for_url("**/record/incidents/2024-03-05-example-shooting/")


def test_a_filter_narrows_the_results(search_page: Any) -> None:
    open_search(search_page, "?q=officer")
    assert titles(search_page) == [
        "Officer fires at a moving car",
        "Officer fires at man holding a knife outside a store",
    ]
    choose(search_page, "year", "2023")
    assert titles(search_page) == ["Officer fires at a moving car"]


def test_filters_work_with_no_words_and_every_count_is_the_number_of_incidents(search_page: Any) -> None:
    open_search(search_page)
    assert search_page.input_value("#search-q") == ""
    assert shown_count(search_page) == len(all_results(search_page)) == 2
    for name in SELECTS:
        offered = options(search_page, name)
        assert offered, f"the {name} filter offers nothing"
        for value, count in offered.items():
            choose(search_page, name, value)
            assert shown_count(search_page) == len(all_results(search_page)) == count, (name, value)
        choose(search_page, name, "")


def test_outcomes_are_counted_once_per_incident_and_civilians_apart_from_officers(search_page: Any) -> None:
    # The knife incident lists one civilian injured and one not injured; the car incident lists nobody.
    open_search(search_page)
    assert options(search_page, "civilian") == {"Injured": 1, "Not injured": 1}
    assert options(search_page, "officer") == {"No": 2}
    # The example department is both involved in and investigating the knife incident: one incident, not two.
    assert options(search_page, "agency") == {"Example Police Department": 2, "Example County Prosecutor": 1}


def test_each_result_shows_its_date_and_place_newest_first(search_page: Any, small_built: Path) -> None:
    with (small_built / "data" / "incidents.csv").open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: row["date"], reverse=True)
    open_search(search_page)
    items = all_results(search_page)
    assert [item.locator("a").inner_text() for item in items] == [row["title"] for row in rows]
    for item, row in zip(items, rows, strict=True):
        when = format_date(dt.date.fromisoformat(row["date"]))
        assert item.locator(".meta").inner_text().startswith(f"{when} · {row['city']}, {row['state']}")


def test_filters_are_kept_in_the_address(search_page: Any) -> None:
    open_search(search_page, "?year=2024")
    assert search_page.input_value("select[name=year]") == "2024"
    assert titles(search_page) == ["Officer fires at man holding a knife outside a store"]
    choose(search_page, "year", "2023")
    search_page.fill("#search-q", "car")
    settle(search_page)
    assert parse_qs(urlsplit(search_page.url).query) == {"year": ["2023"], "q": ["car"]}


def test_search_page_without_javascript_says_where_else_to_look(browser: Any, root_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(root_url + "search/?q=knife", wait_until="load")
    assert "Search needs JavaScript" in page.locator(".notice").first.inner_text()
    page.locator(".notice a", has_text="incidents page").click()  # every incident, listed without JavaScript
    page.wait_for_url("**/record/incidents/")
    page.go_back()
    assert not page.locator("#search").is_visible()  # no dead form without the script
    page.goto(root_url, wait_until="load")
    page.fill("#home-search", "knife")
    page.click(".search-form button")
    page.wait_for_url("**/search/?q=knife")
    context.close()


def csv_rows(site: Path) -> list[dict[str, str]]:
    with (site / "data" / "incidents.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def listed(cell: str) -> list[str]:
    """Split a CSV list cell ("a; b") into its values."""
    return [value.strip() for value in cell.split(";") if value.strip()]


def agency_name(site: Path, agency_id: str) -> str:
    with (site / "data" / "agencies.csv").open(encoding="utf-8", newline="") as handle:
        return next(row["name"] for row in csv.DictReader(handle) if row["id"] == agency_id)


def slugs(page: Any) -> set[str]:
    return {item.locator("a").get_attribute("href").rstrip("/").rsplit("/", 1)[-1] for item in all_results(page)}


def test_real_record_2016_and_kcpd_lists_exactly_what_the_csv_lists(real_page: Any, real_site: Path) -> None:
    agency_columns = ("agencies_involved", "agencies_investigating", "agencies_reviewing", "agencies_assisting")
    expected = {
        row["slug"]
        for row in csv_rows(real_site)
        if row["date"].startswith("2016-") and any("kcpd" in listed(row[column]) for column in agency_columns)
    }
    assert expected, "the real record has KCPD incidents in 2016"
    open_search(real_page)
    choose(real_page, "year", "2016")
    choose(real_page, "agency", agency_name(real_site, "kcpd"))
    assert shown_count(real_page) == len(expected)
    assert slugs(real_page) == expected


def test_browsing_without_words_fetches_one_chunk_of_the_word_index(real_page: Any, real_site: Path) -> None:
    # Pagefind's null search would fetch every chunk (megabytes at thousands of incidents); the page searches for
    # a word every incident page holds instead, and still lists every incident.
    chunks = list((real_site / "pagefind" / "index").iterdir())
    assert len(chunks) > 1, "the real record's word index has several chunks"
    fetched: list[str] = []
    real_page.on("request", lambda request: "/pagefind/index/" in request.url and fetched.append(request.url))
    open_search(real_page)
    choose(real_page, "year", "2016")
    choose(real_page, "civilian", "Killed")
    choose(real_page, "civilian", "")
    choose(real_page, "year", "")
    assert len(fetched) == 1, fetched
    assert shown_count(real_page) == len(csv_rows(real_site))


def test_real_record_outcome_counts_are_numbers_of_incidents(real_page: Any, real_site: Path) -> None:
    total = len(csv_rows(real_site))
    open_search(real_page)
    assert shown_count(real_page) == total
    for scope in ("", "2016"):
        choose(real_page, "year", scope)
        for name in ("civilian", "officer"):
            for value, count in options(real_page, name).items():
                if count == 0:  # offered but disabled: no incident in this year has it
                    continue
                choose(real_page, name, value)
                assert shown_count(real_page) == len(all_results(real_page)) == count, (scope, name, value)
            choose(real_page, name, "")
    # Every incident has one officer value: the counts add up to the incidents.
    choose(real_page, "year", "")
    assert sum(options(real_page, "officer").values()) == total


def test_search_page_with_results_and_filters_passes_axe(real_page: Any) -> None:
    require_axe()
    problems = []
    for width, query in ((375, "?q=knife"), (1280, "?year=2016&civilian=Killed")):
        real_page.set_viewport_size({"width": width, "height": 900})
        open_search(real_page, query)
        assert shown_count(real_page) > 0
        problems += axe_problems(real_page, f"search/{query} ({width} px)")
    assert not problems, "\n".join(problems)
