"""The incidents page: every incident as a table row, the record's totals, and the filter data.

/incidents/ shows the totals, the filters and the newest PAGE_SIZE incidents; /incidents/page/N/
lists the rest, PAGE_SIZE at a time, newest first, so every incident is in a table without
JavaScript and no page grows with the record. incidents/index.json holds every incident in a
compact form for static/incidents.js, which fetches it only when a reader filters or sorts.
An incident's own page is /incidents/<slug>/ and a slug starts with a date, so /incidents/page/
is never one.

The counts are the downloads' (kcrecord/outputs/columns.py): a count that is disputed, or that an unknown
outcome leaves open, is None (blank in the CSV), shown as "disputed or not known", never as 0.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import jinja2
import markupsafe

from kcrecord.content.assemble import Incident, Site
from kcrecord.content.coverage import is_reviewed, source_key
from kcrecord.outputs.columns import DISPUTED_COUNT, outcome_count
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.numbered_json import ENCODE, NumberedRows

PAGE_SIZE = 100  # rows on /incidents/ and on each /incidents/page/N/

# What the totals add up, in order, with their labels.
MEASURES = {
    "killed": "People killed",
    "injured": "People injured",
    "missed": "People shot at and missed",
    "officers": "Officers shot",
}
# The outcome filter: what an incident's people include.
OUTCOMES = {
    "killed": "Someone killed",
    "injured": "Someone injured",
    "missed": "Someone shot at and missed",
    "officers": "An officer shot",
    "nobody": "No one killed or injured",
    "unknown": "A count disputed or not known",
}


def _disputed(meta: dict) -> bool:
    """Return True when a `disputed` topic asks how many were killed, injured or shot."""
    topics = [str(entry.get("topic", "")) for entry in meta.get("disputed") or []]
    return any(pattern.search(topic) for pattern in DISPUTED_COUNT.values() for topic in topics)


def _shot(person: dict) -> bool:
    return bool(person.get("shot_by"))


def incident_counts(meta: dict) -> dict[str, int | None]:
    """Return the incident's people killed, injured, shot at and missed, and officers shot; None when open.

    Killed and injured are incidents.csv's people_killed and people_injured. Shot at and missed: people
    listed as not injured with a `shot_by` (who fired at them). Officers shot: officers killed or injured
    with a `shot_by`. An unknown outcome or a disputed count leaves a count open (None).
    """
    people = meta.get("people") or []
    disputed = _disputed(meta)
    unknown = any(person.get("outcome") == "unknown" for person in people)
    officers = [person for person in people if person.get("role") == "officer"]
    officer_unknown = any(person.get("outcome") == "unknown" for person in officers)
    return {
        "killed": outcome_count(meta, "killed"),
        "injured": outcome_count(meta, "injured"),
        "missed": None
        if unknown or disputed
        else sum(1 for p in people if p.get("outcome") == "uninjured" and _shot(p)),
        "officers": None
        if officer_unknown or disputed
        else sum(1 for p in officers if p.get("outcome") in ("killed", "injured") and _shot(p)),
    }


def listed_counts(meta: dict) -> dict[str, int]:
    """Return the same counts over the people the file lists, open or not: a floor when a count is open."""
    people = meta.get("people") or []
    return {
        "killed": sum(1 for p in people if p.get("outcome") == "killed"),
        "injured": sum(1 for p in people if p.get("outcome") == "injured"),
        "missed": sum(1 for p in people if p.get("outcome") == "uninjured" and _shot(p)),
        "officers": sum(
            1 for p in people if p.get("role") == "officer" and p.get("outcome") in ("killed", "injured") and _shot(p)
        ),
    }


def outcome_flags(meta: dict, counts: dict[str, int | None]) -> list[str]:
    """Return the OUTCOMES keys the incident matches (what its people include)."""
    people = meta.get("people") or []
    outcomes = {person.get("outcome") for person in people}
    flags = [key for key in ("killed", "injured") if key in outcomes]
    if counts["missed"] or any(p.get("outcome") == "uninjured" and _shot(p) for p in people):
        flags.append("missed")
    if any(p.get("role") == "officer" and p.get("outcome") in ("killed", "injured") and _shot(p) for p in people):
        flags.append("officers")
    if counts["killed"] == 0 and counts["injured"] == 0:
        flags.append("nobody")
    if None in counts.values():
        flags.append("unknown")
    return flags


def outcome_text(counts: dict[str, int | None]) -> str:
    """Return the outcome cell: '2 killed; injured: disputed or not known'."""
    words = {"killed": "killed", "injured": "injured", "missed": "shot at and missed", "officers": "officers shot"}
    parts = []
    for key, word in words.items():
        count = counts[key]
        if count is None:
            parts.append(f"{word}: disputed or not known")
        elif key == "officers" and count:
            parts.append(f"{count} officer{'s' if count != 1 else ''} shot")
        elif count:
            parts.append(f"{count} {word}")
    if counts["killed"] == 0 and counts["injured"] == 0:
        parts.insert(0, "No one killed or injured")
    return "; ".join(parts)


@dataclass(frozen=True)
class Row:
    """One incident as the table shows it, with what the filters and totals read."""

    slug: str
    date: dt.date
    title: str
    city: str
    agency_ids: tuple[str, ...]
    agencies: str
    types: tuple[str, ...]
    types_text: str
    counts: dict[str, int | None]
    listed: dict[str, int]  # the same counts over the people listed, open or not
    flags: tuple[str, ...]
    outcome: str
    source: str
    source_text: str
    reviewed: bool


@dataclass(frozen=True)
class Counted:
    """What the totals read of a row (a piece: row-counts), so that an edit to what they do not read leaves them."""

    counts: dict[str, int | None]
    listed: dict[str, int]


@dataclass(frozen=True)
class Filtered:
    """What the filters' choices read of a row (a piece: row-filters)."""

    agency_ids: tuple[str, ...]
    types: tuple[str, ...]
    flags: tuple[str, ...]
    city: str
    source: str


