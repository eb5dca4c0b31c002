"""The real site's charts in Chromium: each bar as long as its label says, and no uncovered year drawn as zero."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.standards import DESKTOP, PHONE, page_url

REPO = Path(__file__).resolve().parent.parent
CHART_PAGES = ("index.html", "agencies/kcpd/index.html")

# Read every chart row as drawn: its year, total, coverage, bars' on-screen widths and the label text.
READ_ROWS = """() => [...document.querySelectorAll('g.chart-row')].map(g => ({
    chart: g.closest('figure').id,
    year: Number(g.dataset.year),
    total: Number(g.dataset.total),
    coverage: g.dataset.coverage,
    bars: [...g.querySelectorAll('rect.chart-bar')].map(r => r.getBoundingClientRect().width),
    label: (g.querySelector('text.chart-total') || {textContent: null}).textContent,
    gap: (g.querySelector('text.chart-gap') || {textContent: null}).textContent,
    hatched: g.querySelector('rect.chart-uncovered') !== null,
}))"""


def covered_span() -> tuple[int, int]:
    """Return the first and last year the repository's complete sources reach into, from site.yaml."""
    coverage = yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))["coverage"]
    spans = [(entry["from"].year, entry["to"].year) for entry in coverage.values() if entry["complete"] != "none"]
    return min(a for a, _ in spans), max(b for _, b in spans)


@pytest.mark.parametrize("rel", CHART_PAGES)
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375px", "1280px"])
def test_bars_measure_their_labels_and_uncovered_years_are_not_zero(
    real_site: Path, real_site_url: str, tab: Any, rel: str, viewport: dict
) -> None:
    assert (real_site / rel).is_file(), rel
    tab.set_viewport_size(viewport)
    tab.goto(page_url(real_site_url, rel))
    rows = tab.evaluate(READ_ROWS)
    assert rows, f"{rel}: no chart"
    first, last = covered_span()
    per_unit = [sum(row["bars"]) / row["total"] for row in rows if row["total"]]
    for row in rows:
        where = f"{rel} {row['year']} at {viewport['width']} px"
        if row["total"]:
            # The bar is as long as the number beside it: the same length per incident on every row.
            assert abs(sum(row["bars"]) / row["total"] - per_unit[0]) <= 0.01 * per_unit[0] + 0.5, where
            assert row["label"].rstrip("*") == str(row["total"]), where
        else:
            assert row["bars"] == [], where
        if row["year"] > last or row["year"] < first:
            assert row["coverage"] == "none", where  # no complete source reaches this year
        if row["coverage"] == "none":
            assert row["hatched"], where
            if not row["total"]:
                assert row["label"] is None and row["gap"] == "not covered", where  # marked, never a zero
        else:
            assert not row["hatched"] and row["label"] is not None, where
    assert {row["year"] for row in rows} >= set(range(first, last + 1)), rel  # covered zeros stay in the chart


def test_the_timeline_marks_years_no_complete_source_covers(real_site: Path, real_site_url: str, tab: Any) -> None:
    tab.goto(page_url(real_site_url, "timeline/index.html"))
    first, last = covered_span()
    items = tab.evaluate("() => [...document.querySelectorAll('nav[aria-label=Years] li')].map(li => li.textContent)")
    years = {int(text.split()[0]): text for text in items}
    assert set(range(first, last + 1)) <= set(years)
    for year, text in years.items():
        if year > last or year < first:
            assert "not covered" in text, text
        elif first < year < last:
            assert "not covered" not in text and "partly covered" not in text, text
    for year in years:
        note = tab.locator(f"section[aria-labelledby=y{year}] .coverage-note").inner_text()
        assert note.startswith("Not covered") == (year > last or year < first), (year, note)
