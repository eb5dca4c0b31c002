"""data/incidents.db: the record as a SQLite database, and data/metadata.json, which documents it for Datasette.

The database is made in a temporary file with a fixed page size, rows inserted in the record's
order, a full-text index over titles, summaries and narratives, and a VACUUM INTO at the end; it holds
no timestamps, so the same content (and the same SQLite library) always gives the same bytes.
The settings a SQLite build may default otherwise (journal mode, auto-vacuum, text encoding) are
set here, and secure_delete makes SQLite zero the unused space of every page, which otherwise
keeps leftovers of the page's earlier states: SQLite 3.51 leaves whole leaf pages' text in the
free space of the VACUUMed interior pages. Two SQLite versions then differ only in the header's
version number and a few bytes (3.40.1 and 3.51.1 on this record: 8 bytes of 360 KB).
"""

from __future__ import annotations

import json
import pickle
import sqlite3
from collections.abc import Callable, Iterable
from functools import partial
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path

from kcrecord.content.assemble import Incident, Site
from kcrecord.engine.deps import digest
from kcrecord.outputs.columns import Column, incident_licence
from kcrecord.outputs.discovery import licence_metas
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.kept import Kept
from kcrecord.outputs.spooled import Spooled
from kcrecord.outputs.tables import DbTable, db_tables

DATABASE = "incidents"  # the file's stem: Datasette names the database after it
PAGE_SIZE = 4096
SCHEMA_VERSION = 1  # PRAGMA user_version: raise it when a table or column changes meaning
FTS_TABLE = "incidents_fts"
FTS_COLUMNS = ("title", "summary", "narrative")
FTS_HASH_SIZE = 64 * 1024 * 1024  # bytes of terms FTS5 gathers before writing a segment (index_text)
SQL_TYPES = {"text": "TEXT", "integer": "INTEGER", "number": "REAL", "date": "TEXT", "bool": "INTEGER", "list": "TEXT"}
KIND_NOTES = {"date": " Written YYYY-MM-DD.", "bool": " 1 for true, 0 for false.", "list": " A JSON array."}


def quoted(name: str) -> str:
    """Return an SQL identifier in double quotes."""
    return '"' + name.replace('"', '""') + '"'


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(quoted(name) for name in names)


def create_statements(table: DbTable) -> list[str]:
    """Return the SQL that creates the table with its keys, and an index on each foreign key not led by the key."""
    keys = table.keys
    lines = [
        f"{quoted(c.name)} {SQL_TYPES[c.kind]}{' NOT NULL' if c.name in keys.primary else ''}" for c in table.columns
    ]
    lines.append(f"PRIMARY KEY ({_names(keys.primary)})")
    lines += [
        f"FOREIGN KEY ({_names(fk.columns)}) REFERENCES {quoted(fk.table)} ({_names(fk.references)})"
        for fk in keys.foreign
    ]
    statements = [f"CREATE TABLE {quoted(table.name)} (\n  " + ",\n  ".join(lines) + "\n)"]
    for fk in keys.foreign:
        if keys.primary[: len(fk.columns)] != fk.columns:
            index = quoted(f"{table.name}_by_{'_'.join(fk.columns)}")
            statements.append(f"CREATE INDEX {index} ON {quoted(table.name)} ({_names(fk.columns)})")
    return statements


def sql_value(value: object, kind: str) -> object:
    """Return a column's value as stored: lists as JSON arrays, booleans as 1 or 0, nothing as NULL."""
    if kind == "list":
        items = list(value or [])  # type: ignore[call-overload]
        if all(type(item) is str for item in items):  # json.dumps's text, without making an encoder each time
            return "[" + ", ".join(map(encode_basestring, items)) + "]"
        return json.dumps(items, ensure_ascii=False)
    if value is None:
        return None
    if kind == "bool":
        return int(bool(value))
    return value


def row_values(columns: tuple[Column, ...], rows: list[dict]) -> list[tuple]:
    """Return each row's values in column order, as stored."""
    return [tuple(sql_value(column.get(row), column.kind) for column in columns) for row in rows]


def incident_values(table: DbTable, site: Site, incident: Incident) -> list[tuple]:
    """Return an incident's rows in the table (which has incident_rows), as stored."""
    assert table.incident_rows is not None
    return row_values(table.columns, table.incident_rows(incident, site))


