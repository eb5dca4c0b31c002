"""Early cutoff: an edit that leaves an incident's fields and pieces as they were makes no list again.

Readers of an incident's fields record its front matter (front:<path>), not its file; readers
of a kept piece record the piece's fingerprint, which a piece made again with the same value
keeps (kcrecord/outputs/fragments.py). These tests check that the cutoff happens, that it is
sound (every registered maker makes what the outputs use; a body edit changes no field), and
the engine's answers against a clean build after edits of either kind.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from kcrecord.content.assemble import Incident, Site
from kcrecord.engine import parallel
from kcrecord.engine.deps import note, recording
from kcrecord.engine.engine import Engine
from kcrecord.outputs import fragments as fragments_module
from kcrecord.outputs.fragments import Fragments, _same
from kcrecord.preview.builder import PreviewBuilder
from tests import test_engine_fuzz as fuzz
from tests.test_fragments import located_project, site_of  # noqa: F401 - a fixture
from tests.test_incremental import BASE, INCIDENT, Changes, assert_same_tree, clean_build, edit, finish, tree
from tests.test_readers import LOCATED_INCIDENT

PAGE = "incidents/2024-03-05-example-shooting/index.html"
LISTS = {
    "index.html",
    "timeline/index.html",
    "timeline/2024/index.html",
    "agencies/index.html",
    "agencies/example-pd/index.html",
    "incidents/index.html",
    "feed.xml",
    "sitemap.xml",
}


def engine_of(root: Path, out: Path, cache: Path) -> Engine:
    return Engine(root, out, BASE, cache=cache, search=False, workers=1)


def test_a_body_edit_makes_no_list_again_and_equals_a_clean_build(small_project: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert engine_of(small_project, out, cache).run().ok
    edit(small_project, INCIDENT, "A second mention of the first source.", "Another mention of the first source.")
    outcome = engine_of(small_project, out, cache).run()  # make site again: a new process reads the cache folder
    assert outcome.ok
    made = set(outcome.rendered_paths)
    assert PAGE in made and PAGE in outcome.written
    assert not made & LISTS, sorted(made & LISTS)
    assert "data/incidents.db" in outcome.written  # the database holds each narrative
    others = {path for path in made if path.startswith("data/")} - {"data/incidents.db", "data/index.html"}
    assert not others, sorted(others)  # the other downloads hold none: not made again (incident_data.py)
    assert_same_tree(tree(out), clean_build(small_project, tmp_path / "clean"))


def test_a_title_edit_makes_the_lists_that_show_it(small_project: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert engine_of(small_project, out, cache).run().ok
    edit(small_project, INCIDENT, "Officer fires at man", "Officer shoots at man")
    outcome = engine_of(small_project, out, cache).run()
    assert outcome.ok
    assert {"index.html", "timeline/2024/index.html", "agencies/example-pd/index.html"} <= set(outcome.written)
    assert_same_tree(tree(out), clean_build(small_project, tmp_path / "clean"))


def test_every_registered_maker_makes_the_piece_its_readers_used(located_project: Path, tmp_path: Path) -> None:  # noqa: F811
    """Each kept piece, made again by the maker its planner registered, is the piece the outputs used.

    The engine makes a piece ahead with the registered maker to learn whether its readers are
    current; a registered maker that differs from the one an output passes would be unsound.
    """
    engine = engine_of(located_project, tmp_path / "site", tmp_path / "cache")
    assert engine.run().ok
    fragments = engine.fragments
    assert engine.site is not None
    by_identity = {Incident.identity_key(incident): incident for incident in engine.site.incidents}
    names = set()
    for key, kept in list(fragments.kept.items()):
        if key.startswith("memo:"):
            continue
        name, _, identity = key.removeprefix("piece:").partition("\0")
        names.add(name)
        assert name in fragments.makers, f"no maker registered for the pieces called {name}"
        with recording():
            value = fragments.makers[name](by_identity[identity])
        assert _same(kept.value, value), key
    assert {"incident_item", "table-row", "table-row-html", "data", "rows", "sitemap", "map-locator"} <= names


PUBLIC = [name for name in dir(Incident) if not name.startswith("_") and name != "identity_key"]
FIELDS = [field.name for field in dataclasses.fields(Incident)]


def fields_of(site: Site) -> dict[str, dict[str, object]]:
    """Return every public attribute of every incident but its body and source, without recording reads."""
    found = {}
    for incident in site.incidents:
        values = {name: getattr(incident, name) for name in [*FIELDS, *PUBLIC] if name not in ("body_html", "source")}
        found[incident.slug] = values
    return found


@pytest.mark.parametrize("seed", range(4))
def test_a_body_edit_changes_no_field_that_records_the_front_matter(small_project: Path, seed: int) -> None:
    """Reading its fields records front:<path>: sound only if nothing but body_html and source reads the body."""
    rng = random.Random(seed)
    path = small_project / INCIDENT
    before = site_of(small_project)
    fronts = {incident.slug: incident.source.front_digest for incident in before.incidents}
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    lines = body.split("\n")
    for _ in range(rng.randrange(1, 6)):
        where = rng.randrange(len(lines) + 1)
        line = rng.choice(["", "## A heading", "Another line.[^gazette-2024-03-06]", "- a list item", "> quoted"])
        lines.insert(where, line)
    path.write_text(head + "\n---\n" + "\n".join(lines), encoding="utf-8")
    after = site_of(small_project)
    assert fields_of(after) == fields_of(before)
    assert {incident.slug: incident.source.front_digest for incident in after.incidents} == fronts
    changed = [i.slug for i in after.incidents if i.source.digest != i.source.front_digest]
    assert changed  # the file itself did change


def test_a_front_matter_edit_changes_its_digest(small_project: Path) -> None:
    before = {i.slug: i.source.front_digest for i in site_of(small_project).incidents}
    edit(small_project, INCIDENT, "officers_fired: 1", "officers_fired: 2")
    after = {i.slug: i.source.front_digest for i in site_of(small_project).incidents}
    assert [slug for slug in after if after[slug] != before[slug]] == ["2024-03-05-example-shooting"]


class Thing:
    """An incident stand-in: a piece's key names its file."""

    def __init__(self, name: str) -> None:
        self.name = name

    def identity_key(self) -> str:
        return f"file:{self.name}"


