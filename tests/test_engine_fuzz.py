"""The engine's promise, driven with random edits: an update gives the bytes of a clean build.

After each random edit (tests/engine_edits.py: every kind of content file, site.yaml, templates,
including edits that make a template read something new, static files, adds, deletes, renames,
hidden folders, invalid states and their fixes), three builds are compared:
- the preview's way: one long-lived engine told which files changed (for edited incident files,
  half the time first a quick pass that makes only their own pages and begins the database's
  patch in a thread, as make serve does);
- make site's way: a new engine each time, with the state kept in a cache folder;
- a clean build from nothing, the reference.
The outputs must be byte-identical, and an invalid state must give the same problems in all
three while nothing is written. KCRECORD_FUZZ_SEED and KCRECORD_FUZZ_STEPS run other sequences.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from kcrecord.content.recorded import file_of
from kcrecord.engine import parallel
from kcrecord.engine.engine import Engine, Outcome
from kcrecord.engine.template_errors import describe, raised_in_templates
from kcrecord.engine.write import MARKER
from kcrecord.preview.builder import incident_slug
from tests.conftest import SMALL_SITE, copy_project
from tests.engine_edits import (
    EDITS,
    MODULE_READS,
    NEW_READS,
    add_incident,
    agency_edit,
    body_edit,
    hide_maps,
    title_edit,
)

SEED = int(os.environ.get("KCRECORD_FUZZ_SEED", "20261130"))
STEPS = int(os.environ.get("KCRECORD_FUZZ_STEPS", "24"))
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def tree(folder: Path) -> dict[str, bytes]:
    """Return every file below folder (but the marker) by path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MARKER
    }


def attempt(root: Path, build: Callable[[], Outcome]) -> Outcome | str:
    """Return build()'s outcome, or the error it raised as the command line shows it (a template broken).

    Edits to one template can leave it broken (module_edit's value taken out while its use stays):
    every way of building must then stop at a template error, and the next fix makes them all agree.
    """
    try:
        return build()
    except Exception as error:  # noqa: BLE001 - a template error, here or in a worker (WorkerError)
        if not raised_in_templates(error, root / "templates"):
            raise
        return describe(error, root / "templates", root)


def clean(root: Path, out: Path) -> tuple[dict[str, bytes] | str | None, list]:
    """Build from nothing into out, in this process alone; return its files, or None and the problems.

    One process: the builds compared with it make their outputs in worker processes, the incident
    pages there while the lists and downloads are made in the engine's own (kcrecord/engine/parallel.py).
    A template error: its text (attempt) instead of the files.
    """
    outcome = attempt(root, Engine(root, out, search=False, commit=COMMIT, workers=1).run)
    if isinstance(outcome, str):
        return outcome, []
    return (None, outcome.problems) if outcome.problems else (tree(out), [])


def differences(got: dict[str, bytes], want: dict[str, bytes]) -> list[str]:
    return sorted(rel for rel in set(got) | set(want) if got.get(rel) != want.get(rel))


def test_random_edit_sequences_give_the_bytes_of_a_clean_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # make site's way makes its outputs in two worker processes
    rng = random.Random(SEED)
    root = copy_project(SMALL_SITE, tmp_path / "project")
    hide_maps(root)  # map_toggle hides the locator maps, and shows them again
    preview = Engine(  # as make serve's (PreviewBuilder): a cache folder of its own, state saved after full runs only
        root,
        tmp_path / "preview",
        cache=tmp_path / "preview-cache",
        search=False,
        commit=COMMIT,
        save_every_run=False,
        lasting=True,
    )
    assert preview.run().ok
    assert Engine(root, tmp_path / "site", cache=tmp_path / "cache", search=False, commit=COMMIT, workers=2).run().ok
    undo = None
    for step in range(STEPS):
        if undo is not None:
            changed, undo, what = undo(), None, "undo"
        else:
            edit = rng.choice(EDITS)
            changed, undo = edit(root, rng)
            what = edit.__name__
        where = f"seed {SEED}, step {step}: {what} {[p.relative_to(root).as_posix() for p in changed]}"
        want, problems = clean(root, tmp_path / f"clean-{step}")
        slugs = {slug for path in changed if (slug := incident_slug(root, path)) and path.is_file()}
        if slugs and rng.random() < 0.5:  # as make serve does: the edited incidents' pages first, then the rest
            quick = attempt(root, partial(preview.run, changed, only=slugs))
            preview.start_ahead()  # the database's patch begun in a thread (kcrecord/engine/head_start.py)
            ok = not isinstance(quick, str) and quick.ok
            updated = attempt(root, partial(preview.run, [])) if ok else quick
        else:
            updated = attempt(root, partial(preview.run, changed))
        site = attempt(
            root, Engine(root, tmp_path / "site", cache=tmp_path / "cache", search=False, commit=COMMIT, workers=2).run
        )
        if isinstance(want, str):  # a template broken: every way of building stops at a template error
            assert isinstance(updated, str) and isinstance(site, str), (where, want, updated, site)
            continue  # (not always the same one: with two broken, each names the first it met)
        assert not isinstance(updated, str) and not isinstance(site, str), (where, updated, site)
        if want is None:
            assert problems, where
            assert sorted(updated.problems) == sorted(problems), where
            assert sorted(site.problems) == sorted(problems), where
            continue
        assert updated.ok and site.ok, (where, updated.problems, site.problems)
        by_file = preview.site.published_by_file()  # the pieces' incidents are looked up there (Fragments)
        assert by_file is not None, where
        incidents = preview.site.incidents
        assert {rel: id(i) for rel, i in by_file.items()} == {file_of(i): id(i) for i in incidents}, where
        assert differences(tree(tmp_path / "preview"), want) == [], where
        assert differences(tree(tmp_path / "site"), want) == [], where


