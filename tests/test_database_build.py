"""data/incidents.db patched from the last build's working copy has the bytes of one made from nothing.

kcrecord/outputs/database_build.py claims that patching the kept working copy (the rows between
the first and last difference deleted and inserted again with their rowids, the text indexed
again, VACUUM INTO) gives the same file as a build from nothing, whether it finds the differences
from the list of blocks it left beside the copy or by reading the copy's rows. The claim is driven
here with seeded random sequences of edits to a generated project: incidents added, removed,
retitled, moved to another date (which reorders every table after them) and given more or fewer
people; and blocks given new tokens for the same rows (a piece made again).
"""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from kcrecord.content.assemble import assemble
from kcrecord.content.load import load_content
from kcrecord.content.validate import validate
from kcrecord.engine.engine import Engine
from kcrecord.outputs import database, database_build
from kcrecord.outputs.database import Run, all_runs
from kcrecord.outputs.fragments import Fragments
from tests.record_factory import generated_project, incident_text

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def values_and_fresh(
    root: Path, rng: random.Random | None = None, shared: bool = False
) -> tuple[database_build.Blocks, bytes]:
    """Return the project's database rows in blocks and the database made from nothing.

    With rng, some blocks get a new token for the same rows, as a piece made again has. shared:
    the incidents' tables name their blocks with one list of tokens, as make site's do (each
    incident's rows piece names its block in every table).
    """
    content, problems = load_content(root)
    problems += validate(content)
    assert problems == []
    site = assemble(content, commit=COMMIT)
    blocks = all_runs(site, Fragments())
    if shared:
        named = [table.name for table in database.db_tables() if table.incident_rows is not None]
        tokens = ["|".join(parts) for parts in zip(*(blocks[name].tokens for name in named), strict=True)]
        blocks.update({name: Run(tokens, blocks[name].block) for name in named})
    if rng is not None:
        renamed: dict[int, list[str]] = {}  # one new list for each list of tokens: shared lists stay shared
        for run in blocks.values():
            if id(run.tokens) not in renamed:
                renamed[id(run.tokens)] = [f"new-{rng.random()}" if rng.random() < 0.3 else t for t in run.tokens]
        blocks = {name: Run(renamed[id(run.tokens)], run.block) for name, run in blocks.items()}
    return blocks, database_build.database_bytes(site, Fragments())


def generated(root: Path) -> list[Path]:
    return sorted((root / "content" / "incidents").glob("*-generated-*.md"))


def random_edit(root: Path, rng: random.Random, step: int) -> str:
    """Make one random edit to the generated incidents; return what it was."""
    files = generated(root)
    kind = rng.choice(["add", "remove", "retitle", "redate", "people", "body"] if len(files) > 2 else ["add"])
    if kind == "add":
        name, text = incident_text(1000 + step, rng)
        (root / "content" / "incidents" / name).write_text(text, encoding="utf-8")
        return f"add {name}"
    path = rng.choice(files)
    if kind == "remove":
        path.unlink()
        return f"remove {path.name}"
    text = path.read_text(encoding="utf-8")
    if kind == "retitle":
        text = text.replace("title: Generated incident", f"title: Retitled ({step}) incident", 1)
    elif kind == "redate":  # another file name and date: the incident moves in the record's order
        number = int(path.stem.rsplit("-", 1)[1])
        name, text = incident_text(number, random.Random(rng.random()))
        path.unlink()
        path = root / "content" / "incidents" / name
    elif kind == "people":
        marker = "people:\n" if "people:\n" in text else "sources:\n"
        extra = "  - {role: civilian, description: adult, outcome: unknown}\n"
        text = text.replace(marker, ("people:\n" + extra + marker) if marker == "sources:\n" else marker + extra, 1)
    else:
        text = text.rstrip("\n") + f" Edited in step {step}.\n"
    path.write_text(text, encoding="utf-8")
    return f"{kind} {path.name}"


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_patched_working_copy_gives_the_bytes_of_a_database_made_from_nothing(
    tmp_path: Path, seed: int, shared: bool
) -> None:
    rng = random.Random(seed)
    root = generated_project(tmp_path / "project", 8, seed=seed)
    scratch = tmp_path / "scratch"
    values, fresh = values_and_fresh(root, shared=shared)
    assert database_build.kept_database(scratch, values) == fresh  # the working copy is made
    copy = database_build.working_copy(scratch)
    history = []
    for step in range(8):
        history.append(random_edit(root, rng, step))
        values, fresh = values_and_fresh(root, rng, shared)
        held = database_build.read_held(copy)
        assert held is not None, history  # after a build of its own, the list of blocks it left is used
        made = database_build._patched(copy, values, held)  # noqa: SLF001 - the patch itself, never the fallback
        assert made is not None, history
        patched = made[0]
        database_build._keep_held(copy, made[1])  # noqa: SLF001 - as kept_database does
        assert patched == fresh, history


