"""Say in a contributor's words why YAML could not be read, and what to write instead.

PyYAML's messages name its parser's tokens ('<block end>', '<document start>') and, for a
character it refuses, end with a newline and `in "<unicode string>", position 74`. Every
message made here is one line, with none of that: yaml_strict.py reports it at the line found.
"""

from __future__ import annotations

import re
import unicodedata

import yaml

from kcrecord.content.problems import Problem

# What YAML's reader refuses: everything but tab, line breaks and printable characters (YAML 1.1, 5.1).
UNREADABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_UNREADABLE_LINES = 20
"""Lines holding unreadable characters reported one by one; the rest are counted in one more problem."""
ONE_BLOCK = (
    "the fields must be one block of 'name: value' lines (in a content file, between the two '---' "
    "lines at its top); YAML directives such as '%YAML 1.1' and further '---' or '...' lines are not "
    "used: delete this line"
)
# A line that starts a directive or a document marker, where YAML reads one.
_MARKER_LINE = re.compile(r"^(?:%|---(?:[ \t]|$)|\.\.\.(?:[ \t]|$))", re.MULTILINE)
# PyYAML's names for what it found, in a contributor's words.
_TOKENS = {
    "<stream end>": "the end of the fields",
    "<document start>": "a '---' line",
    "<document end>": "a '...' line",
    "<scalar>": "more text",
    "<block mapping start>": "a field name",
    "<block sequence start>": "a list item",
    "<block end>": "the end of an indented group",
    "<stream start>": "the start of the fields",
    "<directive>": "a '%' directive",
    "<anchor>": "an anchor ('&name')",
    "<alias>": "an alias ('*name')",
    "<tag>": "a tag ('!name')",
    "[": "a '['",
    "{": "a '{'",
    "?": "a field name",
    "-": "a list item ('- ')",
    "]": "a ']'",
    "}": "a '}'",
    ",": "a ','",
    ":": "a ':'",
}
_TOKEN = re.compile(r"'?(<[a-z ]+>)'?")


def reader_problems(text: str, where: str, offset: int) -> list[Problem]:
    """Return a problem for each line of text holding a character YAML cannot read (a control character)."""
    problems: list[Problem] = []
    lines = text.split("\n")
    bad = [(number, match) for number, line in enumerate(lines) if (match := UNREADABLE.search(line))]
    for number, match in bad[:MAX_UNREADABLE_LINES]:
        problems.append(Problem(where, number + offset, whole(where), unreadable_message(match)))
    if len(bad) > MAX_UNREADABLE_LINES:
        more = len(bad) - MAX_UNREADABLE_LINES
        number = bad[MAX_UNREADABLE_LINES][0]
        problems.append(
            Problem(
                where,
                number + offset,
                whole(where),
                f"this line and {more - 1} more below hold invisible control characters; delete them "
                "(the file may be damaged: compare it with the last good copy)",
            )
        )
    return problems


def unreadable_message(match: re.Match[str]) -> str:
    """Say which character of a line YAML cannot read, where it is, and to delete it."""
    char = match.group(0)
    code = f"U+{ord(char):04X}"
    where = f"at character {match.start() + 1} of this line"
    if unicodedata.category(char) == "Cc":
        return f"the text holds an invisible control character ({code}) {where}; delete it"
    return f"the text holds {code} {where}, which is not a character text may hold; delete it"


def marker_line(text: str, offset: int) -> int | None:
    """Return the file line of the first directive or '---'/'...' line in text, or None."""
    match = _MARKER_LINE.search(text)
    return None if match is None else text.count("\n", 0, match.start()) + offset


def _plain(problem: str) -> str:
    """Return PyYAML's problem on one line, without its position and with its token names in words."""
    problem = problem.split("\n", 1)[0].split(' in "<', 1)[0].strip()
    return _TOKEN.sub(lambda m: _TOKENS.get(m.group(1), "something else"), problem)


def _found(problem: str) -> str:
    """Return what PyYAML says it found ('but found X' / 'but got X'), in words."""
    match = re.search(r"but (?:found|got) '?(.*?)'?$", problem)
    if match is None:
        return "something else"
    return _TOKENS.get(match.group(1), "something else")


def message(err: yaml.MarkedYAMLError) -> str:
    """Say why the YAML could not be read and what to write instead, on one line."""
    problem = (err.problem or "invalid YAML").split("\n", 1)[0].strip()
    context = err.context or ""
    lead = "YAML could not be read: "
    if context == "while scanning a quoted scalar":
        return lead + "the quoted text that starts on this line is never closed; end it with the same quote mark"
    if (
        "<document start>" in problem
        or "another document" in problem
        or "directive" in context
        or "directive" in problem
    ):
        return lead + ONE_BLOCK
    if "mapping values are not allowed" in problem:
        return lead + "mapping values are not allowed here; a value that contains ': ' must be put in quotes"
    if "could not find expected" in problem:
        return f"{lead}{_plain(problem)}; check for a missing ':' after a field name or an unclosed quote"
    if "found character '\\t'" in problem:
        return lead + "found character '\\t' that cannot start any token; indent with spaces, not tabs"
    if "expected <block end>" in problem:
        return (
            f"{lead}found {_found(problem)} where this line should line up with the lines above it; check its "
            "indentation, and put a value that goes on after a closing quote or bracket wholly in quotes"
        )
    if problem.startswith("expected ',' or ']'") or problem.startswith("expected ',' or '}'"):
        closing = problem[len("expected ',' or '") :][0]
        return (
            f"{lead}found {_found(problem)} inside a list or group that is not closed properly; separate its "
            f"items with ', ', end it with '{closing}', and put an item holding ':' or brackets in quotes"
        )
    cannot_start = re.match(r"found character '(.+)' that cannot start any token", problem)
    if cannot_start:
        return f"{lead}a value cannot start with '{cannot_start.group(1)}'; put the whole value in quotes"
    if "unknown escape character" in problem or "escape sequence" in problem:
        return (
            lead + "a backslash in double quotes starts an escape YAML does not know here; "
            "write \\\\ for a backslash, or put the text in single quotes"
        )
    if "sequence entries are not allowed" in problem:
        return (
            lead + "a list item ('- ') is not allowed here; start the list on the line after its field name, "
            "or put the value in quotes"
        )
    if problem.startswith("expected the node content"):
        return f"{lead}a value is missing before {_found(problem)}; write the value, or put the whole value in quotes"
    if problem.startswith("expected chomping or indentation indicators") or (
        problem.startswith("expected a comment or a line break") and "block scalar" in context
    ):
        return f"{lead}after '|' or '>' the line must end: write the text on the indented lines below it"
    if problem.startswith(("expected alphabetic or numeric character", "expected URI")):
        return (
            f"{lead}'&', '*' and '!' start YAML's own markers when a value begins with them; "
            "put the whole value in quotes"
        )
    return f"{lead}{_plain(problem)}; check this line against the lines above it, and put unusual text in quotes"


def fallback(err: yaml.YAMLError) -> str:
    """Say why YAML could not be read when PyYAML gives no position (one line, no parser internals)."""
    return f"YAML could not be read: {_plain(str(err))}; check the fields for unusual characters"


def whole(where: str) -> str:
    """Return the field name for a problem with a file's YAML as a whole: its front matter, or site.yaml's settings."""
    return "settings" if where.endswith((".yaml", ".yml")) else "front matter"
