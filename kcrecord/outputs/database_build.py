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

What the copy holds is known from the list beside it: each build leaves a list of the blocks it
wrote (database.Run: each incident's rows, named by a token) with the copy's stamp (size, time,
inode, SQLite's change counter) and the hash of its bytes, taken once the rows were committed.
While the copy's stamp and bytes are those, the blocks say what it holds, and the patch compares
tokens: no row is read or compared, and the rows of incidents that did not change are never
touched, nor even unpickled from the cache folder (an incident's rows are read only for the blocks
written). A copy whose bytes are not the ones listed (no list, a copy changed since, an
interrupted build, a damaged disk: VACUUM INTO copies index pages as they are, so a damaged index
entry would be published) is made again from nothing, as is one that cannot be patched. Its name
carries a hash of the schema and the SQLite version, so other code never patches it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import sqlite3
import tempfile
from collections.abc import Callable, Collection, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from kcrecord.content.assemble import Site
from kcrecord.engine import head_start
from kcrecord.engine.deps import digest, long_digest
from kcrecord.outputs.database import (
    DATABASE,
    PRAGMAS,
    Run,
    all_runs,
    fill,
    index_text,
    insert_statement,
    quoted,
    schema_statements,
    table_rows,
    vacuumed,
)
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.incident_data import rows_maker
from kcrecord.outputs.kept import UNREADABLE, Kept
from kcrecord.outputs.spooled import Spooled

Blocks = dict[str, Run]
Held = dict[str, tuple[list[str], list[int]]]  # table -> the token and number of rows of each block the copy holds
JOURNALS = ("-journal", "-wal", "-shm")  # files SQLite may leave beside a database, applied when it is opened
WORKING_NAMES = re.compile(rf"{DATABASE}-[0-9a-f]{{16}}\.(db|blocks)|\.blocks-[a-z0-9_]{{8}}")
"""The files kept_database makes in the scratch folder (working_copy, held_file, _keep_held's temporary
file): only these are removed there."""


def database_bytes(site: Site, fragments: Fragments | None = None, pieces: list[Kept] | None = None) -> bytes:
    """Return data/incidents.db's bytes (database_file's, read into memory)."""
    return bytes(database_file(site, fragments, pieces))


def database_file(site: Site, fragments: Fragments | None = None, pieces: list[Kept] | None = None) -> Spooled:
    """Return data/incidents.db: patched from the kept working copy when there is one, else made from nothing.

    pieces: each incident's rows piece as kept (incident_rows in kcrecord/outputs/incident_data.py).
    """
    fragments = Fragments() if fragments is None else fragments
    blocks = all_runs(site, fragments, pieces)
    if fragments.scratch is not None:
        made = head_start.claim(fragments.scratch, tokens_of(blocks))  # waits for a patch begun ahead, if any
        if made is None:
            made = kept_database(fragments.scratch, blocks)
        if made is not None:
            return made
    with tempfile.TemporaryDirectory(prefix="kcrecord-db-") as folder:
        return _made_from_nothing(Path(folder) / f"{DATABASE}.db", blocks)[0]


def database_head_start(fragments: Fragments, site: Site, again: Collection[Any]) -> None:
    """Begin patching the working copy in a thread, guessing that only the incidents in again changed.

    Called before the outputs are planned (kcrecord/engine/head_start.py): the edited
    incidents' rows pieces are made here, in the engine's thread, and every other piece is taken as
    kept. database_file uses the result only when its own blocks have the same tokens.
    """
    if fragments.scratch is None:
        return
    again_ids = {id(incident) for incident in again}
    try:
        pieces = fragments.kept_guess("rows", site.incidents, rows_maker(site), again_ids)
        blocks = None if pieces is None else all_runs(site, fragments, pieces, _unpickled_rows)
    except Exception:  # noqa: BLE001 - finish() makes the same pieces, and reports the error where outputs are made
        return
    if blocks is None:
        return
    head_start.begin(fragments.scratch, tokens_of(blocks), partial(kept_database, fragments.scratch, blocks))


class StillPickledError(Exception):
    """A block the thread would need whose rows are still pickled: unpickling is the engine's thread's to do."""


def _unpickled_rows(pieces: list[Kept], name: str) -> Callable[[int], list[tuple]]:
    """Return block(i) for the thread: piece i's rows when its value is in memory; else StillPickledError.

    A piece kept in the cache folder is unpickled with the others packed with it, which the
    engine's thread may be doing at the same moment; the thread's patch then fails, rolled back,
    and the engine patches as usual.
    """

    def block(index: int) -> list[tuple]:
        kept = pieces[index]
        if kept.packed is not None:
            raise StillPickledError(name)
        return table_rows(kept.value, name)

    return block


def tokens_of(blocks: Blocks) -> head_start.Tokens:
    """Return each table's block tokens, which name the rows the database holds."""
    return {name: run.tokens for name, run in blocks.items()}


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
    """Return the blocks the working copy holds, when the list beside it was left with the copy as it is now.

    The copy's bytes are hashed and compared with the hash the list keeps (25 ms at 10,000 incidents),
    unless this process wrote the list for the copy with this very stamp (the preview's next update).
    """
    try:
        with open(held_file(copy), "rb") as stream:
            kept_stamp, kept_digest, held = pickle.load(stream)
        now = stamp(copy)
        if kept_stamp != now or not _is_held(held) or not kept_digest:  # "": listed with a journal beside it
            return None
        if _KEPT_HERE.get(copy) != (now, kept_digest) and kept_digest != file_digest(copy):
            return None
        return held
    except (*UNREADABLE, TypeError):
        return None


def file_digest(path: Path) -> str:
    """Return the hash of the file's bytes; "" when there is a journal beside it (SQLite would change them)."""
    if any(path.with_name(path.name + tail).exists() for tail in JOURNALS):
        return ""
    with open(path, "rb") as stream:  # in blocks: the 29 MB file is never whole in memory
        return long_digest(hashlib.file_digest(stream, "sha256"))


def _is_held(held: object) -> bool:
    """Return True for a list of blocks as _keep_held writes it (one left by other code is not)."""
    return isinstance(held, dict) and all(
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], list)
        and isinstance(value[1], list)
        and len(value[0]) == len(value[1])
        for value in held.values()
    )


