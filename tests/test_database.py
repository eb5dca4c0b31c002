"""data/incidents.db and data/metadata.json: related tables that agree with the CSVs, searchable, reproducible."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from kcrecord.engine.pipeline import Project, build
from kcrecord.outputs.csv_tables import TABLES
from kcrecord.outputs.database import FTS_COLUMNS, FTS_TABLE, PAGE_SIZE, describe, index_text
from kcrecord.outputs.downloads import safe_cell
from kcrecord.outputs.tables import EXTRA_COLUMNS, EXTRA_TABLES, db_tables
from tests.conftest import REPO
from tests.record_factory import generated_project, marker

COUNT = 30


@pytest.fixture(scope="module")
def generated_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the small site plus generated incidents once; return its output folder."""
    root = generated_project(tmp_path_factory.mktemp("db") / "project", COUNT)
    build(Project(root, root / "site"), search=False)
    return root / "site"


def connect(site: Path) -> sqlite3.Connection:
    """Open the site's database read-only."""
    return sqlite3.connect(f"file:{site / 'data' / 'incidents.db'}?mode=ro", uri=True)


def csv_rows(site: Path, filename: str) -> list[dict[str, str]]:
    """Return the rows of a CSV download."""
    return list(csv.DictReader(io.StringIO((site / "data" / filename).read_text(encoding="utf-8"))))


def as_csv_cell(value: object, kind: str) -> str:
    """Return a database value as the CSV writes the same value."""
    if kind == "list":
        value = json.loads(str(value))
    elif kind == "bool":
        value = bool(value)
    return str(safe_cell(value, kind))


def test_every_csv_row_is_in_its_table_with_the_same_values(generated_site: Path) -> None:
    with connect(generated_site) as db:
        for table in TABLES:
            name = table.filename.removesuffix(".csv")
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            stored = db.execute(f'SELECT {columns} FROM "{name}" ORDER BY rowid').fetchall()
            expected = [[row[c.name] for c in table.columns] for row in csv_rows(generated_site, table.filename)]
            got = [[as_csv_cell(v, c.kind) for v, c in zip(row, table.columns, strict=True)] for row in stored]
            assert got == expected, table.filename


def test_tables_have_their_keys_and_every_reference_resolves(generated_site: Path) -> None:
    with connect(generated_site) as db:
        assert db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        for table in db_tables():
            info = db.execute(f'PRAGMA table_info("{table.name}")').fetchall()
            assert [row[1] for row in info] == [c.name for c in table.columns]
            primary = sorted((row[5], row[1]) for row in info if row[5])
            assert tuple(name for _, name in primary) == table.keys.primary, table.name
            foreign = {(row[2], row[3], row[4]) for row in db.execute(f'PRAGMA foreign_key_list("{table.name}")')}
            expected = {
                (fk.table, c, r) for fk in table.keys.foreign for c, r in zip(fk.columns, fk.references, strict=True)
            }
            assert foreign == expected, table.name
        joined = db.execute(
            "SELECT count(*) FROM incident_agencies JOIN agencies ON agencies.id = agency_id "
            "JOIN incidents ON incidents.slug = incident_slug"
        ).fetchone()[0]
        assert joined == db.execute("SELECT count(*) FROM incident_agencies").fetchone()[0] > COUNT


def test_related_tables_hold_each_incidents_entries(generated_site: Path) -> None:
    incidents = json.loads((generated_site / "data" / "incidents.json").read_text(encoding="utf-8"))["incidents"]
    with connect(generated_site) as db:
        for key, table in (("timeline", "timeline"), ("corrections", "corrections")):
            counts = Counter(slug for (slug,) in db.execute(f'SELECT incident_slug FROM "{table}"'))
            assert counts == Counter({i["slug"]: len(i[key]) for i in incidents if i.get(key)}), table
        claims = db.execute("SELECT incident_slug, topic, text FROM disputed_claims ORDER BY rowid").fetchall()
        expected = [
            (i["slug"], point["topic"], claim["text"])
            for i in incidents
            for point in i.get("disputed") or []
            for claim in point["claims"]
        ]
        assert claims == expected and len(claims) > 2
        roles = db.execute("SELECT incident_slug, agency_id, role FROM incident_agencies ORDER BY rowid").fetchall()
        expected_roles = [(i["slug"], a["id"], a["role"]) for i in incidents for a in i["agencies"]]
        assert sorted(roles) == sorted(set(expected_roles))
        licences = {row[0] for t in db_tables() for row in db.execute(f'SELECT DISTINCT licence FROM "{t.name}"')}
        assert licences == {"CC BY 4.0"}


def test_full_text_search_finds_each_narrative_title_and_summary(generated_site: Path) -> None:
    with connect(generated_site) as db:

        def search(query: str) -> list[str]:
            sql = f"SELECT slug FROM incidents WHERE rowid IN (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?)"
            return [slug for (slug,) in db.execute(sql, (query,))]

        for n in range(COUNT):
            found = search(marker(n))  # a word only incident n's narrative has
            assert len(found) == 1 and found[0].endswith(f"-generated-{n}"), (n, found)
        assert search("title:knife") == ["2024-03-05-example-shooting"]
        assert len(search('summary:"generated incident"')) == COUNT
        assert search("kcmark9999") == []


