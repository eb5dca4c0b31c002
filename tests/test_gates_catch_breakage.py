"""Each standards gate fails on a deliberately broken page, naming the page and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from kcrecord.linkcheck import check_links
from tests.standards import (
    DESKTOP,
    axe_problems,
    keyboard_problems,
    load_problems,
    page_url,
    print_problems,
    require_axe,
    require_vnu,
    serve,
    vnu_problems,
)

BROKEN = "broken/index.html"


@pytest.fixture
def broken_site(real_site: Path, real_base_url: str, tmp_path: Path) -> Path:
    """Copy the built real site into tmp_path and add a page with invalid HTML, an image without alt and a bad link."""
    site = tmp_path / "site"
    shutil.copytree(real_site, site)
    base = urlsplit(real_base_url).path
    page = site / BROKEN
    page.parent.mkdir()
    page.write_text(
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        '<head><meta charset="utf-8"><title>Broken</title></head>\n'
        "<body><main>\n"
        "<h1>Broken</h1>\n"
        f'<p><img src="{base}static/style.css" width="10" height="10"></p>\n'
        f'<p><a href="{base}incidents/no-such-incident/">a missing incident</a></p>\n'
        "<p><div>a div inside a paragraph</div></p>\n"
        "</main></body>\n"
        "</html>\n",
        encoding="utf-8",
    )
    return site


def test_link_check_names_the_page_and_the_broken_link(broken_site: Path, real_base_url: str) -> None:
    problems = check_links(broken_site, real_base_url)
    base = urlsplit(real_base_url).path
    assert problems == [
        f"{BROKEN}:7: {base}incidents/no-such-incident/: no such file in the built site "
        "(looked for incidents/no-such-incident/ under the output folder)"
    ]


def test_html_checker_names_the_page_and_the_invalid_markup(broken_site: Path) -> None:
    require_vnu()
    problems = vnu_problems(broken_site, [broken_site / "index.html", broken_site / BROKEN])
    mine = [line for line in problems if line.startswith(f"{BROKEN}:")]
    assert mine and mine == problems, problems
    assert any(line.startswith(f"{BROKEN}:8: No “p” element in scope but a “p” end tag seen") for line in mine), mine
    assert any(line.startswith(f"{BROKEN}:6: An “img” element must have an “alt” attribute") for line in mine), mine


def test_axe_names_the_page_and_the_image_without_alt(broken_site: Path, real_base_url: str, browser: Any) -> None:
    require_axe()
    context = browser.new_context(viewport=DESKTOP)
    try:
        tab = context.new_page()
        with serve(broken_site, urlsplit(real_base_url).path) as root_url:
            tab.goto(page_url(root_url, BROKEN))
            problems = axe_problems(tab, BROKEN)
    finally:
        context.close()
    image_alt = [line for line in problems if line.startswith(f"{BROKEN}: image-alt (critical): Images must have")]
    assert image_alt, problems


def test_browser_walk_names_the_page_and_the_failed_request(
    broken_site: Path, real_base_url: str, browser: Any, tmp_path: Path
) -> None:
    base = urlsplit(real_base_url).path
    (broken_site / BROKEN).write_text(
        f'<!DOCTYPE html><html lang="en"><title>t</title><img src="{base}static/missing.png" alt="gone">'
        '<div style="width: 2000px">wide</div><script>console.error("boom")</script></html>',
        encoding="utf-8",
    )
    context = browser.new_context(viewport={"width": 375, "height": 740})
    try:
        tab = context.new_page()
        with serve(broken_site, base) as root_url:
            problems = load_problems(tab, page_url(root_url, BROKEN), BROKEN)
    finally:
        context.close()
    assert f"{BROKEN}: request failed: {page_url(root_url, '')}static/missing.png (HTTP 404)" in problems, problems
    assert f"{BROKEN}: console error: boom" in problems, problems
    assert any(line.startswith(f"{BROKEN}: scrolls sideways at 375 px wide") for line in problems), problems


def test_keyboard_and_print_checks_name_the_page_and_the_problem(
    broken_site: Path, real_base_url: str, browser: Any
) -> None:
    base = urlsplit(real_base_url).path
    (broken_site / BROKEN).write_text(
        '<!DOCTYPE html><html lang="en"><title>t</title>'
        "<style>a.quiet:focus { outline: none; }</style>"
        f'<header class="site-header"><nav><a href="{base}">Home</a></nav></header>'
        f'<main><a class="quiet" href="{base}timeline/">Timeline</a>'
        f'<a tabindex="-1" href="{base}agencies/">Agencies</a></main></html>',
        encoding="utf-8",
    )
    context = browser.new_context(viewport=DESKTOP)
    try:
        tab = context.new_page()
        with serve(broken_site, base) as root_url:
            tab.goto(page_url(root_url, BROKEN))
            keyboard = keyboard_problems(tab, BROKEN)
            printed = print_problems(tab, BROKEN)
    finally:
        context.close()
    assert any(
        line.startswith(f"{BROKEN}: link 'Timeline' ({base}timeline/) shows no visible focus") for line in keyboard
    )
    assert f"{BROKEN}: Tab never reaches link 'Agencies' ({base}agencies/)" in keyboard, keyboard
    assert not any("'Home'" in line for line in keyboard), keyboard
    assert printed == [f"{BROKEN}: the site navigation still shows in print (print stylesheet not applied)"]