def test_a_template_that_starts_reading_something_stays_fresh_at_later_edits(tmp_path: Path) -> None:
    """Divergence 1: a template edit that reads something new, then an unrelated content edit."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    engine = Engine(root, tmp_path / "preview", search=False, commit=COMMIT)
    assert engine.run().ok
    rng = random.Random(1)
    for name, anchor, new in NEW_READS:
        path = root / "templates" / name
        path.write_text(path.read_text(encoding="utf-8").replace(anchor, new, 1), encoding="utf-8")
        assert engine.run([path]).ok
        for edit in (body_edit, title_edit, add_incident, agency_edit):
            changed, _ = edit(root, rng)
            assert engine.run(changed).ok
            want, _ = clean(root, tmp_path / "clean")
            assert want is not None
            assert differences(tree(tmp_path / "preview"), want) == [], (name, edit.__name__)


def page_title_edit(root: Path, rng: random.Random) -> tuple[list[Path], None]:
    path = root / "content" / "pages" / "about.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("title: ", f"title: {rng.randrange(100)} ", 1), encoding="utf-8")
    return [path], None


@pytest.mark.parametrize("cached", [False, True], ids=["preview", "make site"])
@pytest.mark.parametrize("variant", range(len(MODULE_READS)))
def test_what_an_imported_template_reads_at_its_top_is_recorded_for_every_page_that_uses_it(
    tmp_path: Path, variant: int, cached: bool
) -> None:
    """Jinja runs an imported template's top-level code once: every page using it must still record its reads."""
    root = copy_project(SMALL_SITE, tmp_path / "project")

    def build(changed: list[Path] | None = None) -> None:
        if cached:  # make site's way: a new engine each time, its state in the cache folder
            assert Engine(root, tmp_path / "out", cache=tmp_path / "cache", search=False, commit=COMMIT).run().ok
        else:
            assert engine.run(changed).ok

    engine = Engine(root, tmp_path / "out", search=False, commit=COMMIT)
    build()
    rng = random.Random(variant)
    for name, anchor, new in MODULE_READS[variant]:
        path = root / "templates" / name
        path.write_text(new if anchor == "" else path.read_text(encoding="utf-8").replace(anchor, new, 1))
    build(sorted({root / "templates" / name for name, _a, _n in MODULE_READS[variant]}))
    shown = 0
    for edit in (add_incident, title_edit, page_title_edit, body_edit, add_incident):
        changed, _ = edit(root, rng)
        build(changed)
        want, _ = clean(root, tmp_path / "clean")
        assert want is not None
        assert differences(tree(tmp_path / "out"), want) == [], edit.__name__
        shown += sum(b"fuzz-" in data for data in want.values())
    assert shown > 0  # the edits' reads are on the pages compared


def test_a_template_changed_and_undone_during_an_update_leaves_no_stale_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Divergence 2: the templates an update renders with are read once, when it starts."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    engine = Engine(root, tmp_path / "preview", search=False, commit=COMMIT)
    assert engine.run().ok
    base = root / "templates" / "base.html"
    original = base.read_text(encoding="utf-8")
    made = []
    real = parallel.make_one

    def make_one(job):  # type: ignore[no-untyped-def]
        made.append(job.path)
        if len(made) == 3:
            base.write_text(original.replace("</body>", "<p>saved by mistake</p></body>"), encoding="utf-8")
        return real(job)

    monkeypatch.setattr(parallel, "make_one", make_one)
    page = root / "content" / "pages" / "about.md"
    page.write_text(page.read_text(encoding="utf-8").replace("title: ", "title: The record, ", 1), encoding="utf-8")
    assert engine.run([page]).ok  # every page shows the new title, rendered with one state of the templates
    assert len(made) > 3
    base.write_text(original, encoding="utf-8")  # undone
    assert engine.run([base]).ok
    want, _ = clean(root, tmp_path / "clean")
    assert want is not None
    got = tree(tmp_path / "preview")
    assert differences(got, want) == []
    assert not [rel for rel, data in got.items() if b"saved by mistake" in data]


def test_hidden_folders_are_not_content_and_stray_files_fail_every_command(tmp_path: Path) -> None:
    """Divergence 3: one rule for which files are content, for make site, make check and make serve."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    engine = Engine(root, tmp_path / "preview", search=False, commit=COMMIT)
    assert engine.run().ok
    hidden = root / "content" / "incidents" / ".aside" / "2022-05-05-hidden.md"
    hidden.parent.mkdir()
    source = sorted((root / "content" / "incidents").glob("*.md"))[0]
    hidden.write_text(source.read_text(encoding="utf-8").replace("title: ", "title: Hidden ", 1), encoding="utf-8")
    assert engine.run([hidden]).ok
    want, _ = clean(root, tmp_path / "clean")
    assert want is not None
    assert differences(tree(tmp_path / "preview"), want) == []
    assert not [rel for rel in want if "hidden" in rel]
    stray = root / "content" / "pages" / "notes.txt"
    stray.write_text("notes\n")
    updated = engine.run([stray])
    _, problems = clean(root, tmp_path / "clean-2")
    assert problems and updated.problems == problems
    assert [p.path for p in problems] == ["content/pages/notes.txt"]
    stray.unlink()
    assert engine.run([stray]).ok
    folder = root / "content" / "pages" / "faq.md"  # a folder named like a content file: the same rule
    folder.mkdir()
    updated = engine.run([folder])
    _, problems = clean(root, tmp_path / "clean-3")
    assert [p.path for p in problems] == ["content/pages/faq.md"] and updated.problems == problems
