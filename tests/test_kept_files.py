"""make site keeps each content file as read and its incident as assembled (kcrecord/engine/kept_files.py).

After an edit, the other incidents come back from the cache folder as they were assembled, with
their front matter still pickled: a build reads few of them, and gives a cold build's bytes.
"""

from __future__ import annotations

import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from kcrecord.content import assemble as assemble_module
from kcrecord.content import document, yaml_strict
from kcrecord.engine.deps import digest
from kcrecord.engine.engine import Engine
from kcrecord.engine.kept_files import files_folder
from kcrecord.engine.state import keep_pickled
from tests.conftest import SMALL_SITE, copy_project
from tests.record_factory import generated_project

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def run(root: Path, out: str, cache: bool, base_url: str | None = None) -> dict[str, bytes]:
    engine = Engine(
        root, root / out, base_url=base_url, cache=root / ".cache" if cache else None, search=False, commit=COMMIT
    )
    outcome = engine.run()
    assert not outcome.problems, outcome.problems
    return tree(root / out)


class Counting:
    """Stands in for the pickle module inside kcrecord.content.document, counting the values unpickled."""

    def __init__(self) -> None:
        self.loads_count = 0
        self.HIGHEST_PROTOCOL = pickle.HIGHEST_PROTOCOL
        self.dumps = pickle.dumps

    def loads(self, data: bytes) -> object:
        self.loads_count += 1
        return pickle.loads(data)


def test_a_document_pickles_its_values_apart_and_unpickles_them_when_first_asked() -> None:
    doc, problems = yaml_strict.load("title: A\nsources:\n  - id: one\n    date: 2024-03-05\n", "x.md")
    assert doc is not None and not problems
    again = pickle.loads(pickle.dumps(doc))
    assert again._pickled is not None  # noqa: SLF001 - nothing read yet
    assert again.is_map  # known without unpickling the values
    assert again._pickled is not None  # noqa: SLF001
    assert pickle.loads(pickle.dumps(again)) == doc  # pickled again as it was, unread
    assert again.data == doc.data and again.lines == doc.lines and again.line(("sources", 0, "date")) == 4
    listed, _ = yaml_strict.load("- a\n- b\n", "y.md")
    assert listed is not None and not pickle.loads(pickle.dumps(listed)).is_map


def test_an_incident_pickles_without_its_front_matter_and_reads_it_from_its_file(small_project: Path) -> None:
    engine = Engine(small_project, small_project / "site", search=False, commit=COMMIT)
    engine.run()
    assert engine.site is not None
    incident = engine.site.incidents[0]
    meta = incident.meta
    source, back = pickle.loads(pickle.dumps((incident.source, incident)))
    assert "meta" not in back.__dict__
    assert back.title == incident.title and back.year == incident.year  # kept as assembled
    assert back.meta is source.meta and back.meta == meta


def test_after_an_edit_the_other_incidents_are_kept_and_their_front_matter_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_project = generated_project(tmp_path / "project", 30)
    incidents = sorted((small_project / "content" / "incidents").glob("*.md"))
    run(small_project, "site", cache=True)
    assert any(files_folder(small_project / ".cache").glob("*.pickle"))
    edited = incidents[1]
    edited.write_text(edited.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assembled: list[str] = []
    real = assemble_module._incident  # noqa: SLF001

    def counted(source, *args):  # type: ignore[no-untyped-def]
        assembled.append(source.rel)
        return real(source, *args)

    counting = Counting()
    monkeypatch.setattr(assemble_module, "_incident", counted)
    monkeypatch.setattr(document, "pickle", counting)
    got = run(small_project, "site", cache=True)
    monkeypatch.undo()
    assert assembled == [edited.relative_to(small_project).as_posix()]
    assert counting.loads_count < len(incidents) // 2 + 10  # the agencies, pages and a few incidents
    assert got == run(small_project, "cold", cache=False)


def test_another_base_path_assembles_every_incident_again(small_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(small_project, "site", cache=True)
    assembled: list[str] = []
    real = assemble_module._incident  # noqa: SLF001

    def counted(source, *args):  # type: ignore[no-untyped-def]
        assembled.append(source.rel)
        return real(source, *args)

    monkeypatch.setattr(assemble_module, "_incident", counted)
    got = run(small_project, "site", cache=True, base_url="https://example.net/elsewhere/")
    monkeypatch.undo()
    published = run(small_project, "cold", cache=False, base_url="https://example.net/elsewhere/")
    assert len(assembled) == len(list((small_project / "content" / "incidents").glob("*.md")))
    assert got == published
    assert b'href="/elsewhere/' in published["index.html"]


def test_bytes_changed_inside_a_kept_front_matter_are_found_and_the_file_read_again(tmp_path: Path) -> None:
    """A part of the kept files, or a parsed file in the cache's database, whose pickle still reads but
    whose front matter (unpickled only when asked for) was changed on disk: each is read again from its file."""
    root = generated_project(tmp_path / "project", 12)
    run(root, "site", cache=True)
    folder = files_folder(root / ".cache")
    changed = 0
    for path in sorted(folder.glob("*.pickle")):
        with open(path, "rb") as stream:
            code, (check, data) = pickle.load(stream)
        at = data.find(b"A fictional incident")
        if at > 0:
            keep_pickled(path, (code, (check, data[:at] + b"A fictional incidenx" + data[at + 20 :])))
            changed += 1
    assert changed
    (database,) = (root / ".cache").glob("markdown-*.sqlite3")
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT key, data FROM parsed").fetchall()
        for key, data in rows:
            db.execute(
                "UPDATE parsed SET data = ? WHERE key = ?",
                (data.replace(b"A fictional incident", b"A fictional incidenx"), key),
            )
    incident = sorted((root / "content" / "incidents").glob("*.md"))[0]
    incident.write_text(incident.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    shutil.rmtree(root / "site")  # every page made again, from the files as kept
    got = run(root, "site", cache=True)
    assert got == run(root, "cold", cache=False)
    assert not any(b"A fictional incidenx" in data for data in got.values())


def test_a_file_saved_while_the_build_read_it_is_not_kept_under_the_other_bytes_key(tmp_path: Path) -> None:
    """make site hashed the inputs (bytes A), the file was saved (B) before it was parsed, then the save was
    undone: a later build from the same cache must read A, not the B kept under A's key."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    incident = sorted((root / "content" / "incidents").glob("*.md"))[0]
    rel = incident.relative_to(root).as_posix()
    first = incident.read_bytes()
    incident.write_bytes(first + b"\nA paragraph saved while the build ran.\n")
    engine = Engine(
        root, root / "site", cache=root / ".cache", search=False, commit=COMMIT, inputs={rel: digest(first)}
    )
    assert engine.run().ok
    incident.write_bytes(first)
    assert run(root, "again", cache=True) == run(root, "cold", cache=False)