def kept_then_edited(tmp_path: Path, count: int, index: int, edit: Callable[[str], str]) -> tuple[Path, Path, Path]:
    """Keep a working copy of a generated project's database, then edit one incident; return root, scratch, file."""
    root = generated_project(tmp_path / "project", count)
    scratch = tmp_path / "scratch"
    database_build.kept_database(scratch, values_and_fresh(root)[0])
    path = generated(root)[index]
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return root, scratch, path


def test_with_the_list_of_blocks_no_row_is_read(tmp_path: Path) -> None:
    root, scratch, path = kept_then_edited(tmp_path, 8, 3, lambda t: t.replace("title: Generated", "title: Renamed", 1))
    values, fresh = values_and_fresh(root)
    statements = traced_statements(lambda: database_build.kept_database(scratch, values), fresh)
    assert not [s for s in statements if s.startswith(("SELECT *", "SELECT count(*)"))], statements
    database_build.held_file(database_build.working_copy(scratch)).write_bytes(b"garbage")
    path.write_text(path.read_text(encoding="utf-8").replace("title: Renamed", "title: Again", 1), "utf-8")
    values, fresh = values_and_fresh(root)
    statements = traced_statements(lambda: database_build.kept_database(scratch, values), fresh)
    assert [s for s in statements if s.startswith("CREATE TABLE")], statements  # an unreadable list: made again


def traced_statements(build: Callable[[], bytes | None], fresh: bytes) -> list[str]:
    """Return the SQL statements build() ran, checking that it gives fresh."""
    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        connection = connect(*args, **kwargs)  # type: ignore[arg-type]
        connection.set_trace_callback(statements.append)
        return connection

    database_build.sqlite3.connect = traced  # type: ignore[assignment]
    try:
        assert build() == fresh
    finally:
        database_build.sqlite3.connect = connect
    return statements


def test_the_patch_rewrites_only_the_rows_that_changed(tmp_path: Path) -> None:
    root, scratch, _path = kept_then_edited(tmp_path, 12, 5, lambda t: t.rstrip("\n") + " One more sentence.\n")
    values, fresh = values_and_fresh(root)
    statements = traced_statements(lambda: database_build.kept_database(scratch, values), fresh)
    inserts = [s for s in statements if s.startswith("INSERT INTO") and "VALUES ('" not in s]
    assert len(inserts) == 1 and inserts[0].startswith('INSERT INTO "incidents"'), inserts


@pytest.mark.parametrize("damage", ["garbage", "rowids", "table"])
def test_a_damaged_working_copy_is_made_again(tmp_path: Path, damage: str) -> None:
    scratch, copy, values, fresh = kept_copy(tmp_path, 6)
    if damage == "garbage":
        copy.write_bytes(b"not a database" * 100)
    else:
        with sqlite3.connect(copy) as db:
            if damage == "rowids":
                db.execute("UPDATE people SET rowid = rowid + 1000 WHERE rowid = 1")
            else:
                db.execute("DROP TABLE corrections")
        db.close()
    assert database_build.kept_database(scratch, values) == fresh
    held = database_build.read_held(copy)
    assert held is not None, "made again, the copy is listed"
    assert database_build._patched(copy, values, held)[0] == fresh  # type: ignore[index]  # noqa: SLF001 - it patches cleanly


