"""The CSV downloads' columns: each Column both writes its cell and documents it on the data page.

The data page's field dictionary is generated from these definitions, so it cannot drift from
the files. kcrecord/outputs/downloads.py writes the files; the database and data package reuse TABLES.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from kcrecord.content.assemble import ROLE_ORDER, Incident, Site
from kcrecord.content.coverage import is_reviewed, source_key
from kcrecord.outputs.formats import jsonable

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


def _people(meta: dict) -> list[dict]:
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
    people = _people(meta)
    if any(person.get("outcome") == "unknown" for person in people):
        return None
    if any(DISPUTED_COUNT[outcome].search(str(entry.get("topic", ""))) for entry in meta.get("disputed") or []):
        return None
    return sum(1 for person in people if person.get("outcome") == outcome)


def incident_rows(site: Site) -> list[dict]:
    """Return one row per incident, oldest first."""
    return [row for incident in site.incidents for row in incident_row(incident, site)]


def incident_row(incident: Incident, site: Site) -> list[dict]:
    """Return the incident's row, in a list."""
    return [{"incident": incident, "meta": incident.meta, "site": site}]


def _agency_ids(role: str) -> Callable[[dict], object]:
    return lambda r: list(dict.fromkeys(r["incident"].agencies_by_role.get(role, [])))


def _location(key: str) -> Callable[[dict], object]:
    return lambda r: r["meta"]["location"].get(key)


def _investigation(key: str) -> Callable[[dict], object]:
    return lambda r: (r["meta"].get("investigation") or {}).get(key)


INCIDENT_COLUMNS = (
    Column(
        "slug",
        "text",
        "The incident's id: its date and a short name. Joins people.csv and sources.csv.",
        lambda r: r["incident"].slug,
    ),
    Column("url", "text", "Address of the incident's page.", lambda r: r["site"].config.base_url + r["incident"].path),
    Column("title", "text", "A neutral one-line headline.", lambda r: r["meta"]["title"]),
    Column("summary", "text", "One or two sentences saying what happened.", lambda r: r["meta"].get("summary")),
    Column("date", "date", "Date of the incident.", lambda r: r["meta"]["date"].isoformat()),
    Column(
        "date_inferred",
        "text",
        "When the date was worked out rather than stated, how it was; empty when stated.",
        lambda r: r["meta"].get("date_inferred"),
    ),
    Column(
        "time",
        "text",
        "Local time, 24-hour HH:MM, of what time_of says; empty when not known.",
        lambda r: r["meta"].get("time"),
    ),
    Column(
        "time_of",
        "text",
        "What the time is the time of: shooting, call (officers called) or first-report; empty with no time.",
        lambda r: r["meta"].get("time_of"),
    ),
    Column(
        "time_approximate",
        "bool",
        "true when the time is approximate.",
        lambda r: bool(r["meta"].get("time_approximate")),
    ),
    Column("place", "text", "A named place, such as an apartment complex.", _location("place")),
    Column("near", "text", "A block, intersection or landmark (never a house number).", _location("near")),
    Column("city", "text", "City.", _location("city")),
    Column("county", "text", "County.", _location("county")),
    Column("state", "text", "Two-letter state code.", _location("state")),
    Column(
        "location_precision",
        "text",
        "How exact the location is: address-block, intersection, place, road, city or unknown.",
        _location("precision"),
    ),
    Column("latitude", "number", "Latitude in decimal degrees; empty when not known.", _location("latitude")),
    Column(
        "longitude",
        "number",
        "Longitude in decimal degrees (negative: west); empty when not known.",
        _location("longitude"),
    ),
    Column("types", "list", "Kinds of incident, from the incident_types vocabulary.", lambda r: r["meta"]["types"]),
    *(
        Column(
            f"agencies_{role}",
            "list",
            f"Ids of the agencies whose role was '{role}' (see agencies.csv).",
            _agency_ids(role),
        )
        for role in ROLE_ORDER
    ),
    Column("people", "integer", "Number of people listed (civilians and officers).", lambda r: len(_people(r["meta"]))),
    Column(
        "people_killed",
        "integer",
        "Number of people listed whose outcome is 'killed'; empty when someone's outcome is unknown or "
        "sources disagree on how many were killed or shot (see the incident's disputed section).",
        lambda r: outcome_count(r["meta"], "killed"),
    ),
    Column(
        "people_injured",
        "integer",
        "Number of people listed whose outcome is 'injured'; empty when someone's outcome is unknown or "
        "sources disagree on how many were injured or shot (see the incident's disputed section).",
        lambda r: outcome_count(r["meta"], "injured"),
    ),
    Column(
        "officers_fired",
        "integer",
        "How many officers fired, when sources agree; empty otherwise.",
        lambda r: r["meta"].get("officers_fired"),
    ),
    Column(
        "body_camera",
        "bool",
        "true when a report or the imported dataset says an officer's body camera may have recorded part of "
        "the incident; false means no such report was found, not that there was no camera.",
        lambda r: bool(r["meta"].get("body_camera")),
    ),
    Column(
        "investigation_status",
        "text",
        "Where the investigation stands, from the investigation_status vocabulary.",
        _investigation("status"),
    ),
    Column("investigation_lead", "text", "Id of the agency leading the investigation.", _investigation("lead")),
    Column(
        "investigation_as_of",
        "date",
        "Date the investigation status was last confirmed.",
        lambda r: jsonable(_investigation("as_of")(r)),
    ),
    Column(
        "sources", "integer", "Number of sources cited (listed in sources.csv).", lambda r: len(r["meta"]["sources"])
    ),
    Column(
        "corrections",
        "integer",
        "Number of corrections made to facts already published.",
        lambda r: len(r["meta"].get("corrections") or []),
    ),
    Column("updated", "date", "Date the record was last changed.", lambda r: r["meta"]["updated"].isoformat()),
    Column(
        "record_source",
        "text",
        "Where the record comes from: 'curated', or the dataset it was imported from (wapo: The Washington "
        "Post's Fatal Force data).",
        lambda r: source_key(r["meta"]),
    ),
    Column(
        "reviewed",
        "bool",
        "true for a curated record, or an imported one a curator has checked against published sources; "
        "false for an imported record not yet reviewed.",
        lambda r: is_reviewed(r["meta"]),
    ),
    Column("licence", "text", "Licence of this incident's data.", lambda r: incident_licence(r["meta"], r["site"])),
    Column(
        "source_file", "text", "The file in the repository this row comes from.", lambda r: r["incident"].source.rel
    ),
)


