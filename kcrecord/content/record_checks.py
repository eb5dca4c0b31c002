"""The checks of one incident, agency or page file that the schema alone cannot express.

File names, the agencies named, the sources cited, minors never named, no house numbers, and
page names the build does not reserve for itself. validate.py runs them after the schema checks.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re

from kcrecord.content.check_fields import SLUG
from kcrecord.content.load import SourceFile
from kcrecord.content.placeholders import body_placeholders
from kcrecord.content.problems import Problem

INCIDENT_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
CITATION = re.compile(r"\[\^([^\]\s[]+)\](?!:)")  # no "[" in a label: linear on "[^[^[^..."
FOOTNOTE_DEFINITION = re.compile(r"^\s{0,3}\[\^([^\]]+)\]:")
# A number of up to six digits, then a street name ending in a street word, and not
# "1100 block of ...": that is a house number, which the record never publishes.
HOUSE_NUMBER = re.compile(
    r"(?:^|(?<=[,;(])\s*|(?<=\bat\s))\d{1,6}[A-Za-z]?\s+(?!block\b)"
    r"(?:[NSEW]\.?\s+|North\s+|South\s+|East\s+|West\s+)?"
    r"(?:(?!and\b)[A-Za-z0-9.'-]+\s+){0,3}"
    r"(?:Street|St|Avenue|Ave|Road|Rd|Drive|Dr|Lane|Ln|Boulevard|Blvd|Court|Ct|Place|Pl|"
    r"Terrace|Ter|Way|Parkway|Pkwy|Circle|Cir|Trail|Trl)\b\.?",
    re.IGNORECASE,
)
# Top-level folders the build writes itself (a page there would overwrite or mix with them).
RESERVED_PAGES = {
    "incidents",
    "timeline",
    "agencies",
    "data",
    "search",
    "review",
    "static",
    "feed",
    "404",
    "pagefind",
    "maps",
}


def _problem(source: SourceFile, path: tuple, field: str, message: str) -> Problem:
    assert source.doc is not None
    return Problem(source.rel, source.doc.line(path), field, message)


def _agency_hint(agency_id: str, agency_ids: set[str]) -> str:
    close = difflib.get_close_matches(agency_id, sorted(agency_ids), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"add content/agencies/{agency_id}.md or use an existing id"


def check_incident(source: SourceFile, agency_ids: set[str]) -> list[Problem]:
    """Check the rules of one incident that the schema alone cannot express."""
    meta = source.meta
    problems: list[Problem] = []
    problems += _check_incident_name(source)
    for index, entry in enumerate(_dicts(meta.get("agencies"))):
        agency = entry.get("id")
        if isinstance(agency, str) and SLUG.match(agency) and agency not in agency_ids:
            problems.append(
                _problem(
                    source,
                    ("agencies", index, "id"),
                    f"agencies[{index}].id",
                    f"unknown agency '{agency}'; {_agency_hint(agency, agency_ids)}",
                )
            )
    investigation = meta.get("investigation")
    if isinstance(investigation, dict):
        lead = investigation.get("lead")
        listed = {entry.get("id") for entry in _dicts(meta.get("agencies"))}
        if isinstance(lead, str) and SLUG.match(lead):
            if lead not in agency_ids:
                problems.append(
                    _problem(
                        source,
                        ("investigation", "lead"),
                        "investigation.lead",
                        f"unknown agency '{lead}'; {_agency_hint(lead, agency_ids)}",
                    )
                )
            elif lead not in listed:
                problems.append(
                    _problem(
                        source,
                        ("investigation", "lead"),
                        "investigation.lead",
                        f"'{lead}' is not among this incident's agencies; "
                        "add it under agencies with role: investigating",
                    )
                )
    problems += _check_sources(source)
    problems += _check_people(source)
    problems += _check_location(source)
    problems += body_placeholders(source)
    return problems


def _dicts(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _check_incident_name(source: SourceFile) -> list[Problem]:
    match = INCIDENT_NAME.match(source.slug)
    name = source.path.name
    if not match:
        return [
            Problem(
                source.rel,
                1,
                "file",
                "file name must look like YYYY-MM-DD-short-slug.md (lower-case letters, digits, hyphens), "
                f"got '{name}'",
            )
        ]
    date = source.meta.get("date")
    try:
        named = dt.date.fromisoformat(match.group(1))
    except ValueError:
        return [Problem(source.rel, 1, "file", f"file name starts with {match.group(1)}, which is not a real date")]
    if isinstance(date, dt.date) and date != named:
        wanted = f"{date.isoformat()}-{match.group(2)}.md"
        return [
            _problem(
                source,
                ("date",),
                "date",
                f"the file name says {named.isoformat()} but date is {date.isoformat()}; "
                f"rename the file to {wanted} or correct the date",
            )
        ]
    return []


def _check_sources(source: SourceFile) -> list[Problem]:
    meta = source.meta
    problems: list[Problem] = []
    ids: dict[str, int] = {}
    for index, entry in enumerate(_dicts(meta.get("sources"))):
        sid = entry.get("id")
        if not isinstance(sid, str):
            continue
        if sid in ids:
            problems.append(
                _problem(
                    source,
                    ("sources", index, "id"),
                    f"sources[{index}].id",
                    f"source id '{sid}' is already used by sources[{ids[sid]}]; give each source its own id",
                )
            )
        ids.setdefault(sid, index)

    def cited(path: tuple, label: str, value: object) -> None:
        if not isinstance(value, list):
            return
        for position, sid in enumerate(value):
            if isinstance(sid, str) and sid not in ids:
                problems.append(_problem(source, path + (position,), f"{label}[{position}]", _unknown_source(sid, ids)))

    for index, entry in enumerate(_dicts(meta.get("timeline"))):
        cited(("timeline", index, "sources"), f"timeline[{index}].sources", entry.get("sources"))
    for index, entry in enumerate(_dicts(meta.get("people"))):
        cited(("people", index, "sources"), f"people[{index}].sources", entry.get("sources"))
    for index, point in enumerate(_dicts(meta.get("disputed"))):
        for number, claim in enumerate(_dicts(point.get("claims"))):
            label = f"disputed[{index}].claims[{number}].sources"
            cited(("disputed", index, "claims", number, "sources"), label, claim.get("sources"))
    for offset, line in enumerate(source.body.split("\n")):
        number = source.body_line + offset
        if FOOTNOTE_DEFINITION.match(line):
            problems.append(
                Problem(
                    source.rel,
                    number,
                    "body",
                    "do not write footnote definitions; cite a source as [^source-id] and the "
                    "list of sources is added from 'sources'",
                )
            )
            continue
        for match in CITATION.finditer(line):
            if match.group(1) not in ids:
                problems.append(Problem(source.rel, number, "body", _unknown_source(match.group(1), ids)))
    return problems


def _unknown_source(sid: str, ids: dict[str, int]) -> str:
    close = difflib.get_close_matches(sid, list(ids), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "add it under 'sources' with this id"
    known = ", ".join(ids) or "none yet"
    return f"cites source '{sid}', which is not in this file's sources ({known}); {hint}"


def _check_people(source: SourceFile) -> list[Problem]:
    problems = []
    for index, person in enumerate(_dicts(source.meta.get("people"))):
        if person.get("minor") is True and person.get("name"):
            problems.append(
                _problem(
                    source,
                    ("people", index, "name"),
                    f"people[{index}].name",
                    "a person marked minor: true is never named; remove the name and describe "
                    "them instead (e.g. 'infant daughter, about four months old')",
                )
            )
        age = person.get("age")
        if isinstance(age, int) and not isinstance(age, bool) and age < 18 and person.get("minor") is not True:
            problems.append(
                _problem(
                    source,
                    ("people", index, "age"),
                    f"people[{index}].age",
                    f"age {age} is under 18; add minor: true (and give no name)",
                )
            )
    return problems


def _check_location(source: SourceFile) -> list[Problem]:
    location = source.meta.get("location")
    if not isinstance(location, dict):
        return []
    problems = []
    for key in ("place", "near"):
        value = location.get(key)
        if isinstance(value, str):
            match = HOUSE_NUMBER.search(value)
            if match:
                number = re.match(r"\d+", match.group(0))
                assert number is not None
                block = int(number.group(0)) // 100 * 100
                problems.append(
                    _problem(
                        source,
                        ("location", key),
                        f"location.{key}",
                        f"'{match.group(0)}' looks like a house number; give the block instead "
                        f"(e.g. '{block} block of ...') or the nearest intersection",
                    )
                )
    return problems


def check_agency(source: SourceFile, agency_ids: set[str]) -> list[Problem]:
    problems = _check_sources(source)
    if not SLUG.match(source.slug):
        problems.append(
            Problem(
                source.rel,
                1,
                "file",
                f"agency file name must be its id in lower-case letters, digits and hyphens, got '{source.path.name}'",
            )
        )
    members = source.meta.get("members")
    if isinstance(members, list):
        for index, member in enumerate(members):
            if isinstance(member, str) and SLUG.match(member) and member not in agency_ids:
                problems.append(
                    _problem(
                        source,
                        ("members", index),
                        f"members[{index}]",
                        f"unknown agency '{member}'; {_agency_hint(member, agency_ids)}",
                    )
                )
    return problems


def check_page(source: SourceFile) -> list[Problem]:
    if source.slug in RESERVED_PAGES or not SLUG.match(source.slug):
        return [
            Problem(
                source.rel,
                1,
                "file",
                f"page name '{source.path.name}' is reserved or not a lower-case slug; "
                f"choose another name (reserved: {', '.join(sorted(RESERVED_PAGES))})",
            )
        ]
    return []
