"""Helpers for the hostile-input tests: run the command line in a bounded child, audit a built site."""

from __future__ import annotations

import hashlib
import html.parser
import os
import re
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO = Path(__file__).resolve().parent.parent
MEMORY_LIMIT = 300 * 1024 * 1024  # what the issue allows one run of the tool
TIME_LIMIT = 20  # a hang guard (the issue allows 10 s; CI gets slack): figures in benchmarks/bench_hostile.py
ALLOWED_SCHEMES = {"http", "https", "mailto"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "data"}


@dataclass
class Run:
    """What one run of build.py printed and returned."""

    code: int
    out: str
    err: str


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT + 400 * 1024 * 1024,) * 2)  # + the interpreter's own


def run_cli(root: Path, *args: str) -> Run:
    """Run build.py on root in a child process with bounded memory and a hang guard."""
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(  # noqa: S603 - our own command line
        command, capture_output=True, text=True, timeout=TIME_LIMIT, preexec_fn=_limit_memory, env=env
    )
    return Run(done.returncode, done.stdout, done.stderr)


def tree_digest(folder: Path) -> str:
    """Return one hash of every path and byte under folder (links not followed)."""
    digest = hashlib.sha256()
    if not folder.exists():
        return "missing"
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        if path.is_file() and not path.is_symlink():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def assert_refused(run: Run, *expected: str) -> None:
    """Assert a run failed the way a contributor can act on: exit 1, `path:line: field: message`, no traceback."""
    assert run.code == 1, (run.code, run.out, run.err)
    assert "Traceback" not in run.err + run.out, run.err
    for text in expected:
        assert text in run.err + run.out, (text, run.err)


# -- what a browser does with an attribute value ------------------------------------------------


def browser_url(value: str) -> str:
    """Strip what the URL parser strips: leading/trailing C0 controls and spaces, every tab and newline."""
    value = value.strip("".join(chr(c) for c in range(0x21)))
    return re.sub(r"[\t\n\r]", "", value)


def escapes_site(value: str, base: str) -> str | None:
    """Return why value, as a browser reads it on a page at base, is not allowed; None when it is."""
    seen = browser_url(value)
    scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", seen)
    if scheme:
        if scheme.group(1).lower() not in ALLOWED_SCHEMES:
            return f"scheme {scheme.group(1)!r}"
        return None
    # A relative address: resolve it as a browser would (backslashes are slashes in http URLs).
    resolved = urljoin(base, seen.replace("\\", "/"))
    if urlsplit(resolved).netloc != urlsplit(base).netloc:
        return f"leaves the site for {urlsplit(resolved).netloc!r}"
    return None


class _Audit(html.parser.HTMLParser):
    def __init__(self, base: str, own_scripts: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.own_scripts = own_scripts
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in URL_ATTRIBUTES and value is not None:
                why = escapes_site(value, self.base)
                if why:
                    self.found.append(f"<{tag} {name}={value!r}>: {why}")
        if tag == "script":
            src = dict(attrs).get("src")
            kind = dict(attrs).get("type")
            if kind != "application/ld+json" and (src is None or src not in self.own_scripts):
                self.found.append(f"<script src={src!r} type={kind!r}>")
        if tag in ("iframe", "object", "embed", "base"):  # a form is audited by its action
            self.found.append(f"<{tag}>")
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")


def audit_html(text: str, base: str, own_scripts: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Return every script, event handler or link in text that a hostile input could have put there."""
    audit = _Audit(base, set(own_scripts))
    audit.feed(text)
    audit.close()
    return audit.found


def audit_site(site: Path, base_url: str) -> list[str]:
    """Audit every HTML page of a built site as it would be served under base_url."""
    base_path = urlsplit(base_url).path
    own = {base_path + "pagefind/pagefind-ui.js", base_path + "static/search.js", base_path + "static/incidents.js"}
    found = []
    for page in sorted(site.rglob("*.html")):
        url = urljoin(base_url, page.relative_to(site).as_posix())
        found += [f"{page.relative_to(site)}: {item}" for item in audit_html(page.read_text("utf-8"), url, own)]
    return found