def source_names(site: Site) -> dict[str, str]:
    """Return each source of records' short name for a table cell ('Curated', 'WaPo data')."""
    names = {count.source.key: count.source.short_name for count in site.source_counts}
    names["curated"] = "Curated"
    return names


def agency_label(site: Site, agency_id: str) -> str:
    """Return the agency's short name, or its name."""
    meta = site.agencies[agency_id].meta
    return str(meta.get("short_name") or meta["name"])


def make_row(site: Site, incident: Incident) -> Row:
    """Return the incident's row."""
    meta = incident.meta
    location = meta["location"]
    named = [(role, agency) for role, agency in incident.agency_roles]
    ids = tuple(dict.fromkeys(agency for _, agency in named))
    involved = [agency_label(site, a) for r, a in named if r == "involved"]
    others = [f"{agency_label(site, a)} ({r})" for r, a in named if r != "involved"]
    counts = incident_counts(meta)
    key = source_key(meta)
    return Row(
        slug=incident.slug,
        date=incident.date,
        title=str(meta["title"]),
        city=f"{location['city']}, {location['state']}",
        agency_ids=ids,
        agencies="; ".join(involved + others),
        types=tuple(meta["types"]),
        types_text=", ".join(site.config.label("incident_types", kind) for kind in meta["types"]),
        counts=counts,
        listed=listed_counts(meta),
        flags=tuple(outcome_flags(meta, counts)),
        outcome=outcome_text(counts),
        source=key,
        source_text=source_names(site).get(key, key),
        reviewed=is_reviewed(meta),
    )


@dataclass(frozen=True)
class Total:
    """One total: the people counted, and the incidents whose count is disputed or not known."""

    key: str
    label: str
    known: int
    open: int
    floor: int = 0  # known plus the people the open incidents list: "at least" this many


def totals(rows: Iterable[Row | Counted]) -> list[Total]:
    """Return the record's totals over rows, each incident counted once."""
    rows = list(rows)
    return [
        Total(
            key,
            label,
            sum(row.counts[key] or 0 for row in rows),
            sum(1 for row in rows if row.counts[key] is None),
            sum(row.counts[key] if row.counts[key] is not None else row.listed[key] for row in rows),
        )
        for key, label in MEASURES.items()
    ]


def filter_options(site: Site, rows: list[Row] | list[Filtered]) -> dict[str, list[tuple[str, str]]]:
    """Return each filter's choices as (value, label), only those some incident has."""
    # By label, then id: a set's order differs from run to run, so ties must not be left to it.
    agencies = sorted({a for row in rows for a in row.agency_ids}, key=lambda a: (agency_label(site, a).lower(), a))
    labels = [agency_label(site, a) for a in agencies]
    # Two agencies of one name (a federal agency's offices in each state) are told apart by their state.
    labels = [
        f"{label} ({site.agencies[a].meta.get('state', a)})" if labels.count(label) > 1 else label
        for a, label in zip(agencies, labels, strict=True)
    ]
    kinds = {kind for row in rows for kind in row.types}
    flags = {flag for row in rows for flag in row.flags}
    names = source_names(site)
    return {
        "year": [(str(year), str(year)) for year in site.years],
        "agency": list(zip(agencies, labels, strict=True)),
        "city": [(city, city) for city in sorted({row.city for row in rows})],
        "type": [(k, v) for k, v in site.config.vocab.get("incident_types", {}).items() if k in kinds],
        "outcome": [(k, v) for k, v in OUTCOMES.items() if k in flags],
        "source": [(k, names.get(k, k)) for k in dict.fromkeys(row.source for row in rows)],
        "reviewed": [("yes", "Reviewed"), ("no", "Not yet reviewed")],
    }


