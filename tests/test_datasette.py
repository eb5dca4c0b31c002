"""Datasette itself serves data/incidents.db with its metadata.json: a real server on loopback, real queries."""

from __future__ import annotations

import csv
import io
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from kcrecord.engine.pipeline import Project, build
from tests.record_factory import generated_project, marker

KILLED_PER_YEAR = """
select substr(incident_date, 1, 4) as year, count(*) as killed
from people where outcome = 'killed' group by year order by year
"""


def free_port() -> int:
    """Return a port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def datasette(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Build a generated site, serve its database with `datasette serve`; yield its URL and the site."""
    root = generated_project(tmp_path_factory.mktemp("datasette") / "project", 40, seed=7)
    site = root / "site"
    build(Project(root, site), search=False)
    port = free_port()
    command = [sys.executable, "-m", "datasette", "serve", "--immutable", str(site / "data" / "incidents.db")]
    command += ["--metadata", str(site / "data" / "metadata.json"), "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/-/versions.json", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"datasette did not start: {output}")
                time.sleep(0.2)
        yield url, site
    finally:
        server.terminate()
        server.wait(timeout=10)


def get_json(url: str, path: str, **params: str) -> object:
    """Return the JSON Datasette answers at path with the query params."""
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}{path}?{query}", timeout=30) as response:
        return json.load(response)


def csv_rows(site: Path, filename: str) -> list[dict[str, str]]:
    """Return the rows of a CSV download."""
    return list(csv.DictReader(io.StringIO((site / "data" / filename).read_text(encoding="utf-8"))))


def test_people_killed_per_year_in_datasette_equals_the_csvs(datasette: tuple[str, Path]) -> None:
    url, site = datasette
    rows = get_json(url, "/incidents.json", sql=KILLED_PER_YEAR, _shape="array")
    got = {row["year"]: row["killed"] for row in rows}  # type: ignore[index, union-attr]
    people = csv_rows(site, "people.csv")
    assert got == dict(Counter(row["incident_date"][:4] for row in people if row["outcome"] == "killed"))
    # incidents.csv counts the killed too, leaving the count empty where an outcome is unknown.
    counted = {row["slug"]: row for row in csv_rows(site, "incidents.csv") if row["people_killed"]}
    per_year: Counter[str] = Counter()
    for row in counted.values():
        per_year[row["date"][:4]] += int(row["people_killed"])
    killed_in_counted = Counter(
        row["incident_date"][:4] for row in people if row["outcome"] == "killed" and row["incident_slug"] in counted
    )
    assert +per_year == killed_in_counted and sum(per_year.values()) > 0
    assert len(got) >= 3 and sum(got.values()) > 5  # the generated record spreads deaths over years


def test_datasette_searches_the_narratives_and_follows_the_keys(datasette: tuple[str, Path]) -> None:
    url, _ = datasette
    found = get_json(url, "/incidents/incidents.json", _search=marker(3), _shape="array")
    assert [row["slug"].rsplit("-", 1)[1] for row in found] == ["3"]  # type: ignore[index, union-attr]
    people = get_json(url, "/incidents/people.json", _shape="objects", _labels="on", _size="1")
    first = people["rows"][0]  # type: ignore[index, call-overload]
    assert first["incident_slug"]["value"] and first["incident_slug"]["label"]  # a foreign key Datasette expands
    metadata = get_json(url, "/-/metadata.json")
    assert metadata["databases"]["incidents"]["tables"]["people"]["columns"]["outcome"]  # type: ignore[index]


def test_datasette_shows_each_column_description(datasette: tuple[str, Path]) -> None:
    url, site = datasette
    metadata = json.loads((site / "data" / "metadata.json").read_text(encoding="utf-8"))
    with urllib.request.urlopen(url + "/incidents/sources", timeout=30) as response:
        page = response.read().decode()
    for description in metadata["databases"]["incidents"]["tables"]["sources"]["columns"].values():
        assert json.dumps(description)[1:-1].replace("'", "&#39;") in page or description in page
    assert metadata["license"] in page
