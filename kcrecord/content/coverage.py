"""What each source of records covers (site.yaml `coverage:`), and whether a year is covered completely.

A record comes from curators or from an imported dataset. Only a source that records every
incident of a kind in its span and area (The Washington Post's Fatal Force data: every fatal
shooting by on-duty police) lets a chart draw a zero; elsewhere a missing bar means "not
recorded", and the pages say so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kcrecord.content.load import Content
from kcrecord.content.problems import Problem

CURATED = "curated"
# What a source can record completely. 'none': only what someone added, with no completeness claim.
COMPLETE_KINDS = {
    "fatal-police-shootings": "fatal shootings by on-duty police",
    "none": "no kind completely",
}
TEXT_FIELDS = ("name", "covers")
Report = Callable[[tuple, str], None]  # adds a problem at a path below coverage
OPTIONAL_TEXT = ("short", "area", "note")


@dataclass(frozen=True)
class CoverageSource:
    """One source of records and what it covers."""

    key: str  # 'curated', or a key of the import_sources vocabulary
    name: str
    covers: str  # in words, for readers
    complete: str  # a key of COMPLETE_KINDS
    start: dt.date | None = None  # first and last day the source is complete for (both None when complete is 'none')
    end: dt.date | None = None
    area: str = ""
    note: str = ""
    short: str = ""  # a short name for tight places (a table cell); the name when not given

    @property
    def short_name(self) -> str:
        """Return the short name, or the name."""
        return self.short or self.name

    @property
    def is_complete(self) -> bool:
        """Return True when the source records every incident of its kind in its span."""
        return self.complete != "none" and self.start is not None and self.end is not None

    @property
    def kind_label(self) -> str:
        """Return what the source records completely, in words."""
        return COMPLETE_KINDS.get(self.complete, self.complete)


@dataclass(frozen=True)
class YearCoverage:
    """How completely the record covers one year: 'complete', 'partial' or 'none'."""

    year: int
    status: str
    sources: tuple[CoverageSource, ...] = ()  # the complete sources that reach into the year

    @property
    def spans(self) -> tuple[tuple[dt.date, dt.date], ...]:
        """Return the stretches of the year the complete sources cover (first and last day each), in order.

        A partly covered year may be covered to a day, from a day, or in stretches with gaps between.
        """
        first, last = dt.date(self.year, 1, 1), dt.date(self.year, 12, 31)
        parts = sorted((max(s.start, first), min(s.end, last)) for s in self.sources if s.start and s.end)
        merged: list[tuple[dt.date, dt.date]] = []
        for start, end in parts:
            if merged and start <= merged[-1][1] + dt.timedelta(days=1):
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return tuple(merged)


def read_coverage(data: object) -> tuple[CoverageSource, ...]:
    """Return the sources declared under site.yaml's coverage (an already validated mapping), in order."""
    if not isinstance(data, dict):
        return ()
    found = []
    for key, entry in data.items():
        if not isinstance(entry, dict):
            continue
        start, end = entry.get("from"), entry.get("to")
        found.append(
            CoverageSource(
                key=str(key),
                name=str(entry.get("name", key)),
                covers=str(entry.get("covers", "")),
                complete=str(entry.get("complete", "none")),
                start=start if isinstance(start, dt.date) else None,
                end=end if isinstance(end, dt.date) else None,
                area=str(entry.get("area") or ""),
                note=str(entry.get("note") or ""),
                short=str(entry.get("short") or ""),
            )
        )
    return tuple(found)


def year_coverage(year: int, sources: tuple[CoverageSource, ...]) -> YearCoverage:
    """Return how completely the complete sources cover the year."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    reaching = tuple(s for s in sources if s.is_complete and s.start <= last and s.end >= first)  # type: ignore[operator]
    if not reaching:
        return YearCoverage(year, "none", reaching)
    whole = YearCoverage(year, "complete", reaching)  # when the sources together cover every day (one after another)
    return whole if whole.spans == ((first, last),) else YearCoverage(year, "partial", reaching)


def covered_years(sources: tuple[CoverageSource, ...]) -> range:
    """Return the span of years any complete source reaches into (empty when none)."""
    spans = [(s.start.year, s.end.year) for s in sources if s.is_complete]  # type: ignore[union-attr]
    if not spans:
        return range(0)
    return range(min(a for a, _ in spans), max(b for _, b in spans) + 1)


def source_key(meta: dict) -> str:
    """Return the coverage key of the source a record comes from: its importer, or 'curated'."""
    imported = meta.get("imported")
    if isinstance(imported, dict) and isinstance(imported.get("source"), str):
        return imported["source"]
    return CURATED


def check_coverage(content: Content) -> list[Problem]:
    """Check site.yaml's coverage section (each record against it: kcrecord/content/record_coverage.py)."""
    doc = content.config
    if doc is None or not isinstance(doc.data, dict):
        return []
    rel = content.config_rel
    data = doc.data.get("coverage")
    if data is None:
        return [Problem(rel, 1, "coverage", COVERAGE_HELP)]
    if not isinstance(data, dict):
        return [Problem(rel, doc.line(("coverage",)), "coverage", COVERAGE_HELP)]
    vocab = doc.data.get("vocabularies")
    imports = vocab.get("import_sources") if isinstance(vocab, dict) else None
    allowed = [CURATED, *(imports if isinstance(imports, dict) else {})]
    problems: list[Problem] = []

    def problem(path: tuple, message: str) -> None:
        field = ".".join(str(part) for part in ("coverage", *path))
        problems.append(Problem(rel, doc.line(("coverage", *path)), field, message))

    for key, entry in data.items():
        if key not in allowed:
            problem((key,), f"unknown source '{key}'; expected one of: {', '.join(allowed)}")
            continue
        if not isinstance(entry, dict):
            problem((key,), "expected the fields name, covers and complete under it")
            continue
        _check_entry(key, entry, problem)
    for key in allowed:
        if key not in data and (key == CURATED or _used(content, key)):
            problem((), f"source '{key}' is missing; say what it covers (see the wapo and curated entries)")
    return problems  # each imported record's place in its source's span: kcrecord/content/record_coverage.py


