"""The record as related tables: the CSV downloads' columns plus the tables only the database has.

The columns are the ones kcrecord/outputs/csv_tables.py lists for the CSVs (the field dictionary on the
data page is written from the same definitions); this module adds their keys, the columns and
tables that do not fit in a CSV, and nothing else. The database (database.py) and the data package
(datapackage.py) both read from here, so neither can describe a column the other lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kcrecord.content.assemble import Incident, Site
from kcrecord.outputs.columns import Column, incident_licence
from kcrecord.outputs.csv_tables import TABLES
from kcrecord.outputs.formats import jsonable


@dataclass(frozen=True)
class ForeignKey:
    """Columns of a table that name a row of another table."""

    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Keys:
    """A table's primary key and foreign keys."""

    primary: tuple[str, ...]
    foreign: tuple[ForeignKey, ...] = ()


def _of_incident(*columns: str) -> ForeignKey:
    return ForeignKey(columns, "incidents", ("slug",))


# The keys of each CSV download. A new CSV without an entry here fails the build of the data package.
CSV_KEYS: dict[str, Keys] = {
    "incidents.csv": Keys(("slug",), (ForeignKey(("investigation_lead",), "agencies", ("id",)),)),
    "people.csv": Keys(("incident_slug", "person"), (_of_incident("incident_slug"),)),
    "agencies.csv": Keys(("id",)),
    "sources.csv": Keys(("incident_slug", "id"), (_of_incident("incident_slug"),)),
}


@dataclass(frozen=True)
class DbTable:
    """A table of the database: its name, what one row is, its columns and keys, and its rows."""

    name: str
    row: str
    columns: tuple[Column, ...]
    keys: Keys
    rows: Callable[[Site], list[dict]]
    incident_rows: Callable[[Incident, Site], list[dict]] | None = None  # rows is these for each incident, in order


def _licence(r: dict) -> object:
    return incident_licence(r["meta"], r["site"])


def _incident_slug(what: str) -> Column:
    return Column(
        "incident_slug", "text", f"The incident {what} (see the incidents table).", lambda r: r["incident"].slug
    )


def _each_incident(incident_rows: Callable[[Incident, Site], list[dict]]) -> Callable[[Site], list[dict]]:
    return lambda site: [row for incident in site.incidents for row in incident_rows(incident, site)]


def _rows_of(key: str, number: str) -> Callable[[Incident, Site], list[dict]]:
    """Return a function listing an incident's entries under key, numbered from 1 as number."""

    def rows(incident: Incident, site: Site) -> list[dict]:
        entries = incident.meta.get(key) or []
        return [
            {"incident": incident, "meta": incident.meta, "site": site, "entry": entry, number: n}
            for n, entry in enumerate(entries, start=1)
        ]

    return rows


def _entry(key: str) -> Callable[[dict], object]:
    return lambda r: jsonable(r["entry"].get(key))


def agency_roles(incident: Incident, site: Site) -> list[dict]:
    """Return a row per agency the incident names and role it had, in role order."""
    meta = incident.meta
    return [
        {"incident": incident, "meta": meta, "site": site, "role": role, "agency": agency}
        for role, agency in incident.agency_roles
    ]


def claims(incident: Incident, site: Site) -> list[dict]:
    """Return a row per claim of each disputed point, in the order listed."""
    meta = incident.meta
    return [
        {"incident": incident, "meta": meta, "site": site, "entry": point, "dispute": d, "claim": c, "said": claim}
        for d, point in enumerate(meta.get("disputed") or [], start=1)
        for c, claim in enumerate(point["claims"], start=1)
    ]


