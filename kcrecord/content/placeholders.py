"""The template placeholder: any value still containing REPLACE has not been filled in yet."""

from __future__ import annotations

import re

from kcrecord.content.field_model import Field
from kcrecord.content.load import SourceFile
from kcrecord.content.problems import Problem

MARKER = "REPLACE"
PLACEHOLDER = re.compile(r"\bREPLACE\b")

_WANTED = {
    "date": "the date as YYYY-MM-DD, unquoted",
    "time": 'the time in quotes, like "13:50"',
    "bool": "true or false",
    "int": "a whole number",
    "number": "a number",
    "url": "the address, starting with https://",
    "slug": "a short id of lower-case letters, digits and hyphens, like 'kshb-2024-11-08'",
    "agency": "the id of a file in content/agencies/ (its name without .md), like 'kcpd'",
    "source": "the id of one of this file's sources, like 'kshb-2024-11-08'",
    "vocab": "one value from its vocabulary in site.yaml",
}


def has_placeholder(value: object) -> bool:
    """Return True when value is text that still contains the template's REPLACE marker."""
    # The plain substring test first: it finds nothing in almost every value, at a fifth of the search's cost.
    return isinstance(value, str) and MARKER in value and PLACEHOLDER.search(value) is not None


def placeholder_message(spec: Field, vocabulary: dict[str, str] | None = None) -> str:
    """Say that a value is still the template's placeholder, and what to write instead."""
    if spec.kind == "vocab" and vocabulary and len(vocabulary) <= 12:
        wanted = "one of " + ", ".join(vocabulary)
    elif spec.kind in ("text", "vocab") and spec.doc:
        doc = re.split(r"\.\s+(?=[A-Z])", spec.doc)[0].rstrip(".")  # the first sentence says what it holds
        wanted = doc[0].lower() + doc[1:]
    else:
        wanted = _WANTED.get(spec.kind, "a value")
    return f"still has the template placeholder; write {wanted}"


def body_placeholders(source: SourceFile) -> list[Problem]:
    """Return a problem for each line of the body that still has the template's placeholder."""
    return [
        Problem(
            source.rel,
            source.body_line + offset,
            "body",
            "still has the template placeholder; write what happened in your own words, citing sources as [^source-id]",
        )
        for offset, line in enumerate(source.body.split("\n"))
        if PLACEHOLDER.search(line)
    ]
