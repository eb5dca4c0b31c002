"""make site's cache: only what changed is made and written, and the cache can never make a build wrong."""

from __future__ import annotations

import os
import pickle
import re
import shutil
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from kcrecord.content.load import MAX_FILE_BYTES
from kcrecord.engine import parallel, parts
from kcrecord.engine.engine import Engine
from kcrecord.engine.kept_pieces import MEMOS, part_of
from kcrecord.engine.kept_records import record_part
from kcrecord.engine.parts import part_file
from kcrecord.engine.pipeline import Project
from kcrecord.engine.pipeline import build as pipeline_build
from kcrecord.engine.state import LEFT_AFTER, keep_pickled
from kcrecord.engine.unchanged import input_fingerprint
from kcrecord.engine.write import MARKER
from tests.hostile import run_cli
from tests.record_factory import generated_project

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def times(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def damage_values(path: Path, where: tuple[int, int, str]) -> None:
    """Write over one name's values in a values file (kcrecord/engine/values_file.py), in place."""
    offset, length, _hash = where
    with open(path, "r+b") as stream:
        stream.seek(offset)
        stream.write(b"not a pickle".ljust(length, b"!")[:length])


def build(root: Path, *args: str) -> None:
    run = run_cli(root, "build", "--no-search", *args)
    assert run.code == 0, run.err


def test_an_edit_rewrites_only_the_files_whose_bytes_changed(small_project: Path) -> None:
    site = small_project / "site"
    build(small_project)
    before = times(site)
    build(small_project)
    assert times(site) == before  # nothing changed: nothing written
    about = small_project / "content" / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nOne more line about the record.\n", encoding="utf-8")
    build(small_project)
    after = times(site)
    rewritten = sorted(rel for rel in after if after[rel] != before.get(rel))
    assert rewritten == ["about/index.html"]
    assert "One more line about the record." in (site / "about" / "index.html").read_text(encoding="utf-8")


def test_the_cache_gives_the_bytes_of_a_cold_build_and_can_be_deleted_or_damaged(small_project: Path) -> None:
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    build(small_project)
    incident.write_text(incident.read_text(encoding="utf-8").replace("title: ", "title: Edited: ", 1) + "\n")
    incident.write_text(incident.read_text(encoding="utf-8").replace("title: Edited: ", "title: Edited, ", 1))
    build(small_project)
    warm = files(small_project / "site")
    build(small_project, "--no-cache", "--out", str(small_project / "cold"))
    assert files(small_project / "cold") == warm
    kept = [path for path in (small_project / ".cache" / "engine").rglob("*") if path.is_file()]
    assert any(path.suffix == ".db" for path in kept)  # the database's working copy (outputs/database_build.py)
    for state in kept:
        state.write_bytes(b"not a pickle")  # damaged: a cold build, never an error
    build(small_project, "--out", str(small_project / "again"))
    assert files(small_project / "again") == warm
    build(small_project)  # the same output folder: its state and working copy damaged
    assert files(small_project / "site") == warm


def parts_rewritten_by_a_body_edit(root: Path, suffix: str) -> tuple[set[str], Path, int]:
    """Build, add a sentence to the first incident's body, build again; return the part files written again.

    Also returns the incident, and how many part files there were before.
    """
    build(root)
    folders = list((root / ".cache" / "engine").glob(f"*{suffix}"))
    assert len(folders) == 1
    before = times(folders[0])
    incident = sorted((root / "content" / "incidents").glob("*.md"))[0]
    incident.write_text(incident.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    build(root)
    after = times(folders[0])
    return {rel for rel in after if after[rel] != before.get(rel)}, incident, len(before)


def test_an_edit_to_one_incident_writes_its_part_of_the_kept_pieces_and_the_memos(small_project: Path) -> None:
    rewritten, incident, parts = parts_rewritten_by_a_body_edit(small_project, ".pieces")
    assert parts > 3  # the fixture's incidents fall in several parts
    own = part_file(Path(), part_of(f"x\0file:content/incidents/{incident.name}")).name
    assert {rel for rel in rewritten if rel.endswith(".pickle")} == {own, part_file(Path(), MEMOS).name}
    values = {rel.partition("-")[0] for rel in rewritten if rel.endswith(".values")}  # new files of those parts
    assert values <= {own.partition(".")[0], f"{MEMOS:02d}"}


def test_an_edit_to_one_incidents_body_writes_its_records_part_and_the_downloads(small_project: Path) -> None:
    """The lists' records (most of the state's bytes) are not written again when no list was made again."""
    rewritten, incident, _ = parts_rewritten_by_a_body_edit(small_project, ".records")
    own = part_file(Path(), record_part(f"incidents/{incident.stem}/index.html")).name
    downloads = part_file(Path(), record_part("data/incidents.db")).name
    assert {rel for rel in rewritten if rel.endswith(".pickle")} == {own, downloads}
    values = {rel.partition("-")[0] for rel in rewritten if rel.endswith(".values")}  # their frames' new files
    assert values == {own.partition(".")[0], downloads.partition(".")[0]}
    assert record_part("index.html") != record_part("data/incidents.db") != record_part(f"incidents/{incident.stem}/")


def test_a_file_changed_in_the_output_folder_is_made_again(small_project: Path) -> None:
    site = small_project / "site"
    build(small_project)
    want = files(site)
    (site / "index.html").write_text("changed by hand")
    (site / "timeline" / "index.html").unlink()
    os.utime(site / "about" / "index.html", ns=(1, 1))  # same bytes, another time: kept, not rewritten
    (site / "stray.txt").write_text("not made by the build")  # someone else's: left as it is
    (site / "incidents" / "gone" / "deeper").mkdir(parents=True)
    (site / "incidents" / "gone" / "deeper" / "index.html").write_text("an old page")
    build(small_project)
    others = {"stray.txt": b"not made by the build", "incidents/gone/deeper/index.html": b"an old page"}
    assert files(site) == {**want, **others}
    assert (site / MARKER).is_file()


def fingerprint(root: Path) -> str | None:
    return input_fingerprint(root, "settings", "code", "commit")


def test_the_inputs_fingerprint_follows_every_file_the_loader_reads_and_nothing_else(small_project: Path) -> None:
    """make site's nothing-changed check reads what the loader reads: hidden files no, any other file yes."""
    first = fingerprint(small_project)
    assert first is not None and fingerprint(small_project) == first
    (small_project / "content" / "incidents" / ".draft.md.swp").write_text("editor's swap file")
    (small_project / "templates" / ".hidden").mkdir()
    (small_project / "templates" / ".hidden" / "x.html").write_text("hidden")
    assert fingerprint(small_project) == first  # hidden names are not content for any command
    for rel in ("content/pages/notes.txt", "static/new.css", "templates/extra.html", "content/incidents/2022/x.md"):
        path = small_project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("new")
        assert fingerprint(small_project) not in (None, first), rel
        path.unlink()
        assert fingerprint(small_project) == first, rel
    site_yaml = small_project / "site.yaml"
    site_yaml.write_text(site_yaml.read_text(encoding="utf-8") + "\n")
    assert fingerprint(small_project) != first


def test_links_and_files_too_big_leave_the_decision_to_the_build(small_project: Path, tmp_path: Path) -> None:
    """Anything the loader refuses makes the fingerprint None, so the build runs and reports it."""
    outside = tmp_path / "outside.md"
    outside.write_text("x")
    link = small_project / "content" / "incidents" / "linked.md"
    link.symlink_to(outside)
    assert fingerprint(small_project) is None
    link.unlink()
    (small_project / "static" / "linked").symlink_to(tmp_path, target_is_directory=True)
    assert fingerprint(small_project) is None
    (small_project / "static" / "linked").unlink()
    big = small_project / "content" / "pages" / "big.md"
    big.write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    assert fingerprint(small_project) is None
    big.unlink()
    os.mkfifo(small_project / "static" / "pipe")
    assert fingerprint(small_project) is None
    (small_project / "static" / "pipe").unlink()
    assert fingerprint(small_project) is not None
    build(small_project)
    link.symlink_to(outside)
    run = run_cli(small_project, "build", "--no-search")
    assert run.code != 0 and "linked.md" in run.err  # the build says what is wrong; nothing was taken as unchanged


def test_the_page_count_printed_is_the_html_pages_in_the_output_folder(small_project: Path) -> None:
    site = small_project / "site"
    for _ in range(2):  # a build, then one with nothing changed (from the summary kept in .cache/)
        run = run_cli(small_project, "build", "--no-search")
        assert run.code == 0, run.err
        printed = re.search(r"(\d+) pages into", run.out)
        assert printed is not None, run.out
        assert int(printed.group(1)) == len(list(site.rglob("*.html"))) > 10


def test_after_an_edit_make_site_reads_each_unchanged_content_file_once(small_project: Path, monkeypatch) -> None:
    """The fingerprint of the inputs reads every file; the engine looks their parses up by those hashes.

    The edited file is read once more, to be parsed, and packed for the cache from those bytes.
    """
    from kcrecord.content import load
    from kcrecord.engine import build_cache, loading
    from kcrecord.engine.pipeline import Project
    from kcrecord.engine.pipeline import build as make_site

    project = Project(small_project, small_project / "site")
    make_site(project, search=False, cache=True)
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    incident.write_text(incident.read_text(encoding="utf-8").replace("title: ", "title: Edited, ", 1))
    read_again: list[str] = []
    real = build_cache.read_regular_file

    def counted(path, rel):  # type: ignore[no-untyped-def]
        read_again.append(rel)
        return real(path, rel)

    for module in (build_cache, loading, load):
        monkeypatch.setattr(module, "read_regular_file", counted)
    make_site(project, search=False, cache=True)
    content_read = [rel for rel in read_again if rel.startswith("content/")]  # site.yaml is read at each build
    assert content_read == [incident.relative_to(small_project).as_posix()]  # parsed, then kept for next time
    assert "Edited, " in (small_project / "site" / "index.html").read_text(encoding="utf-8")


def test_a_temporary_file_left_by_a_killed_build_is_removed_by_the_next_write(tmp_path: Path) -> None:
    """keep_pickled writes through `.<name>-*` temporaries; one an hour old was left by a build that was killed."""
    target = tmp_path / "engine" / "build.summary"
    target.parent.mkdir()
    left = target.parent / f".{target.name}-killed"
    left.write_bytes(b"")
    old = time.time() - LEFT_AFTER - 60
    os.utime(left, (old, old))
    writing = target.parent / f".{target.name}-another-build-writing-now"
    writing.write_bytes(b"")
    other = target.parent / ".other.pickle-killed"  # another target's: its own next write removes it
    other.write_bytes(b"")
    os.utime(other, (old, old))
    keep_pickled(target, {"a": 1})
    assert target.is_file() and not left.exists()
    assert writing.exists() and other.exists()


def test_any_one_file_of_the_cache_lost_or_damaged_gives_the_bytes_of_a_cold_build(small_project: Path) -> None:
    """A part of the cache that cannot be read is left out and its entries made again, never an error.

    Each file the engine keeps in .cache/engine/ in turn (each part of the kept pieces and of the
    records, the state, the summary, the input hashes, the database's working copy), damaged or
    removed before a build that follows an edit: the build succeeds with a cold build's bytes.
    make site's own steps, in this process (build.py runs them the same way).
    """
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    texts = [incident.read_text(encoding="utf-8")]
    texts.append(texts[0] + "\nOne more sentence, and the title edited too.\n")
    texts[1] = texts[1].replace("title: ", "title: Edited, ", 1)
    project = Project(small_project, small_project / "site")
    cold = []
    for number, text in enumerate(texts):
        incident.write_text(text, encoding="utf-8")
        pipeline_build(Project(small_project, small_project / f"cold-{number}"), search=False, commit=COMMIT)
        cold.append(files(small_project / f"cold-{number}"))
    pipeline_build(project, search=False, cache=True, commit=COMMIT)
    engine = small_project / ".cache" / "engine"
    kept = sorted(path.relative_to(engine).as_posix() for path in engine.rglob("*") if path.is_file())
    assert len(kept) > 60  # 33 parts of pieces, 34 of records, and the rest
    for number, rel in enumerate(kept):
        target = engine / rel
        if number % 2:
            target.unlink(missing_ok=True)
        elif target.exists():
            target.write_bytes(b"not a pickle")
        incident.write_text(texts[number % 2], encoding="utf-8")  # the other text than the last build's
        pipeline_build(project, search=False, cache=True, commit=COMMIT)
        assert files(small_project / "site") == cold[number % 2], rel


@pytest.mark.parametrize("workers", [1, 2])
def test_kept_values_damaged_inside_a_file_that_still_reads_give_the_bytes_of_a_cold_build(
    small_project: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A part of the kept pieces whose file unpickles, but whose values do not (bytes changed on disk):
    the engine starts again from nothing kept, in this process or when a worker process finds it."""
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # with 2 workers: the incident pages made in worker processes
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    make = lambda: Engine(  # noqa: E731 - make site's engine, as build.py runs it
        small_project,
        small_project / "site",
        cache=small_project / ".cache",
        search=False,
        commit=COMMIT,
        workers=workers,
    ).run()
    assert make().ok
    damaged = 0
    for path in (small_project / ".cache" / "engine").glob("*.pieces/*.pickle"):
        with open(path, "rb") as stream:
            _code, stored = pickle.load(stream)
        values, index = stored[-1]
        for name in index:
            damage_values(path.parent / values, index[name])
            damaged += 1
    assert damaged
    edit = incident.read_text(encoding="utf-8").replace("title: ", "title: Edited, ", 1)
    incident.write_text(edit, encoding="utf-8")
    assert make().ok
    pipeline_build(Project(small_project, small_project / "cold"), search=False, commit=COMMIT)
    assert files(small_project / "site") == files(small_project / "cold")


def test_kept_values_damaged_that_only_saving_reads_are_left_out_and_the_run_reports_what_it_wrote(
    tmp_path: Path,
) -> None:
    """An incident deleted: its part's group of one name is saved again without it, which reads the
    others' values; when those cannot be read, they are left out of the cache (made again when next
    used), and the run is not started again: it reports the files it wrote, and the next build after
    an edit still gives a clean build's bytes."""
    root = generated_project(tmp_path / "project", 60)
    make = lambda: Engine(root, tmp_path / "site", cache=tmp_path / "cache", search=False, commit=COMMIT, workers=1)  # noqa: E731
    assert make().run().ok
    incidents = sorted((root / "content" / "incidents").glob("*.md"))
    target = incidents[30]
    number = part_of("x\0file:" + target.relative_to(root).as_posix())
    (path,) = (tmp_path / "cache" / "engine").glob(f"*.pieces/{number:02d}.pickle")
    with open(path, "rb") as stream:
        code, stored = pickle.load(stream)
    name = "piece:map-locator"  # read by the incident pages only (none made here): only saving reads the others'
    assert len(stored[0][name]) > 1  # more than the deleted incident's
    values, index = stored[-1]
    damage_values(path.parent / values, index[name])
    target.unlink()
    outcome = make().run()
    assert outcome.ok and f"incidents/{target.stem}/index.html" in outcome.written
    clean = Engine(root, tmp_path / "clean", search=False, commit=COMMIT, workers=1).run()
    assert clean.ok and files(tmp_path / "site") == files(tmp_path / "clean")
    incidents[0].write_text(incidents[0].read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assert make().run().ok
    assert Engine(root, tmp_path / "clean-2", search=False, commit=COMMIT, workers=1).run().ok
    assert files(tmp_path / "site") == files(tmp_path / "clean-2")


def test_a_save_split_with_a_forked_helper_writes_the_cache_a_save_in_one_process_writes(
    small_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Half the changed parts are written by a forked helper when many entries changed: the files are the same.

    With a helper that fails before writing, this process writes its half (Ahead.result), and the
    next build still finds everything current.
    """
    engine_cache = small_project / ".cache" / "engine"
    project = Project(small_project, small_project / "site")

    def cold_cache(split_from: int) -> dict[str, bytes]:
        monkeypatch.setattr(parts, "SPLIT_FROM", split_from)
        shutil.rmtree(small_project / ".cache", ignore_errors=True)
        shutil.rmtree(project.out, ignore_errors=True)
        pipeline_build(project, search=False, cache=True, commit=COMMIT)
        return {rel: data for rel, data in files(engine_cache).items() if ".pieces/" in rel or ".records/" in rel}

    forks = []
    real_ahead = parts.Ahead
    monkeypatch.setattr(parts, "Ahead", lambda function: forks.append(1) or real_ahead(function))
    alone = cold_cache(10**9)
    assert not forks
    waiting = threading.Event()
    other = threading.Thread(target=waiting.wait)
    other.start()
    try:
        assert cold_cache(0) == alone and not forks  # another thread runs: no fork
    finally:
        waiting.set()
        other.join()
    # Threads earlier tests left running would stop the split; the helper only pickles and writes files.
    monkeypatch.setattr(parts, "_alone", lambda: True)
    split = cold_cache(0)
    assert len(forks) >= 2  # the pieces and the records, at least
    assert split == alone and len(alone) > 10

    parent = os.getpid()

    def fails_in_the_helper(function: Callable[[], object]) -> object:
        if os.getpid() != parent:
            raise RuntimeError("the helper fails before writing")
        return function()

    monkeypatch.setattr(parts, "Ahead", lambda function: real_ahead(partial(fails_in_the_helper, function)))
    assert cold_cache(0) == alone
    incident = sorted((small_project / "content" / "incidents").glob("*.md"))[0]
    incident.write_text(incident.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    pipeline_build(project, search=False, cache=True, commit=COMMIT)  # from the cache the rescued save wrote
    pipeline_build(Project(small_project, small_project / "cold"), search=False, commit=COMMIT)
    assert files(project.out) == files(small_project / "cold")


def test_a_build_whose_working_folder_cannot_be_made_still_builds_the_same_site(small_project: Path) -> None:
    """The cache's working folder (the database's copy, the spooled downloads) blocked by a file: built in memory."""
    build(small_project)
    working = [path for path in (small_project / ".cache" / "engine").iterdir() if path.suffix == ".work"]
    assert len(working) == 1
    shutil.rmtree(working[0])
    working[0].write_text("in the way", encoding="utf-8")
    incident = next((small_project / "content" / "incidents").rglob("*.md"))
    incident.write_text(incident.read_text(encoding="utf-8").replace("title: ", "title: Now ", 1), encoding="utf-8")
    build(small_project)
    build(small_project, "--out", str(small_project / "clean"), "--no-cache")
    assert files(small_project / "site") == files(small_project / "clean")
