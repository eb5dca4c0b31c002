"""Markdown: footnote citations, no state between files, raw HTML and unsafe links neutralised."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from kcrecord.markdown_render import MarkdownRenderer, is_safe_target


class Collector(HTMLParser):
    """Collect start tags with their attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Collector()
    parser.feed(html)
    return parser.tags


def test_citations_become_numbered_footnotes_in_order_of_first_use() -> None:
    html = MarkdownRenderer().render(
        "First.[^b] Second.[^a] Again.[^b]", {"a": "Source A", "b": "Source B", "unused": "Never cited"}
    )
    refs = [attrs["href"] for tag, attrs in tags(html) if tag == "a" and attrs.get("class") == "footnote-ref"]
    assert refs == ["#fn-b", "#fn-a", "#fn-b"]
    assert "Never cited" not in html
    assert html.index("Source B") < html.index("Source A")


def test_footnotes_do_not_leak_between_documents() -> None:
    renderer = MarkdownRenderer()
    first = renderer.render("One.[^x]", {"x": "Only in the first"})
    second = renderer.render("Two, with no citations.")
    assert "Only in the first" in first
    assert "Only in the first" not in second
    assert "footnote" not in second


def test_raw_html_is_shown_as_text() -> None:
    html = MarkdownRenderer().render('<script>alert(1)</script>\n\nHi <b onclick="x()">there</b>')
    assert not any(tag in ("script", "b") for tag, _ in tags(html))
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "link",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<javascript:alert(1)>",
        "![x](data:image/svg+xml,<svg/onload=alert(1)>)",
        "[x](vbscript:msgbox)",
        "[x](//evil.example/)",
    ],
)
def test_unsafe_link_targets_never_reach_the_page(link: str) -> None:
    html = MarkdownRenderer().render(link)
    for _, attrs in tags(html):
        for name in ("href", "src"):
            value = (attrs.get(name) or "").lower()
            assert "script" not in value and not value.startswith("data:") and not value.startswith("//")


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("https://example.org/a", True),
        ("http://example.org", True),
        ("mailto:someone@example.org", True),
        ("../fields/", True),
        ("/timeline/", True),
        ("#sources", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,x", False),
        ("ftp://example.org", False),
    ],
)
def test_is_safe_target(target: str, safe: bool) -> None:
    assert is_safe_target(target) is safe


def test_site_relative_links_get_the_base_path() -> None:
    html = MarkdownRenderer("/sub/path/").render("[timeline](/timeline/) and [up](../about/) and [web](https://x.org/)")
    hrefs = [attrs["href"] for tag, attrs in tags(html) if tag == "a"]
    assert hrefs == ["/sub/path/timeline/", "../about/", "https://x.org/"]


def test_headings_shift_under_the_page_heading_and_reset() -> None:
    renderer = MarkdownRenderer()
    shifted = renderer.render("## Part\n\n### Sub", shift_headings=1)
    plain = renderer.render("## Part")
    assert [tag for tag, _ in tags(shifted)] == ["h3", "h4"]
    assert [tag for tag, _ in tags(plain)] == ["h2"]