def reader_of(fragments: Fragments, things: list[Thing], make) -> tuple[list[object], dict[str, str]]:  # noqa: ANN001
    with recording() as frame:
        values = fragments.each("piece", things, make)
    return values, frame


def test_a_piece_made_again_with_the_same_value_keeps_its_fingerprint() -> None:
    inputs = {"file:a": "1", "file:b": "1"}
    values = {"a": "A", "b": "B"}

    def make(thing: Thing) -> str:
        note(f"file:{thing.name}", inputs[f"file:{thing.name}"])
        return values[thing.name]

    things = [Thing("a"), Thing("b")]
    fragments = Fragments()
    fragments.begin(lambda key: inputs.get(key, ""))
    _, frame = reader_of(fragments, things, make)
    assert set(frame) == {"piece:piece\0file:a", "piece:piece\0file:b"}  # the pieces, not what they read
    inputs["file:a"] = "2"  # an edit that leaves a's piece as it was
    fragments.begin(lambda key: inputs.get(key, ""))
    fragments.register("piece", make, things)
    assert fragments.piece_fingerprint("piece:piece\0file:a") == frame["piece:piece\0file:a"]
    inputs["file:a"], values["a"] = "3", "A, edited"  # an edit that changes it
    fragments.begin(lambda key: inputs.get(key, ""))
    fragments.register("piece", make, things)
    assert fragments.piece_fingerprint("piece:piece\0file:a") not in ("", frame["piece:piece\0file:a"])
    assert fragments.piece_fingerprint("piece:piece\0file:b") == frame["piece:piece\0file:b"]  # current: not made again
    assert reader_of(fragments, things, make)[0] == ["A, edited", "B"]


def test_a_piece_that_cannot_be_made_ahead_counts_as_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = {f"file:{n}": "1" for n in range(5)}
    things = [Thing(str(n)) for n in range(5)]

    def make(thing: Thing) -> str:
        note(f"file:{thing.name}", inputs[f"file:{thing.name}"])
        if thing.name == "4":
            raise ValueError("a maker that fails")
        return thing.name

    fragments = Fragments()
    fragments.begin(lambda key: inputs.get(key, ""))
    reader_of(fragments, things[:4], make)
    inputs.update({key: "2" for key in inputs})
    fragments.begin(lambda key: inputs.get(key, ""))
    assert fragments.piece_fingerprint("piece:piece\0file:0") == ""  # no maker registered in this revision
    fragments.register("piece", make, things)
    monkeypatch.setattr(fragments_module, "MAX_AHEAD", 2)
    assert fragments.piece_fingerprint("piece:piece\0file:0") != ""
    assert fragments.piece_fingerprint("piece:piece\0file:1") != ""
    assert fragments.piece_fingerprint("piece:piece\0file:2") == ""  # past MAX_AHEAD: its readers are made
    fragments.begin(lambda key: inputs.get(key, ""))
    fragments.register("piece", make, things)
    assert fragments.piece_fingerprint("piece:piece\0file:4") == ""  # its maker fails: reported where outputs are made
    assert fragments.piece_fingerprint("piece:piece\0file:4") == ""  # and is not tried again in this revision
    assert fragments.piece_fingerprint("piece:piece\0file:9") == ""  # no such incident
    assert fragments.piece_fingerprint("piece:piece\0file:0") != ""  # the failure used none of the budget
    assert fragments.piece_fingerprint("piece:piece\0file:1") != ""