_KEPT_HERE: dict[Path, tuple[tuple, str]] = {}  # copy -> the stamp and hash this process listed it with


def _keep_held(copy: Path, held: Held) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".blocks-", dir=copy.parent)
    kept = (stamp(copy), file_digest(copy))
    with os.fdopen(handle, "wb") as stream:
        pickle.dump((*kept, held), stream, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, held_file(copy))
    _KEPT_HERE[copy] = kept


def kept_database(folder: Path, blocks: Blocks) -> Spooled | None:
    """Return the database made by patching folder's working copy (made there when missing); None if unusable."""
    path = working_copy(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for other in folder.iterdir():
            if WORKING_NAMES.fullmatch(other.name) and other.stem != path.stem and not other.is_dir():
                other.unlink()  # another schema's copy, or a list left half written: made here, never used again
        held = read_held(path) if path.exists() else None
        made = None if held is None else _patched(path, blocks, held)
        if made is None:
            for gone in (path, *(path.with_name(path.name + tail) for tail in JOURNALS)):
                gone.unlink(missing_ok=True)  # a journal left beside it would be played into the new copy
            held_file(path).unlink(missing_ok=True)
            made = _made_from_nothing(path, blocks)
        _keep_held(path, made[1])
        return made[0]
    except (OSError, sqlite3.Error):
        return None


def _made_from_nothing(path: Path, blocks: Blocks) -> tuple[Spooled, Held]:
    """Make the database at path; return its VACUUM INTO copy and the blocks it holds."""
    connection = sqlite3.connect(path, isolation_level=None)  # transactions are begun and committed here
    try:
        held: Held = {name: (run.tokens, []) for name, run in blocks.items()}
        fill(connection, {name: _streamed(run, held[name][1]) for name, run in blocks.items()})
        return vacuumed(connection, path.parent), held
    finally:
        connection.close()


def _streamed(run: Run, counts: list[int]) -> Iterator[tuple]:
    """Yield run's rows block by block (each unpickled as it comes), noting each block's number of rows in counts."""
    for index in range(len(run.tokens)):
        block = run.block(index)
        counts.append(len(block))
        yield from block


def _patched(path: Path, blocks: Blocks, held: Held) -> tuple[Spooled, Held] | None:
    """Patch the working copy at path, which holds the blocks held, to hold blocks; return as _made_from_nothing.

    None when it cannot be patched (a table the list does not name, an error from SQLite).
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA locking_mode = EXCLUSIVE")  # held to the end: no other build patches it meanwhile
        connection.execute("PRAGMA secure_delete = ON")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("PRAGMA defer_foreign_keys = ON")  # rows are checked at COMMIT, not between changes
        changed = False
        now: Held = {}
        ends: dict[tuple[int, int], tuple[int, int]] = {}  # for _patch_blocks, while held's lists are alive
        for name, run in blocks.items():
            before = held.get(name)
            if before is None:
                raise sqlite3.DatabaseError(f"{name}: not in the list of blocks the copy holds")
            changed_here, counts = _patch_blocks(connection, name, run, before, ends)
            changed = changed or changed_here
            now[name] = (run.tokens, counts)
        if changed:
            index_text(connection)
        connection.execute("COMMIT")
        return vacuumed(connection, path.parent), now
    except sqlite3.Error:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        return None
    finally:
        connection.close()


def _patch_blocks(
    connection: sqlite3.Connection,
    name: str,
    run: Run,
    held: tuple[list[str], list[int]],
    ends: dict[tuple[int, int], tuple[int, int]] | None = None,
) -> tuple[bool, list[int]]:
    """Make the table hold run's rows, knowing it holds the blocks held; return whether it changed, and row counts.

    The tokens are compared a list at a time (in C): 10,000 blocks in each of the tables. Only
    the blocks between the first and last that differ are read, and those after them too when
    the number of rows between changed (their rowids move). ends: how many blocks are the same at
    the start and at the end, by the two lists of tokens compared (the incident tables share theirs:
    compared once, not seven times, 2-4 ms each).
    """
    new_tokens, (old_tokens, numbers) = run.tokens, held
    pair = (id(new_tokens), id(old_tokens))
    found = None if ends is None else ends.get(pair)
    if found is None:
        first = _same_first(new_tokens, old_tokens)
        found = (
            first,
            0 if first == len(new_tokens) == len(old_tokens) else _same_last(new_tokens[first:], old_tokens[first:]),
        )
        if ends is not None:
            ends[pair] = found
    first, same = found
    if first == len(new_tokens) == len(old_tokens):
        return False, numbers
    new_end, old_end = len(new_tokens) - same, len(old_tokens) - same
    blocks = [run.block(index) for index in range(first, new_end)]
    counts = [len(block) for block in blocks]
    if sum(counts) != sum(numbers[first:old_end]):  # the same blocks at the end, but their rowids move
        blocks += [run.block(index) for index in range(new_end, len(new_tokens))]
        counts += numbers[old_end:]
        new_end, old_end = len(new_tokens), len(old_tokens)
    start = sum(numbers[:first])  # rows before the first block that differs
    _replace_rows(connection, name, start, start + sum(numbers[first:old_end]), [row for b in blocks for row in b])
    return True, numbers[:first] + counts + numbers[old_end:]


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
