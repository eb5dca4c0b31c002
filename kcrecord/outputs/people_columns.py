"""The columns of people.csv, one row per person an incident lists."""

from __future__ import annotations

from collections.abc import Callable

from kcrecord.content.assemble import Incident, Site
from kcrecord.outputs.columns import Column, incident_licence, people_listed


def person_rows(site: Site) -> list[dict]:
    """Return one row per person, in incident order and then the order listed."""
    return [row for incident in site.incidents for row in people_of(incident, site)]


def people_of(incident: Incident, site: Site) -> list[dict]:
    """Return a row per person the incident lists, in the order listed."""
    meta = incident.meta
    return [
        {"incident": incident, "meta": meta, "person": person, "number": number, "site": site}
        for number, person in enumerate(people_listed(meta), start=1)
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
