"""The data downloads: CSV tables, the whole record as JSON, and GeoJSON of located incidents.

Each CSV is written from a list of Column definitions (kcrecord/outputs/csv_tables.py); the same list documents
the file on the data page, so the field dictionary cannot drift from the files. Each incident's rows, JSON record
and GeoJSON feature are written once as text and kept (kcrecord/outputs/fragments.py): a file is a join.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from functools import partial
from typing import TypeVar

from kcrecord.content.assemble import ROLE_ORDER, Agency, Incident, Site
from kcrecord.content.coverage import source_key
from kcrecord.content.recorded import slug_of
from kcrecord.outputs.columns import Column, Table, incident_licence, outcome_count
from kcrecord.outputs.csv_tables import TABLES
from kcrecord.outputs.discovery import licence_meta, licence_metas, licence_url_of
from kcrecord.outputs.formats import incident_record, jsonable
from kcrecord.outputs.fragments import Fragments, Pieces
from kcrecord.outputs.json_indent import indented

__all__ = [
    "TABLES",
    "Column",
    "Table",
    "incident_licence",
    "outcome_count",
    "render_downloads",
]  # columns.py's and csv_tables.py's, kept here (readers.py reads downloads.TABLES)

T = TypeVar("T")

# A text cell starting with one of these is read as a formula by spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def write_csv(table: Table, site: Site, fragments: Fragments | None = None, pieces: Pieces | None = None) -> bytes:
    """Return the table as CSV bytes (UTF-8, a header row); an incident's rows are written once, then kept."""
    return b"".join(csv_parts(table, site, fragments, pieces))


def csv_parts(
    table: Table, site: Site, fragments: Fragments | None = None, pieces: Pieces | None = None
) -> list[bytes]:
    """Return the parts of write_csv's bytes, not yet joined: the header row, then each incident's rows."""
    if table.incident_rows is None:
        return [csv_lines(table, table.rows(site), header=True).encode("utf-8")]
    header = csv_lines(table, [], header=True).encode("utf-8")
    name = f"csv:{table.filename}"
    if pieces is not None:
        return [header, *[piece[name] for piece in pieces]]
    fragments = Fragments() if fragments is None else fragments
    return [header, *fragments.each(name, site.incidents, csv_piece(table, site))]


def csv_piece(table: Table, site: Site) -> Callable[[Incident], bytes]:
    """Return the maker of an incident's lines in the table (which has incident_rows)."""
    assert table.incident_rows is not None
    return partial(_incident_lines, table, table.incident_rows, site)


def _incident_lines(
    table: Table, incident_rows: Callable[[Incident, Site], list[dict]], site: Site, incident: Incident
) -> bytes:
    return csv_lines(table, incident_rows(incident, site)).encode("utf-8")


def agency_record(agency: Agency, site: Site) -> dict:
    """Return an agency as plain data: its front matter plus id, URL and incident counts."""
    record = {"id": agency.slug, "url": site.config.base_url + agency.path}
    record.update(jsonable(agency.meta))  # type: ignore[arg-type]
    by_role = agency.incidents_by_role  # notes which incidents name the agency, by role: their slugs are known
    record["incidents"] = {role: [slug_of(i) for i in by_role.get(role, [])] for role in ROLE_ORDER}
    return record


def licence_counts(site: Site, metas: Iterable[dict] | None = None) -> list[dict]:
    """Return each licence the incidents carry: address, how many incidents and where they come from, site's first.

    metas: each incident's licence_meta (kcrecord/outputs/discovery.py; all of its front matter when None).
    """
    content = site.config.licence["content"]
    counts: dict[str, dict] = {
        content["name"]: {"name": content["name"], "url": content["url"], "incidents": 0, "record_sources": []}
    }
    for meta in licence_metas(site, metas):
        name = incident_licence(meta, site)
        url = licence_url_of(meta.get("licence")) or content["url"]
        entry = counts.setdefault(name, {"name": name, "url": url, "incidents": 0, "record_sources": []})
        entry["incidents"] += 1
        if source_key(meta) not in entry["record_sources"]:
            entry["record_sources"].append(source_key(meta))
    return [entry for n, entry in enumerate(counts.values()) if n == 0 or entry["incidents"]]


def kept_licence_counts(site: Site, fragments: Fragments) -> list[dict]:
    """Return licence_counts, worked out once and kept while no incident's licence or import source changes."""
    return fragments.memo("licence-counts", (), lambda: licence_counts(site, kept_licence_metas(site, fragments)))


