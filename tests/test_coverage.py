"""Coverage: what each source covers, charts that never draw an uncovered year as zero, the review list."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.content.assemble import Config, Incident
from kcrecord.content.coverage import CoverageSource, covered_years, read_coverage, year_coverage
from kcrecord.content.load import load_content
from kcrecord.content.validate import validate
from kcrecord.outputs.charts import WIDTH, year_type_chart
from kcrecord.outputs.downloads import outcome_count
from kcrecord.outputs.review import report, waiting_records

WAPO = CoverageSource(
    "wapo", "WaPo", "fatal shootings", "fatal-police-shootings", dt.date(2015, 1, 1), dt.date(2022, 12, 23)
)
CURATED = CoverageSource("curated", "Curated", "what curators added", "none")

IMPORTED = """\
    ---
    title: Man shot and killed by police in Example
    summary: {summary}
    date: {date}
    location: {{city: Example, state: MO, precision: city}}
    types: [police-shooting]
    agencies:
      - {{id: example-pd, role: involved}}
    people:
      - {{role: civilian, outcome: killed, shot_by: police, threat_type: point, flee_status: car}}
    body_camera: true
    sources:
      - {{id: wapo-fatal-force, publisher: The Washington Post, title: Fatal Force, published: 2022-12-23}}
    updated: {updated}
    imported: {{source: wapo, id: {row}, dataset_version: 2022-12-23, reviewed: {reviewed}}}
    licence: CC-BY-NC-SA-4.0
    ---
    {body}[^wapo-fatal-force]
    """


IMPORT_VOCABULARIES = """\
  threat_types: {point: Pointed a weapon}
  flee_statuses: {car: Fleeing by car}
  licences: {CC-BY-NC-SA-4.0: CC BY-NC-SA 4.0 (Creative Commons Attribution-NonCommercial-ShareAlike 4.0)}
