"""Internal links in the built site: every href and src resolves to a file (and fragment) in the output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcrecord.engine.pipeline import Project, build
from kcrecord.linkcheck import check_links
from tests.conftest import REPO


def test_real_site_has_no_broken_internal_links(real_site: Path, real_base_url: str) -> None:
    problems = check_links(real_site, real_base_url)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("base_url", ["https://example.org/sub/path/", "http://localhost:8000/"])
def test_no_broken_links_when_built_for_another_base(tmp_path: Path, base_url: str) -> None:
    out = tmp_path / "site"
    build(Project(REPO, out), base_url=base_url)
    problems = check_links(out, base_url)
    assert not problems, "\n".join(problems)
    assert check_links(out, "https://example.org/elsewhere/"), "links must depend on the base path"


@pytest.fixture
def tiny_site(tmp_path: Path, write_file: Callable[[Path, str, str], Path]) -> Path:
    """Write a three-page site served at /base/, with good and bad links of every kind."""
    site = tmp_path / "site"
    write_file(site, "static/style.css", "body {}")
    write_file(site, "static/logo.png", "png")
    write_file(site, "a/index.html", '<h2 id="facts">Facts</h2><a name="old-anchor"></a>')
    write_file(site, "b.html", "<p>b</p>")
    write_file(
        site,
        "index.html",
        """
        <link rel="stylesheet" href="/base/static/style.css">
        <img src="static/logo.png" alt="logo">
        <a href="a/">a</a> <a href="./a/#facts">facts</a> <a href="/base/a/index.html#old-anchor">old</a>
        <a href="b.html">b</a> <a href="#top">top</a> <a href="#">hash</a>
        <a href="#here">here</a><span id="here"></span>
        <a href="https://example.org/base/a/">own host, absolute</a> <a href="https://other.example/x">external</a>
        <a href="https://example.org/another-project/">same host, outside the base: another site</a>
        <a href="mailto:someone@example.org">mail</a> <a href="a/?sort=date">query</a> <a href="/base/a">no slash</a>
        """,
    )
    return site


def test_good_links_of_every_kind_pass(tiny_site: Path) -> None:
    assert check_links(tiny_site, "https://example.org/base/") == []


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ('<a href="missing/">', "missing/: no such file in the built site"),
        ('<img src="static/nope.png" alt="">', "static/nope.png: no such file in the built site"),
        ('<a href="a/#nothing">', "a/#nothing: no element with id 'nothing' on a/index.html"),
        ('<a href="#nowhere">', "#nowhere: no element with id 'nowhere' on this page"),
        ('<a href="/other/a/">', "/other/a/: points outside the site's base path /base/"),
        ('<a href="../a/">', "../a/: points outside the site's base path /base/"),
        ('<a href="https://example.org/base/gone/">', "https://example.org/base/gone/: no such file"),
        ('<link rel="icon" href="/favicon.ico">', "/favicon.ico: points outside the site's base path /base/"),
        ('<a href="">', ": empty link"),
    ],
)
def test_broken_links_name_the_page_line_and_problem(
    tiny_site: Path, write_file: Callable[[Path, str, str], Path], link: str, message: str
) -> None:
    write_file(tiny_site, "b.html", f"<p>b</p>\n{link}")
    problems = check_links(tiny_site, "https://example.org/base/")
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"b.html:2: {message}")


def test_relative_links_resolve_from_the_page_folder(tiny_site: Path, write_file: Callable) -> None:
    write_file(tiny_site, "c/index.html", '<a href="../b.html">b</a> <a href="b.html">wrong</a>')
    assert check_links(tiny_site, "/base/") == [
        "c/index.html:1: b.html: no such file in the built site (looked for c/b.html under the output folder)"
    ]


def test_small_site_has_no_broken_internal_links(small_site: Path) -> None:
    # The small site has no methodology page: pages must not link to one that isn't there.
    assert check_links(small_site, "https://example.org/record/") == []
