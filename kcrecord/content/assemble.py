"""Stage 3, assemble: turn validated files into the site model the templates read."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Any, ClassVar
from urllib.parse import urlsplit

from kcrecord.content.citations import source_numbers
from kcrecord.content.coverage import (
    CoverageSource,
    SourceCount,
    YearCoverage,
    count_by_source,
    covered_years,
    is_reviewed,
    read_coverage,
    year_coverage,
)
from kcrecord.content.history import Change
from kcrecord.content.load import Content, SourceFile
from kcrecord.content.markdown_render import MarkdownRenderer, RenderTooSlowError
from kcrecord.content.problems import ContentError, Problem
from kcrecord.content.recorded import Recorded, derived, derived_fingerprint, set_reads
from kcrecord.content.validate import vocabularies_of
from kcrecord.engine.deps import digest, note

ROLE_ORDER = ("involved", "investigating", "reviewing", "assisting")


@dataclass
class Config(Recorded):
    """Site settings from site.yaml; reading a setting records config:<setting> (kcrecord/engine/deps.py)."""

    title: str
    description: str
    base_url: str
    base_path: str
    repository: str
    branch: str
    language: str
    licence: dict
    vocab: dict[str, dict[str, str]]
    coverage: tuple[CoverageSource, ...] = ()  # what each source of records covers (site.yaml coverage)

    identity_key: ClassVar[Any] = staticmethod(lambda config: "config")  # its settings are recorded one by one

    def __post_init__(self) -> None:
        reads = {name: {f"config:{name}": digest(repr(getattr(self, name)))} for name in self.__dataclass_fields__}
        object.__setattr__(self, "_reads", {"": {}, **reads})

    def label(self, vocabulary: str, value: str) -> str:
        """Return the human label of a vocabulary value."""
        return self.vocab.get(vocabulary, {}).get(value, value)


@dataclass(eq=False)
class Incident(Recorded):
    """One published incident; reading it in any way records its file (see Recorded)."""

    slug: str
    meta: dict
    body_html: str
    source: SourceFile
    agencies_by_role: dict[str, list[str]] = field(default_factory=dict)

    @property
    def date(self) -> dt.date:
        """Return the incident's date."""
        return self.meta["date"]

    @cached_property  # read for every incident by each list and chart: kept, as meta never changes
    def year(self) -> int:
        """Return the incident's year."""
        return self.date.year

    @cached_property
    def path(self) -> str:
        """Return the page's path below the base, e.g. incidents/slug/."""
        return f"incidents/{self.slug}/"

    @cached_property
    def agency_roles(self) -> list[tuple[str, str]]:
        """Return (role, agency id) for each agency the incident names, in role order, each pair once."""
        return [(role, agency) for role in ROLE_ORDER for agency in dict.fromkeys(self.agencies_by_role.get(role, []))]

    @cached_property
    def sort_key(self) -> tuple:
        """Return the key that orders incidents by date, time and slug."""
        return (self.date, self.meta.get("time") or "", self.slug)


