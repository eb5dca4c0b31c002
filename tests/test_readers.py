"""Readers' extras: downloads, feed, sitemap, robots.txt, sharing tags, JSON-LD, charts and place links."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from kcrecord.engine.pipeline import Project, build
from tests.golden import files_of

NASTY_TITLE = 'Officer says "stop" & fires </script><script>alert(1)</script> at =SUM(A1) car'
LOCATED_INCIDENT = """
    ---
    title: '{title}'
    summary: '-2 people were in the car; +1 more ran. @home'
    date: 2022-05-04
    location:
      near: Example Road and Route 9
      city: Example
      state: MO
      precision: intersection
      latitude: 39.0911
      longitude: -94.4155
    types: [shots-fired-at-vehicle, police-shooting]
    agencies:
      - {{id: example-pd, role: involved}}
      - {{id: example-prosecutor, role: reviewing}}
    people:
      - {{role: civilian, name: '=HYPERLINK("http://x")', outcome: killed, shot_by: police}}
    sources:
      - id: gazette-2022-05-05
        publisher: Example Gazette
        title: Officer shoots at car
        published: 2022-05-05
    timeline:
      - {{date: 2022-06-01, text: The prosecutor reviews the case., sources: [gazette-2022-05-05]}}
    corrections:
      - {{date: 2022-06-03, text: The street name was corrected.}}
    updated: 2022-05-10
    ---
    An officer fired at a car.[^gazette-2022-05-05]
    """
LOCATED_SLUG = "2022-05-04-located-example"


class _Head(HTMLParser):
    """Collect meta and link tags and the text of ld+json scripts from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.links: list[dict[str, str]] = []
        self.json_ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "meta" and ("property" in values or "name" in values):
            self.meta[values.get("property") or values["name"]] = values.get("content", "")
        elif tag == "link":
            self.links.append(values)
        elif tag == "script" and values.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.json_ld[-1] += data


