"""Stage 2, validate: check every file against the schema and the rules that span files."""

from __future__ import annotations

import datetime as dt
import difflib
import re

from kcrecord.content import urls
from kcrecord.content.body_limits import check_body
from kcrecord.content.check_fields import SLUG, URL, Checker
from kcrecord.content.coverage import check_coverage
from kcrecord.content.load import Content, SourceFile
from kcrecord.content.placeholders import body_placeholders
from kcrecord.content.problems import Problem
from kcrecord.content.schema import AGENCY_FIELDS, INCIDENT_FIELDS, PAGE_FIELDS
from kcrecord.content.yaml_strict import dotted

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
URL_SETTINGS = frozenset({"url", "repository", "website", "homepage"})
BASE_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/(?:[A-Za-z0-9._~!$'()*+,;=:@%-]+/)*$")
BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
SITE_REQUIRED = ("title", "description", "base_url", "repository", "branch", "licence", "vocabularies")


def vocabularies_of(content: Content) -> dict[str, dict[str, str]]:
    """Return the vocabularies from site.yaml (empty when unreadable)."""
    data = content.config.data if content.config else None
    vocab = data.get("vocabularies") if isinstance(data, dict) else None
    if not isinstance(vocab, dict):
        return {}
    return {name: values for name, values in vocab.items() if isinstance(values, dict)}


SPECS = {"incidents": INCIDENT_FIELDS, "agencies": AGENCY_FIELDS, "pages": PAGE_FIELDS}


def validate(content: Content) -> list[Problem]:
    """Return every problem in every file, sorted: the whole-site checks, then each file's own."""
    problems = check_site(content)
    vocabularies = vocabularies_of(content)
    agency_ids = agency_ids_of(content)
    for kind in SPECS:
        for source in content.files[kind]:
            problems += check_file(source, vocabularies, agency_ids)
    return sorted(set(problems))


def agency_ids_of(content: Content) -> set[str]:
    """Return the ids incidents may name: the agency files' slugs."""
    return {source.slug for source in content.files["agencies"]}


def check_site(content: Content) -> list[Problem]:
    """Return the problems that involve more than one file: site.yaml, coverage and slugs used twice."""
    problems = _check_config(content) + check_coverage(content)
    for kind in SPECS:
        seen: dict[str, str] = {}
        for source in content.files[kind]:
            if source.doc is None or not isinstance(source.doc.data, dict):
                continue  # the loader already reported why
            if source.slug in seen:
                message = (
                    f"slug '{source.slug}' is also used by {seen[source.slug]}; give one of the files another name"
                )
                problems.append(Problem(source.rel, 1, "file", message))
            seen.setdefault(source.slug, source.rel)
    return problems


def check_file(source: SourceFile, vocabularies: dict[str, dict[str, str]], agency_ids: set[str]) -> list[Problem]:
    """Return one file's own problems; they depend only on the file, the vocabularies, the agency ids and the date."""
    problems = check_body(source)
    if source.doc is None or not isinstance(source.doc.data, dict):
        return problems  # the loader already reported why
    Checker(source.rel, source.doc, vocabularies, problems).check_map(SPECS[source.kind], source.doc.data, ())
    if source.kind == "incidents":
        problems += check_incident(source, agency_ids)
    elif source.kind == "agencies":
        problems += _check_agency(source, agency_ids)
    else:
        problems += _check_page(source)
    return problems


def _check_config(content: Content) -> list[Problem]:
    doc = content.config
    if doc is None:
        return []
    data = doc.data
    rel = content.config_rel
    if not isinstance(data, dict):
        return [Problem(rel, 1, "site.yaml", "expected settings as 'name: value' lines")]
    problems = [
        Problem(rel, 1, key, f"required setting '{key}' is missing; see the repository's site.yaml")
        for key in SITE_REQUIRED
        if key not in data
    ]
    base = data.get("base_url")
    if "base_url" in data and base_url_problem(base) is not None:
        problems.append(Problem(rel, doc.line(("base_url",)), "base_url", str(base_url_problem(base))))
    branch = data.get("branch")
    if "branch" in data and not (isinstance(branch, str) and BRANCH.match(branch)):
        problems.append(
            Problem(rel, doc.line(("branch",)), "branch", f"expected a branch name such as main, got {branch!r}")
        )
    problems += [Problem(rel, doc.line(path), dotted(path), message) for path, message in _config_urls(data, ())]
    return problems


def base_url_problem(value: object) -> str | None:
    """Say what is wrong with a base URL (site.yaml's or --base-url), or None when it is good.

    Every link of the site starts with its path, so the path may hold only plain path
    characters, in non-empty segments: `//` or `\\` there would send every link off the site.
    """
    if isinstance(value, str) and BASE_URL.match(value):
        return None
    return (
        "expected a full address such as https://example.org/ or https://example.org/record/: http(s), "
        f"a host name, a path of plain segments, and a final '/'; got {value!r}"
    )


def _config_urls(value: object, path: tuple) -> list[tuple[tuple, str]]:
    """Check every address in site.yaml (settings named url, *_url or repository) at the one gate."""
    found: list[tuple[tuple, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if path == () and key == "base_url":
                continue  # checked above, with its own rule
            if isinstance(key, str) and (key in URL_SETTINGS or key.endswith("_url")):
                if not isinstance(item, str) or not URL.match(item):
                    found.append((path + (key,), f"expected an address starting with https://, got {item!r}"))
                elif urls.refusal(item, decode=False) is not None:
                    found.append((path + (key,), f"{urls.refusal(item, decode=False)}; got {item!r}"))
            else:
                found += _config_urls(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _config_urls(item, path + (index,))
    return found


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


def _check_agency(source: SourceFile, agency_ids: set[str]) -> list[Problem]:
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


def _check_page(source: SourceFile) -> list[Problem]:
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
