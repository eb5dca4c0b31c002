"""Search in a real browser: Pagefind's UI on the search page finds incidents, and a filter narrows them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kcrecord.pipeline import Project, build
from tests.conftest import SMALL_SITE, copy_project
from tests.standards import serve

RESULT = ".pagefind-ui__result-link"


@pytest.fixture(scope="module")
def root_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the small site and serve it under its base path on 127.0.0.1 at a random port."""
    project = copy_project(SMALL_SITE, tmp_path_factory.mktemp("search") / "project")
    build(Project(project, project / "site"))
    with serve(project / "site", "/record/") as root:
        yield root


@pytest.fixture
def search_page(browser: Any, root_url: str) -> Iterator[Any]:
    """Open a phone-sized page in the session's Chromium (tests/conftest.py)."""
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.root = root_url
    yield page
    page.close()


def results(page: Any) -> list[str]:
    """Return the titles of the results shown, once the count has settled."""
    page.wait_for_selector(".pagefind-ui__message")
    page.wait_for_timeout(300)
    return sorted(page.locator(RESULT).all_inner_texts())


def test_a_word_from_an_incident_finds_it(search_page: Any) -> None:
    search_page.goto(search_page.root + "search/", wait_until="load")
    search_page.fill(".pagefind-ui__search-input", "knife")
    search_page.wait_for_selector(RESULT)
    assert results(search_page) == ["Officer fires at man holding a knife outside a store"]
    search_page.locator(RESULT).first.click()
    search_page.wait_for_url("**/incidents/2024-03-05-example-shooting/")


def test_a_filter_narrows_the_results(search_page: Any) -> None:
    search_page.goto(search_page.root + "search/?q=officer", wait_until="load")
    search_page.wait_for_selector(RESULT)
    assert results(search_page) == [
        "Officer fires at a moving car",
        "Officer fires at man holding a knife outside a store",
    ]
    search_page.locator(".pagefind-ui__filter-name", has_text="year").click()
    search_page.get_by_label("2023").check()
    search_page.wait_for_function(f"document.querySelectorAll('{RESULT}').length === 1")
    assert results(search_page) == ["Officer fires at a moving car"]


def test_search_page_without_javascript_says_where_else_to_look(browser: Any, root_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(root_url + "search/?q=knife", wait_until="load")
    assert "Search needs JavaScript" in page.locator(".notice").first.inner_text()
    page.goto(root_url, wait_until="load")
    page.fill("#home-search", "knife")
    page.click(".search-form button")
    page.wait_for_url("**/search/?q=knife")
    context.close()
