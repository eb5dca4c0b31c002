"""Standards gates for a built site: a real browser, the Nu Html Checker and axe-core.

Each gate has a checking function that returns problems as 'page: message' lines, so a test can
assert the list is empty and a failing run names every page and problem. The tools are found by
`require_*`, which skips the test with an install hint on a developer's machine and fails it under
CI (CI=true), where a missing tool would otherwise hide a broken page.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"

# This machine's closed network refuses Chromium's own background connections; keep it quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Page types every build has; others (data, search, plain pages, ...) are walked when present.
REQUIRED_PAGE_TYPES = ("home", "incidents/*", "agencies/*", "timeline")


def in_ci() -> bool:
    """Return whether this run is CI (CI=true), where a missing tool fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(message: str) -> None:
    """Skip the current test with message, or fail it under CI."""
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def require_chromium() -> None:
    """Skip (or fail under CI) unless Debian's Chromium and Playwright for Python are installed."""
    if not CHROMIUM.is_file():
        missing(f"Chromium not found at {CHROMIUM}; install it with `apt-get install -y chromium` (browser tests)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("Playwright for Python is not installed; run `make test` to install requirements-test.txt")


def require_vnu() -> None:
    """Skip (or fail under CI) unless java and node_modules/vnu-jar are installed."""
    if shutil.which("java") is None:
        missing("java not found; install it with `apt-get install -y default-jre-headless` (Nu Html Checker)")
    if not VNU_JAR.is_file():
        missing(f"{VNU_JAR.relative_to(REPO)} not found; run `npm ci` (Nu Html Checker)")


def require_axe() -> None:
    """Skip (or fail under CI) unless node_modules/axe-core is installed."""
    if not AXE_JS.is_file():
        missing(f"{AXE_JS.relative_to(REPO)} not found; run `npm ci` (axe-core accessibility checks)")


def page_type(rel: str) -> str:
    """Return a built page's type: 'home', 'incidents/*', 'timeline', 'about', '404', ..."""
    parts = rel.split("/")
    if rel == "index.html":
        return "home"
    if len(parts) == 1:
        return parts[0].removesuffix(".html")
    if len(parts) == 2:
        return parts[0]
    return parts[0] + "/*"


def pages_by_type(site_dir: Path) -> dict[str, str]:
    """Return one built page (relative path) for every page type present: the largest, as it shows the most."""
    chosen: dict[str, tuple[int, str]] = {}
    for path in sorted(site_dir.rglob("*.html")):
        rel = path.relative_to(site_dir).as_posix()
        size = path.stat().st_size
        kind = page_type(rel)
        if kind not in chosen or size > chosen[kind][0]:
            chosen[kind] = (size, rel)
    return {kind: rel for kind, (_, rel) in sorted(chosen.items())}


def page_url(root_url: str, rel: str) -> str:
    """Return the address a built file is served at below root_url (which ends with '/')."""
    return root_url + (rel.removesuffix("index.html") if rel.endswith("index.html") else rel)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve a folder below a URL prefix (the site's base path); answer 404 outside it."""

    prefix = "/"

    def send_head(self) -> Any:
        if not self.path.startswith(self.prefix):
            self.send_error(404, f"outside the base path {self.prefix}")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path[len(self.prefix) :])

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def serve(site_dir: Path, base_path: str = "/") -> Iterator[str]:
    """Serve site_dir at http://127.0.0.1:<random port><base_path>; yield that root URL."""
    handler = type("Handler", (_QuietHandler,), {"prefix": base_path})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site_dir)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{base_path}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium() -> Iterator[Any]:
    """Launch Debian's Chromium headless through Playwright; yield the browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_until_settled(page: Any) -> None:
    """Wait until no element is aria-busy="true": a page that fills itself in by script (the search page lists
    incidents once its index has loaded) marks itself busy meanwhile, so checks see the finished page and the
    next navigation does not cut off its requests."""
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")


def load_problems(page: Any, url: str, label: str) -> list[str]:
    """Load url in page; return console errors, failed requests and horizontal scrolling, each naming label."""
    problems: list[str] = []

    def on_console(message: Any) -> None:
        # Chromium asks the host root for /favicon.ico by itself; the link check covers icons a page names.
        if urlsplit(message.location.get("url", "")).path == "/favicon.ico":
            return
        if message.type == "error":
            problems.append(f"{label}: console error: {message.text}")

    def on_failed(request: Any) -> None:
        problems.append(f"{label}: request failed: {request.url} ({request.failure})")

    def on_response(response: Any) -> None:
        if response.status >= 400 and response.url != url:
            problems.append(f"{label}: request failed: {response.url} (HTTP {response.status})")

    def on_page_error(error: Any) -> None:
        problems.append(f"{label}: script error: {error}")

    listeners = {"console": on_console, "pageerror": on_page_error, "requestfailed": on_failed, "response": on_response}
    for event, listener in listeners.items():
        page.on(event, listener)
    try:
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            problems.append(f"{label}: page answered {response.status if response else 'nothing'}, expected 200")
        wait_until_settled(page)
        width = page.viewport_size["width"]
        overflow = page.evaluate(
            """() => {
                const root = document.documentElement;
                if (root.scrollWidth <= root.clientWidth) return null;
                const wide = [...document.body.querySelectorAll('*')]
                    .filter(el => el.getBoundingClientRect().right > root.clientWidth + 0.5)
                    .map(el => [el.tagName.toLowerCase(), el.getAttribute('class')].filter(Boolean).join('.'));
                return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 5)};
            }"""
        )
        if overflow:
            problems.append(
                f"{label}: scrolls sideways at {width} px wide (content {overflow['scroll']} px, "
                f"window {overflow['client']} px; too wide: {', '.join(overflow['wide'])})"
            )
    finally:
        for event, listener in listeners.items():
            page.remove_listener(event, listener)
    return problems


_FOCUS_STYLE = """el => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(' | ');
}"""


def keyboard_problems(page: Any, label: str) -> list[str]:
    """Tab through the loaded page; return links never reached and focused elements without a visible focus."""
    wait_until_settled(page)
    links = page.evaluate(
        """style => {
            const measure = eval(style);
            const links = [...document.querySelectorAll('a[href]')].filter(a => a.getClientRects().length > 0);
            return links.map((a, i) => {
                a.dataset.kcTab = String(i);
                return {text: (a.textContent || a.getAttribute('href')).trim().slice(0, 60),
                        href: a.getAttribute('href'), unfocused: measure(a)};
            });
        }""",
        _FOCUS_STYLE,
    )
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    problems: list[str] = []
    reached: set[int] = set()
    seen_first = None
    focusable = page.evaluate(
        "() => document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]').length"
    )
    for _ in range(focusable + 5):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """style => {
                const el = document.activeElement;
                if (!el || el === document.body) return null;
                const s = getComputedStyle(el);
                return {index: el.dataset.kcTab ?? null, tag: el.tagName.toLowerCase(),
                        text: (el.textContent || '').trim().slice(0, 60), style: eval(style)(el),
                        visible: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                                 || s.boxShadow !== 'none'};
            }""",
            _FOCUS_STYLE,
        )
        if focused is None:
            break
        key = (focused["tag"], focused["index"], focused["text"])
        if key == seen_first:
            break  # focus has gone all the way round
        seen_first = seen_first or key
        if focused["index"] is not None:
            index = int(focused["index"])
            if index in reached:
                break
            reached.add(index)
            unchanged = focused["style"] == links[index]["unfocused"]
            if unchanged or not focused["visible"]:
                problems.append(
                    f"{label}: link '{links[index]['text']}' ({links[index]['href']}) shows no visible focus "
                    f"(outline/box-shadow when focused: {focused['style']})"
                )
        elif not focused["visible"]:
            problems.append(f"{label}: <{focused['tag']}> '{focused['text']}' shows no visible focus")
    for index, link in enumerate(links):
        if index not in reached:
            problems.append(f"{label}: Tab never reaches link '{link['text']}' ({link['href']})")
    return problems


def print_problems(page: Any, label: str) -> list[str]:
    """Emulate print media on the loaded page; return problems if the print stylesheet did not apply."""
    problems = []
    page.emulate_media(media="print")
    try:
        shown = page.evaluate(
            """() => {
                const visible = el => el && getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0;
                return {nav: [...document.querySelectorAll('body > header nav, .site-header nav')].some(visible),
                        main: visible(document.querySelector('main'))};
            }"""
        )
    finally:
        page.emulate_media(media="screen")
    if shown["nav"]:
        problems.append(f"{label}: the site navigation still shows in print (print stylesheet not applied)")
    if not shown["main"]:
        problems.append(f"{label}: the main content is hidden in print")
    return problems


def axe_problems(page: Any, label: str) -> list[str]:
    """Run axe-core (WCAG 2.0/2.1 A and AA rules) on the loaded page; return one line per violation."""
    page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
                     .then(result => result.violations.map(v => ({
                         id: v.id, impact: v.impact, help: v.help,
                         targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')),
                         count: v.nodes.length})))""",
        AXE_TAGS,
    )
    return [
        f"{label}: {v['id']} ({v['impact']}): {v['help']}; {v['count']} element(s): {', '.join(v['targets'])}"
        for v in violations
    ]


def vnu_problems(site_dir: Path, files: list[Path] | None = None) -> list[str]:
    """Run the Nu Html Checker once over every built page (or files); return its errors as 'page:line: message'."""
    files = files if files is not None else sorted(site_dir.rglob("*.html"))
    if not files:
        return []
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(result.stderr or result.stdout)
    except json.JSONDecodeError:
        return [f"the Nu Html Checker did not report JSON (exit {result.returncode}): {result.stderr[-2000:]}"]
    problems = []
    for message in report.get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        where = message.get("url", "").removeprefix("file:")
        with suppress(ValueError):
            where = Path(where).relative_to(site_dir).as_posix()
        problems.append(f"{where}:{message.get('lastLine', '?')}: {message.get('message', '').strip()}")
    return problems