"""


def imported_file(write_file, root: Path, date: str, row: int, reviewed: bool = False, **fields: str):  # noqa: ANN001, ANN201
    """Write an imported incident into the project (adding the vocabularies imports use); return its path."""
    settings = root / "site.yaml"
    text = settings.read_text(encoding="utf-8")
    if "threat_types:" not in text:
        settings.write_text(
            text.replace("\nvocabularies:\n", "\nvocabularies:\n" + IMPORT_VOCABULARIES), encoding="utf-8"
        )
    values = {
        "summary": "A fatal police shooting; imported and not yet reviewed by a curator.",
        "body": "Imported and not yet reviewed by a curator.",
        "updated": "2022-12-23",
    }
    values.update(fields)
    text = IMPORTED.format(date=date, row=row, reviewed=str(reviewed).lower(), **values)
    return write_file(root, f"content/incidents/{date}-example-wapo-{row}.md", text)


def problems_of(root: Path) -> list[str]:
    """Return every validation problem of the project, as printed."""
    content, problems = load_content(root)
    return [str(p) for p in problems + validate(content)]


def set_coverage(root: Path, block: str) -> None:
    """Replace the coverage section of the project's site.yaml."""
    path = root / "site.yaml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"\ncoverage:\n(?:  .*\n|#.*\n)*", "\n" + block, text)
    path.write_text(text, encoding="utf-8")


def coverage_line(root: Path, key: str) -> int:
    """Return the line of site.yaml on which key (indented under coverage) appears."""
    lines = (root / "site.yaml").read_text(encoding="utf-8").split("\n")
    start = lines.index("coverage:")
    return next(n for n, line in enumerate(lines[start:], start + 1) if line.strip().startswith(key + ":"))


# -- the declaration in site.yaml -----------------------------------------------------------------


def test_the_fixture_and_the_real_site_declare_valid_coverage(small_project: Path) -> None:
    assert problems_of(small_project) == []
    real = read_coverage(__import__("yaml").safe_load(Path("site.yaml").read_text())["coverage"])
    wapo = {s.key: s for s in real}["wapo"]
    assert (wapo.start, wapo.complete) == (dt.date(2015, 1, 1), "fatal-police-shootings")
    assert wapo.end is not None and wapo.end.year == 2022
    assert {s.key: s for s in real}["curated"].complete == "none"


@pytest.mark.parametrize(
    ("block", "key", "expected"),
    [
        (
            "coverage:\n  wapo:\n    name: W\n    covers: all\n    complete: every-shooting\n"
            "    from: 2015-01-01\n    to: 2022-12-23\n  curated: {name: C, covers: some, complete: none}\n",
            "complete",
            "coverage.wapo.complete: expected one of: fatal-police-shootings, none, got 'every-shooting'",
        ),
        (
            "coverage:\n  wapo:\n    name: W\n    covers: all\n    complete: fatal-police-shootings\n"
            "    from: 2023-01-01\n    to: 2022-12-23\n  curated: {name: C, covers: some, complete: none}\n",
            "to",
            "coverage.wapo.to: expected a date on or after from (2023-01-01), got 2022-12-23",
        ),
        (
            "coverage:\n  wapo:\n    name: W\n    covers: all\n    complete: fatal-police-shootings\n"
            "    from: 2015-01-01\n    to: December 2022\n  curated: {name: C, covers: some, complete: none}\n",
            "to",
            "coverage.wapo.to: expected the date the source is complete to, as YYYY-MM-DD, got 'December 2022'",
        ),
        (
            "coverage:\n  wapo: {name: W, covers: all, complete: none}\n"
            "  curated:\n    name: C\n    covers: some\n    complete: none\n    from: 2015-01-01\n",
            "from",
            "coverage.curated.from: a source with 'complete: none' covers no span; leave out from and to",
        ),
        (
            "coverage:\n  wapo: {name: W, covers: all, complete: none}\n"
            "  curated: {name: C, covers: some, complete: none}\n  nytimes:\n    name: N\n",
            "nytimes",
            "coverage.nytimes: unknown source 'nytimes'; expected one of: curated, wapo",
        ),
        (
            "coverage:\n  wapo: {name: W, covers: all, complete: none}\n",
            "coverage",
            "coverage: source 'curated' is missing; say what it covers (see the wapo and curated entries)",
        ),
        (
            "coverage:\n  wapo: {name: W, covers: all, complete: none}\n"
            "  curated:\n    name: C\n    covers: ''\n    complete: none\n",
            "covers",
            "coverage.curated.covers: expected a sentence saying the source's covers, got ''",
        ),
    ],
)
def test_a_bad_coverage_entry_is_reported_with_its_line(
    small_project: Path, block: str, key: str, expected: str
) -> None:
    set_coverage(small_project, block)
    line = coverage_line(small_project, key) if key != "coverage" else coverage_line(small_project, "wapo") - 1
    assert problems_of(small_project) == [f"site.yaml:{line}: {expected}"]
    assert cli.main(["--root", str(small_project), "build"]) == 1
    assert not (small_project / "site").exists()


def test_an_imported_record_outside_its_source_span_is_an_error(small_project: Path, write_file) -> None:  # noqa: ANN001
    imported_file(write_file, small_project, "2023-08-01", 9001)
    line = coverage_line(small_project, "to")
    assert problems_of(small_project) == [
        f"site.yaml:{line}: coverage.wapo.to: content/incidents/2023-08-01-example-wapo-9001.md was imported from "
        "wapo but is dated 2023-08-01, outside 2022-01-01 to 2023-06-30; widen the span to the dataset's real "
        "first and last dates"
    ]


def test_a_missing_coverage_section_says_what_to_write(small_project: Path) -> None:
    set_coverage(small_project, "")
    assert problems_of(small_project) == [
        "site.yaml:1: coverage: expected a 'coverage:' section naming each source of records (curated, and each "
        "import source) with name, covers and complete; see the repository's site.yaml"
    ]


def test_year_coverage_agrees_with_the_span_for_generated_spans() -> None:
    seed = 1234
    rng = random.Random(seed)
    for _ in range(300):
        start = dt.date(2010, 1, 1) + dt.timedelta(days=rng.randrange(0, 5000))
        end = start + dt.timedelta(days=rng.randrange(0, 3000))
        source = CoverageSource("wapo", "W", "c", "fatal-police-shootings", start, end)
        for year in range(2008, 2030):
            status = year_coverage(year, (source, CURATED)).status
            whole = start <= dt.date(year, 1, 1) and end >= dt.date(year, 12, 31)
            touches = start <= dt.date(year, 12, 31) and end >= dt.date(year, 1, 1)
            expected = "complete" if whole else "partial" if touches else "none"
            assert status == expected, (seed, start, end, year)
        assert list(covered_years((source,))) == list(range(start.year, end.year + 1)), seed
    assert year_coverage(2016, (CURATED,)).status == "none"  # a source with no completeness claim covers nothing


def test_a_partly_covered_years_stretches_are_the_days_some_source_covers() -> None:
    """From a day, to a day, or in stretches (an outside check found a year covered from a day crashed the build)."""
    rng = random.Random(77)
    for _ in range(200):
        sources = []
        for number in range(rng.randrange(1, 4)):
            start = dt.date(2014, 1, 1) + dt.timedelta(days=rng.randrange(0, 1500))
            end = start + dt.timedelta(days=rng.randrange(0, 400))
            sources.append(CoverageSource(f"s{number}", "S", "c", "fatal-police-shootings", start, end))
        for year in range(2014, 2019):
            cover = year_coverage(year, tuple(sources))
            days = [
                dt.date(year, 1, 1) + dt.timedelta(days=n)
                for n in range((dt.date(year, 12, 31).toordinal() - dt.date(year, 1, 1).toordinal()) + 1)
            ]
            covered = {day for day in days if any(s.start <= day <= s.end for s in sources)}
            assert {day for day in days if any(a <= day <= b for a, b in cover.spans)} == covered
            assert all(
                b < c - dt.timedelta(days=1) for (_, b), (c, _) in zip(cover.spans, cover.spans[1:], strict=False)
            )
            assert cover.status == ("complete" if len(covered) == len(days) else "partial" if covered else "none")


def test_a_source_covering_from_a_day_in_a_year_builds_and_says_so(small_project: Path) -> None:
    site_yaml = small_project / "site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8").replace("from: 2022-01-01", "from: 2022-03-02"))
    assert cli.main(["--root", str(small_project), "build"]) == 0
    timeline = re.sub(r"\s+", " ", (small_project / "site" / "timeline" / "index.html").read_text())
    assert "complete here only from March 2, 2022 to December 31, 2022" in timeline
    home = re.sub(r"\s+", " ", (small_project / "site" / "index.html").read_text())
    assert "March 2, 2022 to December 31, 2022, by WaPo data" in home  # the chart's table
    year = (small_project / "site" / "timeline" / "2023" / "index.html").read_text()
    assert "complete here only to June 30, 2023" in re.sub(r"\s+", " ", year)


