"""Read YAML strictly: keep line numbers, refuse duplicate keys, expose YAML 1.1 traps.

PyYAML turns `NO` into False, `13:50` into 830 and `0123` into 83, and lets a duplicate
key silently replace the first. We compose the node tree ourselves and build plain values
from it, keeping the source line of every value and the original text of every scalar that
YAML would have read as something other than what a contributor most likely meant.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml

from kcrecord.content import yaml_messages
from kcrecord.content.document import Document, Path
from kcrecord.content.problems import Problem
from kcrecord.content.yaml_messages import whole

_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_PLAIN_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_NUMBER_CHARACTERS = 50
"""A longer number is refused before Python converts it (conversion of huge numbers is slow or refused)."""
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest whole number kept: SQLite stores up to 2**63 - 1, and JavaScript readers of the JSON downloads
lose precision beyond 2**53 - 1. A larger one, in any file, is a problem at its line (yaml_strict.load)."""
MAX_DEPTH = 16
"""Deepest nesting of lists and groups accepted; content needs four levels at most."""
# Cheap signs that a text might hold anchors, aliases or nesting too deep to compose; only then
# are its events read one by one before composing (libyaml composes recursively and crashes at
# ~100,000 levels). An anchor or alias is `&` or `*` and a name at the start of a node: at the
# start of the text or after a space, a line break, a byte order mark (libyaml skips one), a
# bracket, a comma or a colon (`AT&T` and `a & b` are text; tests/test_yaml_prechecks.py holds
# the search to every anchor libyaml reads).
# Nesting deeper than MAX_DEPTH that composes safely is refused while the values are built.
_ANCHOR_OR_ALIAS = re.compile(r"[&*](?<![^\s\[\]{},:\ufeff][&*])[^\s\[\]{},]")
MAX_FLOW_OPENINGS = 1000  # brackets: fewer cannot nest deep enough to harm the composer
_DEEP_INDENT = re.compile(r"^[ \t]{48,}\S", re.MULTILINE)
# Four indicators in a row, each followed by a space: (?:[-?:][ \t]+){4,} written out, which finds
# the same texts five times faster (no repeat to backtrack into).
_COMPACT_NESTING = re.compile(r"[-?:][ \t]+[-?:][ \t]+[-?:][ \t]+[-?:][ \t]")
# Characters XML 1.0 cannot hold (feed.xml, sitemap.xml): C0 controls but tab, newline and
# carriage return; lone surrogates; U+FFFE and U+FFFF.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Trap:
    """A plain scalar YAML reads as something else: `NO` (false), `13:50` (830), `0123` (83)."""

    text: str
    reading: str  # what YAML would have made of it, for the message
    kind: str  # "bool", "sexagesimal", "octal", "datetime", "bad-date", "special", "too-large"

    def __str__(self) -> str:
        return self.text


def _scalar(node: yaml.ScalarNode) -> object:
    value = node.value
    tag = node.tag
    if node.style in ("'", '"', "|", ">") or tag == "tag:yaml.org,2002:str":
        return value
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        reading = "true" if value.lower() in ("yes", "y", "on") else "false"
        return Trap(value, reading, "bool")
    if tag == "tag:yaml.org,2002:int":
        if len(value) > MAX_NUMBER_CHARACTERS:
            return Trap(value[:20] + "…", f"a number of {len(value):,} characters", "too-large")
        if _PLAIN_INT.match(value) and not (len(value.lstrip("+-")) > 1 and value.lstrip("+-")[0] == "0"):
            number = int(value)
            return number if abs(number) <= MAX_SAFE_INTEGER else Trap(value, "a number too large", "too-large")
        number = yaml.SafeLoader(value).get_single_data()
        kind = "sexagesimal" if ":" in value else "octal"
        return Trap(value, str(number), kind)
    if tag == "tag:yaml.org,2002:float":
        if len(value) > MAX_NUMBER_CHARACTERS:
            return Trap(value[:20] + "…", f"a number of {len(value):,} characters", "special")
        if _PLAIN_FLOAT.match(value):
            return float(value)
        kind = "sexagesimal" if ":" in value else "special"
        return Trap(value, "a number", kind)
    if tag == "tag:yaml.org,2002:timestamp":
        if _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return Trap(value, "an impossible date", "bad-date")
        return Trap(value, "a date and time", "datetime")
    return Trap(value, f"a value tagged {tag}", "special")


_SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _pair(match: re.Match[str]) -> str:
    high, low = (ord(char) for char in match.group(0))
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def _build(
    node: yaml.Node,
    path: Path,
    offset: int,
    lines: dict[Path, int],
    problems: list[Problem],
    where: str,
    depth: int = 0,
) -> object:
    lines[path] = node.start_mark.line + offset
    if not isinstance(node, yaml.ScalarNode):
        depth += 1
        if depth > MAX_DEPTH:
            raise _TooDeepError(lines[path])
    if isinstance(node, yaml.ScalarNode):
        value = _scalar(node)
        if isinstance(value, Trap) and value.kind == "too-large":
            # Checked here, for every file and field alike; the schema checks leave it alone.
            problems.append(Problem(where, lines[path], _dotted(path) or whole(where), too_large_message(value)))
        if isinstance(value, str) and NOT_XML.search(value):
            value = _SURROGATE_PAIR.sub(_pair, value)  # "\ud83d\ude00" in YAML is one emoji, not two halves
            if NOT_XML.search(value):
                problems.append(Problem(where, lines[path], _dotted(path) or whole(where), unwritable_text(value)))
                return NOT_XML.sub("", value)
        return value
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, path + (i,), offset, lines, problems, where, depth) for i, child in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[str, object] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + offset
            if not isinstance(key_node, yaml.ScalarNode):
                _refuse_deep(key_node, depth, offset)  # nesting in a key counts too, as in the events
                problems.append(
                    Problem(where, key_line, _dotted(path) or whole(where), "a field name must be plain text")
                )
                continue
            key = key_node.value
            if NOT_XML.search(key):
                problems.append(Problem(where, key_line, _dotted(path) or whole(where), unwritable_text(key)))
                continue
            if "\ufeff" in key:
                problems.append(Problem(where, key_line, _dotted(path) or whole(where), BYTE_ORDER_MARK_IN_NAME))
                continue
            if key in first_line:
                problems.append(
                    Problem(
                        where,
                        key_line,
                        _dotted(path + (key,)),
                        f"duplicate key '{key}' (first given on line {first_line[key]}); keep one and delete the other",
                    )
                )
                continue
            first_line[key] = key_line
            result[key] = _build(value_node, path + (key,), offset, lines, problems, where, depth)
            lines[path + (key,)] = key_line
        return result
    return None  # pragma: no cover - aliases are resolved by the composer


def _refuse_deep(node: yaml.Node, depth: int, offset: int) -> None:
    """Raise _TooDeepError at the first list or group below node (in the text's order) nested past MAX_DEPTH."""
    if isinstance(node, yaml.ScalarNode):
        return
    depth += 1
    if depth > MAX_DEPTH:
        raise _TooDeepError(node.start_mark.line + offset)
    children = node.value if isinstance(node, yaml.SequenceNode) else [part for pair in node.value for part in pair]
    for child in children:
        _refuse_deep(child, depth, offset)


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


dotted = _dotted


BYTE_ORDER_MARK_IN_NAME = (
    "the field name holds an invisible byte-order mark (U+FEFF); delete it, and save the file as UTF-8 "
    "without a byte-order mark"
)


def too_large_message(value: Trap) -> str:
    """Say that a whole number is too large to store, and what to write instead."""
    below = "far below zero" if value.text.startswith("-") else "large"
    limit = f"{MAX_SAFE_INTEGER + 1:,}"
    return (
        f"{value.text} is too {below} to store; write a number between -{limit} and {limit}, "
        "or put it in quotes if it is not a number (such as an id)"
    )


def unwritable_text(value: str) -> str:
    """Say which character of value no page or feed can hold, and what to do instead."""
    match = NOT_XML.search(value)
    assert match is not None
    char = match.group(0)
    return (
        f"contains the character U+{ord(char):04X} at position {match.start() + 1}, which web pages and "
        "feeds cannot hold (a control character or a broken escape such as \\ud800); delete it or "
        "write the character itself"
    )


def _suspicious(text: str) -> bool:
    """Return True when text shows a sign of an anchor or alias, or of nesting deep enough to harm the composer."""
    # Each search runs only when a quick look for what it needs finds it: & or *; a tab or 48 spaces.
    return bool(
        (("&" in text or "*" in text) and _ANCHOR_OR_ALIAS.search(text))
        or text.count("[") + text.count("{") > MAX_FLOW_OPENINGS
        or (("\t" in text or " " * 48 in text) and _DEEP_INDENT.search(text))
        or _COMPACT_NESTING.search(text)
    )


