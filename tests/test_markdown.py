"""Markdown: numbered citations, no state between files, raw HTML and unsafe links neutralised."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

import pytest

from kcrecord.content.markdown_render import MarkdownRenderer, is_safe_target


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


def test_each_citation_is_its_own_numbered_link_to_the_page_list() -> None:
    html = MarkdownRenderer().render("First.[^b][^a] Again.[^b] Unknown.[^zz]", {"a": "1", "b": "2"})
    markers = [attrs for tag, attrs in tags(html) if tag == "a"]
    assert [m["href"] for m in markers] == ["#source-2", "#source-1", "#source-2"]
    assert all(m.get("class") == "cite" for m in markers)
    # Markers written together are kept together: one group, each marker its own link.
    pair = '<a class="cite" href="#source-2">[2]</a><a class="cite" href="#source-1">[1]</a>'
    assert f'<span class="cites">{pair}</span>' in html
    assert "[^zz]" in html  # not a source of the page: left as written (validation reports it)
    assert "footnote" not in html and "\u21a9" not in html and "&#8617;" not in html


@pytest.mark.parametrize("seed", range(20))
def test_generated_citations_number_every_marker_and_show_no_id(seed: int) -> None:
    rng = random.Random(seed)
    ids = [f"outlet-{rng.randrange(10**6)}-2024-0{n + 1}-0{n + 2}" for n in range(rng.randint(1, 6))]
    numbers = {sid: str(n) for n, sid in enumerate(ids, start=1)}
    cited = [rng.choice(ids) for _ in range(rng.randint(1, 30))]
    extra = [f"[^{rng.choice(ids)}]" if n % 3 else "" for n in range(len(cited))]
    text = " ".join(f"Fact {n}.[^{sid}]{more}" for n, (sid, more) in enumerate(zip(cited, extra, strict=True)))
    html = MarkdownRenderer().render(text, numbers)
    expected = [numbers[sid] for sid in re.findall(r"\[\^([^\]]+)\]", text)]
    assert re.findall(r'<a class="cite" href="#source-(\d+)">\[(\d+)\]</a>', html) == [(n, n) for n in expected]
    assert not any(sid in html for sid in ids)


def test_citations_do_not_leak_between_documents() -> None:
    renderer = MarkdownRenderer()
    first = renderer.render("One.[^x]", {"x": "1"})
    second = renderer.render("Two.[^x]")
    assert 'href="#source-1"' in first
    assert second == "<p>Two.[^x]</p>"


def test_citations_in_code_stay_code() -> None:
    html = MarkdownRenderer().render("Write `[^source-id]` to cite.", {"source-id": "1"})
    assert "<code>[^source-id]</code>" in html and "cite" not in html.replace("to cite", "")


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
