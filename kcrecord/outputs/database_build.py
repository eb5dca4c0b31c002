"""Making data/incidents.db: from nothing, or by patching the working copy the last build kept.

A build from nothing creates the tables, inserts every row (rowids 1, 2, ... in the record's
order), indexes the text and copies the result out with VACUUM INTO. When the engine gives the
fragments a scratch folder (the cache folder's engine/ part), that working copy is kept there and
the next build patches it instead: for each table it finds the first and last rows that differ
from the rows wanted now, deletes those and inserts the new ones with the same rowids; then it
indexes the text again and copies out with VACUUM INTO. The copy depends only on what the
working database holds (rows in rowid order, the schema, the header settings), which the patch
makes equal to what a build from nothing inserts, so the bytes are the same
(tests/test_database_build.py checks it on random sequences of changes).

What the copy holds is known in one of two ways. Beside it, each build leaves a list of the
blocks it wrote (database.Block: each incident's rows, named by a token) with the copy's stamp
(size, time, inode, SQLite's change counter) taken once the rows were committed. While the
copy's stamp is that one, the blocks say what it holds, and the patch compares tokens: no row is
read or compared, and the rows of incidents that did not change are never touched. Otherwise (no
list, a copy changed since, an interrupted build) the patch reads the rows the copy actually
holds and compares them with the rows wanted. A copy that cannot be read, or holds rowids out of
order, is made again from nothing. Its name carries a hash of the schema and the SQLite version,
so other code never patches it.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from pathlib import Path

from kcrecord.content.assemble import Site
from kcrecord.engine.deps import digest
from kcrecord.outputs.database import (
    DATABASE,
    PRAGMAS,
    Block,
    all_blocks,
    fill,
    flattened,
    index_text,
    insert_statement,
    quoted,
    schema_statements,
    vacuumed,
)
from kcrecord.outputs.fragments import Fragments, Pieces

Blocks = dict[str, list[Block]]
Held = dict[str, list[tuple[str, int]]]  # table -> (token, number of rows) of each block the copy holds


def database_bytes(site: Site, fragments: Fragments | None = None, pieces: Pieces | None = None) -> bytes:
    """Return data/incidents.db: patched from the kept working copy when there is one, else made from nothing."""
    fragments = Fragments() if fragments is None else fragments
    blocks = all_blocks(site, fragments, pieces)
    if fragments.scratch is not None:
        made = kept_database(fragments.scratch, blocks)
        if made is not None:
            return made
    with tempfile.TemporaryDirectory(prefix="kcrecord-db-") as folder:
        return _made_from_nothing(Path(folder) / f"{DATABASE}.db", blocks)


def working_copy(folder: Path) -> Path:
    """Return the working database kept in folder for this schema and SQLite version."""
    signature = digest("\n".join([*PRAGMAS, *schema_statements(), sqlite3.sqlite_version]))[:16]
    return folder / f"{DATABASE}-{signature}.db"


def held_file(copy: Path) -> Path:
    """Return the file that lists the blocks the working copy holds, with the copy's stamp."""
    return copy.with_suffix(".blocks")


def stamp(path: Path) -> tuple:
    """Return what changes whenever the file does: size, time, inode, SQLite's change counter (bytes 24-27)."""
    status = path.stat()
    with open(path, "rb") as stream:
        header = stream.read(28)
    return (status.st_size, status.st_mtime_ns, status.st_ino, header[24:28])


def read_held(copy: Path) -> Held | None:
    """Return the blocks the working copy holds, when the list beside it was left with the copy as it is now."""
    try:
        with open(held_file(copy), "rb") as stream:
            kept_stamp, held = pickle.load(stream)
        return held if kept_stamp == stamp(copy) and isinstance(held, dict) else None
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def _keep_held(copy: Path, blocks: Blocks) -> None:
    held = {name: [(token, len(rows)) for token, rows in runs] for name, runs in blocks.items()}
    handle, temporary = tempfile.mkstemp(prefix=".blocks-", dir=copy.parent)
    with os.fdopen(handle, "wb") as stream:
        pickle.dump((stamp(copy), held), stream, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, held_file(copy))


