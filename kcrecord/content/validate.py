"""Stage 2, validate: check every file against the schema and the rules that span files.

The rules of a single incident, agency or page beyond its schema are in record_checks.py.
"""

from __future__ import annotations

import re

from kcrecord.content import urls
from kcrecord.content.body_limits import check_body
from kcrecord.content.check_fields import Checker, url_problem
from kcrecord.content.coverage import check_coverage
from kcrecord.content.field_model import walk
from kcrecord.content.incident_schema import INCIDENT_FIELDS
from kcrecord.content.load import Content, SourceFile
from kcrecord.content.problems import Problem
from kcrecord.content.record_checks import check_agency, check_incident, check_page
from kcrecord.content.record_coverage import Span, check_record, record_spans
from kcrecord.content.schema import AGENCY_FIELDS, PAGE_FIELDS
from kcrecord.content.yaml_strict import dotted

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
    return {name: values if isinstance(values, dict) else {} for name, values in vocab.items()}  # broken: said once


SPECS = {"incidents": INCIDENT_FIELDS, "agencies": AGENCY_FIELDS, "pages": PAGE_FIELDS}
VOCABULARIES_USED = tuple(
    sorted(
        {
            named.vocab
            for spec in SPECS.values()
            for _path, field in walk(spec)
            for named in (field, field.item)
            if named is not None and named.vocab
        }
    )
)
"""Every vocabulary a content field takes its value from: site.yaml may leave out one no file uses."""


def validate(content: Content) -> list[Problem]:
    """Return every problem in every file, sorted: the whole-site checks, then each file's own."""
    problems = check_site(content)
    vocabularies = vocabularies_of(content)
    agency_ids = agency_ids_of(content)
    spans = record_spans(content)
    for kind in SPECS:
        for source in content.files[kind]:
            problems += check_file(source, vocabularies, agency_ids, spans)
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
            if source.doc is None or not source.doc.is_map:
                continue  # the loader already reported why
            if source.slug in seen:
                message = (
                    f"slug '{source.slug}' is also used by {seen[source.slug]}; give one of the files another name"
                )
                problems.append(Problem(source.rel, 1, "file", message))
            seen.setdefault(source.slug, source.rel)
    return problems


def check_file(
    source: SourceFile, vocabularies: dict[str, dict[str, str]], agency_ids: set[str], spans: tuple[Span, ...] = ()
) -> list[Problem]:
    """Return one file's own problems.

    They depend only on the file, the vocabularies, the agency ids, the coverage spans and the date.
    """
    problems = check_body(source)
    if source.doc is None and source.body_line == 1 and source.body.startswith("\ufeff"):
        problems.append(_byte_order_marks(source))  # the loader says only that the first line is not '---'
    if source.doc is None or not isinstance(source.doc.data, dict):
        return problems  # the loader already reported why
    Checker(source.rel, source.doc, vocabularies, problems).check_map(SPECS[source.kind], source.doc.data, ())
    if source.kind == "incidents":
        problems += check_incident(source, agency_ids) + check_record(source, spans)
    elif source.kind == "agencies":
        problems += check_agency(source, agency_ids)
    else:
        problems += check_page(source)
    return problems


def _byte_order_marks(source: SourceFile) -> Problem:
    """Say that a file starts with invisible byte-order marks (U+FEFF), which hide its first '---'."""
    count = len(source.body) - len(source.body.lstrip("\ufeff")) + 1  # reading UTF-8 dropped the first
    return Problem(
        source.rel,
        1,
        "file",
        f"the file starts with {count} invisible byte-order marks (U+FEFF) before its first line; save the "
        "file as UTF-8 without a byte-order mark (the first line must then be only '---')",
    )


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
    if "vocabularies" in data:
        problems += _check_vocabularies(content)
    return problems


def _check_vocabularies(content: Content) -> list[Problem]:
    """Say which vocabulary in site.yaml is not a list of 'value: Label' lines.

    A file's value is checked only against a vocabulary site.yaml has: one site.yaml leaves out
    is reported at each value that uses it (check_fields.py), a broken one here alone.
    """
    assert content.config is not None
    rel, doc = content.config_rel, content.config
    data = doc.data
    assert isinstance(data, dict)
    vocab = data["vocabularies"]
    how = "'value: Label' lines, as in the repository's site.yaml"
    if not isinstance(vocab, dict) or not vocab:
        return [Problem(rel, doc.line(("vocabularies",)), "vocabularies", f"expected groups of {how}")]
    return [
        Problem(rel, doc.line(("vocabularies", name)), f"vocabularies.{name}", f"expected {how}, got {values!r}")
        for name, values in vocab.items()
        if name in VOCABULARIES_USED and not (isinstance(values, dict) and values)
    ]


def base_url_problem(value: object) -> str | None:
    """Say what is wrong with a base URL (site.yaml's or --base-url), or None when it is good.

    Every link of the site starts with its path, so the path may hold only plain path
    characters, in non-empty segments: `//` or `\\` there would send every link off the site.
    """
    if isinstance(value, str) and BASE_URL.match(value):
        refused = urls.address_problem(value)
        return None if refused is None else f"{refused}; got {value!r}"
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
                refused = url_problem(item)
                if refused is not None:
                    found.append((path + (key,), refused))
            else:
                found += _config_urls(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _config_urls(item, path + (index,))
    return found