def head_of(page: Path) -> _Head:
    """Parse a built page's sharing tags."""
    parser = _Head()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def read_csv(site: Path, name: str) -> list[dict[str, str]]:
    """Read a CSV download with the csv module."""
    with (site / "data" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def html_pages(site: Path) -> list[str]:
    """Return every built HTML page's path, relative to the site."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "pagefind" not in p.parts)


@pytest.fixture(scope="module")
def located_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the small site plus an incident with coordinates, a hostile title and formula-like text."""
    from tests.conftest import SMALL_SITE, copy_project

    root = copy_project(SMALL_SITE, tmp_path_factory.mktemp("located") / "project")
    path = root / "content" / "incidents" / f"{LOCATED_SLUG}.md"
    text = LOCATED_INCIDENT.format(title=NASTY_TITLE.replace("'", "''"))
    path.write_text("\n".join(line[4:] for line in text.strip("\n").split("\n")) + "\n", encoding="utf-8")
    out = root / "site"
    build(Project(root, out), commit="0123456789abcdef0123456789abcdef01234567")
    return out


def test_csv_downloads_agree_with_the_incidents(small_site: Path) -> None:
    record = json.loads((small_site / "data" / "incidents.json").read_text(encoding="utf-8"))
    incidents = read_csv(small_site, "incidents.csv")
    assert [row["slug"] for row in incidents] == [i["slug"] for i in record["incidents"]]
    assert len(incidents) == 2
    for row, item in zip(incidents, record["incidents"], strict=True):
        assert row["title"] == item["title"]
        assert row["date"] == item["date"]
        assert row["types"].split("; ") == item["types"]
        assert int(row["sources"]) == len(item["sources"])
        assert row["licence"] == "CC BY 4.0"
    people = read_csv(small_site, "people.csv")
    assert len(people) == sum(len(i.get("people", [])) for i in record["incidents"])
    shooting = [p for p in people if p["incident_slug"] == "2024-03-05-example-shooting"]
    assert [p["outcome"] for p in shooting] == ["injured", "uninjured"]
    assert [p["minor"] for p in shooting] == ["false", "true"]
    assert shooting[0]["armed"] == "knife"
    sources = read_csv(small_site, "sources.csv")
    assert [(s["incident_slug"], s["id"]) for s in sources] == [
        (i["slug"], s["id"]) for i in record["incidents"] for s in i["sources"]
    ]
    assert 'Man shot by police "was holding a knife" & other details' in [s["title"] for s in sources]
    agencies = read_csv(small_site, "agencies.csv")
    assert [a["id"] for a in agencies] == ["example-pd", "example-prosecutor"]
    assert agencies[0]["incidents"] == "2" and agencies[0]["incidents_involved"] == "2"


def test_whole_record_json_matches_each_incident_json(small_site: Path) -> None:
    record = json.loads((small_site / "data" / "incidents.json").read_text(encoding="utf-8"))
    assert record["commit"] == "unknown"
    assert record["licence"]["name"] == "CC BY 4.0"
    for item in record["incidents"]:
        own = json.loads((small_site / "incidents" / item["slug"] / "incident.json").read_text(encoding="utf-8"))
        assert item == own
    assert [a["id"] for a in record["agencies"]] == ["example-pd", "example-prosecutor"]


def test_geojson_has_only_located_incidents_longitude_first(located_site: Path) -> None:
    data = json.loads((located_site / "data" / "incidents.geojson").read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert data["metadata"]["commit"] == "0123456789abcdef0123456789abcdef01234567"
    assert [f["id"] for f in data["features"]] == [LOCATED_SLUG]
    assert data["features"][0]["geometry"] == {"type": "Point", "coordinates": [-94.4155, 39.0911]}
    assert data["features"][0]["properties"]["title"] == NASTY_TITLE


def test_csv_text_cannot_run_as_a_formula_but_numbers_stay_numbers(located_site: Path) -> None:
    row = next(r for r in read_csv(located_site, "incidents.csv") if r["slug"] == LOCATED_SLUG)
    assert row["summary"] == "'-2 people were in the car; +1 more ran. @home"
    assert row["longitude"] == "-94.4155" and row["latitude"] == "39.0911"
    assert float(row["longitude"]) == -94.4155
    person = next(r for r in read_csv(located_site, "people.csv") if r["incident_slug"] == LOCATED_SLUG)
    assert person["name"] == '\'=HYPERLINK("http://x")'
    for name in ("incidents.csv", "people.csv", "agencies.csv", "sources.csv"):
        for line in read_csv(located_site, name):
            for column, value in line.items():
                if column not in ("latitude", "longitude"):
                    assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, column, value)


def test_data_page_documents_every_column_with_licence_and_commit(located_site: Path) -> None:
    from kcrecord.outputs.downloads import TABLES

    page = (located_site / "data" / "index.html").read_text(encoding="utf-8")
    # A column name may hold <wbr> after its underscores, so that it breaks only there on a phone.
    documented = set(re.findall(r"<code>([^<]*)</code>", page.replace("_<wbr>", "_")))
    for table in TABLES:
        header = (located_site / "data" / table.filename).read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",") == [c.name for c in table.columns]
        for column in table.columns:
            assert column.name in documented, (table.filename, column.name)
        assert f'href="/record/data/{table.filename}"' in page
    assert "0123456789ab" in page and "https://creativecommons.org/licenses/by/4.0/" in page
    dataset = json.loads(head_of(located_site / "data" / "index.html").json_ld[0])
    assert dataset["@type"] == "Dataset"
    assert {d["contentUrl"].rsplit("/", 1)[1] for d in dataset["distribution"]} == {
        "incidents.csv",
        "people.csv",
        "agencies.csv",
        "sources.csv",
        "incidents.json",
        "incidents.geojson",
        "incidents.db",
    }