def person_rows(site: Site) -> list[dict]:
    """Return one row per person, in incident order and then the order listed."""
    return [row for incident in site.incidents for row in people_of(incident, site)]


def people_of(incident: Incident, site: Site) -> list[dict]:
    """Return a row per person the incident lists, in the order listed."""
    meta = incident.meta
    return [
        {"incident": incident, "meta": meta, "person": person, "number": number, "site": site}
        for number, person in enumerate(_people(meta), start=1)
    ]


def _person(key: str) -> Callable[[dict], object]:
    return lambda r: r["person"].get(key)


PERSON_COLUMNS = (
    Column(
        "incident_slug",
        "text",
        "The incident this person was part of (see incidents.csv).",
        lambda r: r["incident"].slug,
    ),
    Column("incident_date", "date", "Date of the incident.", lambda r: r["meta"]["date"].isoformat()),
    Column("person", "integer", "Position of the person in the incident's list, from 1.", lambda r: r["number"]),
    Column("role", "text", "Who the person was: civilian, officer or official.", _person("role")),
    Column("name", "text", "Name, once officially released or published; never given for a minor.", _person("name")),
    Column("description", "text", "How sources describe the person.", _person("description")),
    Column("age", "integer", "Age in years, when published.", _person("age")),
    Column("minor", "bool", "true when the person is under 18.", lambda r: bool(r["person"].get("minor"))),
    Column("gender", "text", "Gender as reported.", _person("gender")),
    Column("race", "list", "Race or ethnicity as reported.", lambda r: r["person"].get("race") or []),
    Column("race_source", "text", "How the race was determined.", _person("race_source")),
    Column(
        "outcome", "text", "What happened to the person: killed, injured, uninjured or unknown.", _person("outcome")
    ),
    Column(
        "shot_by",
        "text",
        "Who shot the person, if they were shot; for a person shot at and missed (outcome uninjured), who fired.",
        _person("shot_by"),
    ),
    Column(
        "armed",
        "list",
        "What the person was armed with, as alleged by police.",
        lambda r: r["person"].get("armed") or [],
    ),
    Column(
        "mental_illness_related",
        "bool",
        "true when sources report signs of mental illness played a part.",
        lambda r: bool(r["person"].get("mental_illness_related")),
    ),
    Column(
        "threat_type",
        "text",
        "The threat the person posed, as the Washington Post data records it (threat_types vocabulary: "
        "shoot, point, attack, threat, move, flee, accident, undetermined); empty when not recorded.",
        _person("threat_type"),
    ),
    Column(
        "flee_status",
        "text",
        "Whether and how the person was fleeing, as recorded (flee_statuses vocabulary: not-fleeing, foot, "
        "car, other); empty when not recorded.",
        _person("flee_status"),
    ),
    Column(
        "on_leave",
        "bool",
        "For officers: true when placed on administrative leave.",
        lambda r: bool(r["person"].get("on_leave")),
    ),
    Column(
        "sources",
        "list",
        "Ids of the sources for this person (see sources.csv).",
        lambda r: r["person"].get("sources") or [],
    ),
    Column("licence", "text", "Licence of this row's data.", lambda r: incident_licence(r["meta"], r["site"])),
)


