"""Making data/incidents.db: from nothing, or by patching the working copy the last build kept.

A build from nothing creates the tables, inserts every row (rowids 1, 2, ... in the record's
order), indexes the text and copies the result out with VACUUM INTO. When the engine gives the
fragments a scratch folder (the cache folder's engine/ part), that working copy is kept there and
the next build patches it instead: for each table it reads the rows the copy holds, finds the
first and last that differ from the rows wanted now, deletes those and inserts the new ones
with the same rowids; then it indexes the text again and copies out with VACUUM INTO. The copy
depends only on what the working database holds (rows in rowid order, the schema, the header
settings), which the patch makes equal to what a build from nothing inserts, so the bytes are
the same (tests/test_database_build.py checks it on random sequences of changes). The diff is
taken against the rows the copy actually holds, never against a record of what was written, so
a copy left by an interrupted build is only patched further; one that cannot be read, or holds
rowids out of order, is made again from nothing. Its name carries a hash of the schema and the
SQLite version, so other code never patches it.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from kcrecord.content.assemble import Site
from kcrecord.engine.deps import digest
from kcrecord.outputs.database import (
    DATABASE,
    PRAGMAS,
    all_values,
    fill,
    index_text,
    insert_statement,
    quoted,
    schema_statements,
    vacuumed,
)
from kcrecord.outputs.fragments import Fragments, Pieces

Values = dict[str, list[tuple]]


def database_bytes(site: Site, fragments: Fragments | None = None, pieces: Pieces | None = None) -> bytes:
    """Return data/incidents.db: patched from the kept working copy when there is one, else made from nothing."""
    fragments = Fragments() if fragments is None else fragments
    values = all_values(site, fragments, pieces)
    if fragments.scratch is not None:
        made = kept_database(fragments.scratch, values)
        if made is not None:
            return made
    with tempfile.TemporaryDirectory(prefix="kcrecord-db-") as folder:
        return _made_from_nothing(Path(folder) / f"{DATABASE}.db", values)


def working_copy(folder: Path) -> Path:
    """Return the working database kept in folder for this schema and SQLite version."""
    signature = digest("\n".join([*PRAGMAS, *schema_statements(), sqlite3.sqlite_version]))[:16]
    return folder / f"{DATABASE}-{signature}.db"


_HELD: dict[Path, tuple[tuple, Values]] = {}
"""Working copy -> (its stamp, the rows it holds), as this process last left it (the preview's next edit)."""


def stamp(path: Path) -> tuple:
    """Return what changes whenever the file does: size, time, inode, SQLite's change counter (bytes 24-27)."""
    status = path.stat()
    with open(path, "rb") as stream:
        header = stream.read(28)
    return (status.st_size, status.st_mtime_ns, status.st_ino, header[24:28])


def kept_database(folder: Path, values: Values) -> bytes | None:
    """Return the database made by patching folder's working copy (made there when missing); None if unusable."""
    path = working_copy(folder)
    held = _HELD.pop(path, None)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for other in folder.glob(f"{DATABASE}-*.db"):
            if other != path:
                other.unlink()  # a working copy of another schema: made by this module, never used again
        made = None
        if path.exists():
            rows = held[1] if held is not None and held[0] == stamp(path) else None
            made = _patched(path, values, rows)
            if made is None:
                path.unlink()
        if made is None:
            made = _made_from_nothing(path, values)
        _HELD[path] = (stamp(path), values)
        return made
    except (OSError, sqlite3.Error):
        return None


def _made_from_nothing(path: Path, values: Values) -> bytes:
    connection = sqlite3.connect(path, isolation_level=None)  # transactions are begun and committed here
    try:
        fill(connection, values)
        return vacuumed(connection, path.parent)
    finally:
        connection.close()


def _patched(path: Path, values: Values, held: Values | None = None) -> bytes | None:
    """Patch the working copy at path to hold values and return its VACUUM INTO copy; None when it cannot be.

    held: the rows the copy holds, when known without reading them (else each table is read).
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA locking_mode = EXCLUSIVE")  # held to the end: no other build patches it meanwhile
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("PRAGMA defer_foreign_keys = ON")  # rows are checked at COMMIT, not between changes
        changed = False
        for name, rows in values.items():
            changed = _patch_table(connection, name, rows, None if held is None else held.get(name)) or changed
        if changed:
            index_text(connection)
        connection.execute("COMMIT")
        return vacuumed(connection, path.parent)
    except sqlite3.Error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        return None
    finally:
        connection.close()


def _patch_table(connection: sqlite3.Connection, name: str, rows: list[tuple], held: list[tuple] | None) -> bool:
    """Make the table hold rows with rowids 1, 2, ...; return True when anything changed.

    held: the rows the table holds, when known. Raises sqlite3.Error (a missing table, rowids
    not 1, 2, ...) when the table cannot be patched.
    """
    if held is not None:
        old = held
    else:
        query = f"SELECT count(*), min(rowid), max(rowid) FROM {quoted(name)}"
        count, first, last = connection.execute(query).fetchone()
        if count and (first, last) != (1, count):  # rowids are distinct: 1 to count means 1, 2, ... count
            raise sqlite3.DatabaseError(f"{name}: rowids are not 1, 2, ...")
        old = connection.execute(f"SELECT * FROM {quoted(name)} ORDER BY rowid").fetchall()
    if old == rows:
        return False
    start = 0
    while start < min(len(old), len(rows)) and old[start] == rows[start]:
        start += 1
    if len(old) == len(rows):  # only the rows between the first and last difference
        end = len(rows)
        while end > start and old[end - 1] == rows[end - 1]:
            end -= 1
    else:  # rows added or removed: every row after the first difference moves
        end = len(rows)
    removed_to = end if len(old) == len(rows) else len(old)
    connection.execute(f"DELETE FROM {quoted(name)} WHERE rowid > ? AND rowid <= ?", (start, removed_to))
    connection.executemany(
        insert_statement(name, with_rowid=True),
        [(number, *row) for number, row in enumerate(rows[start:end], start + 1)],
    )
    return True
