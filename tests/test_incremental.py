"""The preview's rebuilds (make serve): one long-lived engine updates the preview folder after each edit,
making only what the edit affects, and the folder then equals a clean build byte for byte, for every kind
of input. The watcher sees edits through the operating system's file events."""

from __future__ import annotations

import gc
import os
import queue
import random
import re
import shutil
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kcrecord.engine.build_cache import CachedMarkdownRenderer
from kcrecord.engine.engine import Engine
from kcrecord.engine.pipeline import Project
from kcrecord.engine.write import MANIFEST, MARKER, read_manifest
from kcrecord.outputs.render import Job
from kcrecord.preview.builder import PreviewBuilder, incident_slug, preview_folder
from kcrecord.preview.watch import Watcher
from tests.conftest import SMALL_SITE, copy_project

BASE = "http://127.0.0.1:8000/"
INCIDENT = "content/incidents/2024-03-05-example-shooting.md"
OTHER_INCIDENT = "content/incidents/2023-07-01-example-vehicle.md"
PAGE = "incidents/2024-03-05-example-shooting/index.html"
WATCHED = ("content", "templates", "static", "site.yaml")
SEARCH = "pagefind/"


def tree(folder: Path) -> dict[str, bytes]:
    """Return every file below folder with its bytes (the search bundle left out)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(SEARCH)
    }


def clean_build(root: Path, out: Path) -> dict[str, bytes]:
    """Build root from scratch, with no cache and no search index, into out; return the output tree."""
    outcome = Engine(root, out, BASE, search=False).run()
    assert outcome.ok, outcome
    return tree(out)


def assert_same_tree(actual: dict[str, bytes], expected: dict[str, bytes]) -> None:
    assert sorted(actual) == sorted(expected)
    different = [name for name in expected if actual[name] != expected[name]]
    assert different == []


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def snapshot(root: Path) -> dict[Path, bytes]:
    """Return every watched file with its bytes."""
    found = {}
    for name in WATCHED:
        path = root / name
        paths = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path] if path.is_file() else []
        found.update((p, p.read_bytes()) for p in paths)
    return found


class Changes:
    """What the watcher would deliver: the watched files changed since the last call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.seen = snapshot(root)

    def __call__(self) -> set[Path]:
        now = snapshot(self.root)
        changed = {path for path, data in now.items() if self.seen.get(path) != data}
        changed |= {path for path in self.seen if path not in now}
        self.seen = now
        return changed


def finish(builder: PreviewBuilder) -> None:
    while builder.pending:
        assert builder.finish().ok


@pytest.fixture
def preview(small_project: Path) -> tuple[PreviewBuilder, Changes, Path]:
    """Return a builder that has built the small project once, and what changed since."""
    builder = PreviewBuilder(small_project, BASE)
    assert builder.build().ok
    return builder, Changes(small_project), small_project


def _new_incident(root: Path) -> None:
    text = (root / INCIDENT).read_text(encoding="utf-8")
    text = text.replace("2024-03-05", "2022-05-09").replace("2024-03-06", "2022-05-10")
    (root / "content/incidents/2022-05-09-example-new.md").write_text(text, encoding="utf-8")


def _move_year(root: Path) -> None:
    text = (root / INCIDENT).read_text(encoding="utf-8").replace("date: 2024-03-05", "date: 2023-03-05")
    (root / INCIDENT).unlink()
    (root / "content/incidents/2023-03-05-example-shooting.md").write_text(text, encoding="utf-8")


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    return change


def _remove(rel: str) -> Callable[[Path], None]:
    return lambda root: (root / rel).unlink()


CHANGES: dict[str, Callable[[Path], None]] = {
    "incident title": lambda root: edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man"),
    "incident narrative": lambda root: edit(root, INCIDENT, "Tuesday afternoon", "Tuesday evening"),
    "incident moves year": _move_year,
    "incident drops an agency": lambda root: edit(
        root, INCIDENT, "  - {id: example-prosecutor, role: reviewing}\n", ""
    ),
    "incident added": _new_incident,
    "incident gets coordinates (the data page counts it)": lambda root: edit(
        root,
        INCIDENT,
        "  precision: address-block\n",
        "  precision: address-block\n  latitude: 39.0997\n  longitude: -94.5786\n"
        "  coordinates_note: Placed at the block named by police, not a house.\n",
    ),
    "incident made a draft (its year empties)": lambda root: edit(
        root, OTHER_INCIDENT, "title: ", "draft: true\ntitle: "
    ),
    "incident removed": _remove(OTHER_INCIDENT),
    "agency renamed": lambda root: edit(
        root, "content/agencies/example-pd.md", "Example Police Department", "Example City Police"
    ),
    "agency body": lambda root: edit(root, "content/agencies/example-pd.md", "A fictional department", "A made-up one"),
    "page body": lambda root: (root / "content/pages/about.md").write_text(
        (root / "content/pages/about.md").read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8"
    ),
    "page title": lambda root: edit(root, "content/pages/about.md", "title: ", "title: All "),
    "page template": lambda root: edit(
        root, "templates/incident.html", '<h2 id="sources">Sources', '<h2 id="sources">Cited sources'
    ),
    "macro template": lambda root: edit(
        root, "templates/_macros.html", '<ol class="incident-list">', '<ol class="incident-list x">'
    ),
    "partial template": lambda root: edit(root, "templates/_partials/footer.html", "Code:", "Source code:"),
    "list item template": lambda root: edit(
        root,
        "templates/_macros.html",
        "<p>{{ summary }}</p>",
        '<p class="summary">{{ summary }}</p>',
    ),
    "sitemap entry template": lambda root: edit(root, "templates/_sitemap.xml", "<url><loc>", "<url>\n<loc>"),
    "base template": lambda root: edit(root, "templates/base.html", "Skip to content", "Skip to the content"),
    "static file changed": lambda root: (root / "static/style.css").write_text("body { color: red; }\n"),
    "static file added": _write("static/extra/more.css", "p { margin: 0; }\n"),
    "static file removed": _remove("static/style.css"),
    "site.yaml": lambda root: edit(root, "site.yaml", "title: ", "title: The "),
}


