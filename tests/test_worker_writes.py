"""A cold build's workers stage the incident pages they make themselves (OutputFolder.place), and make site
holds one of the downloads' memos at a time, while its files are made (Fragments.memo, let_go_heavy)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kcrecord.engine import parallel
from kcrecord.engine.engine import Engine
from kcrecord.engine.write import MANIFEST, MARKER
from kcrecord.outputs.fragments import Fragments
from tests.record_factory import generated_project

COMMIT = "0123456789abcdef0123456789abcdef01234567"
COUNT = parallel.PARALLEL_FROM + 40  # enough incident pages for the workers


def tree(folder: Path) -> dict[str, bytes]:
    """Return every file below folder by its path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Return each incident page's (inode, mtime_ns)."""
    pages = (folder / "incidents").glob("*/index.html")
    return {p.parent.name: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in pages if p.parent.name != "page"}


def engine(root: Path, out: str, workers: int) -> Engine:
    return Engine(root, root / out, cache=root / f".cache-{out}", search=False, commit=COMMIT, workers=workers)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_project(tmp_path_factory.mktemp("workers") / "project", COUNT)


def test_pages_staged_by_workers_are_the_pages_one_process_makes(project: Path) -> None:
    on_workers = engine(project, "site-2", 2).run()
    alone = engine(project, "site-1", 1).run()
    assert on_workers.ok and alone.ok
    assert tree(project / "site-2") == tree(project / "site-1")
    listed = set((project / "site-2" / MANIFEST).read_text(encoding="utf-8").split("\n")) - {""}
    assert set(tree(project / "site-2")) - {MANIFEST, MARKER} == listed
    again = engine(project, "site-2", 2).run()  # every file noted as written: nothing made, nothing written
    assert again.rendered == 0 and again.written == []


def test_a_page_made_again_by_a_worker_with_the_same_bytes_keeps_its_file(project: Path) -> None:
    first = engine(project, "site-keep", 2)
    assert first.run().ok
    before, pages = stamps(project / "site-keep"), tree(project / "site-keep")
    template = project / "templates" / "incident.html"
    original = template.read_text(encoding="utf-8")
    try:
        template.write_text(original + "{# a comment: the pages' bytes stay the same #}\n", encoding="utf-8")
        outcome = engine(project, "site-keep", 2).run()
        assert outcome.ok and len([p for p in outcome.rendered_paths if p.endswith("/index.html")]) >= COUNT
        assert stamps(project / "site-keep") == before  # not one page rewritten: same inode, same time
        assert tree(project / "site-keep") == pages
        template.write_text(original.replace("</article>", "<p>Changed.</p></article>", 1), encoding="utf-8")
        assert "<p>Changed.</p>" in template.read_text(encoding="utf-8")
        outcome = engine(project, "site-keep", 2).run()
        changed = stamps(project / "site-keep")
        assert outcome.ok and changed.keys() == before.keys()
        assert all(changed[slug] != before[slug] for slug in before)  # every page replaced
        page = next(iter(changed))
        assert b"<p>Changed.</p>" in (project / "site-keep" / "incidents" / page / "index.html").read_bytes()
        assert engine(project, "site-keep", 2).run().written == []  # what the workers placed is known as written
    finally:
        template.write_text(original, encoding="utf-8")


def test_a_cold_build_on_workers_makes_each_download_memo_once(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: Counter[str] = Counter()
    memo = Fragments.memo

    def counted(self: Fragments, name: str, inputs: Any, make: Any, by_reads: bool = False) -> Any:
        def making() -> Any:
            made[name] += 1
            return make()

        return memo(self, name, inputs, making if by_reads else make, by_reads)

    monkeypatch.setattr(Fragments, "memo", counted)
    built = engine(project, "site-memos", 2)
    assert built.run().ok
    assert made == {"downloads": 1, "database": 1}  # made with their files, one held at a time
    heavy = [kept for key, kept in built.fragments.kept.items() if key.startswith("memo:") and kept.heavy]
    assert heavy and all(kept.dropped and kept.value is None for kept in heavy)
    assert (project / "site-memos" / "data" / "incidents.db").stat().st_size > 0


def test_a_pieces_key_is_one_object_in_kept_and_in_every_frame_that_read_it(project: Path) -> None:
    """A cold build on workers: each piece read (by a page made in a worker or here, by a list, by another
    piece) is recorded under the very object that is its key in kept, not a copy of that text each; each
    content file read, under the object the engine's file keys hold."""
    built = engine(project, "site-keys", 2)
    assert built.run().ok
    kept = built.fragments.kept
    own = {key: key for key in kept}  # each text -> the object kept holds
    frames = [record.frame for record in built.state.records.values()] + [item.frame for item in kept.values()]
    read = [key for frame in frames for key in frame if key.startswith("piece:")]
    assert len(read) > 5 * COUNT  # the lists', the pages' and the pieces' own reads
    assert [key for key in read if own.get(key) is not key] == []
    files = {key: key for key in built.file_keys.keys}  # file:<path> and front:<path>, as the engine keeps them
    read = [key for frame in frames for key in frame if key.startswith(("file:", "front:"))]
    assert len(read) > 2 * COUNT
    assert [key for key in read if files.get(key) is not key] == []  # the model's reads: the same objects