AGENCY_ROLE_COLUMNS = (
    _incident_slug("that names the agency"),
    Column("agency_id", "text", "The agency (see the agencies table).", lambda r: r["agency"]),
    Column("role", "text", "Its role: involved, investigating, reviewing or assisting.", lambda r: r["role"]),
    Column("licence", "text", "Licence of this row's data.", _licence),
)
TIMELINE_COLUMNS = (
    _incident_slug("this entry belongs to"),
    Column("entry", "integer", "Position of the entry in the incident's timeline, from 1.", lambda r: r["entry_n"]),
    Column("date", "date", "Date of the event.", _entry("date")),
    Column("time", "text", "Local time, 24-hour HH:MM; empty when not known.", _entry("time")),
    Column(
        "time_approximate", "bool", "true when the time is approximate.", lambda r: bool(_entry("time_approximate")(r))
    ),
    Column("date_inferred", "text", "How the date was worked out, when it was.", _entry("date_inferred")),
    Column("text", "text", "What happened, in the curators' words.", _entry("text")),
    Column("sources", "list", "Ids of the sources for this entry (see the sources table).", _entry("sources")),
    Column("licence", "text", "Licence of this row's data.", _licence),
)
CLAIM_COLUMNS = (
    _incident_slug("this disputed point belongs to"),
    Column("dispute", "integer", "Position of the disputed point in the incident, from 1.", lambda r: r["dispute"]),
    Column("topic", "text", "What the sources disagree about.", _entry("topic")),
    Column("note", "text", "Context for the reader, without taking a side.", _entry("note")),
    Column("claim", "integer", "Position of the claim within its point, from 1.", lambda r: r["claim"]),
    Column("text", "text", "The claim, in the curators' words.", lambda r: r["said"]["text"]),
    Column(
        "sources",
        "list",
        "Ids of the sources making this claim (see the sources table).",
        lambda r: r["said"]["sources"],
    ),
    Column("licence", "text", "Licence of this row's data.", _licence),
)
CORRECTION_COLUMNS = (
    _incident_slug("that was corrected"),
    Column("correction", "integer", "Position of the correction in the log, from 1.", lambda r: r["correction"]),
    Column("date", "date", "Date of the correction.", _entry("date")),
    Column("text", "text", "What was corrected and why.", _entry("text")),
    Column("licence", "text", "Licence of this row's data.", _licence),
)

# Columns the database adds to the CSVs' tables: text too long for a spreadsheet cell, and licences.
EXTRA_COLUMNS: dict[str, tuple[Column, ...]] = {
    "incidents": (
        Column(
            "narrative",
            "text",
            "What happened, in the curators' words: the file's Markdown, citing sources as [^source-id].",
            lambda r: r["incident"].source.body.strip(),
        ),
    ),
    "agencies": (Column("licence", "text", "Licence of this row's data.", _licence),),
}

_timeline_rows = _rows_of("timeline", "entry_n")
_correction_rows = _rows_of("corrections", "correction")
EXTRA_TABLES = (
    DbTable(
        "incident_agencies",
        "one agency named by an incident, in one role",
        AGENCY_ROLE_COLUMNS,
        Keys(
            ("incident_slug", "agency_id", "role"),
            (_of_incident("incident_slug"), ForeignKey(("agency_id",), "agencies", ("id",))),
        ),
        _each_incident(agency_roles),
        agency_roles,
    ),
    DbTable(
        "timeline",
        "one entry of an incident's own timeline",
        TIMELINE_COLUMNS,
        Keys(("incident_slug", "entry"), (_of_incident("incident_slug"),)),
        _each_incident(_timeline_rows),
        _timeline_rows,
    ),
    DbTable(
        "disputed_claims",
        "one claim on a point where sources disagree",
        CLAIM_COLUMNS,
        Keys(("incident_slug", "dispute", "claim"), (_of_incident("incident_slug"),)),
        _each_incident(claims),
        claims,
    ),
    DbTable(
        "corrections",
        "one correction to facts already published",
        CORRECTION_COLUMNS,
        Keys(("incident_slug", "correction"), (_of_incident("incident_slug"),)),
        _each_incident(_correction_rows),
        _correction_rows,
    ),
)


def csv_keys(filename: str) -> Keys:
    """Return the keys of a CSV download; fail with what to add when it has none."""
    try:
        return CSV_KEYS[filename]
    except KeyError:
        raise KeyError(
            f"{filename} has no keys: add its primary key to CSV_KEYS in kcrecord/outputs/tables.py"
        ) from None


def db_tables() -> tuple[DbTable, ...]:
    """Return the database's tables in the order they are filled: agencies first, which the others name."""
    from_csv = tuple(
        DbTable(
            table.filename.removesuffix(".csv"),
            table.row,
            table.columns + EXTRA_COLUMNS.get(table.filename.removesuffix(".csv"), ()),
            csv_keys(table.filename),
            table.rows,
            table.incident_rows,
        )
        for table in TABLES
    )
    ordered = sorted(from_csv, key=lambda t: t.name != "agencies")  # stable: the CSVs' order otherwise
    return (*ordered, *EXTRA_TABLES)
