"""Bounds on a file's Markdown body, so no file can make the build slow or crash it.

Python-Markdown's time grows with the square of the `[` in a paragraph (20,000 took over a
minute), with the square of the `*` and `_` runs in one, and faster still with the depth of
nested lists and quotes (500 levels took seconds, 1,000 levels ten times that). A real
narrative has a few dozen citations per paragraph and two or three levels of lists. The
limits below are far above that and keep any one file's render under about a second
(`benchmarks/bench_hostile.py` measures the worst cases at the limits).
"""

from __future__ import annotations

import re

from .load import SourceFile
from .problems import Problem
from .yaml_strict import NOT_XML, unwritable_text

MAX_BRACKETS_PER_PARAGRAPH = 1_000
MAX_BRACKETS_PER_FILE = 4_000
MAX_EMPHASIS_PER_PARAGRAPH = 4_000
MAX_NESTING = 12
_EMPHASIS = re.compile(r"[*_`]")
_CONTAINER = re.compile(r"[ \t]*(?:>|[-*+][ \t]|\d{1,9}[.)][ \t])")
_PREFIX_CHARS = " \t>-*+0123456789.)"


def check_body(source: SourceFile) -> list[Problem]:
    """Return every way source's body exceeds what the renderer handles safely."""
    problems: list[Problem] = []
    body = source.body
    match = NOT_XML.search(body)
    if match is not None:
        line = source.body_line + body.count("\n", 0, match.start())
        problems.append(Problem(source.rel, line, "body", unwritable_text(body[match.start() :])))
    total = 0
    for start, paragraph in _paragraphs(body):
        line = source.body_line + start
        brackets = paragraph.count("[")
        total += brackets
        if brackets > MAX_BRACKETS_PER_PARAGRAPH:
            problems.append(
                Problem(
                    source.rel,
                    line,
                    "body",
                    f"this paragraph has {brackets:,} '[' characters; at most {MAX_BRACKETS_PER_PARAGRAPH:,} "
                    "are allowed in one paragraph: split it with blank lines or remove stray brackets",
                )
            )
        emphasis = len(_EMPHASIS.findall(paragraph))
        if emphasis > MAX_EMPHASIS_PER_PARAGRAPH:
            problems.append(
                Problem(
                    source.rel,
                    line,
                    "body",
                    f"this paragraph has {emphasis:,} '*', '_' and '`' characters; at most "
                    f"{MAX_EMPHASIS_PER_PARAGRAPH:,} are allowed in one paragraph: split it or remove them",
                )
            )
    if total > MAX_BRACKETS_PER_FILE:
        problems.append(
            Problem(
                source.rel,
                source.body_line,
                "body",
                f"the text has {total:,} '[' characters; at most {MAX_BRACKETS_PER_FILE:,} are allowed "
                "in one file (links and citations): shorten it or split it into several incidents",
            )
        )
    deep = _too_deep(body)
    if deep is not None:
        offset, depth = deep
        problems.append(
            Problem(
                source.rel,
                source.body_line + offset,
                "body",
                f"lists or quotes are nested {depth} levels deep here; at most {MAX_NESTING} are allowed: "
                "remove some of the leading '>', '-', '*' or numbers, or the indentation",
            )
        )
    return problems


def _paragraphs(body: str) -> list[tuple[int, str]]:
    """Split body at blank lines; return (line offset, text) of each block."""
    blocks: list[tuple[int, str]] = []
    start = 0
    current: list[str] = []
    for offset, line in enumerate(body.split("\n")):
        if line.strip():
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
