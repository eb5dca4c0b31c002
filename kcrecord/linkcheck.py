"""Check a built site's internal links: every href and src must name a file (and fragment) in the output."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Schemes that name no file in the site and are never fetched.
SKIPPED_SCHEMES = ("mailto", "tel", "data", "javascript", "about", "blob")


@dataclass
class PageLinks:
    """What one HTML page links to and which fragment targets it defines."""

    links: list[tuple[int, str, str]] = field(default_factory=list)  # (line, attribute, value)
    ids: set[str] = field(default_factory=set)
    base_href: str | None = None


class _LinkParser(HTMLParser):
    """Collect href/src attributes, id/name targets and <base href> from one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = PageLinks()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.page.ids.add(value)
            elif name in ("href", "src"):
                if tag == "base" and name == "href":
                    self.page.base_href = value
                else:
                    self.page.links.append((line, name, value.strip()))

    handle_startendtag = handle_starttag


def parse_page(html: str) -> PageLinks:
    """Return the links and fragment targets of one HTML page."""
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.page


def page_url_path(rel: str, base_path: str) -> str:
    """Return the URL path a built file is served at, e.g. 'about/index.html' -> '/base/about/'."""
    url = base_path + rel
    return url.removesuffix("index.html") if url.endswith("/index.html") else url


def check_links(site_dir: Path, base_url: str = "/") -> list[str]:
    """Check every href and src in every built .html file; return problems as 'page:line: url: message'."""
    site_dir = Path(site_dir)
    split_base = urlsplit(base_url)
    base_path = split_base.path or "/"
    if not base_path.endswith("/"):
        base_path += "/"
    own_host = split_base.netloc.lower()
    pages = {
        path.relative_to(site_dir).as_posix(): parse_page(path.read_text(encoding="utf-8"))
        for path in sorted(site_dir.rglob("*.html"))
    }
    problems = []
    for rel, page in pages.items():
        here = page_url_path(rel, base_path)
        if page.base_href is not None:
            here = _join(here, page.base_href, own_host)
        for line, _attribute, value in page.links:
            message = _check_one(value, here, rel, site_dir, base_path, own_host, pages)
            if message:
                problems.append(f"{rel}:{line}: {value}: {message}")
    return problems


def _join(here: str, value: str, own_host: str) -> str:
    """Resolve value against the page path here; return the absolute path (with any fragment)."""
    parts = urlsplit(value)
    if parts.netloc and parts.netloc.lower() == own_host:
        path = parts.path or "/"
    elif parts.path.startswith("/"):
        path = parts.path
    elif parts.path:
        path = posixpath.join(posixpath.dirname(here), parts.path)
    else:
        path = here
    trailing = path.endswith("/") or parts.path.endswith((".", ".."))
    path = posixpath.normpath(path)
    path = "/" if path in (".", "//") else path
    if trailing and not path.endswith("/"):
        path += "/"
    return path + (f"#{parts.fragment}" if parts.fragment else "")


def _check_one(
    value: str,
    here: str,
    rel: str,
    site_dir: Path,
    base_path: str,
    own_host: str,
    pages: dict[str, PageLinks],
) -> str | None:
    """Return why value does not resolve to a file in the site, or None if it does (or is external)."""
    if not value:
        return "empty link"
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme in SKIPPED_SCHEMES:
        return None
    if scheme and scheme not in ("http", "https"):
        return f"unknown URL scheme '{scheme}'"
    absolute = bool(scheme or value.startswith("//"))
    if absolute and parts.netloc.lower() != own_host:
        return None  # another host: external, not fetched
    target = _join(here, value, own_host)
    path, _, fragment = target.partition("#")
    path = unquote(path)
    if not (path + "/").startswith(base_path):
        if absolute:
            return None  # the same host but outside the base: another site (e.g. another GitHub Pages project)
        return f"points outside the site's base path {base_path}"
    inner = path[len(base_path) :]
    file = _resolve_file(site_dir, inner)
    if file is None:
        return f"no such file in the built site (looked for {inner or 'index.html'} under the output folder)"
    if fragment and fragment != "top":
        target_rel = file.relative_to(site_dir).as_posix()
        target_page = pages.get(target_rel)
        if target_page is None:
            return None  # a fragment into a non-HTML file cannot be checked
        if unquote(fragment) not in target_page.ids:
            where = "this page" if target_rel == rel else target_rel
            return f"no element with id '{unquote(fragment)}' on {where}"
    return None


def _resolve_file(site_dir: Path, inner: str) -> Path | None:
    """Return the file a static host serves for the path inner (below the base), or None."""
    candidate = site_dir / inner if inner else site_dir
    if inner.endswith("/") or not inner:
        index = candidate / "index.html"
        return index if index.is_file() else None
    if candidate.is_file():
        return candidate
    if candidate.is_dir() and (candidate / "index.html").is_file():
        return candidate / "index.html"
    return None
