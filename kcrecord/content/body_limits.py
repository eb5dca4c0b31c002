"""Bounds on a file's Markdown body, so no file can make the build slow or crash it.

Python-Markdown's time grows with the square of the `[` in a paragraph (20,000 took over a
minute), roughly with the square of the punctuation and of the lines in one block (quotes
for smart quotes, `*`, `\\`, `|` cells, hard line breaks, headings), and faster still with
the depth of nested lists and quotes. Each element also costs tens of microseconds however
it is spread out. A real file has at most about 1,200 punctuation characters and 90 lines in
one block, 3,200 and 420 in all (the field reference); the limits below are two to four times
that, and `benchmarks/bench_hostile.py` measures the worst shapes at the limits. A time
limit while rendering (markdown_render.py) catches whatever shape these counts miss.
"""

from __future__ import annotations

import re

from kcrecord.content.load import SourceFile
from kcrecord.content.problems import Problem
from kcrecord.content.yaml_strict import NOT_XML, unwritable_text

MAX_BRACKETS_PER_PARAGRAPH = 1_000
MAX_BRACKETS_PER_FILE = 4_000
MAX_PUNCTUATION_PER_PARAGRAPH = 2_500
MAX_PUNCTUATION_PER_FILE = 12_000
MAX_LINES_PER_PARAGRAPH = 250
MAX_LINES_PER_FILE = 2_000
MAX_NESTING = 12
_PUNCTUATION = re.compile(r"[^\w\s]|_")  # "_" is a word character to re, and emphasis to Markdown
_CONTAINER = re.compile(r"[ \t]*(?:>|[-*+][ \t]|\d{1,9}[.)][ \t])")
_PREFIX_CHARS = " \t>-*+0123456789.)"
_ADVICE = "split it with blank lines, shorten it, or remove repeated punctuation"


def check_body(source: SourceFile) -> list[Problem]:
    """Return every way source's body exceeds what the renderer handles safely."""
    problems: list[Problem] = []
    body = source.body

    def add(line: int, message: str) -> None:
        problems.append(Problem(source.rel, source.body_line + line, "body", message))

    match = NOT_XML.search(body)
    if match is not None:
        add(body.count("\n", 0, match.start()), unwritable_text(body[match.start() :]))
    brackets_total = punctuation_total = 0
    for start, paragraph in _paragraphs(body):
        brackets = paragraph.count("[")
        punctuation = len(_PUNCTUATION.findall(paragraph))
        lines = paragraph.count("\n") + 1
        brackets_total += brackets
        punctuation_total += punctuation
        for count, limit, what in (
            (brackets, MAX_BRACKETS_PER_PARAGRAPH, "'[' characters"),
            (punctuation, MAX_PUNCTUATION_PER_PARAGRAPH, "punctuation characters"),
            (lines, MAX_LINES_PER_PARAGRAPH, "lines with no blank line between them"),
        ):
            if count > limit:
                add(start, f"this paragraph has {count:,} {what}; at most {limit:,} are allowed in one: {_ADVICE}")
    lines_total = body.count("\n") + 1
    for count, limit, what in (
        (brackets_total, MAX_BRACKETS_PER_FILE, "'[' characters (links and citations)"),
        (punctuation_total, MAX_PUNCTUATION_PER_FILE, "punctuation characters"),
        (lines_total, MAX_LINES_PER_FILE, "lines"),
    ):
        if count > limit:
            add(0, f"the text has {count:,} {what}; at most {limit:,} are allowed in one file: {_ADVICE}")
    deep = _too_deep(body)
    if deep is not None:
        offset, depth = deep
        add(
            offset,
            f"lists or quotes are nested {depth} levels deep here; at most {MAX_NESTING} are allowed: "
            "remove some of the leading '>', '-', '*' or numbers, or the indentation",
        )
    return problems


def _paragraphs(body: str) -> list[tuple[int, str]]:
    """Split body at blank lines; return (line offset, text) of each block."""
    blocks: list[tuple[int, str]] = []
    start = 0
    current: list[str] = []
    for offset, line in enumerate(body.split("\n")):
        if line.strip(" \t"):  # only spaces and tabs make a blank line, for Markdown as here
            if not current:
                start = offset
            current.append(line)
        elif current:
            blocks.append((start, "\n".join(current)))
            current = []
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def _too_deep(body: str) -> tuple[int, int] | None:
    """Return (line offset, depth) of the first line nested deeper than MAX_NESTING, or None.

    A line's depth counts its quote markers and list markers, plus one for every four columns
    of indentation (a tab is four), which over-counts rather than under-counts. Each level
    takes at least one character, so only lines with a long run of such characters are read.
    """
    for offset, line in enumerate(body.split("\n")):
        if len(line) - len(line.lstrip(_PREFIX_CHARS)) <= MAX_NESTING:
            continue
        depth = _depth(line)
        if depth > MAX_NESTING:
            return offset, depth
    return None


def _depth(line: str) -> int:
    depth = 0
    position = 0
    while True:
        match = _CONTAINER.match(line, position)
        if match is None:
            break
        depth += 1 + _columns(match.group(0)) // 4
        position = match.end()
    return depth + _columns(line[position:]) // 4


def _columns(text: str) -> int:
    """Return the columns of text's leading spaces and tabs (a tab is four)."""
    blank = text[: len(text) - len(text.lstrip(" \t"))]
    return len(blank) + 3 * blank.count("\t")
