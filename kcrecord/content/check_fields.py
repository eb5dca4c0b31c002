"""Check a front-matter value against its Field in the schema, saying what to write instead."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

from kcrecord.content import urls
from kcrecord.content.field_model import Field
from kcrecord.content.placeholders import has_placeholder, placeholder_message
from kcrecord.content.problems import Problem
from kcrecord.content.yaml_strict import Document, Trap, dotted

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
EARLIEST_DATE = dt.date(1900, 1, 1)
"""No date in the record is earlier; the latest is the day of the build (nothing is dated in the future)."""

_KIND_NAMES = {
    "text": "text",
    "date": "a date as YYYY-MM-DD",
    "time": 'a time in quotes, like "13:50"',
    "bool": "true or false",
    "int": "a whole number",
    "number": "a number",
    "url": "an address starting with https://",
    "slug": "an id of lower-case letters, digits and hyphens",
    "vocab": "one value from the list",
    "agency": "an agency id",
    "source": "a source id",
    "list": "a list",
    "map": "a group of fields",
}


def date_range_message(value: dt.date) -> str:
    """Say that a date lies outside the record's range, and what the range is."""
    return (
        f"the date {value.isoformat()} is outside the record's range: dates run from "
        f"{EARLIEST_DATE.isoformat()} to today ({dt.date.today().isoformat()}); check the year"
    )


def describe(value: object) -> str:
    """Describe a value the way a contributor would recognise it."""
    if isinstance(value, Trap):
        return f"{value.text!r} (which YAML reads as {value.reading})"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of fields"
    return repr(value)