def test_the_list_of_blocks_is_not_trusted_once_the_copy_changed(tmp_path: Path) -> None:
    root = generated_project(tmp_path / "project", 6)
    scratch = tmp_path / "scratch"
    values, fresh = values_and_fresh(root)
    assert database_build.kept_database(scratch, values) == fresh
    with sqlite3.connect(database_build.working_copy(scratch)) as db:  # another process changes a row
        db.execute("UPDATE incidents SET title = 'Changed behind its back' WHERE rowid = 1")
    db.close()
    assert database_build.kept_database(scratch, values) == fresh


def test_the_same_first_and_last_blocks_are_counted_as_one_by_one_would() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        old = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        new = [rng.choice("abc") for _ in range(rng.randint(0, 12))]
        if rng.random() < 0.5:
            new = old[: rng.randint(0, len(old))] + new
        first = 0
        while first < min(len(new), len(old)) and new[first] == old[first]:
            first += 1
        last = 0
        while last < min(len(new), len(old)) and new[-1 - last] == old[-1 - last]:
            last += 1
        assert database_build._same_first(new, old) == first  # noqa: SLF001
        assert database_build._same_last(new, old) == last  # noqa: SLF001


def reading(run: Run, name: str, read: list[tuple[str, int]]) -> Run:
    """Return run with each block read noted in read as (table, block)."""

    def block(index: int) -> list[tuple]:
        read.append((name, index))
        return run.block(index)

    return Run(run.tokens, block)


@pytest.mark.parametrize("edit", ["body", "people"])
def test_with_the_list_of_blocks_only_the_blocks_that_changed_are_read(tmp_path: Path, edit: str) -> None:
    """A narrative edit reads the incident's block of the incidents table alone; one more person reads the
    incident's block of the people table and every block after it (their rowids move), and nothing else."""
    root = generated_project(tmp_path / "project", 10)
    scratch = tmp_path / "scratch"
    database_build.kept_database(scratch, values_and_fresh(root)[0])
    before, _ = values_and_fresh(root)
    path = generated(root)[4]
    text = path.read_text(encoding="utf-8")
    if edit == "body":
        text = text.rstrip("\n") + " One more sentence.\n"
    else:
        text = text.replace(
            "sources:\n", "people:\n  - {role: civilian, description: adult, outcome: unknown}\nsources:\n"
        )
        text = text.replace(
            "people:\n  - {role: civilian, description: adult, outcome: unknown}\npeople:\n", "people:\n"
        )
    path.write_text(text, encoding="utf-8")
    values, fresh = values_and_fresh(root)
    read: list[tuple[str, int]] = []
    counted = {name: reading(run, name, read) for name, run in values.items()}
    assert database_build.kept_database(scratch, counted) == fresh
    expected = []
    for name, run in values.items():
        changed = [i for i, token in enumerate(run.tokens) if token != before[name].tokens[i]]
        if name == "people" and edit == "people":  # one more row: the blocks after it move
            changed = list(range(changed[0], len(run.tokens)))
            assert len(changed) > 1
        expected += [(name, index) for index in changed]
    assert expected and read == expected
    assert [name for name, _index in read].count("incidents") == 1


def test_after_a_narrative_edit_make_site_reads_the_rows_of_that_incident_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other incidents' rows pieces are left pickled in the cache folder: their fingerprints name the blocks."""
    root = generated_project(tmp_path / "project", 30)
    cache = root / ".cache"
    Engine(root, root / "site", cache=cache, search=False, commit=COMMIT).run()
    path = generated(root)[7]
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + " One more sentence.\n", encoding="utf-8")
    read: list[tuple[str, int]] = []

    def counting(real: Callable[[list, str], Callable[[int], list[tuple]]]) -> Callable:
        return lambda pieces, name: reading(Run([], real(pieces, name)), name, read).block

    monkeypatch.setattr(database, "_piece_rows", counting(database._piece_rows))  # noqa: SLF001
    monkeypatch.setattr(database_build, "_unpickled_rows", counting(database_build._unpickled_rows))  # noqa: SLF001 - the thread's
    engine = Engine(root, root / "site", cache=cache, search=False, commit=COMMIT)
    assert engine.run().ok
    monkeypatch.undo()
    assert engine.site is not None
    rel = path.relative_to(root).as_posix()
    position = next(i for i, incident in enumerate(engine.site.incidents) if incident.source.rel == rel)
    assert read and {index for _name, index in read} == {position}, read
    cold = root / "cold"
    Engine(root, cold, search=False, commit=COMMIT).run()
    assert (root / "site" / "data" / "incidents.db").read_bytes() == (cold / "data" / "incidents.db").read_bytes()


