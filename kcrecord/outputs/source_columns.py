"""The columns of sources.csv, one row per source an incident cites."""

from __future__ import annotations

from collections.abc import Callable

from kcrecord.content.assemble import Incident, Site
from kcrecord.outputs.columns import Column, incident_licence
from kcrecord.outputs.formats import jsonable


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