def kept_database(folder: Path, blocks: Blocks) -> bytes | None:
    """Return the database made by patching folder's working copy (made there when missing); None if unusable."""
    path = working_copy(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ours = (f"{DATABASE}-*.db", f"{DATABASE}-*.blocks", ".blocks-*")
        for other in [found for pattern in ours for found in folder.glob(pattern)]:
            if other.stem != path.stem:
                other.unlink()  # another schema's copy, or a list left half written: made here, never used again
        made = None
        if path.exists():
            made = _patched(path, blocks, read_held(path))
            if made is None:
                path.unlink()
        if made is None:
            held_file(path).unlink(missing_ok=True)
            made = _made_from_nothing(path, blocks)
        _keep_held(path, blocks)
        return made
    except (OSError, sqlite3.Error):
        return None


def _made_from_nothing(path: Path, blocks: Blocks) -> bytes:
    connection = sqlite3.connect(path, isolation_level=None)  # transactions are begun and committed here
    try:
        fill(connection, flattened(blocks))
        return vacuumed(connection, path.parent)
    finally:
        connection.close()


def _patched(path: Path, blocks: Blocks, held: Held | None = None) -> bytes | None:
    """Patch the working copy at path to hold blocks and return its VACUUM INTO copy; None when it cannot be.

    held: the blocks the copy holds, when known without reading them (else each table is read).
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA locking_mode = EXCLUSIVE")  # held to the end: no other build patches it meanwhile
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("PRAGMA defer_foreign_keys = ON")  # rows are checked at COMMIT, not between changes
        changed = False
        for name, runs in blocks.items():
            before = None if held is None else held.get(name)
            if before is not None:
                changed = _patch_blocks(connection, name, runs, before) or changed
            else:
                changed = _patch_table(connection, name, [row for _token, rows in runs for row in rows]) or changed
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


def _patch_blocks(connection: sqlite3.Connection, name: str, runs: list[Block], held: list[tuple[str, int]]) -> bool:
    """Make the table hold runs' rows, knowing it holds the blocks held; return True when anything changed.

    The tokens are compared a list at a time (in C): 10,000 blocks in each of the tables.
    """
    new_tokens = [token for token, _rows in runs]
    old_tokens = [token for token, _number in held]
    first = _same_first(new_tokens, old_tokens)
    if first == len(runs) == len(held):
        return False
    numbers = [number for _token, number in held]
    start = sum(numbers[:first])  # rows before the first block that differs
    new_end, old_end = len(runs), len(held)
    if sum(map(len, [rows for _token, rows in runs])) == sum(numbers):  # the same blocks at the end: their rows stay
        same = _same_last(new_tokens[first:], old_tokens[first:])
        new_end, old_end = new_end - same, old_end - same
    removed_to = start + sum(numbers[first:old_end])  # to the end when counts differ
    rows = [row for _token, block in runs[first:new_end] for row in block]
    _replace_rows(connection, name, start, removed_to, rows)
    return True


def _same_first(new: list[str], old: list[str]) -> int:
    """Return how many items the two lists have the same at their start (a binary search on slices)."""
    low, high = 0, min(len(new), len(old))
    if new[:high] == old[:high]:
        return high
    while low < high - 1:  # new[:low] == old[:low] and new[:high] != old[:high]
        middle = (low + high) // 2
        if new[:middle] == old[:middle]:
            low = middle
        else:
            high = middle
    return low


def _same_last(new: list[str], old: list[str]) -> int:
    """Return how many items the two lists have the same at their end."""
    return _same_first(new[::-1], old[::-1])


def _replace_rows(connection: sqlite3.Connection, name: str, start: int, removed_to: int, rows: list[tuple]) -> None:
    """Delete the rows with rowids start+1 to removed_to and insert rows with rowids from start+1."""
    connection.execute(f"DELETE FROM {quoted(name)} WHERE rowid > ? AND rowid <= ?", (start, removed_to))
    connection.executemany(
        insert_statement(name, with_rowid=True),
        [(number, *row) for number, row in enumerate(rows, start + 1)],
    )


def _patch_table(connection: sqlite3.Connection, name: str, rows: list[tuple]) -> bool:
    """Make the table hold rows with rowids 1, 2, ..., reading the rows it holds; return True when anything changed.

    Raises sqlite3.Error (a missing table, rowids not 1, 2, ...) when the table cannot be patched.
    """
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
    _replace_rows(connection, name, start, removed_to, rows[start:end])
    return True