# -- the chart: a bar measures its label; a year not covered is never a zero ----------------------


def fake_incident(n: int, year: int, types: list[str], fatal: bool) -> Incident:
    people = [{"role": "civilian", "outcome": "killed" if fatal else "injured", "shot_by": "police"}]
    meta = {"date": dt.date(year, 6, 1), "types": types, "people": people}
    return Incident(f"{year}-06-01-x-{n}", meta, "", None)  # type: ignore[arg-type]


def config_with(*sources: CoverageSource) -> Config:
    vocab = {"incident_types": {"police-shooting": "Police shooting", "officer-shot": "Officer shot"}}
    return Config("t", "d", "u/", "/", "r", "main", "en", {}, vocab, tuple(sources))


def test_bars_are_proportional_to_their_totals_for_generated_incidents() -> None:
    kinds = ["police-shooting", "officer-shot"]
    for seed in range(40):
        rng = random.Random(seed)
        incidents = [
            fake_incident(n, rng.randrange(2012, 2026), rng.sample(kinds, rng.randrange(1, 3)), rng.random() < 0.6)
            for n in range(rng.randrange(1, 40))
        ]
        chart = year_type_chart(incidents, config_with(WAPO, CURATED), "c", "recorded")
        assert chart is not None
        totals = {row.year: row.total for row in chart.rows}
        assert sum(totals.values()) == len(incidents), seed  # each incident once, whatever its types
        widths = {row.year: row.bar_width for row in chart.rows if row.total}
        unit = max(widths.values()) / max(totals.values())
        for row in chart.rows:
            assert abs(row.bar_width - unit * row.total) < 0.05, (seed, row.year)
            assert sum(s.count for s in row.segments) == row.total, (seed, row.year)
            assert row.bar_width <= WIDTH, seed
            if row.year > 2022 or row.year < 2015:
                assert row.status == "none", (seed, row.year)
            elif row.year < 2022:
                assert row.status == "complete", (seed, row.year)
        years = [row.year for row in chart.rows]
        assert years == list(range(max(max(totals), 2022), min(min(totals), 2015) - 1, -1)), seed


