"""The CSV downloads' building blocks: a Column both writes its cell and documents it on the data page.

The data page's field dictionary is generated from the columns, so it cannot drift from the files.
Each file's columns are in incident_columns.py, people_columns.py, source_columns.py and
agency_columns.py; csv_tables.py lists the files. kcrecord/outputs/downloads.py writes them; the
database and data package reuse csv_tables.TABLES.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kcrecord.content.assemble import Incident, Site

KIND_LABELS = {
    "text": "text",
    "integer": "whole number",
    "number": "decimal number",
    "date": "date, YYYY-MM-DD",
    "bool": "true or false",
    "list": "list, values separated by '; '",
}


@dataclass(frozen=True)
class Column:
    """One column of a CSV download: its name, kind, meaning and how to read it from a row."""

    name: str
    kind: str  # a key of KIND_LABELS
    doc: str
    get: Callable[[dict], object]

    @property
    def kind_label(self) -> str:
        """Return the kind in words, for the field dictionary."""
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Table:
    """A CSV download: file name, what one row is, its columns, and its rows (all, or one incident's)."""

    filename: str
    row: str
    columns: tuple[Column, ...]
    rows: Callable[[Site], list[dict]]
    incident_rows: Callable[[Incident, Site], list[dict]] | None = None  # rows is these for each incident, in order


def incident_licence(meta: dict, site: Site) -> str:
    """Return the name of the licence an incident's data carries (the site's content licence by default)."""
    code = meta.get("licence")
    if not code:
        return str(site.config.licence["content"]["name"])
    return site.config.label("licences", code).split(" (")[0]  # 'CC BY-NC-SA 4.0 (Creative ...)' -> short name


def people_listed(meta: dict) -> list[dict]:
    """Return the people an incident lists (none when it lists none)."""
    return meta.get("people") or []


# A disputed topic asking how many were killed or injured (or shot) leaves that count blank.
DISPUTED_COUNT = {
    "killed": re.compile(r"\b(how many|number of)\b.*\b(killed|died|dead|deaths?)\b", re.IGNORECASE),
    "injured": re.compile(r"\b(how many|number of)\b.*\b(injured|injuries|hurt|wounded|shot)\b", re.IGNORECASE),
}


def outcome_count(meta: dict, outcome: str) -> int | None:
    """Return how many people listed have this outcome, or None when nobody can know.

    None (a blank cell) when a person's outcome is unknown, so the count could be higher, or when
    a `disputed` topic asks how many were killed, or how many were injured or shot (e.g. "How many
    people were injured"): the record does not pick a side.
    """
    people = people_listed(meta)
    if any(person.get("outcome") == "unknown" for person in people):
        return None
    if any(DISPUTED_COUNT[outcome].search(str(entry.get("topic", ""))) for entry in meta.get("disputed") or []):
        return None
    return sum(1 for person in people if person.get("outcome") == outcome)
