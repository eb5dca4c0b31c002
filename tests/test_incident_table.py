"""The incidents table's counts, totals, pages and filter data, on generated inputs."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from kcrecord.engine.pipeline import Project, build
from kcrecord.outputs.columns import outcome_count
from kcrecord.outputs.incident_table import MEASURES, PAGE_SIZE, incident_counts, outcome_text
from tests.record_factory import generated_project

SEED = 14
ROLES = ("civilian", "officer", "official")
OUTCOMES = ("killed", "injured", "uninjured", "unknown")
TOPICS = ("How many people were injured", "How many officers fired", "Number of people killed", "Who fired first")


def random_meta(rng: random.Random) -> dict:
    people = [
        {"role": rng.choice(ROLES), "outcome": rng.choice(OUTCOMES)}
        | ({"shot_by": rng.choice(("police", "civilian"))} if rng.random() < 0.5 else {})
        for _ in range(rng.randrange(5))
    ]
    disputed = [{"topic": rng.choice(TOPICS)} for _ in range(rng.randrange(2))]
    return {"people": people, "disputed": disputed}


@pytest.mark.parametrize("seed", range(SEED, SEED + 3))
def test_counts_agree_with_the_downloads_and_are_open_only_when_unknowable(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(300):
        meta = random_meta(rng)
        counts = incident_counts(meta)
        people = meta["people"]
        assert counts["killed"] == outcome_count(meta, "killed"), (seed, meta)
        assert counts["injured"] == outcome_count(meta, "injured"), (seed, meta)
        topics = " ".join(entry["topic"] for entry in meta["disputed"])
        count_disputed = "injured" in topics or "killed" in topics
        unknown = any(p["outcome"] == "unknown" for p in people)
        officer_unknown = any(p["outcome"] == "unknown" and p["role"] == "officer" for p in people)
        assert (counts["missed"] is None) == (unknown or count_disputed), (seed, meta)
        assert (counts["officers"] is None) == (officer_unknown or count_disputed), (seed, meta)
        if counts["missed"] is not None:
            assert counts["missed"] == sum(1 for p in people if p["outcome"] == "uninjured" and "shot_by" in p)
        if counts["officers"] is not None:
            shot = [p for p in people if p["role"] == "officer" and p["outcome"] in ("killed", "injured")]
            assert counts["officers"] == sum(1 for p in shot if "shot_by" in p)
        text = outcome_text(counts)
        if counts["killed"]:
            assert f"{counts['killed']} killed" in text, (seed, meta)
        assert text.startswith("No one killed or injured") == (counts["killed"] == counts["injured"] == 0)
        assert text.count("disputed or not known") == sum(1 for c in counts.values() if c is None), (seed, meta)


@pytest.fixture(scope="module")
def paged_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the small site plus enough generated incidents for three pages of the table."""
    root = generated_project(tmp_path_factory.mktemp("paged") / "project", count=2 * PAGE_SIZE + 5)
    out = root / "site"
    build(Project(root, out))
    return out


def test_the_pages_list_every_incident_once_newest_first(paged_site: Path) -> None:
    with (paged_site / "data" / "incidents.csv").open(encoding="utf-8", newline="") as handle:
        incidents = list(csv.DictReader(handle))
    first = BeautifulSoup((paged_site / "incidents" / "index.html").read_text(encoding="utf-8"), "html.parser")
    pages = [a["href"] for a in first.select(".pager a")]
    assert pages == ["/record/incidents/", "/record/incidents/page/2/", "/record/incidents/page/3/"]
    slugs = []
    for href in pages:
        path = paged_site / href.removeprefix("/record/") / "index.html"
        page = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        rows = page.select("#incident-table tbody tr")
        assert 0 < len(rows) <= PAGE_SIZE, href
        slugs += [row.select_one("th a")["href"].split("/")[-2] for row in rows]
    assert slugs == [row["slug"] for row in reversed(incidents)]
    assert not {slug for slug in slugs if not slug[:4].isdigit()}  # /incidents/page/ is never an incident's address
    shown = {box["data-measure"]: box.strong.get_text() for box in first.select("#totals [data-measure]")}
    for key, column in (("killed", "people_killed"), ("injured", "people_injured")):
        known = sum(int(row[column] or 0) for row in incidents)
        if any(not row[column] for row in incidents):  # an open count: the known ones plus those listed
            assert shown[key].startswith("at least ") and int(shown[key].removeprefix("at least ")) >= known
        else:
            assert int(shown[key]) == known


def test_the_filter_data_holds_every_incident_with_its_counts(paged_site: Path) -> None:
    with (paged_site / "data" / "incidents.csv").open(encoding="utf-8", newline="") as handle:
        incidents = list(csv.DictReader(handle))
    data = json.loads((paged_site / "incidents" / "index.json").read_text(encoding="utf-8"))
    assert [row[0] for row in data["rows"]] == [row["slug"] for row in incidents]
    for row, wanted in zip(data["rows"], incidents, strict=True):
        assert row[1] == wanted["title"]
        assert data["texts"][row[2]] == f"{wanted['city']}, {wanted['state']}"
        counts = dict(zip(MEASURES, row[11], strict=True))
        assert counts["killed"] == (int(wanted["people_killed"]) if wanted["people_killed"] else None)
        assert counts["injured"] == (int(wanted["people_injured"]) if wanted["people_injured"] else None)
        assert row[7] == (1 if wanted["reviewed"] == "true" else 0)
