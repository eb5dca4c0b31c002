"""The data downloads: CSV tables, the whole record as JSON, and GeoJSON of located incidents.

Each CSV is written from a list of Column definitions; the same list documents the file on the
data page, so the field dictionary cannot drift from the files. Each incident's rows, JSON record
and GeoJSON feature are written once as text and kept (kcrecord/fragments.py): a file is a join.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from .assemble import ROLE_ORDER, Agency, Incident, Site
from .coverage import is_reviewed, source_key
from .discovery import licence_url_of
from .fragments import Fragments
from .render import incident_record, jsonable

# A text cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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


def safe_cell(value: object, kind: str) -> object:
    """Return value ready for a CSV cell: lists joined, booleans spelt out, formula-like text escaped."""
    if value is None:
        return ""
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("integer", "number"):
        return value
    if kind == "list":
        value = "; ".join(str(item) for item in value)  # type: ignore[union-attr]
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_lines(table: Table, rows: list[dict], header: bool = False) -> str:
    """Return rows as lines of the table's CSV (CRLF line ends as RFC 4180 asks), after the header row if asked."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow([column.name for column in table.columns])
    for row in rows:
        writer.writerow([safe_cell(column.get(row), column.kind) for column in table.columns])
    return buffer.getvalue()


def write_csv(table: Table, site: Site, fragments: Fragments | None = None) -> bytes:
    """Return the table as CSV bytes (UTF-8, a header row); an incident's rows are written once, then kept."""
    if table.incident_rows is None:
        return csv_lines(table, table.rows(site), header=True).encode("utf-8")
    fragments = Fragments() if fragments is None else fragments
    lines = partial(_incident_lines, table, table.incident_rows, site)
    header = csv_lines(table, [], header=True).encode("utf-8")
    return header + b"".join(fragments.each(f"csv:{table.filename}", site.incidents, lines))


def _incident_lines(
    table: Table, incident_rows: Callable[[Incident, Site], list[dict]], site: Site, incident: Incident
) -> bytes:
    return csv_lines(table, incident_rows(incident, site)).encode("utf-8")


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
    Column("time", "text", "Local time, 24-hour HH:MM; empty when not known.", lambda r: r["meta"].get("time")),
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
    Column("shot_by", "text", "Who shot the person, if they were shot.", _person("shot_by")),
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


def agency_record(agency: Agency, site: Site) -> dict:
    """Return an agency as plain data: its front matter plus id, URL and incident counts."""
    record = {"id": agency.slug, "url": site.config.base_url + agency.path}
    record.update(jsonable(agency.meta))  # type: ignore[arg-type]
    record["incidents"] = {role: [i.slug for i in agency.incidents_by_role.get(role, [])] for role in ROLE_ORDER}
    return record


def licence_counts(site: Site) -> list[dict]:
    """Return each licence the incidents carry with its address and how many incidents, the site's own first."""
    content = site.config.licence["content"]
    counts: dict[str, dict] = {content["name"]: {"name": content["name"], "url": content["url"], "incidents": 0}}
    for incident in site.incidents:
        name = incident_licence(incident.meta, site)
        url = licence_url_of(incident.meta.get("licence")) or content["url"]
        counts.setdefault(name, {"name": name, "url": url, "incidents": 0})["incidents"] += 1
    return [entry for n, entry in enumerate(counts.values()) if n == 0 or entry["incidents"]]


def about(site: Site, commit: str) -> dict:
    """Return the provenance block shared by the JSON files: title, licence (overall and each), commit."""
    licences = licence_counts(site)
    mixed = sum(1 for entry in licences if entry["incidents"]) > 1
    overall = {key: licences[0][key] for key in ("name", "url")}
    if mixed:
        names = " and ".join(entry["name"] for entry in licences if entry["incidents"])
        overall = {"name": f"Mixed: {names}", "url": None}
    return {
        "title": site.config.title,
        "url": site.config.base_url,
        "licence": overall,
        "licences": licences,
        "licence_note": (
            "Each incident's data carries the licence in its own 'licence' field (a code from site.yaml's "
            f"licences); without one, {licences[0]['name']} applies. Curated records are {licences[0]['name']}; "
            "rows imported from The Washington Post's data keep that dataset's licence, CC BY-NC-SA 4.0. "
            "A file holding both is under both: reuse each record under its own licence."
        ),
        "repository": site.config.repository,
        "commit": commit,
    }


def whole_record(site: Site, commit: str) -> dict:
    """Return every incident and agency, nested, with provenance."""
    return {
        **about(site, commit),
        "incidents": [incident_record(incident, site) for incident in site.incidents],
        "agencies": [agency_record(agency, site) for agency in site.agencies.values()],
    }


def located(incident: Incident) -> bool:
    """Return True when the incident has both coordinates."""
    location = incident.meta["location"]
    return location.get("latitude") is not None and location.get("longitude") is not None


