"""What each incident page gives the search index (templates/_search_marks.html), checked on every real page.

Pagefind counts every copy of a filter value on a page, so a value written once per person or per role
makes a count of people, not incidents. Each page must carry each value once, and the values must say what
the record says: worked out here from data/incidents.json and site.yaml, independently of the template.
"""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import yaml

from tests.conftest import REPO


class Marks(HTMLParser):
    """Collect (filter, value) pairs, meta values and the sort key of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.filters: list[tuple[str, str]] = []
        self.meta: dict[str, str] = {}
        self.sort: list[str] = []
        self._open: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-pagefind-sort"):
            self.sort.append(found["data-pagefind-sort"] or "")
        for kind in ("filter", "meta"):
            name = found.get(f"data-pagefind-{kind}")
            if name:
                self._open = (kind, name)

    def handle_data(self, data: str) -> None:
        if self._open:
            kind, name = self._open
            if kind == "filter":
                self.filters.append((name, data))
            else:
                self.meta[name] = data
            self._open = None


def page_marks(site: Path, slug: str) -> Marks:
    marks = Marks()
    marks.feed((site / "incidents" / slug / "index.html").read_text(encoding="utf-8"))
    return marks


def expected(incident: dict, vocab: dict, agency_names: dict[str, str]) -> list[tuple[str, str]]:
    """Return the filter values the record gives an incident, each once."""
    people = incident.get("people") or []
    officers = [p for p in people if p["role"] == "officer"]
    if any(p["outcome"] in ("killed", "injured") and p.get("shot_by") for p in officers):
        officer = "Yes"
    elif any(p["outcome"] == "unknown" for p in officers):
        officer = "Not known"
    else:
        officer = "No"
    values = [("year", incident["date"][:4])]
    values += [("agency", name) for name in dict.fromkeys(agency_names[a["id"]] for a in incident["agencies"])]
    values += [("type", vocab["incident_types"][kind]) for kind in dict.fromkeys(incident["types"])]
    outcomes = dict.fromkeys(p["outcome"] for p in people if p["role"] != "officer")
    values += [("civilian", vocab["outcomes"][outcome]) for outcome in outcomes]
    return values + [("officer", officer)]


def agency_filter_names(site: Path) -> dict[str, str]:
    """Agency names as the filter shows them: a name two agencies share gets the state."""
    with (site / "data" / "agencies.csv").open(encoding="utf-8", newline="") as handle:
        agencies = list(csv.DictReader(handle))
    names = [row["name"] for row in agencies]
    return {
        row["id"]: row["name"] + (f", {row['state']}" if names.count(row["name"]) > 1 and row["state"] else "")
        for row in agencies
    }


def test_every_incident_page_gives_each_value_once_as_the_record_says(real_site: Path) -> None:
    vocab = yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))["vocabularies"]
    incidents = json.loads((real_site / "data" / "incidents.json").read_text(encoding="utf-8"))["incidents"]
    names = agency_filter_names(real_site)
    assert len(incidents) > 50
    shared = 0
    for incident in incidents:
        marks = page_marks(real_site, incident["slug"])
        want = expected(incident, vocab, names)
        assert sorted(marks.filters) == sorted(want), incident["slug"]
        assert len(set(marks.filters)) == len(marks.filters), incident["slug"]
        assert marks.sort == [f"date:{incident['date']}"], incident["slug"]
        location = incident["location"]
        assert marks.meta["place"] == f"{location['city']}, {location['state']}", incident["slug"]
        shared += len([p for p in incident.get("people") or [] if p["role"] != "officer"]) > len(
            [value for name, value in want if name == "civilian"]
        )
    # The claim is tested where it matters: some incident lists two people with the same outcome.
    assert shared > 0