def index_json(site: Site, rows: list[Row]) -> bytes:
    """Return incidents/index.json: every row, oldest first, with repeated texts given once by number.

    A row is [slug, title, city, agencies, types, outcome, source, reviewed, agency ids, type keys,
    outcome keys, [killed, injured, missed, officers]], then, when a count is open, the same four
    counted over the people the file lists (the floor the totals show as "at least"); city to
    source, ids and keys are numbers into "texts", and a count is null when disputed or not known.
    """
    texts, encoded = _NUMBERED.encode(rows)
    names = {row.source: row.source_text for row in rows}
    parts = ['{"texts":', ENCODE(texts), ',"sources":', ENCODE(names), ',"rows":[', ",".join(encoded), "]}\n"]
    return "".join(parts).encode("utf-8")


def _row_texts(row: Row) -> tuple[str, ...]:
    """Return the texts a row of index.json numbers, in the order its value uses them."""
    return (row.city, row.agencies, row.types_text, row.outcome, row.source, *row.agency_ids, *row.types, *row.flags)


def _row_value(row: Row, number: Callable[[str], int]) -> list:
    return [
        row.slug,
        row.title,
        number(row.city),
        number(row.agencies),
        number(row.types_text),
        number(row.outcome),
        number(row.source),
        int(row.reviewed),
        [number(a) for a in row.agency_ids],
        [number(k) for k in row.types],
        [number(f) for f in row.flags],
        [row.counts[key] for key in MEASURES],
    ] + ([[row.listed[key] for key in MEASURES]] if None in row.counts.values() else [])


_NUMBERED = NumberedRows(_row_texts, _row_value)
"""index.json's rows, the last ones kept: after an edit to a title only its row is encoded again."""


def pages_of(incidents: list[Incident]) -> list[list[Incident]]:
    """Return the incidents newest first, PAGE_SIZE to a page (one empty page when there are none)."""
    newest = incidents[::-1]
    return [newest[start : start + PAGE_SIZE] for start in range(0, len(newest), PAGE_SIZE)] or [[]]


def page_path(number: int) -> str:
    """Return the path of page number (1 is /incidents/)."""
    return "incidents/" if number == 1 else f"incidents/page/{number}/"


def plan_incident_table(
    site: Site,
    env: jinja2.Environment,
    page: Callable[..., None],
    output: Callable[..., None],
    fragments: Fragments,
) -> None:
    """Add /incidents/, its numbered pages and incidents/index.json; give templates the record's totals."""
    make = fragments.register("table-row", functools.partial(make_row, site), site.incidents)

    def html(incident: Incident) -> str:  # the macro is looked up inside the piece, so the piece records it
        macro = env.get_template("_incident_table.html").module.incident_row  # type: ignore[attr-defined]
        return macro(fragments.get("table-row", incident, make))  # type: ignore[no-any-return]

    fragments.register("table-row-html", html)

    def rows(incidents: list[Incident]) -> list[Row]:
        return fragments.each("table-row", incidents, make)

    def row_html(incidents: list[Incident]) -> markupsafe.Markup:
        return markupsafe.Markup("".join(fragments.each("table-row-html", incidents, html)))

    def counted(incident: Incident) -> Counted:
        row = fragments.get("table-row", incident, make)
        return Counted(row.counts, row.listed)

    def filtered(incident: Incident) -> Filtered:
        row = fragments.get("table-row", incident, make)
        return Filtered(row.agency_ids, row.types, row.flags, row.city, row.source)

    fragments.register("row-counts", counted)
    fragments.register("row-filters", filtered)

    # Made once, then kept while the parts of the rows they read are unchanged (a new title is not).
    def record_totals() -> list[Total]:
        return fragments.memo(
            "record-totals", (), lambda: totals(fragments.each("row-counts", site.incidents, counted))
        )

    def options() -> dict[str, list[tuple[str, str]]]:
        filters = lambda: fragments.each("row-filters", site.incidents, filtered)  # noqa: E731
        return fragments.memo("filter-options", (), lambda: filter_options(site, filters()))

    env.globals["record_totals"] = record_totals  # the home page shows them too
    pages = pages_of(site.incidents)
    paths = [page_path(number) for number in range(1, len(pages) + 1)]
    for number, incidents in enumerate(pages, start=1):
        page(
            paths[number - 1],
            "incidents.html",
            title="Incidents" if number == 1 else f"Incidents, page {number} of {len(pages)}",
            number=number,
            pages=paths,
            page_size=PAGE_SIZE,
            shown=len(incidents),
            rows=functools.partial(row_html, incidents),
            options=options,
            totals=record_totals,
        )
    output("incidents/index.json", lambda: index_json(site, rows(site.incidents)))
