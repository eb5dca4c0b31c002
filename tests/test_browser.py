"""The real site in Debian's Chromium through Playwright: every page type, served under its base path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.standards import (
    DESKTOP,
    PHONE,
    REQUIRED_PAGE_TYPES,
    axe_problems,
    keyboard_problems,
    load_problems,
    page_url,
    pages_by_type,
    print_problems,
    require_axe,
)


def test_every_required_page_type_is_built(real_site: Path) -> None:
    present = pages_by_type(real_site)
    assert [kind for kind in REQUIRED_PAGE_TYPES if kind not in present] == []
    assert "404" in present


def test_pages_load_cleanly_at_phone_and_desktop_widths(real_site: Path, real_site_url: str, tab: Any) -> None:
    problems = []
    for kind, rel in pages_by_type(real_site).items():
        for viewport in (PHONE, DESKTOP):
            tab.set_viewport_size(viewport)
            problems += load_problems(tab, page_url(real_site_url, rel), f"{rel} ({kind}, {viewport['width']} px)")
    assert not problems, "\n".join(problems)


def test_keyboard_reaches_every_link_with_a_visible_focus(real_site: Path, real_site_url: str, tab: Any) -> None:
    problems = []
    checked = 0
    for rel in pages_by_type(real_site).values():
        tab.goto(page_url(real_site_url, rel))
        problems += keyboard_problems(tab, rel)
        checked += tab.evaluate("() => document.querySelectorAll('a[href]').length")
    assert checked > 0
    assert not problems, "\n".join(problems)


def test_print_stylesheet_hides_navigation(real_site: Path, real_site_url: str, tab: Any) -> None:
    problems = []
    for rel in pages_by_type(real_site).values():
        tab.goto(page_url(real_site_url, rel))
        problems += print_problems(tab, rel)
    assert not problems, "\n".join(problems)


def test_axe_finds_no_wcag_21_aa_violations(real_site: Path, real_site_url: str, tab: Any) -> None:
    require_axe()
    problems = []
    for rel in pages_by_type(real_site).values():
        for viewport in (PHONE, DESKTOP):
            tab.set_viewport_size(viewport)
            tab.goto(page_url(real_site_url, rel))
            problems += axe_problems(tab, f"{rel} ({viewport['width']} px)")
    assert not problems, "\n".join(problems)
