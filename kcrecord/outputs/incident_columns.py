"""The columns of incidents.csv, one row per incident, and how each is read from the record."""

from __future__ import annotations

from collections.abc import Callable

from kcrecord.content.assemble import ROLE_ORDER, Incident, Site
from kcrecord.content.coverage import is_reviewed, source_key
from kcrecord.content.recorded import file_of
from kcrecord.outputs.columns import Column, incident_licence, outcome_count, people_listed
from kcrecord.outputs.formats import jsonable


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
    Column(
        "people",
        "integer",
        "Number of people listed (civilians and officers).",
        lambda r: len(people_listed(r["meta"])),
    ),
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
    Column("source_file", "text", "The file in the repository this row comes from.", lambda r: file_of(r["incident"])),
)
