"""Incremental rebuilds (make serve): an update renders only what an edit affects, and its output
equals a clean full build byte for byte, for every kind of input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kcrecord.engine.build_cache import CachedMarkdownRenderer
from kcrecord.engine.incremental import MemoryBytecodeCache, PreviewBuilder, Watcher
from kcrecord.engine.pipeline import Project

BASE = "http://127.0.0.1:8000/"
INCIDENT = "content/incidents/2024-03-05-example-shooting.md"
OTHER_INCIDENT = "content/incidents/2023-07-01-example-vehicle.md"
COMPILED = MemoryBytecodeCache()


def tree(folder: Path) -> dict[str, bytes]:
    """Return every file below folder with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def clean_build(root: Path, out: Path) -> dict[str, bytes]:
    """Build root from scratch, with no Markdown cache, into out; return the output tree."""
    builder = PreviewBuilder(Project(root, out), BASE)
    builder.bytecode = COMPILED  # Jinja checks each compiled template against its source
    outcome = builder.build()
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


@pytest.fixture
def preview(small_project: Path, tmp_path: Path) -> tuple[PreviewBuilder, Watcher, Path]:
    """Return a builder that has built the small project once, and a watcher of it."""
    builder = PreviewBuilder(Project(small_project, small_project / "site"), BASE, tmp_path / "cache")
    builder.bytecode = COMPILED
    assert builder.build().ok
    return builder, Watcher(small_project), small_project


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


@pytest.mark.parametrize("quick", [False, True], ids=["at once", "open pages first"])
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_update_equals_a_clean_build(change: str, quick: bool, preview, tmp_path: Path) -> None:
    builder, watcher, root = preview
    CHANGES[change](root)
    outcome = builder.update(watcher.poll(), first={"index.html"} if quick else None)
    assert outcome.ok, outcome
    while builder.pending:
        assert builder.finish().ok
    assert_same_tree(tree(root / "site"), clean_build(root, tmp_path / "clean"))


def test_an_incident_edit_renders_only_the_pages_that_show_it(preview) -> None:
    builder, watcher, root = preview
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    outcome = builder.update(watcher.poll())
    assert not outcome.full
    rendered = set(outcome.rendered_paths)
    assert "incidents/2024-03-05-example-shooting/index.html" in rendered
    assert {
        "index.html",
        "timeline/index.html",
        "timeline/2024/index.html",
        "agencies/example-pd/index.html",
    } <= rendered
    assert "incidents/2023-07-01-example-vehicle/index.html" not in rendered
    assert "timeline/2023/index.html" not in rendered
    assert "about/index.html" not in rendered
    assert "incidents/2024-03-05-example-shooting/index.html" in outcome.written


def test_open_pages_first_then_the_rest(preview, tmp_path: Path) -> None:
    builder, watcher, root = preview
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    outcome = builder.update(watcher.poll(), first={"agencies/example-prosecutor/index.html", "about/index.html"})
    assert "about/index.html" not in outcome.rendered_paths  # open, but the edit does not show on it
    assert "incidents/2024-03-05-example-shooting/index.html" in outcome.written
    assert "agencies/example-prosecutor/index.html" in outcome.written
    assert "timeline/index.html" not in outcome.rendered_paths
    assert outcome.pending == builder.pending > 0
    rest = builder.finish()  # one slice: one job at least
    assert len(rest.rendered_paths) == 1 and rest.pending == builder.pending > 0
    assert "agencies/example-prosecutor/index.html" not in rest.rendered_paths  # written already
    while builder.pending:
        builder.finish(10)
    assert_same_tree(tree(root / "site"), clean_build(root, tmp_path / "clean"))


def test_an_edit_during_pending_work_catches_up(preview, tmp_path: Path) -> None:
    builder, watcher, root = preview
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert builder.update(watcher.poll(), first=set()).pending
    edit(root, OTHER_INCIDENT, "title: ", "title: Now ")
    builder.update(watcher.poll())
    assert builder.pending == 0
    assert_same_tree(tree(root / "site"), clean_build(root, tmp_path / "clean"))


def test_reverting_after_an_unfinished_update_restores_the_pages(preview, tmp_path: Path) -> None:
    builder, watcher, root = preview
    original = (root / INCIDENT).read_text(encoding="utf-8")
    edit(root, INCIDENT, "Officer fires at man", "Officer shoots at man")
    assert builder.update(watcher.poll(), first=set()).pending  # its page is written, the lists are not yet
    edit(root, INCIDENT, 'time: "13:50"', "time: 13:50")
    assert builder.update(watcher.poll(), first=set()).problems  # the pending work is dropped
    (root / INCIDENT).write_text(original, encoding="utf-8")  # back to the last good build's bytes
    assert builder.update(watcher.poll(), first=set()).ok
    while builder.pending:
        builder.finish(10)
    assert_same_tree(tree(root / "site"), clean_build(root, tmp_path / "clean"))