def test_feed_parses_cleanly_newest_change_first(located_site: Path) -> None:
    feed = feedparser.parse((located_site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.link.rsplit("/", 2)[1] for e in feed.entries] == [
        "2024-03-05-example-shooting",
        "2023-07-01-example-vehicle",
        LOCATED_SLUG,
    ]
    located = feed.entries[2]
    assert located.title == NASTY_TITLE
    assert located.updated.startswith("2022-06-03")  # the correction, later than `updated` and the timeline
    assert feed.feed.updated.startswith("2024-03-")


def test_every_page_links_the_feed_and_shares_its_title(small_site: Path) -> None:
    for rel in html_pages(small_site):
        head = head_of(small_site / rel)
        feeds = [link for link in head.links if link.get("type") == "application/atom+xml"]
        assert [link["href"] for link in feeds] == ["/record/feed.xml"], rel
        assert head.meta["og:title"] and head.meta["twitter:card"] == "summary", rel
        canonical = next(link["href"] for link in head.links if link.get("rel") == "canonical")
        assert head.meta["og:url"] == canonical, rel


def test_sitemap_lists_every_page_but_404_and_robots_points_to_it(located_site: Path) -> None:
    root = ET.parse(located_site / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    expected = [
        "https://example.org/record/" + (rel.removesuffix("index.html") if rel.endswith("index.html") else rel)
        for rel in html_pages(located_site)
        if rel != "404.html"
    ]
    assert sorted(locs) == sorted(expected)
    assert "https://example.org/record/search/" in locs and "https://example.org/record/data/" in locs
    assert "Sitemap: https://example.org/record/sitemap.xml" in (located_site / "robots.txt").read_text()


def test_hostile_title_keeps_the_page_and_json_ld_intact(located_site: Path) -> None:
    page = located_site / "incidents" / LOCATED_SLUG / "index.html"
    text = page.read_text(encoding="utf-8")
    assert "</script><script>alert(1)" not in text
    head = head_of(page)
    assert head.meta["og:title"].startswith(NASTY_TITLE)
    assert head.meta["og:type"] == "article"
    assert len(head.json_ld) == 1
    data = json.loads(head.json_ld[0])
    assert data["headline"] == NASTY_TITLE
    assert data["@type"] == "Article"
    assert data["about"]["location"]["geo"] == {"@type": "GeoCoordinates", "latitude": 39.0911, "longitude": -94.4155}
    assert "<" not in head.json_ld[0] and "&" not in head.json_ld[0]


def test_place_links_to_openstreetmap_only_with_coordinates(located_site: Path) -> None:
    located = (located_site / "incidents" / LOCATED_SLUG / "index.html").read_text(encoding="utf-8")
    assert 'href="https://www.openstreetmap.org/?mlat=39.0911&amp;mlon=-94.4155#map=16/39.0911/-94.4155"' in located
    other = (located_site / "incidents" / "2023-07-01-example-vehicle" / "index.html").read_text(encoding="utf-8")
    assert "openstreetmap.org" not in other


def test_charts_are_accessible_images_with_the_numbers_in_a_table(located_site: Path) -> None:
    home = (located_site / "index.html").read_text(encoding="utf-8")
    assert '<svg class="chart-svg" role="img" aria-labelledby="chart-years-title chart-years-desc"' in home
    assert '<title id="chart-years-title">Incidents per year, 2022 to 2024</title>' in home
    assert "3 incidents recorded, 2022 to 2024, each counted once." in home
    assert "Not covered by a complete source: 2024." in home
    rows = _table_rows(home, "chart-table")
    assert rows[0] == ["Year", "Incidents", "Fatal shootings complete?"]
    wapo = "WaPo data"
    assert rows[1:] == [
        ["2024", "1", "Not covered: no complete source for this year; only what curators added"],
        ["2023", "1", f"To June 30, 2023, by {wapo}"],
        ["2022", "1 (1 fatal)", f"Yes, by {wapo}"],
    ]
    # Types are counted apart from the bars: the 2022 incident has two types but is one incident.
    assert _table_rows(home, "chart-table chart-types")[1:] == [
        ["Police shooting", "2"],
        ["Shots fired at a vehicle", "2"],
    ]
    agency = (located_site / "agencies" / "example-prosecutor" / "index.html").read_text(encoding="utf-8")
    # A covered year with none recorded stays in the chart as a real zero rather than a gap.
    assert [row[:2] for row in _table_rows(agency, "chart-table")[1:]] == [
        ["2024", "1"],
        ["2023", "0"],
        ["2022", "1 (1 fatal)"],
    ]
    assert 'href="/record/timeline/2023/"' not in agency


def _table_rows(html: str, css_class: str) -> list[list[str]]:
    """Return the text of each row's cells in the first table with css_class."""

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[list[str]] = []
            self.inside = self.done = False
            self.cell: list[str] | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "table" and css_class == (dict(attrs).get("class") or "") and not self.done:
                self.inside = True
            elif self.inside and tag == "tr":
                self.rows.append([])
            elif self.inside and tag in ("td", "th"):
                self.cell = []

        def handle_endtag(self, tag: str) -> None:
            if tag == "table" and self.inside:
                self.inside, self.done = False, True
            elif self.inside and tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append("".join(self.cell).strip())
                self.cell = None

        def handle_data(self, data: str) -> None:
            if self.cell is not None:
                self.cell.append(data)

    parser = Rows()
    parser.feed(html)
    return [row for row in parser.rows if row]


def test_two_builds_are_identical_apart_from_the_search_filter_order(
    small_project: Path, write_file: Callable[[Path, str, str], Path]
) -> None:
    first, second = small_project / "one", small_project / "two"
    build(Project(small_project, first), commit="abc")
    build(Project(small_project, second), commit="abc")
    assert files_of(first) == files_of(second)
    searchable = {p.relative_to(first).as_posix() for p in (first / "pagefind").rglob("*")}
    assert "pagefind/pagefind-ui.js" in searchable
    # Pagefind's index and fragments are stable; its filter files list values in a random order.
    for rel in sorted(searchable):
        if rel.startswith(("pagefind/index/", "pagefind/fragment/")):
            assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_search_index_covers_incident_pages_only(small_site: Path) -> None:
    entry = json.loads((small_site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["en"]["page_count"] == 2
    page = (small_site / "incidents" / "2024-03-05-example-shooting" / "index.html").read_text(encoding="utf-8")
    assert page.count("data-pagefind-body") == 1
    # The search marks sit in one hidden element, each value once per incident (templates/_search_marks.html):
    # the example department is both involved and investigating, and is one agency value, not two.
    marks = page[page.index("<div hidden data-pagefind-ignore") :]
    marks = marks[: marks.index("</div>")]
    for name, value in (
        ("year", "2024"),
        ("agency", "Example Police Department"),
        ("agency", "Example County Prosecutor"),
        ("type", "Police shooting"),
        ("civilian", "Injured"),
        ("civilian", "Not injured"),
        ("officer", "No"),
    ):
        assert marks.count(f'data-pagefind-filter="{name}">{value}<') == 1, (name, value)
    assert marks.count("data-pagefind-filter=") == 7
    assert "data-pagefind-filter" not in page.replace(marks, "")
    assert 'data-pagefind-sort="date:2024-03-05"' in marks


def test_csv_cells_in_memory_round_trip() -> None:
    from kcrecord.outputs.downloads import safe_cell

    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell("=1+1", "text"), safe_cell(-94.5, "number"), safe_cell(["a", "b"], "list")])
    assert buffer.getvalue() == "'=1+1,-94.5,a; b\r\n"


def test_an_incident_licence_is_named_in_every_download_row() -> None:
    from kcrecord.outputs.discovery import licence_url_of

    assert licence_url_of("CC-BY-NC-SA-4.0") == "https://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert licence_url_of("CC-BY-4.0") == "https://creativecommons.org/licenses/by/4.0/"
    assert licence_url_of(None) is None


def test_imported_incidents_carry_their_own_licence_in_the_csv(real_site: Path) -> None:
    record = json.loads((real_site / "data" / "incidents.json").read_text(encoding="utf-8"))
    rows = {row["slug"]: row for row in read_csv(real_site, "incidents.csv")}
    assert set(rows) == {item["slug"] for item in record["incidents"]}
    for item in record["incidents"]:
        expected = "CC BY-NC-SA 4.0" if item.get("licence") == "CC-BY-NC-SA-4.0" else "CC BY 4.0"
        assert rows[item["slug"]]["licence"] == expected, item["slug"]