def source_rows(site: Site) -> list[dict]:
    """Return one row per source cited, in incident order and then the order listed."""
    return [row for incident in site.incidents for row in sources_of(incident, site)]


def sources_of(incident: Incident, site: Site) -> list[dict]:
    """Return a row per source the incident cites, in the order listed."""
    return [
        {"incident": incident, "meta": incident.meta, "source": source, "site": site}
        for source in incident.meta["sources"]
    ]


def _source(key: str) -> Callable[[dict], object]:
    return lambda r: jsonable(r["source"].get(key))


SOURCE_COLUMNS = (
    Column(
        "incident_slug",
        "text",
        "The incident that cites this source (see incidents.csv).",
        lambda r: r["incident"].slug,
    ),
    Column("id", "text", "The source's id within its incident, as cited on the page.", _source("id")),
    Column(
        "publisher",
        "text",
        "Outlet or body that published it; empty when the source does not name it.",
        _source("publisher"),
    ),
    Column("title", "text", "Headline or document title, as published.", _source("title")),
    Column("published", "date", "Date of publication.", _source("published")),
    Column("url", "text", "Address of the source.", _source("url")),
    Column("archived_url", "text", "Address of an archived copy.", _source("archived_url")),
    Column("accessed", "date", "Date a curator last read the source.", _source("accessed")),
    Column("note", "text", "Anything a reader should know about this source.", _source("note")),
    Column(
        "licence",
        "text",
        "Licence of this row's data (the source itself belongs to its publisher).",
        lambda r: incident_licence(r["meta"], r["site"]),
    ),
)


def agency_rows(site: Site) -> list[dict]:
    """Return one row per agency, by id."""
    return [{"agency": agency, "meta": agency.meta, "site": site} for agency in site.agencies.values()]


def _role_count(role: str) -> Callable[[dict], object]:
    return lambda r: len(r["agency"].incidents_by_role.get(role, []))


def _agency(key: str) -> Callable[[dict], object]:
    return lambda r: r["meta"].get(key)


AGENCY_COLUMNS = (
    Column("id", "text", "The agency's id, as used in incidents.csv.", lambda r: r["agency"].slug),
    Column("url", "text", "Address of the agency's page.", lambda r: r["site"].config.base_url + r["agency"].path),
    Column("name", "text", "Full name of the agency.", _agency("name")),
    Column("short_name", "text", "Common short name.", _agency("short_name")),
    Column("kind", "text", "What kind of agency it is, from the agency_kinds vocabulary.", _agency("kind")),
    Column("jurisdiction", "text", "The area it covers.", _agency("jurisdiction")),
    Column("state", "text", "Two-letter state code.", _agency("state")),
    Column("website", "text", "The agency's website.", _agency("url")),
    Column(
        "members",
        "list",
        "For a multi-agency team: ids of the member agencies.",
        lambda r: r["meta"].get("members") or [],
    ),
    Column(
        "incidents", "integer", "Number of incidents that name the agency, in any role.", lambda r: r["agency"].count
    ),
    *(
        Column(
            f"incidents_{role}",
            "integer",
            f"Number of incidents in which the agency's role was '{role}'.",
            _role_count(role),
        )
        for role in ROLE_ORDER
    ),
)

TABLES = (
    Table("incidents.csv", "one incident", INCIDENT_COLUMNS, incident_rows, incident_row),
    Table("people.csv", "one person involved in an incident", PERSON_COLUMNS, person_rows, people_of),
    Table("agencies.csv", "one agency", AGENCY_COLUMNS, agency_rows),
    Table("sources.csv", "one source cited by an incident", SOURCE_COLUMNS, source_rows, sources_of),
)