def kept_licence_metas(site: Site, fragments: Fragments) -> list[dict]:
    """Return each published incident's licence_meta piece, in the record's order."""
    return fragments.each("licence-meta", site.incidents, licence_meta)


def about(site: Site, commit: str, fragments: Fragments | None = None) -> dict:
    """Return the provenance block shared by the JSON files: title, licence (overall and each), commit."""
    licences = licence_counts(site) if fragments is None else kept_licence_counts(site, fragments)
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
    return indented(value, 1, depth).encode("utf-8")


def json_list(items: list[bytes], depth: int) -> list[bytes]:
    """Return the parts of a JSON list depth levels deep whose items are already written (by json_text at depth + 1).

    The parts are joined once (or written one by one: render_downloads' join): a download of many
    megabytes is copied once.
    """
    if not items:
        return [b"[]"]
    inner = b"\n" + b" " * (depth + 1)
    parts = [b"," + inner] * (2 * len(items) - 1)
    parts[::2] = items  # item, separator, item, ...
    return [b"[" + inner, *parts, b"\n" + b" " * depth + b"]"]


def json_document(fields: dict[str, list[bytes]]) -> bytes:
    """Return a JSON object from the parts of its values (json_text or json_list at depth 1), joined once."""
    return b"".join(json_document_parts(fields))


def json_document_parts(fields: dict[str, list[bytes]]) -> list[bytes]:
    """Return json_document's parts, not yet joined."""
    if not fields:
        return [b"{}\n"]
    parts = [b"{"]
    for key, value in fields.items():
        parts += [b"\n ", json_text(key), b": ", *value, b","]
    parts[-1] = b"\n}\n"
    return parts


def whole_record_json(site: Site, commit: str, fragments: Fragments, pieces: Pieces | None = None) -> list[bytes]:
    """Return the parts of incidents.json: whole_record written out, each incident's record from fragments."""
    fields = {key: [json_text(value, 1)] for key, value in about(site, commit, fragments).items()}
    records = (
        [piece["json"] for piece in pieces]
        if pieces is not None
        else fragments.each("json", site.incidents, partial(incident_json, site))
    )
    fields["incidents"] = json_list(records, 1)
    fields["agencies"] = json_list([_agency_json(agency, site, fragments) for agency in site.agencies.values()], 1)
    return json_document_parts(fields)


def _agency_json(agency: Agency, site: Site, fragments: Fragments) -> bytes:
    """Return the agency's record as written in incidents.json, kept while it and the list of its incidents stay."""
    return fragments.memo(f"agency-json:{agency.slug}", (), lambda: json_text(agency_record(agency, site), 2))


def incident_json(site: Site, incident: Incident) -> bytes:
    """Return an incident's record as incidents.json holds it."""
    return json_text(incident_record(incident, site), 2)


def geojson_json(site: Site, commit: str, fragments: Fragments, pieces: Pieces | None = None) -> list[bytes]:
    """Return the parts of incidents.geojson: geojson written out, each incident's feature from fragments."""
    features = (
        [piece["geojson"] for piece in pieces]
        if pieces is not None
        else fragments.each("geojson", site.incidents, partial(feature_json, site))
    )
    return json_document_parts(
        {
            "type": [json_text("FeatureCollection")],
            "metadata": [json_text(about(site, commit, fragments), 1)],
            "features": json_list([text for text in features if text is not None], 1),
        }
    )


def feature_json(site: Site, incident: Incident) -> bytes | None:
    """Return a located incident's feature as incidents.geojson holds it; None when it has no coordinates."""
    return json_text(feature(incident, site), 2) if located(incident) else None


def render_downloads(
    site: Site,
    commit: str,
    fragments: Fragments | None = None,
    pieces: Pieces | None = None,
    join: Callable[[list[bytes]], T] = b"".join,  # type: ignore[assignment] - T is bytes with b"".join
) -> dict[str, T]:
    """Return every download file under data/, mapped to its bytes: join(the file's parts).

    join: b"".join by default; make site writes each file's parts to a file instead (Spooled.of_parts).
    """
    fragments = Fragments() if fragments is None else fragments
    out = {f"data/{table.filename}": join(csv_parts(table, site, fragments, pieces)) for table in TABLES}
    out["data/incidents.json"] = join(whole_record_json(site, commit, fragments, pieces))
    out["data/incidents.geojson"] = join(geojson_json(site, commit, fragments, pieces))
    return out
