"""Indented JSON, written faster than json.dumps(indent=...) and with the same characters.

Python's json module writes indented JSON with its pure-Python encoder (the C one takes no
indent), a chain of generators that costs about a fifteenth of a cold build in the downloads
and the incidents' JSON files. `indented` walks the value once, appending to one list, and
asks the C encoder only for strings. It takes the plain JSON types alone (dicts with text keys,
lists, tuples, text, whole numbers, finite floats, booleans, None); anything else (a subclass, a
key of another type, NaN) hands the whole value to json.dumps, so the text is json.dumps's in
every case (tests/test_json_indent.py compares them on random values), but one: a value nested
within a few levels of Python's recursion limit (about 1,000) that json.dumps refuses is written
(front matter is refused past 16 levels, yaml_strict.MAX_DEPTH).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring  # type: ignore[attr-defined]

_encode: Callable[[str], str] = encode_basestring  # C where the interpreter has it
_INFINITY = float("inf")


class _UnusualError(Exception):
    """A value json.dumps writes by rules of its own: let it write the whole text."""


def indented(value: object, indent: int, depth: int = 0) -> str:
    """Return json.dumps(value, indent=indent, ensure_ascii=False), its lines after the first indented by depth."""
    parts: list[str] = []
    try:
        _write(value, "\n" + " " * depth, " " * indent, parts.append)
    except (_UnusualError, RecursionError):
        text = json.dumps(value, indent=indent, ensure_ascii=False)
        return text.replace("\n", "\n" + " " * depth) if depth else text
    return "".join(parts)


def _scalar(value: object) -> str | None:
    """Return the JSON text of a plain scalar, or None for a list or a dict."""
    kind = type(value)
    if kind is str:
        return _encode(value)  # type: ignore[arg-type]
    if kind is int:
        return int.__repr__(value)  # type: ignore[arg-type]
    if kind is float:
        if value != value or value in (_INFINITY, -_INFINITY):  # NaN and the infinities: json's own words
            raise _UnusualError
        return float.__repr__(value)  # type: ignore[arg-type]
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is dict or kind is list or kind is tuple:
        return None
    raise _UnusualError


def _write(value: object, pad: str, step: str, out: Callable[[str], None]) -> None:
    """Append value's text to out; pad is a line break and the current line's indent."""
    text = _scalar(value)
    if text is not None:
        out(text)
        return
    inner = pad + step
    lead = inner
    if type(value) is dict:
        if not value:
            out("{}")
            return
        out("{")
        for key, item in value.items():
            if type(key) is not str:
                raise _UnusualError  # json.dumps turns numbers and booleans into keys its own way
            kind = type(item)
            if kind is str:
                out(lead + _encode(key) + ": " + _encode(item))
            elif kind is dict or kind is list or kind is tuple:
                out(lead + _encode(key) + ": ")
                _write(item, inner, step, out)
            else:
                out(lead + _encode(key) + ": " + _scalar(item))  # type: ignore[operator]
            lead = "," + inner
        out(pad)
        out("}")
        return
    if not value:
        out("[]")
        return
    out("[")
    for item in value:  # type: ignore[attr-defined]
        kind = type(item)
        if kind is str:
            out(lead + _encode(item))
        elif kind is dict or kind is list or kind is tuple:
            out(lead)
            _write(item, inner, step, out)
        else:
            out(lead + _scalar(item))  # type: ignore[operator]
        lead = "," + inner
    out(pad)
    out("]")
