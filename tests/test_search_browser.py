"""Search in a real browser: Pagefind's UI on the search page finds incidents, and a filter narrows them."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kcrecord.pipeline import Project, build
from tests.conftest import SMALL_SITE, copy_project

RESULT = ".pagefind-ui__result-link"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def root_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Build the small site for the root path and serve it on 127.0.0.1 at a random port."""
    project = copy_project(SMALL_SITE, tmp_path_factory.mktemp("search") / "project")
    build(Project(project, project / "site"), base_url="http://127.0.0.1/")
    handler = functools.partial(_Quiet, directory=str(project / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Launch Debian's Chromium through Playwright; skip without them (fail under CI=true)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not CHROMIUM.is_file():
        message = "needs Playwright for Python and /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def search_page(chromium: Any, root_url: str) -> Iterator[Any]:
    """Open a phone-sized page."""
    page = chromium.new_page(viewport={"width": 375, "height": 740})
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


def test_search_page_without_javascript_says_where_else_to_look(chromium: Any, root_url: str) -> None:
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(root_url + "search/?q=knife", wait_until="load")
    assert "Search needs JavaScript" in page.locator(".notice").first.inner_text()
    page.goto(root_url, wait_until="load")
    page.fill("#home-search", "knife")
    page.click(".search-form button")
    page.wait_for_url("**/search/?q=knife")
    context.close()
