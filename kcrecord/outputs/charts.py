"""Chart data for the build-time SVG charts: incidents per year, each counted once, with coverage marked.

A bar is as long as the number of incidents its label gives: each incident is counted once,
split into fatal shootings by police (the kind a complete source may cover) and other incidents.
Incident types are shown in a separate table, since an incident can have several. A year no
complete source covers gets no zero bar: its row is hatched and says "not covered".
This module only computes numbers and positions; templates/_chart.html draws them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from kcrecord.content.assemble import Config, Incident
from kcrecord.content.coverage import YearCoverage, covered_years, year_coverage
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.members import members

# Fill colours for the series: dark and light, apart in greyscale too, each with 3:1 contrast with white.
PALETTE = ("#1f5f8b", "#c0571b")
SERIES = (
    ("fatal", "Fatal shootings by police"),
    ("other", "Other incidents recorded"),
)
WIDTH = 340  # viewBox units; the SVG scales to its container (about 1 unit to 1 px on a phone)
LABEL_WIDTH = 42  # room for the year on the left
COUNT_WIDTH = 40  # room for the total on the right
ROW_HEIGHT = 22
BAR_HEIGHT = 16
TOP = 4


@dataclass(frozen=True)
class Segment:
    """One series' part of a year's bar."""

    series: int
    label: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Row:
    """One year: its bar segments, total, vertical position and how completely the record covers it."""

    year: int
    total: int
    y: float
    segments: tuple[Segment, ...]
    counts: tuple[int, ...]  # one per series, for the table
    coverage: YearCoverage

    @property
    def status(self) -> str:
        """Return 'complete', 'partial' or 'none' (no complete source covers the year)."""
        return self.coverage.status

    @property
    def text_y(self) -> float:
        """Return the baseline for the row's labels."""
        return self.y + BAR_HEIGHT - 3

    @property
    def bar_width(self) -> float:
        """Return the length of the whole bar."""
        return round(sum(s.width for s in self.segments), 2)

    @property
    def total_x(self) -> float:
        """Return where the total is written: just after the bar."""
        return LABEL_WIDTH + self.bar_width + 4


@dataclass(frozen=True)
class Series:
    """One part of a bar: its label and colour."""

    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class TypeCount:
    """How many of the chart's incidents have one type."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart of incidents per year, with the years no complete source covers marked."""

    id: str
    title: str
    description: str
    series: tuple[Series, ...]
    rows: tuple[Row, ...]
    types: tuple[TypeCount, ...]
    width: int
    height: int
    label_width: int
    bar_height: int

    @property
    def track_width(self) -> int:
        """Return the room a bar may take (the hatched band of a year not covered spans it)."""
        return self.width - self.label_width - COUNT_WIDTH

    @property
    def statuses(self) -> set[str]:
        """Return the coverage statuses the chart's rows have, for the notes under it."""
        return {row.status for row in self.rows}

    @property
    def sources(self) -> tuple:
        """Return the complete sources that reach into any of the chart's years, once each."""
        found = {s.key: s for row in self.rows for s in row.coverage.sources}
        return tuple(found.values())


def fatal_police_shooting(meta: dict) -> bool:
    """Return True when someone listed was killed and shot by police: the kind a complete source covers."""
    return any(p.get("outcome") == "killed" and p.get("shot_by") == "police" for p in meta.get("people") or [])


def chart_facts(incident: Incident) -> tuple[int, bool, tuple[str, ...]]:
    """Return what a chart reads from an incident: its year, whether it is a fatal police shooting, its types."""
    return incident.year, fatal_police_shooting(incident.meta), tuple(dict.fromkeys(incident.meta["types"]))


def year_type_chart(
    incidents: Iterable[Incident], config: Config, chart_id: str, subject: str, fragments: Fragments | None = None
) -> Chart | None:
    """Return the incidents-per-year chart for these incidents, or None when there are none.

    Kept as a memo for these very incidents (named by their files): a page made again after an
    edit that leaves every incident's chart facts as they were (a title) reuses it.
    """
    fragments = Fragments() if fragments is None else fragments
    incidents, named = members(fragments, incidents)  # once each, and their files' digest
    if not incidents:
        return None
    make = partial(_chart, incidents, config, chart_id, subject, fragments)
    return fragments.memo(f"year-chart:{chart_id}", (subject, named), make)


def _chart(incidents: list[Incident], config: Config, chart_id: str, subject: str, fragments: Fragments) -> Chart:
    facts = fragments.each("chart-facts", incidents, chart_facts)
    totals = Counter(year for year, _, _ in facts)
    parts = Counter((year, "fatal" if fatal else "other") for year, fatal, _ in facts)
    series = tuple(Series(key, label, PALETTE[n]) for n, (key, label) in enumerate(SERIES))
    # Every year from the first to the last recorded or covered, newest first: a year with none
    # recorded is a real zero when a complete source covers it, and marked "not covered" when not.
    covered = covered_years(config.coverage)
    first = min(min(totals), *(covered[:1] or [min(totals)]))
    last = max(max(totals), *(covered[-1:] or [max(totals)]))
    years = list(range(last, first - 1, -1))
    scale = (WIDTH - LABEL_WIDTH - COUNT_WIDTH) / max(totals.values())
    rows = []
    for n, year in enumerate(years):
        x = float(LABEL_WIDTH)
        segments = []
        for index, item in enumerate(series):
            count = parts[(year, item.key)]
            if count:
                width = round(count * scale, 2)
                segments.append(Segment(index, item.label, count, round(x, 2), width))
                x += width
        per_series = tuple(parts[(year, s.key)] for s in series)
        coverage = year_coverage(year, config.coverage)
        rows.append(Row(year, totals[year], TOP + n * ROW_HEIGHT, tuple(segments), per_series, coverage))
    type_counts = Counter(kind for _, _, kinds in facts for kind in kinds)
    order = list(config.vocab.get("incident_types", {}))
    kinds = [k for k in order if type_counts[k]] + sorted(k for k in type_counts if k not in order)
    types = tuple(TypeCount(k, config.label("incident_types", k), type_counts[k]) for k in kinds)
    total = len(incidents)
    span = str(first) if first == last else f"{first} to {last}"
    peak = max(totals, key=lambda y: (totals[y], y))
    gaps = [row.year for row in rows if row.status == "none"]
    description = (
        f"{total} incident{'s' if total != 1 else ''} {subject}, {span}, each counted once. "
        f"The most in one year: {totals[peak]}, in {peak}. "
        + (f"Not covered by a complete source: {_years_text(gaps)}. " if gaps else "")
        + "The numbers are in the table that follows."
    )
    return Chart(
        id=chart_id,
        title=f"Incidents per year, {span}",
        description=description,
        series=series,
        rows=tuple(rows),
        types=types,
        width=WIDTH,
        height=TOP * 2 + len(years) * ROW_HEIGHT,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
    )


def _years_text(years: list[int]) -> str:
    """Return years as '2023, 2024' with runs shortened: '2016 to 2018, 2024'."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in runs)