class Run:
    """A table's rows in blocks (each incident's, or a whole small table's), each block named by a token.

    Two blocks with one token hold the same rows: an incident's block is named by the fingerprint
    of its rows piece (incident_rows in kcrecord/outputs/incident_data.py), others by a hash of their
    rows. kcrecord/outputs/database_build.py compares tokens to find what changed, and reads the
    rows of the blocks that did (block(i) reads a kept piece's value, unpickled when first asked,
    and unpickles the table's rows from it).
    """

    __slots__ = ("tokens", "block")

    def __init__(self, tokens: list[str], block: Callable[[int], list[tuple]]) -> None:
        self.tokens = tokens
        self.block = block  # the rows of block i

    @classmethod
    def of(cls, blocks: list[list[tuple]]) -> Run:
        """Return the run of blocks made here, each named by a hash of its rows."""
        return cls([digest(repr(rows)) for rows in blocks], blocks.__getitem__)


def table_run(table: DbTable, site: Site, fragments: Fragments) -> Run:
    """Return the table's rows as stored, in blocks; an incident's rows are made once, then kept (fragments.py)."""
    if table.incident_rows is None:
        return Run.of([row_values(table.columns, table.rows(site))])
    return Run.of(fragments.each(f"db:{table.name}", site.incidents, partial(incident_values, table, site)))


PRAGMAS = (
    f"page_size = {PAGE_SIZE}",
    "encoding = 'UTF-8'",
    "auto_vacuum = NONE",
    "journal_mode = DELETE",  # not WAL, which marks the header (bytes 18 and 19)
    "secure_delete = ON",  # zero the unused space of pages, leftovers included
    f"user_version = {SCHEMA_VERSION}",
    "foreign_keys = ON",  # a row naming a missing incident or agency fails the build
)


def all_runs(
    site: Site,
    fragments: Fragments,
    pieces: list[Kept] | None = None,
    rows: Callable[[list[Kept], str], Callable[[int], list[tuple]]] | None = None,
) -> dict[str, Run]:
    """Return every table's rows as stored, in blocks, by table name, in the record's order.

    pieces: each incident's rows piece as kept (incident_rows in kcrecord/outputs/incident_data.py),
    whose fingerprint names its block in every table; rows(pieces, table) gives a table's blocks
    from them (by default each piece's value, unpickled when first asked for).
    """
    rows = _piece_rows if rows is None else rows
    tokens = None if pieces is None else [kept.fingerprint for kept in pieces]
    runs = {}
    for table in db_tables():
        if pieces is None or table.incident_rows is None:
            runs[table.name] = table_run(table, site, fragments)
        else:
            runs[table.name] = Run(tokens, rows(pieces, f"db:{table.name}"))  # type: ignore[arg-type]
    return runs


def _piece_rows(pieces: list[Kept], name: str) -> Callable[[int], list[tuple]]:
    return lambda index: table_rows(pieces[index].value, name)


def table_rows(value: dict[str, bytes], name: str) -> list[tuple]:
    """Return an incident's rows in one table from its rows piece's value (each table's rows pickled)."""
    return pickle.loads(value[name])  # type: ignore[no-any-return]


def schema_statements() -> list[str]:
    """Return the SQL that creates every table, index and the full-text index, in order."""
    statements = [statement for table in db_tables() for statement in create_statements(table)]
    # Datasette finds the index by its content="incidents" option and searches it with ?_search=.
    statements.append(
        f"CREATE VIRTUAL TABLE {quoted(FTS_TABLE)} USING fts5({_names(FTS_COLUMNS)}, "
        f'content="{DATABASE}", content_rowid="rowid", tokenize="porter unicode61 remove_diacritics 2")'
    )
    return statements


def insert_statement(table_name: str, with_rowid: bool = False) -> str:
    """Return the INSERT of one row of a table (its rowid first when with_rowid)."""
    columns = next(table.columns for table in db_tables() if table.name == table_name)
    names = _names(tuple(c.name for c in columns))
    marks = ", ".join("?" * (len(columns) + with_rowid))
    return f"INSERT INTO {quoted(table_name)} ({'rowid, ' if with_rowid else ''}{names}) VALUES ({marks})"