def test_an_incident_added_then_removed_before_the_lists_leaves_nothing(preview, tmp_path: Path) -> None:
    builder, watcher, root = preview
    _new_incident(root)
    assert builder.update(watcher.poll(), first=set()).ok
    (root / "content/incidents/2022-05-09-example-new.md").unlink()
    assert builder.update(watcher.poll(), first=set()).ok
    while builder.pending:
        builder.finish(10)
    assert_same_tree(tree(root / "site"), clean_build(root, tmp_path / "clean"))


def test_a_template_edit_renders_only_the_pages_that_use_it(preview) -> None:
    builder, watcher, root = preview
    edit(root, "templates/agency.html", "Suggest a correction", "Suggest a fix")
    outcome = builder.update(watcher.poll())
    rendered = set(outcome.rendered_paths)
    assert {"agencies/example-pd/index.html", "agencies/example-prosecutor/index.html"} <= rendered
    assert not rendered & {"index.html", "agencies/index.html", "timeline/index.html", "about/index.html"}
    assert not [path for path in rendered if path.startswith("incidents/")]


def test_nothing_changed_writes_nothing(preview) -> None:
    builder, watcher, root = preview
    path = root / INCIDENT
    path.write_bytes(path.read_bytes())  # touched, same bytes
    outcome = builder.update(watcher.poll() | {path})
    assert outcome.ok and outcome.written == []


def test_several_edits_then_a_fix_catch_up(preview, tmp_path: Path) -> None:
    builder, watcher, root = preview
    edit(root, INCIDENT, "title: Officer fires", "title: Officer shoots")
    edit(root, INCIDENT, "title: Officer", "title: [broken")
    broken = builder.update(watcher.poll())
    assert broken.problems and broken.problems[0].path == INCIDENT
    edit(root, "content/agencies/example-pd.md", "Example Police Department", "Example City Police")
    assert builder.update(watcher.poll()).problems  # still broken: nothing written
    edit(root, INCIDENT, "title: [broken", "title: Officer")
    assert builder.update(watcher.poll()).ok
    assert_same_tree(tree(root / "site"), clean_build(root, tmp_path / "clean"))


def test_broken_yaml_keeps_the_site_and_names_file_and_line(preview) -> None:
    builder, watcher, root = preview
    before = tree(root / "site")
    edit(root, INCIDENT, 'time: "13:50"', "time: 13:50")
    outcome = builder.update(watcher.poll())
    assert not outcome.ok
    assert [(p.path, p.line, p.field) for p in outcome.problems] == [(INCIDENT, 6, "time")]
    assert tree(root / "site") == before


def test_a_template_error_is_reported_with_file_and_line(preview, tmp_path: Path) -> None:
    builder, watcher, root = preview
    edit(root, "templates/agency.html", "{% block content %}", "{% block content %}{% if %}")
    outcome = builder.update(watcher.poll())
    lines = (root / "templates/agency.html").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if "{% if %}" in text)
    assert outcome.error.startswith(f"templates/agency.html:{line}: template: ")
    edit(root, "templates/agency.html", "{% if %}", "")
    assert builder.update(watcher.poll()).ok
    assert_same_tree(tree(root / "site"), clean_build(root, tmp_path / "clean"))


def test_a_broken_start_renders_everything_once_fixed(small_project: Path, tmp_path: Path) -> None:
    edit(small_project, INCIDENT, 'time: "13:50"', "time: 13:50")
    builder = PreviewBuilder(Project(small_project, small_project / "site"), BASE)
    watcher = Watcher(small_project)
    assert builder.build().problems
    assert not (small_project / "site").exists()
    edit(small_project, INCIDENT, "time: 13:50", 'time: "13:50"')
    assert builder.update(watcher.poll()).ok
    assert_same_tree(tree(small_project / "site"), clean_build(small_project, tmp_path / "clean"))


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


def test_second_build_reads_parsed_files_and_markdown_from_the_cache(small_project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = PreviewBuilder(Project(small_project, tmp_path / "one"), BASE, cache)
    first.build()
    assert first.renderer is not None and first.renderer.misses > 0
    second = PreviewBuilder(Project(small_project, tmp_path / "two"), BASE, cache)
    second.build()
    assert second.renderer is not None and second.renderer.misses == 0 and second.renderer.hits > 0
    assert first.reader.misses > 0 and second.reader.misses == 0 and second.reader.hits == first.reader.misses
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_full_build_matches_make_site(small_project: Path, tmp_path: Path) -> None:
    from kcrecord.engine.pipeline import build

    build(Project(small_project, tmp_path / "pipeline"), BASE)
    expected = {rel: data for rel, data in tree(tmp_path / "pipeline").items() if not rel.startswith("pagefind/")}
    assert_same_tree(clean_build(small_project, tmp_path / "ours"), expected)