def _index_segments(db: sqlite3.Connection) -> int:
    db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('integrity-check')")  # raises when it is damaged
    return db.execute(f"SELECT count(DISTINCT segid) FROM {FTS_TABLE}_idx").fetchone()[0]


def test_the_text_index_is_whole_and_one_segment(generated_site: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes((generated_site / "data" / "incidents.db").read_bytes())
    with sqlite3.connect(copy) as db:
        assert _index_segments(db) == 1


class _WithoutHashSize:
    """A connection as an SQLite without FTS5's hashsize setting answers it."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if "hashsize" in sql:
            raise sqlite3.OperationalError("SQL logic error")
        return self.connection.execute(sql, *args)


def test_without_the_hashsize_setting_the_index_is_merged(generated_site: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_bytes((generated_site / "data" / "incidents.db").read_bytes())
    with sqlite3.connect(copy) as db:
        db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('automerge', 0)")  # segments left unmerged
        db.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('delete-all')")
        columns = ", ".join(FTS_COLUMNS)
        for (rowid,) in db.execute("SELECT rowid FROM incidents").fetchall():  # one segment for each committed row
            db.execute(
                f"INSERT INTO {FTS_TABLE} (rowid, {columns}) SELECT rowid, {columns} FROM incidents WHERE rowid = ?",
                (rowid,),
            )
            db.commit()
        assert db.execute(f"SELECT count(DISTINCT segid) FROM {FTS_TABLE}_idx").fetchone()[0] > 1
        index_text(_WithoutHashSize(db))  # type: ignore[arg-type]
        assert _index_segments(db) == 1


def test_metadata_describes_every_column_the_database_has(generated_site: Path) -> None:
    metadata = json.loads((generated_site / "data" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["license"] == "CC BY 4.0" and metadata["license_url"].startswith("https://creativecommons.org/")
    assert metadata["source_url"].startswith("https://github.com/")
    described = metadata["databases"]["incidents"]["tables"]
    with connect(generated_site) as db:
        names = [
            n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE '%fts%'")
        ]
        names = [n for n in names if not n.startswith(FTS_TABLE)]
        assert sorted(names) == sorted(described)
        for table in db_tables():
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table.name}")')]
            assert list(described[table.name]["columns"]) == columns
            assert all(described[table.name]["columns"].values())
            assert described[table.name]["columns"] == {c.name: describe(c) for c in table.columns}
    # The CSVs' columns are described in the words of the field dictionary.
    for table in TABLES:
        for column in table.columns:
            assert described[table.filename.removesuffix(".csv")]["columns"][column.name].startswith(column.doc)
    assert {t.name for t in EXTRA_TABLES} <= set(described)


def test_two_builds_write_the_same_bytes(tmp_path: Path) -> None:
    """Different hash seeds and folders, the same content: the same database, byte for byte."""
    root = generated_project(tmp_path / "project", 12)
    made = []
    for seed in ("1", "2"):
        out = tmp_path / f"site-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "build", "--out", str(out)]
        subprocess.run(command, check=True, env=env, capture_output=True, cwd=REPO)
        made.append({name: (out / "data" / name).read_bytes() for name in ("incidents.db", "metadata.json")})
    assert made[0] == made[1]
    assert made[0]["incidents.db"][:16] == b"SQLite format 3\x00"


def test_the_data_page_says_how_to_open_it_and_documents_every_database_only_column(generated_site: Path) -> None:
    page = BeautifulSoup((generated_site / "data" / "index.html").read_text(encoding="utf-8"), "html.parser")
    section = page.select_one("section[aria-labelledby=database]")
    assert section is not None
    commands = [code.get_text() for code in section.select("pre code")]
    assert commands[0] == "datasette incidents.db --metadata metadata.json"
    assert any(command.startswith("sqlite3 incidents.db ") for command in commands)
    links = {a["href"].rsplit("/", 1)[-1] for a in section.select("a[download]")}
    assert links == {"incidents.db", "metadata.json", "datapackage.json"}
    captions = {table.caption.code.get_text(): table for table in section.select("table")}
    assert sorted(captions) == sorted(t.name for t in EXTRA_TABLES)
    for table in EXTRA_TABLES:
        rows = [[cell.get_text() for cell in tr.select("th, td")] for tr in captions[table.name].select("tbody tr")]
        assert [(row[0], row[2]) for row in rows] == [(c.name, c.doc) for c in table.columns]
    listed = [item.get_text() for item in section.select("li code")]
    assert listed == [f"{name}.{c.name}" for name, columns in EXTRA_COLUMNS.items() for c in columns]


def test_every_licence_the_rows_carry_is_named_in_the_metadata_and_the_package(real_site: Path) -> None:
    with connect(real_site) as db:
        carried = {name for (name,) in db.execute("SELECT DISTINCT licence FROM incidents")}
    assert len(carried) > 1, "the real record mixes curated and imported incidents"
    metadata = json.loads((real_site / "data" / "metadata.json").read_text(encoding="utf-8"))
    assert all(name in metadata["license"] for name in carried), metadata["license"]
    assert metadata["license_url"].endswith("data/#licence")
    package = json.loads((real_site / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert {licence["title"].split(" (")[0] for licence in package["licenses"]} == carried
    assert all(licence["path"].startswith("https://creativecommons.org/licenses/") for licence in package["licenses"])