@pytest.mark.parametrize("ahead", [0, 1])
def test_random_edits_equal_a_clean_build_with_few_pieces_made_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead: int
) -> None:
    """The engine's fuzz test, with the pieces past MAX_AHEAD counted as changed (their readers made)."""
    monkeypatch.setattr(fragments_module, "MAX_AHEAD", ahead)
    monkeypatch.setattr(fuzz, "STEPS", 12)
    fuzz.test_random_edit_sequences_give_the_bytes_of_a_clean_build(tmp_path, monkeypatch)


@pytest.mark.parametrize("broken", ["{{ 1 / 0 }}", "{{ no_such_name.title }}", "{{ 1 | no_such_filter }}"])
def test_a_template_error_in_a_worker_process_names_the_template_and_line(
    small_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    """Incident pages made in worker processes (400 or more at once): the error's template frames come back too."""
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    builder = PreviewBuilder(small_project, BASE, tmp_path / "cache", workers=2)
    assert builder.build().ok
    changes = Changes(small_project)
    edit(small_project, "templates/incident.html", '<h2 id="sources">', f'<h2 id="sources">{broken}')
    outcome = builder.update(changes())
    lines = (small_project / "templates/incident.html").read_text(encoding="utf-8").splitlines()
    line = next(number for number, text in enumerate(lines, 1) if broken in text)
    assert outcome.error.startswith(f"templates/incident.html:{line}: template: "), outcome.error
    edit(small_project, "templates/incident.html", broken, "")
    assert builder.update(changes()).ok


def test_the_quick_pass_remakes_a_piece_a_list_reads_and_the_full_pass_finds_the_list(
    small_project: Path, tmp_path: Path
) -> None:
    """A piece made again by the quick pass with a new fingerprint: the list that read the old one is made too."""
    item = '{{ incident_items([incident]) }}<h2 id="sources">'
    edit(small_project, "templates/incident.html", '<h2 id="sources">', item)
    builder = PreviewBuilder(small_project, BASE, tmp_path / "cache")
    assert builder.build().ok
    changes = Changes(small_project)
    for old, new in (("Officer fires at man", "Officer shoots at man"), ("afternoon", "evening")):
        edit(small_project, INCIDENT, old, new)
        assert builder.update(changes()).ok and builder.pending  # the incident's own page, and its list item
        finish(builder)
        assert_same_tree(tree(builder.out), clean_build(small_project, tmp_path / f"clean-{new}"))


def test_make_site_settles_every_kept_piece_and_the_previews_quick_pass_does_not(
    small_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fragments.settle walks every kept piece: right for make site, which reads every frame; not for
    the preview's quick pass, which makes the edited incident's pages alone (100,000 pieces for two pages)."""
    settled: list[bool] = []
    settle = Fragments.settle
    monkeypatch.setattr(Fragments, "settle", lambda self: settled.append(True) or settle(self))
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert engine_of(small_project, out, cache).run().ok
    preview = Engine(small_project, tmp_path / "preview", BASE, search=False, workers=1, lasting=True)
    assert preview.run().ok
    edit(small_project, INCIDENT, "A second mention of the first source.", "Another mention of the first source.")
    settled.clear()
    assert preview.run([small_project / INCIDENT], only={"2024-03-05-example-shooting"}).ok
    assert settled == []
    assert engine_of(small_project, out, cache).run().ok
    assert settled == [True]


def test_a_title_edit_reuses_the_year_charts_and_an_outcome_edit_does_not(small_project: Path, tmp_path: Path) -> None:
    """The year charts are memos for their incidents: a title is not among what they show (the maps'
    marks show it as their tooltip, so the maps are drawn again)."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert engine_of(small_project, out, cache).run().ok
    edit(small_project, INCIDENT, "title: Officer fires at", "title: Officer shoots at")
    engine = engine_of(small_project, out, cache)
    outcome = engine.run()
    assert outcome.ok and "index.html" in outcome.rendered_paths  # the home page shows the title: made again
    assert [key for key in engine.fragments.made if key.startswith("memo:year-chart:")] == []
    assert_same_tree(tree(out), clean_build(small_project, tmp_path / "clean"))
    edit(small_project, INCIDENT, "    outcome: injured", "    outcome: killed")
    engine = engine_of(small_project, out, cache)
    assert engine.run().ok
    drawn = {key.partition("\0")[0] for key in engine.fragments.made if key.startswith("memo:year-chart:")}
    assert "memo:year-chart:chart-years" in drawn  # now a fatal police shooting: the home page's chart drawn again
    assert_same_tree(tree(out), clean_build(small_project, tmp_path / "clean-2"))


def test_one_make_site_engine_run_again_after_an_edit_and_its_undoing_gives_a_clean_build(
    small_project: Path, tmp_path: Path
) -> None:
    """make site settles whole parts as loaded by their summaries; a part whose records or pieces this
    engine made again since loading is no longer as loaded: an edit undone makes the summaries loaded
    current again, while what was made for the edit is not (kcrecord/engine/kept_records.py)."""
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert engine_of(small_project, out, cache).run().ok
    engine = engine_of(small_project, out, cache)
    for number, (old, new) in enumerate(
        [
            ("title: Officer fires at", "title: Officer shoots at"),
            ("title: Officer shoots at", "title: Officer fires at"),
            ("A second mention of the first source.", "Another mention."),
            ("Another mention.", "A second mention of the first source."),
        ]
    ):
        edit(small_project, INCIDENT, old, new)
        assert engine.run().ok
        assert_same_tree(tree(out), clean_build(small_project, tmp_path / f"clean-{number}"))


def mapped_project(root: Path) -> tuple[Path, Path]:
    """Add 12 located incidents at one spot and one alone; return the one alone and one not among the latest ten."""
    folder = root / "content" / "incidents"
    text = "\n".join(line[4:] for line in LOCATED_INCIDENT.format(title="T").strip("\n").split("\n")) + "\n"
    paths = []
    for number in range(13):
        year = 2008 + number
        body = text.replace("2022-", f"{year}-").replace("title: 'T'", f"title: 'Officer fires at car {number}'")
        if number == 0:  # alone, a few km away: its mark is its own, with its title as the tooltip
            body = body.replace("latitude: 39.0911", "latitude: 39.1411")
        path = folder / f"{year}-05-04-located-{number}.md"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths[0], paths[2]


def test_a_title_edit_leaves_a_map_whose_mark_holds_several_and_remakes_one_that_shows_it(
    small_project: Path, tmp_path: Path
) -> None:
    """A map reads the title of an incident only when its mark is its own (map-title), not with its spot (map-spot)."""
    alone, grouped = mapped_project(small_project)
    out, cache = tmp_path / "site", tmp_path / "cache"
    assert engine_of(small_project, out, cache).run().ok
    edit(small_project, grouped.relative_to(small_project).as_posix(), "car 2'", "car two'")
    outcome = engine_of(small_project, out, cache).run()
    assert outcome.ok and "index.html" not in outcome.rendered_paths  # its mark holds 11 more: no title shown
    assert_same_tree(tree(out), clean_build(small_project, tmp_path / "clean"))
    edit(small_project, alone.relative_to(small_project).as_posix(), "car 0'", "car zero'")
    outcome = engine_of(small_project, out, cache).run()
    assert outcome.ok and "index.html" in outcome.rendered_paths
    assert "Officer fires at car zero</title>" in (out / "index.html").read_text(encoding="utf-8")
    assert_same_tree(tree(out), clean_build(small_project, tmp_path / "clean2"))


def map_of(page: Path) -> str:
    """Return the map of a page, from its figure to its key."""
    return page.read_text(encoding="utf-8").split('<figure class="map-figure">')[1].split('<ul class="map-key">')[0]


def test_the_agency_maps_kept_as_memos_show_a_title_edited_where_a_mark_shows_it_in_the_preview(
    small_project: Path, tmp_path: Path
) -> None:
    """Each map is a memo (kcrecord/outputs/map_pages.py): kept when no mark shows the title, made again if one does.

    The preview asks its read index which memos may not be current; each agency's map is one
    memo variant among many (one per agency, all named map-agency).
    """
    alone, grouped = mapped_project(small_project)
    builder = PreviewBuilder(small_project, BASE, tmp_path / "cache")
    assert builder.build().ok
    changes = Changes(small_project)
    pages = ["agencies/example-pd/index.html", "agencies/example-prosecutor/index.html", "index.html"]
    edit(small_project, grouped.relative_to(small_project).as_posix(), "car 2'", "car two'")
    assert builder.update(changes()).ok
    finish(builder)
    maps = [page for page in pages if "car two" in map_of(builder.out / page)]
    assert maps == []  # its mark holds 11 more: no title of one of them shown
    edit(small_project, alone.relative_to(small_project).as_posix(), "car 0'", "car zero'")
    assert builder.update(changes()).ok
    finish(builder)
    for page in pages:
        assert "Officer fires at car zero</title>" in (builder.out / page).read_text(encoding="utf-8"), page
    assert "Officer fires at car 0</title>" not in (builder.out / pages[1]).read_text(encoding="utf-8")
    assert_same_tree(tree(builder.out), clean_build(small_project, tmp_path / "clean"))