def test_a_chart_with_no_complete_source_marks_every_year_not_covered() -> None:
    chart = year_type_chart([fake_incident(1, 2021, ["police-shooting"], True)], config_with(CURATED), "c", "x")
    assert chart is not None and [(r.year, r.status) for r in chart.rows] == [(2021, "none")]


def test_home_and_agency_svg_mark_uncovered_years_instead_of_zero(small_site: Path) -> None:
    home = (small_site / "index.html").read_text(encoding="utf-8")
    rows = re.findall(
        r'<g class="chart-row" data-year="(\d+)" data-total="(\d+)" data-coverage="(\w+)">(.*?)</g>', home, re.S
    )
    assert [(y, t, c) for y, t, c, _ in rows] == [
        ("2024", "1", "none"),
        ("2023", "1", "partial"),
        ("2022", "0", "complete"),
    ]
    body = {y: b for y, _, _, b in rows}
    assert "chart-uncovered" in body["2024"] and "chart-uncovered" not in body["2022"]
    assert '<text x="46" y="61" class="chart-total">0</text>' in body["2022"]  # covered: a real zero


# -- downloads true to the record -----------------------------------------------------------------


def test_a_count_is_blank_when_an_outcome_is_unknown_or_the_count_disputed() -> None:
    killed = {"outcome": "killed", "shot_by": "police"}
    assert outcome_count({"people": [killed, {"outcome": "injured"}]}, "injured") == 1
    assert outcome_count({"people": [killed, {"outcome": "unknown"}]}, "injured") is None
    assert outcome_count({"people": [killed, {"outcome": "unknown"}]}, "killed") is None
    disputed = {"people": [killed], "disputed": [{"topic": "How many people were injured"}]}
    assert outcome_count(disputed, "injured") is None and outcome_count(disputed, "killed") == 1
    other = {"people": [killed], "disputed": [{"topic": "What is known about how the child died"}]}
    assert outcome_count(other, "killed") == 1  # a dispute about how, not how many


def read_csv(site: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((site / "data" / name).read_text(encoding="utf-8"))))


def test_real_downloads_leave_disputed_and_unknowable_counts_blank(real_site: Path) -> None:
    rows = {row["slug"]: row for row in read_csv(real_site, "incidents.csv")}
    disputed = next(slug for slug in rows if slug.startswith("2024-02-29-"))
    unknown = next(slug for slug in rows if slug.startswith("2021-11-15-"))
    assert rows[disputed]["people_injured"] == ""
    assert rows[unknown]["people_injured"] == "" and rows[unknown]["people_killed"] == ""
    imported = [row for row in rows.values() if row["record_source"] == "wapo"]
    assert imported and all(row["people_killed"] not in ("", "0") for row in imported)


def test_imported_fields_are_in_the_csvs_and_the_dictionary(small_project: Path, write_file) -> None:  # noqa: ANN001
    imported_file(write_file, small_project, "2022-04-02", 9002)
    assert cli.main(["--root", str(small_project), "build"]) == 0
    site = small_project / "site"
    incident = next(r for r in read_csv(site, "incidents.csv") if r["slug"].endswith("wapo-9002"))
    assert (incident["body_camera"], incident["record_source"], incident["reviewed"]) == ("true", "wapo", "false")
    person = next(r for r in read_csv(site, "people.csv") if r["incident_slug"].endswith("wapo-9002"))
    assert (person["threat_type"], person["flee_status"]) == ("point", "car")
    page = (site / "data" / "index.html").read_text(encoding="utf-8")
    for column in ("body_camera", "threat_type", "flee_status", "record_source", "reviewed"):
        assert f"<code>{column}</code>" in page.replace("<wbr>", ""), column  # names break only after "_"


