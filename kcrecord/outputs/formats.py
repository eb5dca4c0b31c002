"""Plain formatting shared by the pages and the downloads: dates, times and records as JSON-ready data."""

from __future__ import annotations

import datetime as dt

from kcrecord.content.assemble import Incident, Site
from kcrecord.content.recorded import file_of

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_date(value: dt.date) -> str:
    """Format a date as 'November 7, 2024' (no locale, so builds are reproducible)."""
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def format_time(value: str) -> str:
    """Format '13:50' as '1:50 p.m.'."""
    hour, minute = (int(part) for part in value.split(":"))
    if (hour, minute) == (12, 0):
        return "noon"
    if (hour, minute) == (0, 0):
        return "midnight"
    suffix = "a.m." if hour < 12 else "p.m."
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


def jsonable(value: object) -> object:
    """Return value with dates as ISO strings, ready for json.dumps."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def incident_record(incident: Incident, site: Site) -> dict:
    """Return the incident as plain data: its front matter plus slug and URLs."""
    record = {"slug": incident.slug, "url": site.config.base_url + incident.path}
    record.update(jsonable(incident.meta))  # type: ignore[arg-type]
    record["source_file"] = file_of(incident)
    return record
