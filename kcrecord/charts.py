"""Chart data for the build-time SVG charts: incidents per year, stacked by type.

This module only computes numbers and positions; templates/_chart.html draws them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from .assemble import Config, Incident
from .fragments import Fragments

# Fill colours for the series, in order; each differs from its neighbours in lightness too,
# so the bars stay apart in greyscale, and each has at least 3:1 contrast with white.
PALETTE = ("#1f5f8b", "#c0571b", "#2e7d32", "#7b3fa0", "#8a6d00", "#b0265b", "#4e5d6c", "#00727a")
WIDTH = 340  # viewBox units; the SVG scales to its container (about 1 unit to 1 px on a phone)
LABEL_WIDTH = 42  # room for the year on the left
COUNT_WIDTH = 40  # room for the total on the right
ROW_HEIGHT = 22
BAR_HEIGHT = 16
TOP = 4


@dataclass(frozen=True)
class Segment:
    """One type's part of a year's bar."""

    series: int
    label: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class Row:
    """One year: its bar segments, total and vertical position."""

    year: int
    total: int
    y: float
    segments: tuple[Segment, ...]
    counts: tuple[int, ...]  # one per series, for the table

    @property
    def text_y(self) -> float:
        """Return the baseline for the row's labels."""
        return self.y + BAR_HEIGHT - 3

    @property
    def total_x(self) -> float:
        """Return where the total is written: just after the bar."""
        return LABEL_WIDTH + sum(s.width for s in self.segments) + 4


@dataclass(frozen=True)
class Series:
    """One incident type: its label and colour."""

    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Chart:
    """A horizontal stacked bar chart of incidents per year by type."""

    id: str
    title: str
    description: str
    series: tuple[Series, ...]
    rows: tuple[Row, ...]
    width: int
    height: int
    label_width: int
    bar_height: int


def year_types(incident: Incident) -> tuple[tuple[int, str], ...]:
    """Return (year, type) for each of the incident's types, once each."""
    return tuple((incident.year, kind) for kind in dict.fromkeys(incident.meta["types"]))


def year_type_chart(
    incidents: Iterable[Incident], config: Config, chart_id: str, subject: str, fragments: Fragments | None = None
) -> Chart | None:
    """Return the incidents-per-year-by-type chart for these incidents, or None when there are none."""
    incidents = list({incident.slug: incident for incident in incidents}.values())  # once each
    if not incidents:
        return None
    totals = Counter(incident.year for incident in incidents)
    fragments = Fragments() if fragments is None else fragments
    counts = Counter(chain.from_iterable(fragments.each("year-types", incidents, year_types)))
    kinds = list(config.vocab.get("incident_types", {}))
    kinds = [k for k in kinds if any(key[1] == k for key in counts)] + sorted({k for _, k in counts if k not in kinds})
    series = tuple(
        Series(kind, config.label("incident_types", kind), PALETTE[n % len(PALETTE)]) for n, kind in enumerate(kinds)
    )
    # Every year in the span, so a year with none recorded shows as an empty bar, not a gap.
    years = list(range(max(totals), min(totals) - 1, -1))
    # An incident can have several types, so a bar is as long as its type counts added up.
    longest = max(sum(counts[(year, s.key)] for s in series) for year in totals)
    scale = (WIDTH - LABEL_WIDTH - COUNT_WIDTH) / longest
    rows = []
    for n, year in enumerate(years):
        x = float(LABEL_WIDTH)
        segments = []
        for index, item in enumerate(series):
            count = counts[(year, item.key)]
            if count:
                width = round(count * scale, 2)
                segments.append(Segment(index, item.label, count, round(x, 2), width))
                x += width
        per_series = tuple(counts[(year, s.key)] for s in series)
        rows.append(Row(year, totals[year], TOP + n * ROW_HEIGHT, tuple(segments), per_series))
    total = sum(totals.values())
    first, last = years[-1], years[0]
    span = str(first) if first == last else f"{first} to {last}"
    peak = max(years, key=lambda y: (totals[y], y))
    description = (
        f"{total} incident{'s' if total != 1 else ''} {subject}, {span}. "
        f"The most in one year: {totals[peak]}, in {peak}. "
        "Bars are split by incident type; an incident can have more than one type. "
        "The numbers are in the table that follows."
    )
    return Chart(
        id=chart_id,
        title=f"Incidents per year by type, {span}",
        description=description,
        series=series,
        rows=tuple(rows),
        width=WIDTH,
        height=TOP * 2 + len(years) * ROW_HEIGHT,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
    )