def kept_copy(tmp_path: Path, count: int) -> tuple[Path, Path, database_build.Blocks, bytes]:
    """Keep a working copy of a generated project's database; return the scratch folder, the copy, values, bytes."""
    root = generated_project(tmp_path / "project", count)
    scratch = tmp_path / "scratch"
    values, fresh = values_and_fresh(root)
    database_build.kept_database(scratch, values)
    return scratch, database_build.working_copy(scratch), values, fresh


def _damaged_in_place(path: Path, at: int) -> None:
    """Change the byte at `at` without changing the file's size, time or inode (as a failing disk would)."""
    status = path.stat()
    with open(path, "r+b") as stream:
        stream.seek(at)
        byte = stream.read(1)
        stream.seek(at)
        stream.write(bytes([byte[0] ^ 0x01]))
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_a_working_copy_damaged_in_place_is_never_published(tmp_path: Path) -> None:
    """Found by an outside audit: a damaged row or index entry, stamp unchanged, went out through VACUUM INTO."""
    scratch, copy, values, fresh = kept_copy(tmp_path, 6)
    rng = random.Random(11)
    places = [copy.read_bytes().find(b"Generated incident")] + [
        rng.randrange(100, copy.stat().st_size) for _ in range(12)
    ]
    assert places[0] > 0
    for at in places:
        _damaged_in_place(copy, at)
        database_build._KEPT_HERE.clear()  # noqa: SLF001 - as in the next make site, a process of its own
        assert database_build.kept_database(scratch, values) == fresh, at


def test_a_copy_listed_by_this_process_is_not_hashed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The preview's next update trusts the hash it listed the copy with while the stamp is the one it listed."""
    root = generated_project(tmp_path / "project", 6)
    scratch = tmp_path / "scratch"
    values, fresh = values_and_fresh(root)
    database_build.kept_database(scratch, values)
    hashed: list[Path] = []
    real = database_build.file_digest
    monkeypatch.setattr(database_build, "file_digest", lambda path: hashed.append(path) or real(path))
    assert database_build.kept_database(scratch, values) == fresh
    assert hashed == [database_build.working_copy(scratch)], "hashed once, for the list it leaves"
    database_build._KEPT_HERE.clear()  # noqa: SLF001 - another process
    hashed.clear()
    assert database_build.kept_database(scratch, values) == fresh
    assert len(hashed) == 2


def test_only_the_files_kept_database_makes_are_removed_beside_it(tmp_path: Path) -> None:
    """Found by an outside audit: any incidents-*.db or .blocks-* beside the copy was removed (a user's backup)."""
    root = generated_project(tmp_path / "project", 4)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    theirs = ["incidents-backup.db", ".blocks-mine", "incidents-0123456789abcdef.db.old", "notes.txt"]
    ours = ["incidents-0123456789abcdef.db", "incidents-0123456789abcdef.blocks", ".blocks-abcd_123"]
    for name in theirs + ours:
        (scratch / name).write_bytes(b"x")
    values, fresh = values_and_fresh(root)
    assert database_build.kept_database(scratch, values) == fresh
    left = {path.name for path in scratch.iterdir()}
    assert set(theirs) <= left and not set(ours) & left


def test_a_copy_listed_with_a_journal_beside_it_is_not_trusted(tmp_path: Path) -> None:
    """A list kept while a journal lay beside the copy holds no hash of its bytes: the copy is made again."""
    _scratch, copy, _values, _fresh = kept_copy(tmp_path, 4)
    journal = copy.with_name(copy.name + "-journal")
    journal.write_bytes(b"")  # empty: SQLite ignores it, but file_digest cannot vouch for the copy
    database_build._keep_held(copy, database_build.read_held(copy) or {})  # noqa: SLF001 - as a build would
    assert database_build.read_held(copy) is None