@dataclass(eq=False)
class Agency(Recorded):
    """One agency with its incidents grouped by role; its incidents and count record agency-incidents:<slug>."""

    slug: str
    meta: dict
    body_html: str
    source: SourceFile
    incidents_by_role: dict[str, list[Incident]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """Return the page's path below the base."""
        return f"agencies/{self.slug}/"

    @cached_property  # read by several outputs; an agency is not changed once assembled
    def count(self) -> int:
        """Return how many distinct incidents name this agency."""
        return len({i.slug for group in self.incidents_by_role.values() for i in group})


@dataclass(eq=False)
class Page(Recorded):
    """A plain Markdown page (about, methodology, ...)."""

    slug: str
    meta: dict
    body_html: str
    source: SourceFile

    @property
    def path(self) -> str:
        """Return the page's path below the base."""
        return f"{self.slug}/"


class History(Recorded):
    """Each content file's commits (kcrecord/content/history.py); looking one up records history:<path>."""

    identity_key: ClassVar[Any] = staticmethod(lambda history: "history")  # each lookup is recorded

    def __init__(self, changes: dict[str, tuple[Change, ...]]) -> None:
        object.__setattr__(self, "_changes", changes)

    def get(self, rel: str) -> tuple[Change, ...] | None:
        """Return the commits that changed the file at rel, newest first, or None."""
        changes = object.__getattribute__(self, "_changes").get(rel)
        note(f"history:{rel}", digest(repr(changes)))
        return changes

    def fingerprint(self, rel: str) -> str:
        """Return what history:<rel> is now."""
        return digest(repr(object.__getattribute__(self, "_changes").get(rel)))


@dataclass(eq=False)
class Site(Recorded):
    """Everything the templates need; iterating incidents, agencies or pages records coll:<name>."""

    config: Config
    incidents: list[Incident]  # published, oldest first
    agencies: dict[str, Agency]
    pages: list[Page]
    commit: str = "unknown"  # the git commit built from, for the data's provenance
    history: History = field(default_factory=lambda: History({}))  # file path -> its commits (history.py)

    identity_key: ClassVar[Any] = staticmethod(lambda site: "site")

    def __post_init__(self) -> None:
        collections = {
            "incidents": "\n".join(i.source.rel for i in self.incidents),
            "agencies": "\n".join(a.source.rel for a in self.agencies.values()),
            "pages": "\n".join(p.source.rel for p in self.pages),
        }
        reads: dict[str, dict[str, str]] = {"": {}, "commit": {"commit": self.commit}}
        for name, text in collections.items():
            reads[name] = {f"coll:{name}": digest(text)}
        object.__setattr__(self, "_reads", reads)

    def fingerprint(self, key: str) -> str:
        """Return what a coll:, commit or history: key is now ('' when it names nothing)."""
        kind, _, name = key.partition(":")
        if kind == "history":
            return self.history.fingerprint(name)
        if kind == "derived":
            return derived_fingerprint(self, name)
        reads = object.__getattribute__(self, "_reads")
        return reads.get(name if kind == "coll" else kind, {}).get(key, "")

    @derived  # read several times by the timeline pages: kept, as the site is not changed once assembled
    def years(self) -> dict[int, list[Incident]]:
        """Return incidents grouped by year, newest year first."""
        groups: dict[int, list[Incident]] = defaultdict(list)
        for incident in self.incidents:
            groups[incident.year].append(incident)
        return {year: groups[year] for year in sorted(groups, reverse=True)}

    @derived  # read by every incident page's search marks: worked out once, not per page
    def shared_agency_names(self) -> frozenset[str]:
        """Return the names more than one agency bears (a federal agency's offices in each state)."""
        counts = Counter(str(agency.meta.get("name")) for agency in self.agencies.values())
        return frozenset(name for name, count in counts.items() if count > 1)

    @derived  # read by the home, data and review pages
    def source_counts(self) -> tuple[SourceCount, ...]:
        """Return how many incidents come from each source of records, reviewed or not, and their years."""
        return count_by_source(self.config.coverage, (incident.meta for incident in self.incidents))

    @derived
    def waiting_review(self) -> list[Incident]:
        """Return the imported incidents no curator has reviewed yet, longest waiting first (then by date)."""
        waiting = [incident for incident in self.incidents if not is_reviewed(incident.meta)]
        return sorted(waiting, key=lambda i: (i.meta["updated"], i.sort_key))

    @derived
    def year_span(self) -> list[int]:
        """Return every year from the first recorded or covered to the last, newest first."""
        years = set(self.years) | set(covered_years(self.config.coverage))
        return list(range(max(years), min(years) - 1, -1)) if years else []

    def year_coverage(self, year: int) -> YearCoverage:
        """Return how completely the record's complete sources cover a year."""
        return year_coverage(year, self.config.coverage)

    def page(self, slug: str) -> Page | None:
        """Return the plain page with this slug, if the content has one."""
        return next((p for p in self.pages if p.slug == slug), None)

    @property
    def nav_pages(self) -> list[Page]:
        """Return the pages that appear in the navigation, in order."""
        return sorted((p for p in self.pages if "nav" in p.meta), key=lambda p: (p.meta["nav"], p.slug))


def read_config(content: Content, base_url: str | None = None) -> Config:
    """Return the validated site settings, with an optional base URL override."""
    assert content.config is not None
    data = content.config.data
    assert isinstance(data, dict)
    url = base_url or data["base_url"]
    if not url.endswith("/"):
        url += "/"
    path = urlsplit(url).path or "/"
    return Config(
        title=data["title"],
        description=data["description"],
        base_url=url,
        base_path=path,
        repository=data["repository"].rstrip("/"),
        branch=data["branch"],
        language=data.get("language", "en"),
        licence=data["licence"],
        vocab=vocabularies_of(content),
        coverage=read_coverage(data.get("coverage")),
    )


def _render(renderer: MarkdownRenderer, source: SourceFile, *args: object, **options: object) -> str:
    """Render source's body; a body that takes too long becomes a problem instead of a hang."""
    try:
        return renderer.render(source.body, *args, **options)
    except RenderTooSlowError as error:
        problem = Problem(
            source.rel,
            source.body_line,
            "body",
            f"this text took more than {error.args[0]:g} s to turn into HTML; split long paragraphs, "
            "lists or tables with blank lines, or remove repeated punctuation",
        )
        raise ContentError([problem]) from None  # stop at the first: each slow file would cost the limit again


def assemble(
    content: Content,
    base_url: str | None = None,
    renderer: MarkdownRenderer | None = None,
    commit: str = "unknown",
    previous: Site | None = None,
    history: dict[str, tuple[Change, ...]] | None = None,
) -> Site:
    """Build the site model from content that has passed validation.

    previous is a site assembled with the same settings (make serve passes the last one): an incident
    whose SourceFile is the very same object as then is reused instead of being rendered again.
    history maps an incident file's path to the commits that changed it (kcrecord/content/history.py).
    """
    config = read_config(content, base_url)
    renderer = renderer or MarkdownRenderer(config.base_path)
    incidents = []
    reuse = {id(incident.source): incident for incident in previous.incidents} if previous else {}
    for source in content.files["incidents"]:
        kept = reuse.get(id(source))
        if kept is not None and kept.source is source:
            incidents.append(kept)  # published then, from the very same file
            continue
        meta = source.meta
        if meta.get("draft"):
            continue
        # The narrative sits under the page's "What happened" h2, so its ## headings become h3.
        html = _render(renderer, source, source_numbers(meta["sources"]), shift_headings=1)
        incident = Incident(source.slug, meta, html, source)
        reads = {f"file:{source.rel}": source.digest}
        set_reads(incident, reads, body_html={**reads, "config:base_path": digest(repr(config.base_path))})
        for entry in meta["agencies"]:
            incident.agencies_by_role.setdefault(entry["role"], []).append(entry["id"])
        incidents.append(incident)
    incidents.sort(key=attrgetter("sort_key"))
    agencies = {}
    for source in sorted(content.files["agencies"], key=lambda s: s.slug):
        notes = source_numbers(source.meta.get("sources", []))
        agencies[source.slug] = agency = Agency(source.slug, source.meta, _render(renderer, source, notes), source)
        set_reads(agency, {f"file:{source.rel}": source.digest})
    for incident in incidents:
        for role, agency_id in incident.agency_roles:
            agencies[agency_id].incidents_by_role.setdefault(role, []).append(incident)
    for agency in agencies.values():
        grouped = object.__getattribute__(agency, "incidents_by_role")
        by_role = {role: [i.source.rel for i in group] for role, group in grouped.items()}
        key = {f"agency-incidents:{agency.slug}": digest(repr(by_role))}
        set_reads(agency, {f"file:{agency.source.rel}": agency.source.digest}, incidents_by_role=key, count=key)
    pages = [Page(s.slug, s.meta, _render(renderer, s), s) for s in content.files["pages"]]
    for item in pages:
        set_reads(item, {f"file:{item.source.rel}": item.source.digest})
    pages.sort(key=lambda p: p.slug)
    return Site(config, incidents, agencies, pages, commit, History(history or {}))