@dataclass
class Checker:
    """Checks values of one file against the schema, collecting problems."""

    rel: str
    doc: Document
    vocabularies: dict[str, dict[str, str]]
    problems: list[Problem]

    def add(self, path: tuple, message: str) -> None:
        """Record a problem at path."""
        self.problems.append(Problem(self.rel, self.doc.line(path), dotted(path) or "front matter", message))

    def check_map(self, spec: Field, value: object, path: tuple) -> None:
        """Check a map: unknown fields, missing required fields, then each field."""
        if not isinstance(value, dict):
            self.add(path, f"expected a group of fields, got {describe(value)}")
            return
        names = [sub.name for sub in spec.fields]
        for key in value:
            if spec.child(key) is None:
                close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "allowed here: " + ", ".join(names)
                self.add(path + (key,), f"unknown field '{key}'; {hint}")
        for sub in spec.fields:
            if sub.name not in value or value[sub.name] is None:
                if sub.required:
                    where = f"under '{dotted(path)}'" if path else "in the front matter"
                    state = "is empty" if sub.name in value else f"is missing {where}"
                    self.add(path + (sub.name,), self._missing(sub, state))
                elif sub.required_with and value.get(sub.required_with) is not None:
                    # Point at the field that makes it required: the missing one has no line.
                    line = self.doc.line(path + (sub.required_with,))
                    state = f"is missing; it is required because '{sub.required_with}' is set"
                    self.problems.append(Problem(self.rel, line, dotted(path + (sub.name,)), self._missing(sub, state)))
                continue
            self.check(sub, value[sub.name], path + (sub.name,))

    def check(self, spec: Field, value: object, path: tuple) -> None:
        """Check one value against its field."""
        if has_placeholder(value):
            self.add(path, placeholder_message(spec, self.vocabularies.get(spec.vocab or "")))
            return
        if isinstance(value, Trap):
            if value.kind != "too-large":  # a number too large is reported by yaml_strict, in every file
                self.add(path, _trap_message(spec, value))
            return
        kind = spec.kind
        if kind == "map":
            self.check_map(spec, value, path)
        elif kind == "list":
            self._check_list(spec, value, path)
        elif kind == "text":
            if not isinstance(value, str) or not value.strip():
                self.add(path, f"expected text, got {describe(value)}; put it in quotes if you meant text")
        elif kind == "date":
            if isinstance(value, str):
                self.add(path, f"expected a date as YYYY-MM-DD, got {value!r}")
            elif not isinstance(value, dt.date):
                self.add(path, f"expected a date as YYYY-MM-DD, got {describe(value)}")
            elif not EARLIEST_DATE <= value <= dt.date.today():
                self.add(path, date_range_message(value))
        elif kind == "time":
            if not isinstance(value, str) or not TIME.match(value):
                self.add(path, f'expected a 24-hour time in quotes, like "13:50", got {describe(value)}')
        elif kind == "bool":
            if not isinstance(value, bool):
                self.add(path, f"expected true or false, got {describe(value)}")
        elif kind in ("int", "number"):
            self._check_number(spec, value, path)
        elif kind == "url":
            self._check_url(value, path)
        elif kind in ("slug", "agency", "source"):
            if not isinstance(value, str) or not SLUG.match(value):
                self.add(
                    path,
                    f"expected {_KIND_NAMES[kind]} (lower-case letters, digits and hyphens, "
                    f"like 'kshb-2024-11-08'), got {describe(value)}",
                )
        elif kind == "vocab":
            self._check_vocab(spec, value, path)

    def _check_url(self, value: object, path: tuple) -> None:
        refused = url_problem(value)
        if refused is not None:
            self.add(path, refused)

    def _missing(self, spec: Field, state: str) -> str:
        wanted = _KIND_NAMES[spec.kind]
        if spec.kind == "vocab" and spec.vocab:
            values = list(self.vocabularies.get(spec.vocab) or {})
            if 0 < len(values) <= 12:
                wanted = "one of " + ", ".join(values)
            else:
                wanted = f"a value listed under '{spec.vocab}' in site.yaml (see the field reference)"
        return f"required field '{spec.name}' {state}; write {spec.name}: followed by {wanted}"

    def _check_list(self, spec: Field, value: object, path: tuple) -> None:
        if not isinstance(value, list):
            example = spec.example or "[first, second]"
            self.add(path, f"expected a list like {example}, got {describe(value)}")
            return
        if len(value) < spec.min_items:
            self.add(path, f"expected at least {spec.min_items} item(s), got {len(value)}")
        assert spec.item is not None
        for index, item in enumerate(value):
            if item is None:
                self.add(path + (index,), "empty list item; remove the '-' line or fill it in")
                continue
            self.check(spec.item, item, path + (index,))

    def _check_number(self, spec: Field, value: object, path: tuple) -> None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if spec.kind == "number":
            ok = ok or isinstance(value, float)
        if not ok:
            self.add(path, f"expected {_KIND_NAMES[spec.kind]}, got {describe(value)}")
            return
        assert isinstance(value, (int, float))
        if spec.minimum is not None and value < spec.minimum:
            self.add(path, f"expected at least {spec.minimum}, got {value}")
        if spec.maximum is not None and value > spec.maximum:
            self.add(path, f"expected at most {spec.maximum}, got {value}")

    def _check_vocab(self, spec: Field, value: object, path: tuple) -> None:
        assert spec.vocab is not None
        allowed = list(self.vocabularies.get(spec.vocab) or {})
        if not allowed:
            if self.vocabularies and spec.vocab not in self.vocabularies:  # site.yaml read, this one left out
                self.add(
                    path,
                    f"the vocabulary '{spec.vocab}' is missing from site.yaml, so this value cannot be checked; "
                    "add it under 'vocabularies' as 'value: Label' lines, as in the repository's site.yaml",
                )
            return  # site.yaml unreadable, or the vocabulary not lines of values: reported there, once
        if isinstance(value, str) and value in allowed:
            return
        shown = ", ".join(allowed) if len(allowed) <= 12 else ", ".join(allowed[:12]) + ", ..."
        close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.6) if isinstance(value, str) else []
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.add(path, f"expected one of {shown}; got {describe(value)}{hint} (vocabulary '{spec.vocab}' in site.yaml)")


def url_problem(value: object) -> str | None:
    """Say why value is not an address a field may hold (starting http:// or https://), or None when it is."""
    if not isinstance(value, str) or not URL.match(value):
        if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
            return f"{urls.address_problem(value) or urls.WELL_FORMED}; got {value!r}"
        return f"expected an address starting with https:// or http://, got {describe(value)}"
    refused = urls.refusal(value, decode=False) or urls.address_problem(value)
    return None if refused is None else f"{refused}; got {value!r}"


def _trap_message(spec: Field, value: Trap) -> str:
    text = value.text
    if spec.kind == "time" and value.kind == "sexagesimal":
        return f'write the time in quotes, "{text}"; unquoted, YAML reads {text} as the number {value.reading}'
    if value.kind == "bool":
        if spec.kind == "bool":
            return f"write true or false, not {text!r}"
        return f'YAML reads {text!r} as {value.reading}; put it in quotes ("{text}") if you meant the text'
    if value.kind == "bad-date":
        return f"{text} is not a real date; check the month and day (expected YYYY-MM-DD)"
    if value.kind == "datetime":
        return f"expected a date as YYYY-MM-DD, got {text!r}; put a time in the separate 'time' field"
    if value.kind == "octal":
        return f'YAML reads {text!r} as the number {value.reading}; put it in quotes ("{text}") if you meant the text'
    return f'YAML reads {text!r} as {value.reading}; put it in quotes ("{text}") if you meant the text'
