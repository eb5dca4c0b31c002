"""Inputs that must end in a message, not a crash, a hang or a memory blow-up (issue 11, classes 4 and 5).

Each case changes a copy of the small fixture project; the tests run `build.py build` on it
in a child process with bounded memory (tests/test_hostile_files.py), and
benchmarks/bench_hostile.py times each case and reads its peak memory.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

INCIDENT = "content/incidents/2024-03-05-example-shooting.md"
AGENCY = "content/agencies/example-pd.md"
PAGE = "content/pages/about.md"


@dataclass(frozen=True)
class Case:
    """One hostile input: how to make it, and what the message must contain."""

    name: str
    make: Callable[[Path], None]
    expected: tuple[str, ...]


def _replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return make


def _front(rel: str, extra: str) -> Callable[[Path], None]:
    """Add lines at the end of a file's front matter."""

    def make(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        head, rest = text[4:].split("\n---\n", 1)
        path.write_text(f"---\n{head}\n{extra}\n---\n{rest}", encoding="utf-8")

    return make


def _field(rel: str, name: str, value: str, indent: str = "") -> Callable[[Path], None]:
    """Set the first `name:` line at indent to value, written as a YAML double-quoted string (escapes allowed)."""

    def make(root: Path) -> None:
        path = root / rel
        lines = path.read_text(encoding="utf-8").split("\n")
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{indent}{name}: "))
        lines[index] = f'{indent}{name}: "{value}"'
        path.write_text("\n".join(lines), encoding="utf-8")

    return make


def _body(rel: str, extra: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")

    return make


def _symlink(rel: str, target: str | Callable[[Path], Path]) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        link = root / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target(root) if callable(target) else target)

    return make


def _outside_incident(root: Path) -> Path:
    """A valid incident file outside the project (next to it)."""
    outside = root.parent / "elsewhere" / "2024-03-05-example-shooting.md"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes((root / INCIDENT).read_bytes())
    return outside


def _outside_folder(root: Path) -> Path:
    return _outside_incident(root).parent


def _fifo(rel: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        os.mkfifo(root / rel)

    return make


def _big(rel: str, size: int) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + "\n" + ("word " * (size // 5)) + "\n", encoding="utf-8")

    return make


def _nested_block_yaml(levels: int) -> str:
    return "deep:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(levels)) + "  " * (levels + 1) + "x: 1"


LAUGHS = "\n".join(
    ["lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
)
TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()

CASES: list[Case] = [
    # YAML that would expand or nest without bound
    Case("billion laughs", _front(INCIDENT, LAUGHS), ("anchors and aliases",)),
    Case("alias of a mapping", _front(INCIDENT, "base: &b {a: 1}\nother: *b"), ("anchors and aliases",)),
    Case("merge key", _front(INCIDENT, "base: &b {a: 1}\nother:\n  <<: *b"), ("anchors and aliases",)),
    Case("anchor alone", _front(INCIDENT, "extra: &x 1"), ("anchors and aliases",)),
    Case("laughs in site.yaml", lambda root: _append(root / "site.yaml", LAUGHS), ("site.yaml:", "anchors")),
    Case("flow lists 30,000 deep", _front(INCIDENT, "deep: " + "[" * 30_000), ("levels deep",)),
    Case("flow maps 15,000 deep", _front(INCIDENT, "deep: " + "{a: " * 15_000), ("levels deep",)),
    Case("block maps 180 deep", _front(INCIDENT, _nested_block_yaml(180)), ("levels deep",)),
    Case("compact lists 20,000 deep", _front(INCIDENT, "deep:\n" + "- " * 20_000 + "x"), ("levels deep",)),
    Case("deep site.yaml", lambda root: _append(root / "site.yaml", "deep: " + "[" * 50_000), ("site.yaml:",)),
    # Markdown nested or shaped so the renderer would take minutes
    Case("quotes 500 deep", _body(INCIDENT, ">" * 500 + " text"), ("nested", "levels deep")),
    Case("lists 500 deep", _body(INCIDENT, "\n".join("  " * i + "- item" for i in range(500))), ("nested",)),
    Case("list markers on one line", _body(INCIDENT, "- " * 2_000 + "x"), ("nested",)),
    Case("numbered markers", _body(INCIDENT, "1. " * 2_000 + "x"), ("nested",)),
    Case("quotes and lists", _body(INCIDENT, "> - " * 800 + "x"), ("nested",)),
    Case("deep list in a page", _body(PAGE, "\n".join("    " * i + "* item" for i in range(300))), ("nested",)),
    Case("footnote openers", _body(INCIDENT, "[^" * 20_000), ("'[' characters",)),
    Case("brackets open then closed", _body(INCIDENT, "[" * 20_000 + "]" * 20_000), ("'[' characters",)),
    Case("image openers", _body(AGENCY, "![" * 20_000), ("'[' characters",)),
    Case("reference shapes", _body(INCIDENT, "[a][" * 8_000), ("'[' characters",)),
    Case("emphasis run", _body(INCIDENT, "*a" * 30_000), ("punctuation characters",)),
    Case("brackets spread over paragraphs", _body(INCIDENT, ("[a] " * 900 + "\n\n") * 8), ("in one file",)),
    # Shapes found by an outside review: accepted by the first limits, then minutes to render
    Case("smart quotes", _body(PAGE, "\"'" * 25_000), ("punctuation characters",)),
    Case("hard line breaks", _body(PAGE, "a  \n" * 25_000), ("lines",)),
    Case("entity run", _body(PAGE, "&amp;" * 20_000), ("punctuation characters",)),
    Case("flat list", _body(PAGE, "- a\n" * 25_000), ("lines",)),
    Case("emphasis spread over paragraphs", _body(PAGE, ("*a" * 1_200 + "\n\n") * 60), ("in one file",)),
    Case("wide table", _body(PAGE, "|" + "a|" * 1_190 + "\n" + "|" + "-|" * 1_190 + "\n"), ("punctuation",)),
    Case("backslashes", _body(PAGE, "\\" * 100_000), ("punctuation characters",)),
    Case("setext headings", _body(PAGE, "a\n=\n" * 6_000), ("lines",)),
    Case("headings", _body(PAGE, "# h\n" * 6_000), ("lines",)),
    Case("link openers in paragraphs", _body(PAGE, ("[a](" * 999 + "\n\n") * 5), ("in one file",)),
    Case("a 5,000-digit number", _front(INCIDENT, "officers_fired: " + "1" * 5_000), ("officers_fired:",)),
    Case("a long hex number", _front(INCIDENT, "extra: 0x" + "f" * 5_000), ("extra:",)),
    Case("a long sexagesimal", _front(INCIDENT, "extra: " + ":".join(["1"] * 3_000)), ("extra:",)),
    Case(
        "base path //",
        lambda root: _sub(root / "site.yaml", "base_url: ", "base_url: https://x.org//evil/ #"),
        ("base_url",),
    ),
    Case(
        "base path backslash",
        lambda root: _sub(root / "site.yaml", "base_url: ", "base_url: 'https://x.org/\\e/' #"),
        ("base_url",),
    ),
    Case(
        "template not UTF-8",
        lambda root: (root / "templates/_partials/footer.html").write_bytes(b"\xff\xfe bad"),
        ("templates/_partials/footer.html:1:",),
    ),
    Case(
        "page named pagefind",
        lambda root: (root / "content/pages/pagefind.md").write_bytes((root / PAGE).read_bytes()),
        ("reserved",),
    ),
    Case(
        "page named maps",
        lambda root: (root / "content/pages/maps.md").write_bytes((root / PAGE).read_bytes()),
        ("reserved",),
    ),
    # Second outside review: lone carriage returns, lines blank only to str.strip(), big front matter
    Case("lone CR hard breaks", _body(PAGE, "a  \r" * 30_000), ("lines",)),
    Case("lone CR paragraphs", _body(PAGE, "a\r\r" * 40_000), ("lines",)),
    Case("no-break-space blank lines", _body(PAGE, "\n\u00a0\n".join(["*a" * 2_400] * 5)), ("punctuation",)),
    Case("a long flow list", _front(INCIDENT, "x: [" + "0," * 40_000 + "0]"), ("at most 65,536",)),
    Case("a long block list", _front(INCIDENT, "x:\n" + "- 0\n" * 30_000), ("at most 65,536",)),
    # Files that are not ordinary files inside the checkout, or too big
    Case("link to /dev/zero", _symlink("content/incidents/2024-04-01-zero.md", "/dev/zero"), ("not a regular file",)),
    Case("link to a file outside", _symlink("content/incidents/2024-04-02-x.md", _outside_incident), ("symbolic",)),
    Case("link to a folder outside", _symlink("content/incidents/more", _outside_folder), ("symbolic link",)),
    Case("content folder is a link", lambda root: _link_content(root), ("content:", "symbolic link")),
    Case("named pipe", _fifo("content/incidents/2024-04-03-pipe.md"), ("not a regular file",)),
    Case("link in static", _symlink("static/secret.txt", _outside_incident), ("static/secret.txt", "regular")),
    Case("link in templates", _symlink("templates/x.html", "/dev/zero"), ("templates/x.html",)),
    Case("a 20 MB body", _big(INCIDENT, 20_000_000), ("larger than",)),
    Case("site.yaml is /dev/zero", lambda root: _relink(root / "site.yaml", "/dev/zero"), ("site.yaml:",)),
    # Text that XML, JSON or UTF-8 cannot carry
    Case("lone surrogate", _field(INCIDENT, "title", "\\ud800 Officer"), ("U+D800",)),
    Case("escape character", _field(INCIDENT, "title", "\\u001b Officer"), ("title:", "U+001B")),
    Case("vertical tab", _field(INCIDENT, "summary", "\\v A"), ("summary:", "U+000B")),
    Case("backspace in a source", _field(INCIDENT, "title", "\\b Police", "    "), ("sources[0].title",)),
    Case("NUL escape", _replace(AGENCY, "name:", 'name: "\\0"\nx_name:'), ("U+0000",)),
    Case("U+FFFF", _field(INCIDENT, "title", "\\uffff Officer"), ("U+FFFF",)),
    Case("control in a key", _front(INCIDENT, '"bad\\u0007key": 1'), ("U+0007",)),
    Case("control in the body", _body(INCIDENT, "text \x1b[31m red"), ("body:", "U+001B")),
    Case("control in site.yaml", lambda root: _sub(root / "site.yaml", "title: ", 'title: "\\u0008" #'), ("U+0008",)),
    # Dates outside the record's range
    Case("year 1", _replace(INCIDENT, "updated: 2024-03-08", "updated: 0001-01-01"), ("outside the record's range",)),
    Case("year 9999", _replace(INCIDENT, "updated: 2024-03-08", "updated: 9999-12-31"), ("1900-01-01",)),
    Case("source from 1899", _replace(INCIDENT, "published: 2024-03-06", "published: 1899-12-31"), ("range",)),
    Case("tomorrow", _replace(INCIDENT, "as_of: 2024-03-06", f"as_of: {TOMORROW}"), ("investigation.as_of",)),
]


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


def _sub(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _relink(path: Path, target: str) -> None:
    path.unlink()
    path.symlink_to(target)


def _link_content(root: Path) -> None:
    moved = root.parent / "content-elsewhere"
    (root / "content").rename(moved)
    (root / "content").symlink_to(moved)
