"""Issue 11, classes 1-3: no script link and no link off the site, however it is encoded, from any file.

Every address is judged as a browser reads it (tests/hostile.py does that independently of
kcrecord/content/urls.py): character references decoded by the HTML parser, then what the URL parser
strips, with backslashes read as slashes.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from kcrecord.content.markdown_render import MarkdownRenderer
from tests.hostile import assert_refused, audit_html, audit_site, run_cli, tree_digest

BASE = "https://example.org/record/"
PAGE = BASE + "incidents/2024-03-05-example-shooting/"

SCRIPT_LINKS = [
    "&#106;avascript:alert(1)",
    "&#0000106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "&#X6a;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    "java&Tab;script:alert(1)",
    "java&#9;script:alert(1)",
    "java&#x0A;script:alert(1)",
    "java&NewLine;script:alert(1)",
    "&#32;javascript:alert(1)",
    "&#1;javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "&#100;ata:text/html,x",
    "&amp;#106;avascript:alert(1)",  # decoded twice by nobody, refused anyway
    "jav&#97;script&colon;alert(1)",
    "file:///etc/passwd",
]
OFF_SITE = [
    "\\\\evil.example/",
    "\\/evil.example/",
    "/\\evil.example/",
    "//evil.example/",
    "&#47;&#47;evil.example/",
    "&sol;&sol;evil.example/",
    "/&#92;evil.example/",
    "&bsol;&bsol;evil.example/",
    "/&Tab;/evil.example/",
    "&#9;//evil.example/",
    "/%09/evil.example/",  # percent-escapes are not decoded by the parser: stays on the site
]


def _links(target: str) -> list[str]:
    """Every Markdown form that can carry a link target."""
    return [
        f"[inline]({target})",
        f'[titled]({target} "t")',
        f"[angle](<{target}>)",
        f"![image]({target})",
        f"[ref][r1]\n\n[r1]: {target}",
        f"[ref2][]\n\n[ref2]: <{target}>",
        f"![refimg][r2]\n\n[r2]: {target} 'title'",
    ]


def _audit(markdown: str) -> list[str]:
    return audit_html(MarkdownRenderer("/record/").render(markdown), PAGE)


@pytest.mark.parametrize("target", SCRIPT_LINKS + OFF_SITE)
def test_no_markdown_form_carries_a_script_or_off_site_link(target: str) -> None:
    for markdown in _links(target):
        assert _audit(markdown) == [], markdown


def test_safe_links_still_work() -> None:
    html = MarkdownRenderer("/record/").render(
        "[a](https://example.com/?a=1&b=2) [b](/timeline/) [c](mailto:tips@example.org) [d](#notes) [e](../x/)"
    )
    assert 'href="https://example.com/?a=1&amp;b=2"' in html
    assert 'href="/record/timeline/"' in html
    assert 'href="mailto:tips@example.org"' in html
    assert 'href="#notes"' in html and 'href="../x/"' in html


def _obfuscate(rng: random.Random, text: str) -> str:
    """Write text the many ways an HTML parser and a URL parser read back as the same."""
    out = []
    for char in text:
        choice = rng.randrange(9)
        if choice == 0:
            out.append(f"&#{ord(char)};")
        elif choice == 1:
            out.append(f"&#x{ord(char):x};")
        elif choice == 2:
            out.append(f"&#{'0' * rng.randrange(1, 6)}{ord(char)};")
        elif choice == 3 and char == ":":
            out.append("&colon;")
        elif choice == 3 and char == "/":
            out.append(rng.choice(["&sol;", "\\", "&bsol;", "&#92;"]))
        elif choice == 4:
            out.append(rng.choice(["&Tab;", "&NewLine;", "&#9;", "&#x0a;", "&#13;"]) + char)
        elif choice == 5:
            out.append(char.upper() if rng.random() < 0.5 else char)
        else:
            out.append(char)
    prefix = rng.choice(["", " ", "&#32;", "&#1;", "&#x1f;", "&#0;"])
    return prefix + "".join(out)


def test_generated_encodings_never_give_a_script_or_an_off_site_link() -> None:
    """Seeded random encodings of javascript:, data:, // and /\\ in every Markdown link form."""
    rng = random.Random(int(os.environ.get("HOSTILE_SEED", "1105")))  # any seed for longer runs
    hostile = ["javascript:alert(1)", "data:text/html,x", "vbscript:x", "//evil.example/", "/\\evil.example/"]
    for _ in range(400):
        target = _obfuscate(rng, rng.choice(hostile))
        if "(" in target or ")" in target or " " in target.strip() or "<" in target:
            continue
        for markdown in _links(target):
            found = _audit(markdown)
            assert found == [], (target, markdown, found)


def _append_body(root: Path, body: str) -> None:
    incident = root / "content/incidents/2024-03-05-example-shooting.md"
    incident.write_text(incident.read_text() + "\n" + body + "\n")


def test_a_built_site_with_every_hostile_link_has_none(small_project: Path) -> None:
    """The whole pipeline, not only the renderer: every page of the built site is audited."""
    body = "\n\n".join(markdown for target in SCRIPT_LINKS + OFF_SITE for markdown in _links(target))
    body += "\n\nTitle breakout: </script><script>alert(1)</script> <img src=x onerror=alert(1)>"
    _append_body(small_project, body)
    run = run_cli(small_project, "build", "--out", str(small_project / "site"))
    assert run.code == 0, run.err
    assert audit_site(small_project / "site", BASE) == []


SETTING_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "data:text/html,x",
    "//evil.example/",
    "\\\\evil.example",
    "https:/\\evil.example",
    "ftp://files.example/",
]


@pytest.mark.parametrize("value", SETTING_URLS)
@pytest.mark.parametrize("setting", ["repository:", "    url:"])
def test_every_address_in_site_yaml_passes_the_gate(small_project: Path, setting: str, value: str) -> None:
    config = small_project / "site.yaml"
    text = config.read_text()
    pattern = re.compile(rf"^{re.escape(setting)} .*$", re.MULTILINE)
    assert pattern.search(text), setting
    config.write_text(pattern.sub(lambda m: f"{setting} {value!r}".replace("'", '"', 2), text, count=1))
    before = tree_digest(small_project)
    run = run_cli(small_project, "check")
    assert_refused(run, "site.yaml:")
    field = "repository" if setting == "repository:" else "licence.content.url"
    assert re.search(rf"site\.yaml:\d+: {re.escape(field)}: ", run.err), run.err
    assert tree_digest(small_project) == before


@pytest.mark.parametrize("value", ["javascript:alert(1)", "//evil.example/", "data:,x", "https:evil"])
@pytest.mark.parametrize("field", ["url", "archived_url"])
def test_every_address_in_a_content_file_passes_the_gate(small_project: Path, field: str, value: str) -> None:
    incident = small_project / "content/incidents/2024-03-05-example-shooting.md"
    text = incident.read_text()
    incident.write_text(text.replace("    url: https://example.org/news/1", f"    {field}: {value!r}"))
    run = run_cli(small_project, "check")
    assert_refused(run, f"sources[0].{field}: ")