def geojson(site: Site, commit: str) -> dict:
    """Return the incidents that have coordinates as a GeoJSON FeatureCollection (longitude first)."""
    features = [feature(incident, site) for incident in site.incidents if located(incident)]
    return {"type": "FeatureCollection", "metadata": about(site, commit), "features": features}


def feature(incident: Incident, site: Site) -> dict:
    """Return a located incident as a GeoJSON point feature."""
    meta = incident.meta
    location = meta["location"]
    return {
        "type": "Feature",
        "id": incident.slug,
        "geometry": {"type": "Point", "coordinates": [location["longitude"], location["latitude"]]},
        "properties": {
            "slug": incident.slug,
            "title": meta["title"],
            "date": meta["date"].isoformat(),
            "url": site.config.base_url + incident.path,
            "types": list(meta["types"]),
            "city": location["city"],
            "state": location["state"],
            "location_precision": location["precision"],
            "coordinates_note": location.get("coordinates_note"),
            "licence": incident_licence(meta, site),
        },
    }


GEOJSON_PROPERTIES = (
    ("slug", "text", "The incident's id (see incidents.csv)."),
    ("title", "text", "A neutral one-line headline."),
    ("date", "date, YYYY-MM-DD", "Date of the incident."),
    ("url", "text", "Address of the incident's page."),
    ("types", "list of text", "Kinds of incident."),
    ("city", "text", "City."),
    ("state", "text", "Two-letter state code."),
    ("location_precision", "text", "How exact the location is."),
    ("coordinates_note", "text or null", "Where the coordinates come from and how exact they are."),
    ("licence", "text", "Licence of this incident's data."),
)


def json_text(value: object, depth: int = 0) -> bytes:
    """Return value as the JSON downloads write it (indent 1, UTF-8), as it reads nested depth levels deep."""
    return json.dumps(value, indent=1, ensure_ascii=False).replace("\n", "\n" + " " * depth).encode("utf-8")


def json_list(items: list[bytes], depth: int) -> list[bytes]:
    """Return the parts of a JSON list depth levels deep whose items are already written (by json_text at depth + 1).

    The parts are joined once, by json_document: a download of many megabytes is copied once.
    """
    if not items:
        return [b"[]"]
    inner = b"\n" + b" " * (depth + 1)
    parts = [b"," + inner] * (2 * len(items) - 1)
    parts[::2] = items  # item, separator, item, ...
    return [b"[" + inner, *parts, b"\n" + b" " * depth + b"]"]


def json_document(fields: dict[str, list[bytes]]) -> bytes:
    """Return a JSON object from the parts of its values (json_text or json_list at depth 1), joined once."""
    if not fields:
        return b"{}\n"
    parts = [b"{"]
    for key, value in fields.items():
        parts += [b"\n ", json_text(key), b": ", *value, b","]
    parts[-1] = b"\n}\n"
    return b"".join(parts)


def whole_record_json(site: Site, commit: str, fragments: Fragments) -> bytes:
    """Return incidents.json: whole_record written out, each incident's record from fragments."""
    fields = {key: [json_text(value, 1)] for key, value in about(site, commit).items()}
    fields["incidents"] = json_list(fragments.each("json", site.incidents, partial(_incident_json, site)), 1)
    fields["agencies"] = json_list([_agency_json(agency, site, fragments) for agency in site.agencies.values()], 1)
    return json_document(fields)


def _agency_json(agency: Agency, site: Site, fragments: Fragments) -> bytes:
    """Return the agency's record as written in incidents.json, kept while its incidents stay the same."""
    slugs = tuple(tuple(i.slug for i in agency.incidents_by_role.get(role, [])) for role in ROLE_ORDER)
    return fragments.memo(f"agency-json:{agency.slug}", slugs, lambda: json_text(agency_record(agency, site), 2))


def _incident_json(site: Site, incident: Incident) -> bytes:
    return json_text(incident_record(incident, site), 2)


def geojson_json(site: Site, commit: str, fragments: Fragments) -> bytes:
    """Return incidents.geojson: geojson written out, each incident's feature from fragments."""
    features = fragments.each("geojson", site.incidents, partial(_feature_json, site))
    return json_document(
        {
            "type": [json_text("FeatureCollection")],
            "metadata": [json_text(about(site, commit), 1)],
            "features": json_list([text for text in features if text is not None], 1),
        }
    )


def _feature_json(site: Site, incident: Incident) -> bytes | None:
    return json_text(feature(incident, site), 2) if located(incident) else None


def render_downloads(site: Site, commit: str, fragments: Fragments | None = None) -> dict[str, bytes]:
    """Return every download file under data/, mapped to its bytes."""
    fragments = Fragments() if fragments is None else fragments
    out = {f"data/{table.filename}": write_csv(table, site, fragments) for table in TABLES}
    out["data/incidents.json"] = whole_record_json(site, commit, fragments)
    out["data/incidents.geojson"] = geojson_json(site, commit, fragments)
    return out