def _structure_problem(text: str, where: str, offset: int) -> Problem | None:
    """Refuse anchors and aliases (`&a`, `*a`), and nesting deeper than MAX_DEPTH, from the text's events.

    libyaml reads the events one by one, without recursion, up to the first error.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            line = event.start_mark.line + offset
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return Problem(
                    where,
                    line,
                    whole(where),
                    "YAML anchors and aliases ('&name', '*name') are not allowed in content; "
                    "write each value out in full (put text that starts with & or * in quotes)",
                )
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return _too_deep(where, line)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # composing reports the error with its line
    return None


def _too_deep(where: str, line: int) -> Problem:
    return Problem(
        where,
        line,
        whole(where),
        f"nested more than {MAX_DEPTH} levels deep; no field needs more than a few "
        "levels: check the indentation and the [ ] and { } brackets",
    )


class _TooDeepError(Exception):
    """A list or group nested deeper than MAX_DEPTH, found while building values; args: its line."""


class _RefusedError(Exception):
    """The text's events show an anchor, an alias or nesting too deep; args: the problem."""


_RESOLVED: dict[tuple[Any, Any, Any], str] = {}  # the tag each short value resolves to, as libyaml's loader asks
_MAX_RESOLVED = 50_000


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's safe loader, with each short value's tag worked out once: PyYAML's resolver, in Python,
    tries its patterns on every value of every file, and most values recur (field names, vocabulary words)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if isinstance(value, str) and len(value) > 64:  # a text of its own: seldom met twice
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        key = (kind, value, implicit)
        found = _RESOLVED.get(key)
        if found is None:
            if len(_RESOLVED) >= _MAX_RESOLVED:
                _RESOLVED.clear()
            found = _RESOLVED[key] = super().resolve(kind, value, implicit)
        return found


def _compose(text: str, where: str, offset: int, events_read: bool) -> yaml.Node | None:
    """Compose YAML into nodes, with libyaml when it is installed."""
    # libyaml is about ten times faster. On an error, compose again in pure Python so the
    # message and its line are the ones the tests pin and contributors are shown. That composer
    # recurses, so the events are read first if they were not: an anchor, or nesting too deep,
    # before the error is reported as when they are read first, and 900 brackets cannot make it
    # recurse past Python's limit.
    if hasattr(yaml, "CSafeLoader"):
        try:
            return yaml.compose(text, Loader=_FastLoader)
        except yaml.YAMLError:
            pass
    if not events_read:
        refused = _structure_problem(text, where, offset)
        if refused is not None:
            raise _RefusedError(refused)
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load(text: str, where: str, offset: int = 1) -> tuple[Document | None, list[Problem]]:
    """Parse YAML text; offset is the file line of the text's first line (1-based)."""
    problems: list[Problem] = []
    events_read = _suspicious(text)
    refused = _structure_problem(text, where, offset) if events_read else None
    if refused is not None:
        return None, [refused]
    try:
        node = _compose(text, where, offset, events_read)
    except _RefusedError as error:
        return None, [error.args[0]]
    except yaml.reader.ReaderError as err:  # a control character: PyYAML gives its position, not its line
        found = yaml_messages.reader_problems(text, where, offset)
        return None, found or [Problem(where, offset, whole(where), yaml_messages.fallback(err))]
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        if err.context_mark is not None and err.context == "while scanning a quoted scalar":
            mark = err.context_mark  # an unclosed quote: point at where the quoted text starts
        line = (mark.line + offset) if mark else offset
        said = yaml_messages.message(err)
        if said.endswith(yaml_messages.ONE_BLOCK):  # point at the directive or marker, not what follows it
            line = yaml_messages.marker_line(text, offset) or line
        problems.append(Problem(where, line, whole(where), said))
        return None, problems
    except yaml.YAMLError as err:  # pragma: no cover - PyYAML marks nearly every error
        problems.append(Problem(where, offset, whole(where), yaml_messages.fallback(err)))
        return None, problems
    lines: dict[Path, int] = {}
    if node is None:
        return Document({}, lines), problems
    try:
        data = _build(node, (), offset, lines, problems, where)
    except _TooDeepError as deep:
        return None, [_too_deep(where, deep.args[0])]
    return Document(data, lines), problems
