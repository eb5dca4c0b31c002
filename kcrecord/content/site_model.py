"""The site model the templates read: settings, incidents, agencies, pages and the site that holds them.

Every object notes what reading it depends on (kcrecord/content/recorded.py); stage 3
(kcrecord/content/assemble.py) makes them from validated files.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import InitVar, dataclass, field
from itertools import chain
from typing import Any, ClassVar

from kcrecord.content.coverage import (
    CoverageSource,
    SourceCount,
    YearCoverage,
    count_by_source,
    covered_years,
    origin,
    year_coverage,
)
from kcrecord.content.history import Change
from kcrecord.content.load import SourceFile
from kcrecord.content.recorded import Recorded, derived, derived_fingerprint, file_key, once
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
    """One published incident: reading its fields records its front matter, its body and source its file (Recorded)."""

    slug: str
    meta: dict
    body_html: str
    source: SourceFile
    agencies_by_role: dict[str, list[str]] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without meta, which is its file's front matter: taken again from the file when first read."""
        state = dict(object.__getattribute__(self, "__dict__"))
        meta = state.get("meta")  # absent when never read since unpickled: the file's values stay pickled
        if meta is not None and meta is object.__getattribute__(self, "source").meta:
            del state["meta"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Take the pickled state (defined here: pickle would otherwise ask __getattr__ for this method)."""
        object.__getattribute__(self, "__dict__").update(state)

    def __getattr__(self, name: str) -> Any:
        """Return meta, when this incident was unpickled without it (the file's front matter, read when asked)."""
        if name != "meta":
            raise AttributeError(name)
        meta = object.__getattribute__(self, "__dict__")["meta"] = object.__getattribute__(self, "source").meta
        return meta

    @property
    def date(self) -> dt.date:
        """Return the incident's date."""
        return self.meta["date"]

    @once  # read for every incident by each list and chart: kept, as meta never changes
    def year(self) -> int:
        """Return the incident's year."""
        return self.date.year

    @once
    def path(self) -> str:
        """Return the page's path below the base, e.g. incidents/slug/."""
        return f"incidents/{self.slug}/"

    @once
    def agency_roles(self) -> list[tuple[str, str]]:
        """Return (role, agency id) for each agency the incident names, in role order, each pair once."""
        return [(role, agency) for role in ROLE_ORDER for agency in dict.fromkeys(self.agencies_by_role.get(role, []))]

    @once  # kept with the incident in the cache folder: planning its page reads no front matter
    def title(self) -> str:
        """Return the incident's title."""
        return self.meta["title"]  # type: ignore[no-any-return]

    @once  # kept with the incident in the cache folder: the record's counts read no front matter
    def origin(self) -> tuple[str, bool, int | None]:
        """Return the record's source of records, whether it is reviewed, and its year (coverage.origin)."""
        return origin(self.meta)

    @once
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

    @once  # read by several outputs; an agency is not changed once assembled
    def count(self) -> int:
        """Return how many distinct incidents name this agency (count records which ones: nothing of them is read).

        Counted by object, in C: an incident is one object in each of its roles' lists (its slug is its own).
        """
        return len(set(map(id, chain.from_iterable(self.incidents_by_role.values()))))


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
        object.__setattr__(self, "_fingerprints", {})  # rel -> fingerprint, worked out once

    def get(self, rel: str) -> tuple[Change, ...] | None:
        """Return the commits that changed the file at rel, newest first, or None."""
        note(file_key(rel, "history:"), self.fingerprint(rel))
        return object.__getattribute__(self, "_changes").get(rel)  # type: ignore[no-any-return]

    def fingerprints(self, rels: Iterable[str]) -> dict[str, str]:
        """Return what history:<rel> is now for each rel."""
        return {rel: self.fingerprint(rel) for rel in rels}

    def fingerprint(self, rel: str) -> str:
        """Return what history:<rel> is now."""
        known = object.__getattribute__(self, "_fingerprints")
        found = known.get(rel)
        if found is None:
            found = known[rel] = digest(repr(object.__getattribute__(self, "_changes").get(rel)))
        return found  # type: ignore[no-any-return]


@dataclass(eq=False)
class Site(Recorded):
    """Everything the templates need; iterating incidents, agencies or pages records coll:<name>."""

    config: Config
    incidents: list[Incident]  # published, oldest first
    agencies: dict[str, Agency]
    pages: list[Page]
    commit: str = "unknown"  # the git commit built from, for the data's provenance
    history: History = field(default_factory=lambda: History({}))  # file path -> its commits (history.py)
    same_incidents_as: InitVar[Site | None] = None  # a site with the same incident files in the same order

    identity_key: ClassVar[Any] = staticmethod(lambda site: "site")

    def __post_init__(self, same_incidents_as: Site | None) -> None:
        get = object.__getattribute__  # working out what the site holds is not a read of each object
        collections = {
            "agencies": "\n".join(get(a, "source").rel for a in self.agencies.values()),
            "pages": "\n".join(get(p, "source").rel for p in self.pages),
        }
        reads: dict[str, dict[str, str]] = {"": {}, "commit": {"commit": self.commit}}
        if same_incidents_as is not None:
            reads["incidents"] = get(same_incidents_as, "_reads")["incidents"]
        else:
            collections["incidents"] = "\n".join(get(i, "source").rel for i in self.incidents)
        for name, text in collections.items():
            reads[name] = {f"coll:{name}": digest(text)}
        object.__setattr__(self, "_reads", reads)

    def published_by_file(self) -> dict[str, Incident] | None:
        """Return the published incidents by their file's path, as assembled (None for a site built otherwise).

        Unrecorded: for the engine's look-ups (kcrecord/outputs/fragments.py), not for templates.
        """
        index = object.__getattribute__(self, "__dict__").get("_index")
        return None if index is None else index["by_rel"]  # type: ignore[no-any-return]

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
        return count_by_source(self.config.coverage, (incident.origin for incident in self.incidents))

    @derived
    def waiting_review(self) -> list[Incident]:
        """Return the imported incidents no curator has reviewed yet, longest waiting first (then by date)."""
        waiting = [incident for incident in self.incidents if not incident.origin[1]]
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
