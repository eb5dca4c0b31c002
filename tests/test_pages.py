"""Structural checks of built pages: parse the HTML and select, don't match long substrings."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

INCIDENT = "incidents/2024-03-05-example-shooting/"


def soup(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def texts(elements) -> list[str]:
    return [" ".join(e.get_text().split()) for e in elements]


def test_incident_page_sections(small_site: Path) -> None:
    page = soup(small_site, INCIDENT + "index.html")
    assert texts(page.select("main h1")) == ["Officer fires at man holding a knife outside a store"]
    assert texts(page.select("main h2")) == [
        "Facts",
        "Still unknown",
        "What happened",
        "Timeline",
        "Where sources disagree",
        "Sources",
        "Corrections",
    ]
    facts = dict(zip(texts(page.select(".facts dt")), page.select(".facts dd"), strict=True))
    assert list(facts) == ["Date", "Time", "Place", "Type", "Agencies", "People", "Officers who fired", "Investigation"]
    assert facts["Date"].select_one("time")["datetime"] == "2024-03-05"
    assert "Inferred:" in facts["Date"].select_one(".inferred").get_text()
    assert texts(facts["Agencies"].select("li")) == [
        "Example Police Department: involved",
        "Example Police Department: investigating",
        "Example County Prosecutor: reviewing",
    ]


def test_a_call_time_is_labelled_and_never_shown_as_the_incidents_time(small_site: Path) -> None:
    # The fixture's time is when officers were called (time_of: call).
    page = soup(small_site, INCIDENT + "index.html")
    facts = dict(zip(texts(page.select(".facts dt")), texts(page.select(".facts dd")), strict=True))
    assert facts["Time"] == "Officers called: about 1:50 p.m."
    assert "1:50" not in facts["Date"]
    listed = [li for li in soup(small_site, "timeline/index.html").select(".incident-list li") if INCIDENT in str(li)]
    assert len(listed) == 1
    assert "2024" in texts(listed[0].select(".meta"))[0]
    assert "1:50" not in texts(listed[0].select(".meta"))[0]
    data = json.loads(page.select_one('script[type="application/ld+json"]').string)
    assert data["about"]["startDate"] == "2024-03-05"


def test_citations_are_numbered_and_link_to_sources(small_site: Path) -> None:
    page = soup(small_site, INCIDENT + "index.html")
    refs = page.select(".narrative a.cite")
    assert texts(refs) == ["[1]", "[2]", "[1]"]
    assert [a["href"] for a in refs] == ["#source-1", "#source-2", "#source-1"]
    assert not page.select(".footnote, .footnote-ref, .footnote-backref")  # one list of sources, no footnotes
    entries = page.select("ol.sources > li")
    assert [li["id"] for li in entries] == ["source-1", "source-2"]
    # Each entry says where it is cited, linking back to those sections, and never shows its id.
    assert [[a["href"] for a in li.select(".cited-in a")] for li in entries] == [
        ["#narrative", "#timeline", "#disputed"],
        ["#narrative", "#disputed"],
    ]
    assert texts(entries[0].select(".cited-in")) == ["Cited in: What happened, Timeline, Where sources disagree."]
    for raw in ("gazette-2024-03-06", "unnamed-2024-03-07"):
        assert raw not in page.select_one("main").get_text()
        assert not page.select(f'[title*="{raw}"], [href*="{raw}"]')


def test_source_without_outlet_says_so(small_site: Path) -> None:
    page = soup(small_site, INCIDENT + "index.html")
    second = page.select("ol.sources > li")[1]
    assert second.select_one("em").get_text() == "Outlet not identified"


def test_disputed_claims_side_by_side_with_sources(small_site: Path) -> None:
    page = soup(small_site, INCIDENT + "index.html")
    dispute = page.select_one(".dispute")
    assert dispute.select_one("h3").get_text() == "How many shots were fired"
    claims = dispute.select(".claims > li")
    assert [[a["href"] for a in c.select("a.cite")] for c in claims] == [["#source-1"], ["#source-2"]]


def test_provenance_links(small_site: Path) -> None:
    page = soup(small_site, INCIDENT + "index.html")
    links = {a.get_text(): a["href"] for a in page.select(".provenance a")}
    rel = "content/incidents/2024-03-05-example-shooting.md"
    assert links["Suggest a correction"] == f"https://github.com/example/record/edit/main/{rel}"
    assert links["View source file"] == f"https://github.com/example/record/blob/main/{rel}"
    assert links["Data as JSON"] == "/record/" + INCIDENT + "incident.json"
    data = json.loads((small_site / INCIDENT / "incident.json").read_text())
    assert data["slug"] == "2024-03-05-example-shooting"
    assert data["date"] == "2024-03-05"
    assert data["people"][1] == {
        "role": "civilian",
        "description": "child who was nearby",
        "minor": True,
        "outcome": "uninjured",
    }


def test_timeline_groups_by_year_newest_first(small_site: Path) -> None:
    page = soup(small_site, "timeline/index.html")
    # 2022 has no incident but a complete source covers it (the fixture's coverage): a real, stated zero.
    assert texts(page.select("main section h2")) == ["2024", "2023", "2022"]
    assert "No incident recorded" in page.select("main section")[2].get_text()
    year = soup(small_site, "timeline/2023/index.html")
    assert [a["href"] for a in year.select(".incident-list a")] == ["/record/incidents/2023-07-01-example-vehicle/"]


def test_agency_page_groups_incidents_by_role(small_site: Path) -> None:
    page = soup(small_site, "agencies/example-pd/index.html")
    sections = {s.select_one("h2").get_text(): s for s in page.select('main section[aria-labelledby^="role-"]')}
    assert list(sections) == ["Involved (2)", "Investigating (1)", "Reviewing (0)", "Assisting (0)"]
    involved = [a["href"] for a in sections["Involved (2)"].select(".incident-list a")]
    assert involved == [
        "/record/incidents/2023-07-01-example-vehicle/",
        "/record/incidents/2024-03-05-example-shooting/",
    ]


def test_draft_incidents_are_not_published(small_project: Path, write_file) -> None:
    from kcrecord.engine.pipeline import Project, build

    text = (small_project / "content/incidents/2023-07-01-example-vehicle.md").read_text()
    write_file(
        small_project, "content/incidents/2023-07-01-draft.md", text.replace("updated:", "draft: true\nupdated:")
    )
    site = build(Project(small_project, small_project / "site")).site
    assert [i.slug for i in site.incidents] == ["2023-07-01-example-vehicle", "2024-03-05-example-shooting"]
    assert not (small_project / "site/incidents/2023-07-01-draft").exists()


def test_every_page_has_one_h1_lang_and_title(small_site: Path) -> None:
    for path in sorted(small_site.rglob("*.html")):
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        assert page.html["lang"] == "en", path
        assert len(page.select("h1")) == 1, path
        assert page.title.get_text().strip(), path


def test_sub_path_links_use_the_base_path(small_site: Path) -> None:
    page = soup(small_site, "index.html")
    internal = [a["href"] for a in page.select("a[href]") if not a["href"].startswith(("http", "#", "mailto:"))]
    assert internal and all(href.startswith("/record/") for href in internal)
    assert page.select_one('link[rel="stylesheet"]')["href"] == "/record/static/style.css"


def test_real_incident_times_say_what_they_are_the_time_of(real_site: Path) -> None:
    labels = yaml.safe_load((Path(__file__).resolve().parent.parent / "site.yaml").read_text())["vocabularies"][
        "time_of"
    ]
    timed = 0
    for data_file in sorted((real_site / "incidents").glob("*/incident.json")):
        meta = json.loads(data_file.read_text())
        if not meta.get("time"):
            continue
        timed += 1
        page = soup(real_site, data_file.parent.relative_to(real_site).as_posix() + "/index.html")
        facts = dict(zip(texts(page.select(".facts dt")), texts(page.select(".facts dd")), strict=True))
        assert facts["Time"].startswith(labels[meta["time_of"]] + ": "), data_file
        assert "m." not in facts["Date"].split("Inferred:")[0], data_file
        year_page = soup(real_site, f"timeline/{meta['date'][:4]}/index.html")
        slug = data_file.parent.name
        item = next(li for li in year_page.select(".incident-list li") if f"/incidents/{slug}/" in str(li.a))
        shown = texts(item.select(".meta"))[0]
        assert ("m." in shown) == (meta["time_of"] == "shooting"), (slug, shown)
    assert timed >= 2