def test_mixed_licences_are_named_per_record_and_overall(small_project: Path, write_file) -> None:  # noqa: ANN001
    imported_file(write_file, small_project, "2022-04-02", 9003)
    assert cli.main(["--root", str(small_project), "build"]) == 0
    site = small_project / "site"
    record = json.loads((site / "data" / "incidents.json").read_text(encoding="utf-8"))
    assert record["licence"]["name"] == "Mixed: CC BY 4.0 and CC BY-NC-SA 4.0"
    assert [(e["name"], e["incidents"], e["record_sources"]) for e in record["licences"]] == [
        ("CC BY 4.0", 2, ["curated"]),
        ("CC BY-NC-SA 4.0", 1, ["wapo"]),
    ]
    page = (site / "data" / "index.html").read_text(encoding="utf-8")
    ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert ld["license"] == [
        "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        "https://creativecommons.org/licenses/by/4.0/",
    ]
    assert 'href="https://creativecommons.org/licenses/by-nc-sa/4.0/" rel="license"' in page


# -- reviewing imported records -------------------------------------------------------------------


def test_review_lists_unreviewed_records_longest_waiting_first(small_project: Path, write_file, capsys) -> None:  # noqa: ANN001
    imported_file(write_file, small_project, "2022-03-01", 9101, updated="2022-12-23")
    imported_file(write_file, small_project, "2022-09-01", 9102, updated="2022-12-20")
    done = "A man was shot and killed by police, the Example Gazette reported."
    imported_file(write_file, small_project, "2022-05-01", 9103, reviewed=True, summary=done, body=done)
    records = waiting_records(small_project)
    assert [r.rel.rsplit("-", 1)[1] for r in records] == ["9102.md", "9101.md"]  # waiting since Dec 20, then Dec 23
    text = report(records, dt.date(2023, 1, 2))
    assert text.splitlines()[0] == "2 imported records waiting for review, longest waiting first:"
    assert text.splitlines()[1] == (
        "content/incidents/2022-09-01-example-wapo-9102.md  2022-09-01  Man shot and killed by police in Example  "
        "(unchanged since 2022-12-20, 13 days ago)"
    )
    assert report(records[:1], dt.date(2022, 12, 20)).splitlines()[1].endswith("(unchanged since 2022-12-20, today)")
    assert cli.main(["--root", str(small_project), "review"]) == 0
    assert "9103" not in capsys.readouterr().out

    assert cli.main(["--root", str(small_project), "build"]) == 0
    site = small_project / "site"
    listed = re.findall(r'href="/record/incidents/([^/]+)/"', (site / "review" / "index.html").read_text())
    assert listed == ["2022-09-01-example-wapo-9102", "2022-03-01-example-wapo-9101"]
    reviewed = (site / "incidents" / "2022-05-01-example-wapo-9103" / "index.html").read_text(encoding="utf-8")
    waiting = (site / "incidents" / "2022-03-01-example-wapo-9101" / "index.html").read_text(encoding="utf-8")
    assert "not yet reviewed" not in reviewed and "not yet reviewed" in waiting
    home = (site / "index.html").read_text(encoding="utf-8")
    assert ">2 not yet reviewed</a>" in home and "<strong>3 incidents</strong> imported from" in home


def test_a_reviewed_record_that_still_says_not_reviewed_is_an_error(small_project: Path, write_file) -> None:  # noqa: ANN001
    imported_file(write_file, small_project, "2022-05-01", 9104, reviewed=True)
    rel = "content/incidents/2022-05-01-example-wapo-9104.md"
    assert problems_of(small_project) == [
        f"{rel}:3: summary: imported.reviewed is true but the summary still says it is not yet reviewed; "
        "write the summary in your own words from the sources you checked",
        f"{rel}:18: body: imported.reviewed is true but the text still says it is not yet reviewed; "
        "replace the importer's text with an account in your own words",
    ]