COVERAGE_HELP = (
    "expected a 'coverage:' section naming each source of records (curated, and each import source) "
    "with name, covers and complete; see the repository's site.yaml"
)


def _check_entry(key: str, entry: dict, problem: Report) -> None:
    for name in TEXT_FIELDS:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            problem((key, name), f"expected a sentence saying the source's {name}, got {value!r}")
    for name in OPTIONAL_TEXT:
        if name in entry and not isinstance(entry[name], str):
            problem((key, name), f"expected text, got {entry[name]!r}")
    for name in entry:
        if name not in (*TEXT_FIELDS, *OPTIONAL_TEXT, "complete", "from", "to"):
            problem((key, name), "unknown field; expected name, short, covers, complete, from, to, area or note")
    complete = entry.get("complete")
    if complete not in COMPLETE_KINDS:
        problem((key, "complete"), f"expected one of: {', '.join(COMPLETE_KINDS)}, got {complete!r}")
        return
    dates = {name: entry.get(name) for name in ("from", "to")}
    if complete == "none":
        for name, value in dates.items():
            if value is not None:
                problem((key, name), "a source with 'complete: none' covers no span; leave out from and to")
        return
    for name, value in dates.items():
        if not isinstance(value, dt.date):
            problem((key, name), f"expected the date the source is complete {name}, as YYYY-MM-DD, got {value!r}")
    start, end = dates["from"], dates["to"]
    if isinstance(start, dt.date) and isinstance(end, dt.date) and start > end:
        problem((key, "to"), f"expected a date on or after from ({start.isoformat()}), got {end.isoformat()}")


def _used(content: Content, key: str) -> bool:
    return any(source_key(source.meta) == key for source in content.files.get("incidents", []))


@dataclass(frozen=True)
class SourceCount:
    """How many records the site holds from one source, how many a curator has reviewed, and their years."""

    source: CoverageSource
    count: int
    reviewed: int
    years: tuple[int, ...]  # years of the records held, oldest first

    @property
    def imported(self) -> bool:
        """Return True for a dataset's rows, False for curated records."""
        return self.source.key != CURATED

    @property
    def waiting(self) -> int:
        """Return how many imported records still wait for a curator's review."""
        return self.count - self.reviewed if self.imported else 0


def origin(meta: dict) -> tuple[str, bool, int | None]:
    """Return what count_by_source reads of a record: its source's key, whether it is reviewed, and its year."""
    date = meta.get("date")
    return source_key(meta), is_reviewed(meta), date.year if isinstance(date, dt.date) else None


def count_by_source(
    sources: tuple[CoverageSource, ...], origins: Iterable[tuple[str, bool, int | None]]
) -> tuple[SourceCount, ...]:
    """Return, for each declared source in order, the records that come from it (records from undeclared ones last).

    origins: each record's origin() (its source, whether reviewed, its year).
    """
    counts: Counter[str] = Counter()
    reviewed: Counter[str] = Counter()
    years: dict[str, set[int]] = {}
    for key, is_checked, year in origins:
        counts[key] += 1
        reviewed[key] += is_checked
        if year is not None:
            years.setdefault(key, set()).add(year)
    declared = {s.key: s for s in sources}
    for key in counts:
        declared.setdefault(key, CoverageSource(key, key, "", "none"))
    return tuple(
        SourceCount(source, counts[key], reviewed[key], tuple(sorted(years.get(key, ()))))
        for key, source in declared.items()
    )


def is_reviewed(meta: dict) -> bool:
    """Return True for a curated record, or an imported one a curator has marked reviewed."""
    imported = meta.get("imported")
    return not isinstance(imported, dict) or imported.get("reviewed") is True