@pytest.mark.parametrize("quick", [False, True], ids=["at once", "edited page first"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_update_equals_a_clean_build(change: str, quick: bool, preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    CHANGES[change](root)
    outcome = builder.update(changes(), quick)
    assert outcome.ok, outcome
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_the_preview_builds_into_its_own_folder(preview) -> None:
    builder, _, root = preview
    assert builder.out == preview_folder(root / ".cache") == root / ".cache" / "preview" / "site"
    assert (builder.out / PAGE).is_file()
    assert not (root / "site").exists()


def test_an_incident_edit_renders_only_the_pages_that_show_it(preview) -> None:
    builder, changes, root = preview
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    outcome = builder.update(changes(), quick=False)
    assert not outcome.full and builder.pending == 0
    rendered = set(outcome.rendered_paths)
    assert {PAGE, "index.html", "timeline/index.html", "timeline/2024/index.html"} <= rendered
    assert "agencies/example-pd/index.html" in rendered
    assert "incidents/2023-07-01-example-vehicle/index.html" not in rendered
    assert "about/index.html" not in rendered
    assert PAGE in outcome.written
    assert "timeline/2023/index.html" not in outcome.written  # it may read every incident, but shows no 2024 one


def test_the_edited_page_first_then_the_rest(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    outcome = builder.update(changes())
    assert outcome.ok and outcome.pending == builder.pending == 1
    assert PAGE in outcome.written
    assert all(path.startswith("incidents/2024-03-05-example-shooting/") for path in outcome.rendered_paths)
    assert b"Officer shoots" in (builder.out / PAGE).read_bytes()
    assert b"Officer shoots" not in (builder.out / "timeline/index.html").read_bytes()  # not yet
    rest = builder.finish()
    assert rest.ok and builder.pending == 0
    assert "timeline/index.html" in rest.written and PAGE not in rest.rendered_paths
    assert builder.finish().rendered_paths == []  # nothing left
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_only_incident_files_take_the_quick_pass(preview) -> None:
    builder, changes, root = preview
    edit(root, "content/agencies/example-pd.md", "Example Police Department", "Example City Police")
    builder.update(changes())
    assert builder.pending == 0
    assert incident_slug(root, root / INCIDENT) == "2024-03-05-example-shooting"
    assert incident_slug(root, root / "content/incidents/.2024-03-05-x.md") is None
    assert incident_slug(root, root / "content/agencies/example-pd.md") is None


def test_an_edit_during_pending_work_catches_up(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert builder.update(changes()).pending
    edit(root, "content/agencies/example-pd.md", "Example Police Department", "Example City Police")
    assert builder.update(changes()).ok
    assert builder.pending == 0
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_reverting_after_an_unfinished_update_restores_the_pages(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    original = (root / INCIDENT).read_text(encoding="utf-8")
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert builder.update(changes()).pending  # its page is written, the lists are not yet
    edit(root, INCIDENT, 'time: "13:50"', "time: 13:50")
    assert builder.update(changes()).problems
    assert builder.pending == 0
    (root / INCIDENT).write_text(original, encoding="utf-8")
    assert builder.update(changes()).ok
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_an_incident_added_then_removed_before_the_lists_leaves_nothing(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    _new_incident(root)
    assert builder.update(changes()).ok
    assert (builder.out / "incidents/2022-05-09-example-new/index.html").is_file()
    (root / "content/incidents/2022-05-09-example-new.md").unlink()
    assert builder.update(changes()).ok
    finish(builder)
    assert not (builder.out / "incidents/2022-05-09-example-new").exists()
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_a_deleted_incident_loses_its_pages(preview) -> None:
    builder, changes, root = preview
    (root / OTHER_INCIDENT).unlink()
    outcome = builder.update(changes())
    assert outcome.ok
    assert "incidents/2023-07-01-example-vehicle/index.html" in outcome.written
    assert not (builder.out / "incidents/2023-07-01-example-vehicle").exists()


def test_a_folder_moved_away_and_back_is_read_again(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    folder = root / "content/incidents/2024"
    folder.mkdir()
    (root / INCIDENT).rename(folder / Path(INCIDENT).name)
    assert builder.update(changes()).ok
    finish(builder)
    aside = tmp_path / "aside"
    folder.rename(aside)
    assert builder.update({folder}).ok  # a folder moved as a whole: one event, for the folder
    finish(builder)
    assert not (builder.out / PAGE).exists()
    edit(aside, Path(INCIDENT).name, "Officer fires at man", "Officer shoots at man")
    aside.rename(folder)
    assert builder.update({folder}).ok
    finish(builder)
    assert b"Officer shoots at man" in (builder.out / PAGE).read_bytes()
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


@pytest.mark.parametrize("how", ["moved away and back", "removed and made again"])
def test_a_folder_reported_alone_is_read_again_by_the_engine_itself(
    how: str, small_project: Path, tmp_path: Path
) -> None:
    """The engine, not only the preview, reads again what was below a folder reported as changed."""
    root = small_project
    folder = root / "content/incidents/2024"
    folder.mkdir()
    (root / INCIDENT).rename(folder / Path(INCIDENT).name)
    engine = Engine(root, tmp_path / "out", BASE, search=False)
    assert engine.run().ok
    moved = folder / Path(INCIDENT).name
    text = moved.read_text(encoding="utf-8").replace("Officer fires at man", "Officer shoots at man")
    if how == "moved away and back":
        folder.rename(tmp_path / "aside")
        (tmp_path / "aside" / moved.name).write_text(text, encoding="utf-8")
        (tmp_path / "aside").rename(folder)
    else:
        shutil.rmtree(folder)
        folder.mkdir()
        moved.write_text(text, encoding="utf-8")
    assert engine.run([folder]).ok  # one event, for the folder
    assert b"Officer shoots at man" in (tmp_path / "out" / PAGE).read_bytes()
    assert_same_tree(tree(tmp_path / "out"), clean_build(root, tmp_path / "clean"))


@pytest.mark.parametrize("quick", [False, True], ids=["at once", "edited page first"])
@pytest.mark.parametrize("target", ["a copy outside content", "another incident", "nothing"])
def test_a_content_file_replaced_by_a_link_is_refused_as_a_clean_build_refuses_it(
    target: str, quick: bool, preview, tmp_path: Path
) -> None:
    builder, changes, root = preview
    path = root / INCIDENT
    before = path.read_bytes()
    outside = tmp_path / "outside.md"
    outside.write_bytes(before)  # the same bytes: only the link is new
    path.unlink()
    links = {"a copy outside content": outside, "another incident": root / OTHER_INCIDENT}
    path.symlink_to(links.get(target, tmp_path / "no-such-file.md"))
    outcome = builder.update([path], quick)
    clean = Engine(root, tmp_path / "clean", BASE, search=False).run()
    assert not clean.ok and clean.problems
    assert sorted(outcome.problems) == sorted(clean.problems)
    assert any("link" in problem.message for problem in outcome.problems)
    path.unlink()
    path.write_bytes(before)
    assert builder.update([path], quick).ok
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean-again"))


def _file_to_folder(root: Path) -> list[Path]:
    css = root / "static/style.css"
    css.unlink()
    css.mkdir()
    (css / "inner.css").write_text("a { color: black; }\n")
    return [css]


def _folder_to_file(root: Path) -> list[Path]:
    folder = root / "static/extra"
    shutil.rmtree(folder)
    folder.write_text("now a file\n")
    return [folder]


@pytest.mark.parametrize("how", ["preview", "make site"])
@pytest.mark.parametrize("swap", [_file_to_folder, _folder_to_file], ids=["file to folder", "folder to file"])
def test_an_output_that_turns_from_file_to_folder_and_back_is_written(
    how: str, swap: Callable[[Path], list[Path]], small_project: Path, tmp_path: Path
) -> None:
    """The outputs gone are removed before the new ones move in: one may stand where the other goes."""
    root = small_project
    (root / "static/extra").mkdir()
    (root / "static/extra/more.css").write_text("p { margin: 0; }\n")
    out, cache = tmp_path / "out", tmp_path / "cache"
    engine = Engine(root, out, BASE, cache=cache, search=False, save_every_run=False, lasting=True)

    def build(changed: list[Path] | None) -> None:
        if how == "preview":
            assert engine.run(changed).ok
        else:  # make site's way: a new engine, its state in the cache folder
            assert Engine(root, out, BASE, cache=cache, search=False).run().ok

    build(None)
    shutil.copytree(root / "static", tmp_path / "static-before")
    changed = swap(root)
    build(changed)
    assert_same_tree(tree(out), clean_build(root, tmp_path / "clean"))
    shutil.rmtree(root / "static")  # and back
    shutil.copytree(tmp_path / "static-before", root / "static")
    build(changed)
    assert_same_tree(tree(out), clean_build(root, tmp_path / "clean-again"))
    (root / "static/other.txt").write_text("later\n")
    build([root / "static/other.txt"])  # a later update lists what is there, and nothing more
    assert_same_tree(tree(out), clean_build(root, tmp_path / "clean-later"))
    assert set(read_manifest(out) or ()) == {rel for rel in tree(out) if rel not in (MANIFEST, MARKER)}


@pytest.mark.parametrize("how", ["preview", "make site"])
def test_a_template_printing_model_objects_whole_gives_the_bytes_of_a_clean_build(
    how: str, small_project: Path, tmp_path: Path
) -> None:
    """A file's repr names it by its path in the project, not by where it was read from (parsed, or the cache)."""
    root = small_project
    edit(
        root,
        "templates/page.html",
        "{% block content %}",
        "{% block content %}<pre>{{ page.source }} {{ site.agencies['example-pd'] }} {{ site.incidents[0] }}</pre>",
    )
    out, cache = tmp_path / "out", tmp_path / "cache"
    engine = Engine(root, out, BASE, cache=cache, search=False, save_every_run=False, lasting=True)
    for changed in (None, [root / "content/pages/about.md"], [root / INCIDENT]):
        if changed is not None:
            changed[0].write_text(changed[0].read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        if how == "preview":
            assert engine.run(changed).ok
        else:
            assert Engine(root, out, BASE, cache=cache, search=False).run().ok
        want = clean_build(root, tmp_path / "clean")
        assert b"SourceFile(" in want["about/index.html"]
        assert_same_tree(tree(out), want)
        shutil.rmtree(tmp_path / "clean")


def test_a_template_edit_renders_only_the_pages_that_use_it(preview) -> None:
    builder, changes, root = preview
    edit(root, "templates/agency.html", "Suggest a correction", "Suggest a fix")
    outcome = builder.update(changes())
    rendered = set(outcome.rendered_paths)
    assert {"agencies/example-pd/index.html", "agencies/example-prosecutor/index.html"} <= rendered
    assert not rendered & {"index.html", "agencies/index.html", "timeline/index.html", "about/index.html"}
    assert not [path for path in rendered if path.startswith("incidents/")]


def test_nothing_changed_writes_nothing(preview) -> None:
    builder, changes, root = preview
    path = root / INCIDENT
    path.write_bytes(path.read_bytes())  # touched, same bytes
    outcome = builder.update(changes() | {path})
    assert outcome.ok and outcome.written == []
    finish(builder)


def test_an_update_that_makes_nothing_keeps_the_pieces_for_the_next_edit(preview) -> None:
    """Pieces are checked when used: one not used by an update may be current and must stay kept."""
    builder, changes, root = preview
    pieces = set(builder.engine.fragments.kept)
    path = root / INCIDENT
    path.write_bytes(path.read_bytes())  # touched, same bytes: an update that makes nothing
    assert builder.update(changes() | {path}, quick=False).rendered_paths == []
    assert set(builder.engine.fragments.kept) == pieces
    edit(root, OTHER_INCIDENT, "Officer", "An officer")
    outcome = builder.update(changes(), quick=False)
    assert outcome.ok and outcome.rendered_paths
    made = builder.engine.fragments.made
    assert made and all(OTHER_INCIDENT in key or key.startswith("memo:") for key in made), made


def test_several_edits_then_a_fix_catch_up(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    edit(root, INCIDENT, "title: Officer fires", "title: Officer shoots")
    edit(root, INCIDENT, "title: Officer", "title: [broken")
    broken = builder.update(changes())
    assert broken.problems and broken.problems[0].path == INCIDENT
    edit(root, "content/agencies/example-pd.md", "Example Police Department", "Example City Police")
    assert builder.update(changes()).problems  # still broken: nothing written
    edit(root, INCIDENT, "title: [broken", "title: Officer")
    assert builder.update(changes()).ok
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_broken_yaml_keeps_the_preview_and_names_file_and_line(preview) -> None:
    builder, changes, root = preview
    before = tree(builder.out)
    edit(root, INCIDENT, 'time: "13:50"', "time: 13:50")
    outcome = builder.update(changes())
    assert not outcome.ok and builder.pending == 0
    assert [(p.path, p.line, p.field) for p in outcome.problems] == [(INCIDENT, 6, "time")]
    assert tree(builder.out) == before


def test_a_template_error_is_reported_with_file_and_line(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    before = tree(builder.out)
    edit(root, "templates/agency.html", "{% block content %}", "{% block content %}{% if %}")
    outcome = builder.update(changes())
    lines = (root / "templates/agency.html").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if "{% if %}" in text)
    assert outcome.error.startswith(f"templates/agency.html:{line}: template: ")
    assert tree(builder.out) == before  # the preview folder as it was
    edit(root, "templates/agency.html", "{% if %}", "")
    assert builder.update(changes()).ok
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_a_template_error_in_the_quick_pass_then_fixed(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    edit(root, "templates/incident.html", '<h2 id="sources">', '<h2 id="sources">{{ 1 | no_such_filter }}')
    assert builder.update(changes()).error.startswith("templates/incident.html:")
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert builder.update(changes()).error  # the quick pass meets the same template
    assert builder.pending == 0
    edit(root, "templates/incident.html", "{{ 1 | no_such_filter }}", "")
    assert builder.update(changes()).ok
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_a_broken_start_renders_everything_once_fixed(small_project: Path, tmp_path: Path) -> None:
    edit(small_project, INCIDENT, 'time: "13:50"', "time: 13:50")
    builder = PreviewBuilder(small_project, BASE)
    changes = Changes(small_project)
    assert builder.build().problems
    assert not builder.out.exists()
    edit(small_project, INCIDENT, "time: 13:50", 'time: "13:50"')
    assert builder.update(changes()).ok
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(small_project, tmp_path / "clean"))


def test_markdown_cache_survives_a_restart_and_keys_on_every_input(tmp_path: Path) -> None:
    first = CachedMarkdownRenderer(tmp_path, "/")
    html = first.render("See [the list](/timeline/).[^a]", {"a": "A source"})
    first.close()
    again = CachedMarkdownRenderer(tmp_path, "/")
    assert again.render("See [the list](/timeline/).[^a]", {"a": "A source"}) == html
    assert (again.hits, again.misses) == (1, 0)
    assert again.render("See [the list](/timeline/).[^a]", {"a": "Another source"}) != html
    other_base = CachedMarkdownRenderer(tmp_path, "/sub/")
    assert 'href="/sub/timeline/"' in other_base.render("See [the list](/timeline/).[^a]", {"a": "A source"})
    assert other_base.misses == 1


def test_a_restart_reads_parsed_files_and_markdown_from_the_cache(small_project: Path) -> None:
    first = PreviewBuilder(small_project, BASE)
    assert first.build().ok
    assert first.engine.renderer is not None and first.engine.renderer.misses > 0
    before = tree(first.out)
    second = PreviewBuilder(small_project, BASE)  # make serve again: the same .cache/
    outcome = second.build()
    assert outcome.ok and outcome.written == []
    renderer, reader = second.engine.renderer, second.engine.reader
    assert renderer is None or renderer.misses == 0
    assert first.engine.reader.misses > 0 and reader.misses == 0
    assert tree(second.out) == before


def test_full_build_matches_make_site(small_project: Path, tmp_path: Path) -> None:
    from kcrecord.engine.pipeline import build

    build(Project(small_project, tmp_path / "pipeline"), BASE, search=False)
    builder = PreviewBuilder(small_project, BASE, tmp_path / "cache")
    assert builder.build().ok
    assert_same_tree(tree(builder.out), tree(tmp_path / "pipeline"))


# -- the watcher ---------------------------------------------------------------------------------------------

WAIT = 10.0  # seconds an event may take to arrive


@pytest.fixture
def watched(small_project: Path) -> Iterator[tuple[Path, queue.Queue[set[Path]]]]:
    """Watch the small project; yield it and the queue of delivered batches."""
    batches: queue.Queue[set[Path]] = queue.Queue()
    watcher = Watcher(small_project, batches.put)
    watcher.start()
    yield small_project, batches
    watcher.stop()


def seen(batches: queue.Queue[set[Path]], wanted: Path, seconds: float = WAIT) -> set[Path]:
    """Return every path delivered until wanted was, failing after seconds."""
    found: set[Path] = set()
    deadline = time.monotonic() + seconds
    while wanted not in found:
        left = deadline - time.monotonic()
        assert left > 0, f"{wanted} not seen; seen {sorted(found)}"
        try:
            found |= batches.get(timeout=left)
        except queue.Empty:
            continue
    return found


def quiet(batches: queue.Queue[set[Path]], seconds: float = 0.6) -> set[Path]:
    """Return whatever is delivered within seconds."""
    found: set[Path] = set()
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            found |= batches.get(timeout=left)
        except queue.Empty:
            break
    return found


def test_the_watcher_sees_an_edit_an_addition_and_a_deletion(watched) -> None:
    root, batches = watched
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert seen(batches, root / INCIDENT) <= {root / INCIDENT}
    added = root / "content/incidents/2022-05-09-example-new.md"
    added.write_text((root / INCIDENT).read_text(encoding="utf-8"), encoding="utf-8")
    seen(batches, added)
    (root / OTHER_INCIDENT).unlink()
    seen(batches, root / OTHER_INCIDENT)
    edit(root, "site.yaml", "title: ", "title: The ")
    seen(batches, root / "site.yaml")
    (root / "templates/extra.html").write_text("{{ 1 }}", encoding="utf-8")
    seen(batches, root / "templates/extra.html")
    (root / "static/style.css").write_text("body { color: red; }\n", encoding="utf-8")
    seen(batches, root / "static/style.css")


def test_the_preview_keeps_its_folder_listed_whole_between_a_quick_pass_and_its_finish(small_project: Path) -> None:
    """The list of what the build wrote must name every output at every step: a build after one killed then
    removes only what is listed (kcrecord/engine/output.py)."""
    builder = PreviewBuilder(small_project, BASE, workers=1)
    assert builder.build().ok
    out = builder.out
    builder.engine.state.written.clear()  # the list must not lean on it: a restart from a cache may remember none

    def unlisted() -> set[str]:
        listed = set((out / MANIFEST).read_text(encoding="utf-8").split("\n"))
        return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - listed - {MARKER, MANIFEST}

    assert unlisted() == set()
    edit(small_project, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert builder.update([small_project / INCIDENT]).ok  # the quick pass: the edited page alone
    assert unlisted() == set()
    finish(builder)
    assert unlisted() == set()


def test_the_watcher_goes_on_after_a_name_it_cannot_read(watched) -> None:
    """watchfiles refuses a name that is not UTF-8: the build is asked to look (and reports it); watching goes on."""
    root, batches = watched
    folder = os.fsencode(root / "content" / "incidents")
    with open(os.path.join(folder, b"bad\xff.md"), "wb") as file:
        file.write(b"---\ntitle: x\n---\n")
    assert root / "content" in seen(batches, root / "content")  # everything looked at: the loader reports the name
    incident = root / INCIDENT
    for text in ("More.", "More again."):  # while the name is there, then once it is gone
        time.sleep(0.3)
        while not batches.empty():
            batches.get()
        incident.write_text(incident.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")
        delivered = batches.get(timeout=WAIT)  # the file itself, or everything (a watch started again)
        assert incident in delivered or root / "content" in delivered, delivered
        if text == "More.":
            os.remove(os.path.join(folder, b"bad\xff.md"))


def test_the_watcher_ignores_hidden_files_and_folders_and_what_is_not_watched(watched) -> None:
    root, batches = watched
    (root / "content/incidents/.2024-03-05-example-shooting.md.swp").write_text("swap", encoding="utf-8")
    (root / "content/.drafts").mkdir()
    (root / "content/.drafts/2024-01-01-x.md").write_text("draft", encoding="utf-8")
    (root / "static/.DS_Store").write_bytes(b"\0")
    (root / ".cache").mkdir(exist_ok=True)
    (root / ".cache/anything").write_text("x", encoding="utf-8")
    (root / "notes.txt").write_text("x", encoding="utf-8")
    (root / "site").mkdir()
    (root / "site/index.html").write_text("x", encoding="utf-8")
    assert quiet(batches) == set()
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")  # and it still watches
    assert seen(batches, root / INCIDENT) == {root / INCIDENT}


def test_the_watcher_does_not_follow_linked_folders(watched, tmp_path: Path) -> None:
    root, batches = watched
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = root / "content/incidents/linked"
    os.symlink(elsewhere, link)
    assert link in seen(batches, link)  # the link itself is a change: the loader reports it
    (elsewhere / "2024-01-01-x.md").write_text("x", encoding="utf-8")
    assert not [path for path in quiet(batches) if link in path.parents]


def test_the_watcher_follows_a_folder_replaced_as_a_whole(watched) -> None:
    root, batches = watched
    shutil.rmtree(root / "static")
    seen(batches, root / "static")
    (root / "static").mkdir()
    seen(batches, root / "static")
    time.sleep(0.5)  # the new folder is watched once the watch of the project folder has started it again
    (root / "static/new.css").write_text("p {}\n", encoding="utf-8")
    seen(batches, root / "static/new.css")


def test_outputs_left_stale_by_an_update_that_failed_are_made_by_the_next(preview, tmp_path: Path) -> None:
    """An update that found outputs stale and failed before making them leaves them to the next, even
    when that one follows an edit to another file: the engine drops the records of every output of a
    batch that failed, and the read index is asked about the files edited since the last update that
    completed (read_index.Since), not since the one that failed."""
    builder, _changes, root = preview
    home = root / "templates" / "home.html"
    trap = "{% for item in latest %}{% if 'BOOM' in item.title %}{{ no_such_name }}{% endif %}{% endfor %}\n"
    home.write_text(trap + home.read_text(encoding="utf-8"), encoding="utf-8")
    assert builder.update({home}).ok
    edit(root, INCIDENT, "title: ", "title: BOOM ")  # home is made first, and fails: nothing else is made
    failed = builder.update({root / INCIDENT}, quick=False)
    assert failed.error and "no_such_name" in failed.error
    home.write_text(home.read_text(encoding="utf-8").replace(trap, ""), encoding="utf-8")
    other = "content/incidents/2023-07-01-example-vehicle.md"
    edit(root, other, "title: ", "title: Renamed ")
    assert builder.update({home, root / other}, quick=False).ok
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


@pytest.mark.parametrize("quick", [False, True])
def test_an_output_whose_plan_alone_changed_is_made_again(preview, tmp_path: Path, quick: bool) -> None:
    """An incident page whose template shows only the title the planner hands it reads nothing of the
    incident: after an edit to the title, only its plan key says it is stale (read_index.Since names it)."""
    builder, _changes, root = preview
    template = root / "templates" / "incident.html"
    template.write_text("{{ title }}\n", encoding="utf-8")
    assert builder.update({template}).ok
    edit(root, INCIDENT, "title: Officer fires", "title: An officer fires")
    assert builder.update({root / INCIDENT}, quick=quick).ok
    finish(builder)
    page = builder.out / "incidents" / "2024-03-05-example-shooting" / "index.html"
    assert page.read_text(encoding="utf-8").startswith("An officer fires")
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


def test_a_kept_piece_out_of_date_while_nothing_read_it_is_checked_when_read_again(tmp_path: Path) -> None:
    """The preview asks its read index about a file's keys once, at the first update after the edit
    (read_index.Since): a kept piece found a suspect then, but read by nothing, stays one until it is
    found current. Here the incident page shows its locator map unless the about page says "nomap";
    the incident gets coordinates while the map is hidden, then the map is shown again."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    edit(
        root,
        "templates/incident.html",
        "{{ locator_map(incident) }}",
        "{% set about = site.pages|selectattr('slug', 'equalto', 'about')|first %}"
        "{% if 'nomap' not in about.body_html %}{{ locator_map(incident) }}{% endif %}",
    )
    builder = PreviewBuilder(root, BASE, workers=1)
    assert builder.build().ok
    about = root / "content" / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nnomap\n", encoding="utf-8")
    assert builder.update([about], quick=False).ok
    edit(
        root,
        INCIDENT,
        "  precision: address-block\n",
        "  precision: address-block\n  latitude: 39.0997\n  longitude: -94.5786\n"
        "  coordinates_note: Placed at the block named by police, not a house.\n",
    )
    assert builder.update([root / INCIDENT], quick=False).ok
    about.write_text(about.read_text(encoding="utf-8").replace("\nnomap\n", ""), encoding="utf-8")
    assert builder.update([about], quick=False).ok
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


@pytest.mark.parametrize("quick", [True, False])
def test_an_update_leaves_no_plan_for_the_cycle_collector(preview, quick: bool) -> None:
    """The plan's closures hold the list of its jobs: the engine empties it, so the jobs go when the update ends.

    The incidents' own jobs are kept for the next planning (KeptJobs), so some jobs live on: none
    of them may be garbage that only the cycle collector would free.
    """
    builder, changes, root = preview
    was_enabled = gc.isenabled()
    gc.collect()  # what earlier tests left
    gc.disable()  # the jobs left must be those nothing frees but the collector
    try:
        edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
        assert builder.update(changes(), quick=quick).ok
        finish(builder)
        alive = [weakref.ref(item) for item in gc.get_objects() if type(item) is Job]
        gc.collect()
        assert [ref for ref in alive if ref() is None] == []  # the collector freed none: none was garbage
        kept = {id(job) for found in builder.engine.kept_jobs._by_incident.values() for job in found[1:]}
        kept |= {id(seen[0]) for seen in builder.engine.plan_keys.jobs.values()}
        assert [ref() for ref in alive if id(ref()) not in kept] == []  # alive only where kept on purpose
        assert len(alive) <= 2 * len(builder.engine.plan_keys.jobs)
    finally:
        if was_enabled:
            gc.enable()


def test_an_edit_to_a_field_no_list_shows_leaves_the_lists_and_their_maps_and_charts(preview) -> None:
    """The maps, charts and sitemap take each incident by its file's name (its slug, its path): no read of it."""
    builder, changes, root = preview
    edit(root, INCIDENT, "Whether body cameras recorded", "Whether any body camera recorded")  # only its own page
    outcome = builder.update(changes(), quick=False)
    assert outcome.ok and PAGE in outcome.rendered_paths
    lists = {"index.html", "incidents/index.html", "agencies/example-pd/index.html", "timeline/2024/index.html"}
    lists.add("sitemap.xml")  # its paths are the incidents' slugs, named by the list it takes
    assert not lists & set(outcome.rendered_paths)


def test_the_licence_lists_are_made_again_only_when_a_licence_or_import_source_changes(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    about = {"data/metadata.json", "data/datapackage.json"}
    licences = (
        "  licences: {CC-BY-NC-SA-4.0: CC BY-NC-SA 4.0 (Creative Commons Attribution-NonCommercial-ShareAlike 4.0)}"
    )
    edit(root, "site.yaml", "vocabularies:\n", f"vocabularies:\n{licences}\n")
    assert builder.update(changes(), quick=False).ok
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    outcome = builder.update(changes(), quick=False)
    assert outcome.ok and not about & set(outcome.rendered_paths)
    memos = {"memo:licence-counts\0()", "memo:licence-addresses\0()", "memo:data-about\0()"}
    assert not memos & set(builder.engine.fragments.made)  # the data page's, asked for as it is planned
    edit(root, INCIDENT, "\nupdated:", "\nlicence: CC-BY-NC-SA-4.0\nupdated:")
    outcome = builder.update(changes(), quick=False)
    assert outcome.ok and about <= set(outcome.rendered_paths)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))
    assert b"CC BY-NC-SA 4.0" in (builder.out / "data" / "metadata.json").read_bytes()


def test_the_totals_and_filters_are_worked_out_again_only_when_what_they_count_changes(preview, tmp_path: Path) -> None:
    builder, changes, root = preview
    memos = {"memo:record-totals\0()", "memo:filter-options\0()"}
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")  # the row changes, not what they count
    outcome = builder.update(changes(), quick=False)
    assert outcome.ok and "incidents/index.html" in outcome.rendered_paths
    assert not memos & set(builder.engine.fragments.made)
    edit(root, INCIDENT, "outcome: injured", "outcome: killed")
    assert builder.update(changes(), quick=False).ok
    assert memos <= set(builder.engine.fragments.made)
    assert_same_tree(tree(builder.out), clean_build(root, tmp_path / "clean"))


@pytest.mark.parametrize("seed", range(4))
def test_the_derived_values_an_update_carries_over_are_those_worked_out_again(preview, seed: int) -> None:
    """Years, counts by source and the review queue taken from the last site equal the new site's own."""
    builder, changes, root = preview
    rng = random.Random(seed)
    incidents = sorted((root / "content" / "incidents").glob("*.md"))
    imported = "imported: {source: wapo, id: 1, dataset_version: 2022-12-23, reviewed: true}"
    edit(root, "site.yaml", "to: 2023-06-30", "to: 2024-12-31")  # the imported record inside the source's span
    edit(root, INCIDENT, "\ntitle:", f"\n{imported}\ntitle:")  # reviewed or not
    assert builder.update(changes(), quick=False).ok
    for _step in range(12):
        path = rng.choice(incidents)
        kind = rng.choice(["title", "updated", "reviewed", "body", "coverage"])
        if kind == "coverage":  # the settings the counts by source read, and no incident
            path = root / "site.yaml"
        text = path.read_text(encoding="utf-8")
        if kind == "coverage":
            span = ("to: 2024-12-31", "to: 2025-12-31")
            text = text.replace(*span) if span[0] in text else text.replace(*span[::-1])
        elif kind == "title":
            text = text.replace("\ntitle: ", "\ntitle: Again, ", 1)
        elif kind == "updated":
            text = re.sub(r"\nupdated: (\d{4})-", lambda m: f"\nupdated: {int(m.group(1)) + 1}-", text, count=1)
        elif kind == "reviewed":
            flip = (
                ("reviewed: true", "reviewed: false")
                if "reviewed: true" in text
                else ("reviewed: false", "reviewed: true")
            )
            text = text.replace(*flip)
        else:
            text += "\nAnother sentence.\n"
        path.write_text(text, encoding="utf-8")
        assert builder.update(changes(), quick=rng.random() < 0.5).ok
        finish(builder)
        site = builder.engine.site
        for name in ("years", "source_counts", "waiting_review"):
            getattr(site, name)  # carried over, or worked out now
            assert site.__dict__["_derived"][name][0] == getattr(type(site), name).func(site), (seed, name)


def test_a_preview_started_from_kept_files_takes_edits(small_project: Path, tmp_path: Path) -> None:
    """Its incidents come from the cache folder, their front matter read only when asked for (the derived values)."""
    cache = tmp_path / "cache"
    first = PreviewBuilder(small_project, BASE, cache)
    assert first.build().ok
    builder = PreviewBuilder(small_project, BASE, cache)  # a restart
    assert builder.build().ok
    for name in ("years", "source_counts", "waiting_review"):
        getattr(builder.engine.site, name)  # worked out, to be carried over
    for incident in builder.engine.site.incidents:  # as kept by a build whose workers made their pages
        object.__getattribute__(incident, "__dict__").pop("meta", None)
    edit(small_project, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert builder.update([small_project / INCIDENT]).ok
    finish(builder)
    assert_same_tree(tree(builder.out), clean_build(small_project, tmp_path / "clean"))


def test_the_whole_build_leaves_every_output_indexed_for_the_first_edit(preview) -> None:
    """The read index learns the outputs at the build, not at the first edit (1.3 s at 10,000 incidents)."""
    builder, changes, root = preview
    engine = builder.engine
    index = engine.read_index
    assert set(index._indexed) == set(engine.state.records) | set(engine.fragments.kept)
    indexed: list[str] = []
    add = index._add

    def counting(items, units: bool = False) -> None:  # noqa: ANN001 - the index's own pairs
        items = list(items)
        indexed.extend(path for path, framed in items if index._indexed.get(path) is not framed)
        add(items, units)

    index._add = counting  # type: ignore[method-assign]
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    builder.update(changes())
    finish(builder)
    assert 0 < len(indexed) < len(engine.state.records) // 2  # the edited outputs, not every one


def test_the_cycle_collector_resumes_once_the_updates_are_done(preview) -> None:
    """Paused through a quick pass and its finish (no pass of it before the reloads), resumed once idle."""
    builder, changes, root = preview
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        assert builder.build().ok and gc.isenabled()  # a whole build: resumed at once
        edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
        assert builder.update(changes()).ok and builder.pending
        assert not gc.isenabled()  # between the quick pass and finish()
        finish(builder)
        assert not gc.isenabled()  # the reloads go out first
        deadline = time.monotonic() + 10
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert gc.isenabled()  # resumed by itself, the builder idle
        (root / "templates" / "incident.html").write_text("{{ broken(", encoding="utf-8")
        assert builder.update(changes(), quick=False).error
        assert gc.isenabled()  # an update that failed resumes it at once
        gc.disable()
        edit(root, INCIDENT, "Officer shoots at man", "Officer fires at man")
        builder.update(changes(), quick=False)
        builder.collect()
        assert not gc.isenabled()  # paused by someone else: left to them
    finally:
        if was_enabled:
            gc.enable()
        else:
            gc.disable()
