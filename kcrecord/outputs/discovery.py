"""Sharing and discovery: JSON-LD for pages, the sitemap, robots.txt and the Atom feed's entries."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import markupsafe

from kcrecord.content.assemble import Incident, Site

FEED_LENGTH = 50  # entries in feed.xml: the most recently changed incidents


def json_ld(data: object) -> markupsafe.Markup:
    """Return data as JSON safe inside a <script> element: <, > and & become \\u escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return markupsafe.Markup(text)


def licence_url_of(code: str | None) -> str | None:
    """Return the deed address of a Creative Commons licence code such as CC-BY-NC-SA-4.0, else None."""
    if not code or not code.startswith("CC-"):
        return None
    *terms, version = code.split("-")[1:]
    return f"https://creativecommons.org/licenses/{'-'.join(terms).lower()}/{version}/"


def last_changed(incident: Incident) -> dt.date:
    """Return the latest of the record's updated date, its corrections and its timeline entries."""
    meta = incident.meta
    dates = [meta["updated"]]
    dates += [item["date"] for item in meta.get("corrections") or []]
    dates += [item["date"] for item in meta.get("timeline") or []]
    return max(dates)


def incident_json_ld(incident: Incident, site: Site) -> dict:
    """Return schema.org Article data describing an incident page."""
    config = site.config
    meta = incident.meta
    location = meta["location"]
    url = config.base_url + incident.path
    place: dict = {
        "@type": "Place",
        "name": "; ".join(str(v) for v in (location.get("place"), location.get("near")) if v) or location["city"],
        "address": {
            "@type": "PostalAddress",
            "addressLocality": location["city"],
            "addressRegion": location["state"],
            "addressCountry": "US",
        },
    }
    if location.get("latitude") is not None and location.get("longitude") is not None:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": location["latitude"], "longitude": location["longitude"]}
    licence_url = licence_url_of(meta.get("licence"))
    return {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": meta["title"],
        "description": meta.get("summary") or meta["title"],
        "url": url,
        "mainEntityOfPage": url,
        "dateModified": last_changed(incident).isoformat(),
        "inLanguage": config.language,
        "license": licence_url or config.licence["content"]["url"],
        "publisher": {"@type": "Organization", "name": config.title, "url": config.base_url},
        "about": {
            "@type": "Event",
            "name": meta["title"],
            "startDate": meta["date"].isoformat() + (f"T{meta['time']}" if meta.get("time_of") == "shooting" else ""),
            "location": place,
        },
        "citation": [source["url"] for source in meta["sources"] if source.get("url")],
    }


def licence_meta(incident: Incident) -> dict:
    """Return the fields the licence and source lists read of an incident's front matter (a piece: licence-meta).

    The lists of licences and of datasets read every incident: from these pieces, an edit that
    leaves an incident's licence and import source as they were leaves the lists as they were.
    """
    meta, found = incident.meta, {}
    if meta.get("licence"):
        found["licence"] = meta["licence"]
    imported = meta.get("imported")
    if isinstance(imported, dict) and "source" in imported:
        found["imported"] = {"source": imported["source"]}
    return found


def licence_metas(site: Site, metas: Iterable[dict] | None) -> Iterable[dict]:
    """Return metas, or every incident's front matter when None (of which only what licence_meta keeps is read)."""
    return (incident.meta for incident in site.incidents) if metas is None else metas


def dataset_licences(site: Site, metas: Iterable[dict] | None = None) -> str | list[str]:
    """Return the licence address of the record, or every one when records carry different licences.

    metas: each incident's licence_meta (all of its front matter when None).
    """
    default = site.config.licence["content"]["url"]
    found = {licence_url_of(meta.get("licence")) or default for meta in licence_metas(site, metas)}
    found.add(site.config.licence["content"]["url"])
    return found.pop() if len(found) == 1 else sorted(found)


def dataset_json_ld(site: Site, files: list[tuple[str, str]], licences: str | list[str]) -> dict:
    """Return schema.org Dataset data for the data page; files are (path below the base, media type).

    licences: dataset_licences(site), which reads every incident (the data page keeps it as a memo).
    """
    config = site.config
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": config.title,
        "description": config.description,
        "url": config.base_url + "data/",
        "license": licences,
        "isAccessibleForFree": True,
        "creator": {"@type": "Organization", "name": config.title, "url": config.base_url},
        "spatialCoverage": "Kansas City area, Missouri and Kansas, United States",
        "distribution": [
            {"@type": "DataDownload", "encodingFormat": media, "contentUrl": config.base_url + path}
            for path, media in files
        ],
    }
    if site.incidents:
        data["temporalCoverage"] = f"{site.incidents[0].date.isoformat()}/{site.incidents[-1].date.isoformat()}"
    return data


@dataclass(frozen=True)
class FeedEntry:
    """One incident in the Atom feed."""

    incident: Incident
    url: str
    updated: str  # RFC 3339
    corrected: bool


def atom_time(day: dt.date) -> str:
    """Return a date as an RFC 3339 date-time at midnight UTC (Atom needs a full date-time)."""
    return f"{day.isoformat()}T00:00:00Z"


def feed_entries(site: Site, changed: Sequence[dt.date] | None = None) -> list[FeedEntry]:
    """Return the most recently changed incidents, newest change first (changed: each one's last_changed, if known)."""
    dates = [last_changed(incident) for incident in site.incidents] if changed is None else changed
    # The incidents are in sort_key order: ties are broken by place in the list, reading no incident's fields.
    keys = list(zip(dates, range(len(dates)), strict=True))
    newest = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)[:FEED_LENGTH]
    return [
        FeedEntry(
            site.incidents[n],
            site.config.base_url + site.incidents[n].path,
            atom_time(dates[n]),
            bool(site.incidents[n].meta.get("corrections")),
        )
        for n in newest
    ]


def sitemap_pages(outputs: Iterable[str]) -> list[tuple[str, str]]:
    """Return (output path, path below the base URL) for every HTML page except the 404 page, in path order."""
    pages = []
    for rel in sorted(outputs):
        if not rel.endswith(".html") or rel == "404.html":
            continue
        pages.append((rel, rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel))
    return pages


def robots_txt(site: Site) -> bytes:
    """Return robots.txt: everything may be crawled; the sitemap is named."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {site.config.base_url}sitemap.xml\n".encode()