def index_text(connection: sqlite3.Connection) -> None:
    """Make the full-text index again from the incidents' rows, written as one segment when it fits FTS_HASH_SIZE.

    FTS5 gathers the terms in memory and writes a segment each time they pass its hash size (1 MB
    by default): at 10,000 incidents that left two segments, merged by an 'optimize' that took
    20-35 ms at every build. With room for the whole index the rebuild's one segment is written at
    COMMIT. 'rebuild' starts from an empty index, so the result depends only on the rows.
    """
    table = quoted(FTS_TABLE)
    try:  # set once: each change of a setting counts in the index's header (a patched copy would differ)
        if connection.execute(f"SELECT v FROM {quoted(FTS_TABLE + '_config')} WHERE k = 'hashsize'").fetchone() != (
            FTS_HASH_SIZE,
        ):
            connection.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('hashsize', {FTS_HASH_SIZE})")
    except sqlite3.OperationalError:  # an SQLite without the option: its segments merged afterwards
        connection.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
        connection.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
        return
    connection.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")


def fill(connection: sqlite3.Connection, values: dict[str, Iterable[tuple]]) -> None:
    """Create every table, insert the rows in the record's order (rowids 1, 2, ...), and index the incidents' text.

    Each table's rows are taken as they come (database_build passes generators: a table's rows are
    never all in memory at once).
    """
    for pragma in PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("BEGIN")
    for statement in schema_statements():
        connection.execute(statement)
    for name, rows in values.items():
        connection.executemany(insert_statement(name), rows)
    index_text(connection)
    connection.execute("COMMIT")


def vacuumed(connection: sqlite3.Connection, folder: Path) -> Spooled:
    """Return the database as VACUUM INTO writes it: rows in rowid order, no free pages, a fresh header.

    The copy depends only on what the database holds, not on how it came to hold it, so a
    database patched row by row (kcrecord/outputs/database_build.py) gives the bytes of one made
    from nothing. It is not read into memory: the file, its name removed, is the output's bytes.
    """
    target = folder / f"{DATABASE}.vacuumed"
    target.unlink(missing_ok=True)
    try:
        connection.execute("VACUUM INTO ?", (str(target),))
        return Spooled.of_path(target)
    finally:
        target.unlink(missing_ok=True)


def describe(column: Column) -> str:
    """Return a column's description as the database stores it: the dictionary's words plus how it is written."""
    return column.doc + KIND_NOTES.get(column.kind, "")


def datasette_metadata(site: Site, metas: Iterable[dict] | None = None) -> dict:
    """Return data/metadata.json: Datasette's title, source, licence and every column's description.

    metas: each incident's licence_meta (kcrecord/outputs/discovery.py; all of its front matter when None).
    """
    config = site.config
    licence = dict(name=config.licence["content"]["name"], url=config.licence["content"]["url"])
    names = sorted({incident_licence(meta, site) for meta in licence_metas(site, metas)} - {licence["name"]})
    if names:  # imported rows keep their dataset's licence: say so, and link to the data page's explanation
        licence = dict(
            name=f"{licence['name']}, and {', '.join(names)} for imported rows (see each row's licence column)",
            url=config.base_url + "data/#licence",
        )
    tables: dict[str, dict] = {}
    for table in db_tables():
        tables[table.name] = {
            "description": f"Each row is {table.row}.",
            "columns": {column.name: describe(column) for column in table.columns},
        }
    tables[DATABASE].update(fts_table=FTS_TABLE, fts_pk="rowid", sort_desc="date")
    return {
        "title": config.title,
        "description": (
            "Every incident of the record with its people, agencies, sources, timeline, disputed claims and "
            "corrections. Each row's licence column names the licence that applies to it."
        ),
        "license": licence["name"],
        "license_url": licence["url"],
        "source": "The record's repository",
        "source_url": config.repository,
        "about": "The data page: downloads and the field dictionary",
        "about_url": config.base_url + "data/",
        "databases": {DATABASE: {"tables": tables}},
    }


def metadata_json(site: Site, metas: Iterable[dict] | None = None) -> bytes:
    """Return datasette_metadata as the file's bytes."""
    return (json.dumps(datasette_metadata(site, metas), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
