"""Per-incident pieces (kcrecord/outputs/fragments.py): the downloads and lists joined from them equal the
whole documents, a piece is made once, and a change to anything a piece may read makes it again."""

from __future__ import annotations

import csv
import io
import json
import pickle
import random
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kcrecord.content.assemble import Site, assemble
from kcrecord.content.load import load_content
from kcrecord.content.validate import validate
from kcrecord.engine.deps import identity, note, plain_pickled, recording
from kcrecord.outputs import downloads, forgetting
from kcrecord.outputs.database import table_rows
from kcrecord.outputs.fragments import LAST_LENGTHS, Fragments
from kcrecord.outputs.incident_data import incident_data, incident_rows, piece_makers, row_makers
from kcrecord.outputs.kept import Kept
from kcrecord.outputs.packaged import package_files
from kcrecord.preview.builder import PreviewBuilder
from tests.conftest import SMALL_SITE, copy_project
from tests.test_incremental import BASE, INCIDENT, Changes, assert_same_tree, clean_build, edit, finish, tree
from tests.test_plan_keys import Model
from tests.test_readers import LOCATED_INCIDENT, LOCATED_SLUG, NASTY_TITLE

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def site_of(root: Path) -> Site:
    """Load, check and assemble the project at root."""
    content, problems = load_content(root)
    problems += validate(content)
    assert problems == []
    return assemble(content, commit=COMMIT)


@pytest.fixture
def located_project(tmp_path: Path) -> Path:
    """Return the small project plus an incident with coordinates, a hostile title and non-ASCII text."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    text = LOCATED_INCIDENT.format(title=NASTY_TITLE.replace("'", "''") + " — “quoted” ü")
    path = root / "content" / "incidents" / f"{LOCATED_SLUG}.md"
    path.write_text("\n".join(line[4:] for line in text.strip("\n").split("\n")) + "\n", encoding="utf-8")
    return root


def dumped(data: object) -> bytes:
    return (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def test_json_downloads_joined_from_pieces_equal_the_whole_document_dumped(located_project: Path) -> None:
    site = site_of(located_project)
    files = downloads.render_downloads(site, COMMIT, Fragments())
    assert files["data/incidents.json"] == dumped(downloads.whole_record(site, COMMIT))
    assert files["data/incidents.geojson"] == dumped(downloads.geojson(site, COMMIT))
    assert [f["id"] for f in json.loads(files["data/incidents.geojson"])["features"]] == [LOCATED_SLUG]


def test_csv_downloads_joined_from_pieces_equal_the_whole_table_written(located_project: Path) -> None:
    site = site_of(located_project)
    for table in downloads.TABLES:
        whole = downloads.csv_lines(table, table.rows(site), header=True).encode("utf-8")
        assert downloads.write_csv(table, site, Fragments()) == whole, table.filename
        rows = list(csv.reader(io.StringIO(whole.decode("utf-8"))))
        assert rows[0] == [column.name for column in table.columns]
        assert len(rows) == 1 + len(table.rows(site)) > 1


@pytest.mark.parametrize(
    "items",
    [[], [0], [{"a": [], "b": {}, "c": None}, 'é\n"quoted"', 2.5, True, [[1, [2]], {"d": {"e": []}}]]],
    ids=["empty", "one", "nested"],
)
def test_json_parts_are_written_as_json_dumps_writes_them(items: list) -> None:
    about = {"title": "Record — “x”", "licence": {"name": "CC BY 4.0"}, "empty": {}}
    fields = {key: [downloads.json_text(value, 1)] for key, value in about.items()}
    fields["items"] = downloads.json_list([downloads.json_text(item, 2) for item in items], 1)
    assert downloads.json_document(fields) == dumped({**about, "items": items})
    assert downloads.json_document({}) == dumped({})


def test_a_piece_is_made_once_per_incident_and_again_when_what_it_read_changed(small_project: Path) -> None:
    site = site_of(small_project)
    made: list[str] = []
    context = {"test:context": "one"}  # say a setting every piece reads

    def make(incident) -> str:  # noqa: ANN001 - an Incident
        made.append(incident.slug)
        note("test:context", context["test:context"])
        return incident.slug.upper()

    fragments = Fragments()
    fragments.begin(lambda key: context.get(key, ""))
    first = fragments.each("piece", site.incidents, make)
    assert first == [incident.slug.upper() for incident in site.incidents]
    for kept in fragments.kept.values():
        context = {**kept.frame, **context}  # whatever else a piece read stays as it was
    fragments.begin(lambda key: context.get(key, ""))
    assert fragments.each("piece", site.incidents, make) == first
    assert fragments.get("piece", site.incidents[0], make) == first[0]
    assert made == [incident.slug for incident in site.incidents]  # once each
    context["test:context"] = "two"  # say a template or site.yaml changed
    fragments.begin(lambda key: context.get(key, ""))
    assert fragments.each("piece", site.incidents, make) == first
    assert made == [incident.slug for incident in site.incidents] * 2


def test_a_kept_value_is_reused_only_for_equal_inputs() -> None:
    fragments = Fragments()
    context = {"test:context": "one"}
    fragments.begin(lambda key: context.get(key, ""))

    def made(value: int) -> Callable[[], int]:
        def make() -> int:
            note("test:context", context["test:context"])
            return value

        return make

    assert fragments.memo("name", ("a", "b"), made(1)) == 1
    assert fragments.memo("name", ("a", "b"), made(2)) == 1
    assert fragments.memo("name", ("a", "c"), made(3)) == 3
    context["test:context"] = "two"
    fragments.begin(lambda key: context.get(key, ""))
    assert fragments.memo("name", ("a", "c"), made(4)) == 4


def preview_of(root: Path, cache: Path) -> tuple[PreviewBuilder, Changes]:
    """Return a builder that has built root once, and what changed since."""
    builder = PreviewBuilder(root, BASE, cache)
    assert builder.build().ok
    return builder, Changes(root)


def update(builder: PreviewBuilder, changes: Changes) -> None:
    """Bring the output up to date, the edited incidents' pages first, as the preview server does."""
    assert builder.update(changes()).ok
    finish(builder)


def test_an_agency_renamed_shows_in_its_lists_and_downloads(small_project: Path, tmp_path: Path) -> None:
    builder, changes = preview_of(small_project, tmp_path / "cache")
    edit(small_project, INCIDENT, "Officer fires at man", "Officer shoots at man")
    update(builder, changes)  # pieces of every incident kept from here on
    edit(small_project, "content/agencies/example-pd.md", "Example Police Department", "Example City Police")
    update(builder, changes)
    site = builder.out
    for rel in ("agencies/index.html", "agencies/example-pd/index.html", "data/agencies.csv", "data/incidents.json"):
        text = (site / rel).read_text(encoding="utf-8")
        assert "Example City Police" in text and "Example Police Department" not in text, rel
    record = json.loads((site / "data" / "incidents.json").read_text(encoding="utf-8"))
    assert [a["name"] for a in record["agencies"] if a["id"] == "example-pd"] == ["Example City Police"]
    assert_same_tree(tree(site), clean_build(small_project, tmp_path / "clean"))


def test_list_items_that_read_an_agency_are_made_again_when_it_changes(small_project: Path, tmp_path: Path) -> None:
    title = '<a href="{{ url(incident.path) }}">{{ incident.meta.title }}</a>'
    named = title + " ({{ site.agencies[incident.meta.agencies[0].id].meta.name }})"
    edit(small_project, "templates/_macros.html", title, named)  # a list item showing its first agency's name
    builder, changes = preview_of(small_project, tmp_path / "cache")
    page = builder.out / "agencies" / "example-pd" / "index.html"
    shown = page.read_text(encoding="utf-8").count("(Example Police Department)")
    assert shown >= 2
    edit(small_project, "content/agencies/example-pd.md", "Example Police Department", "Example City Police")
    update(builder, changes)
    # The agency's page is rendered again (it reads the agency); its list items are pieces, made again too.
    assert page.read_text(encoding="utf-8").count("(Example City Police)") == shown
    assert "(Example Police Department)" not in page.read_text(encoding="utf-8")


def test_downloads_from_each_incidents_pieces_made_together_equal_those_made_one_by_one(located_project: Path) -> None:
    site = site_of(located_project)
    one_by_one = downloads.render_downloads(site, COMMIT, Fragments())
    one_by_one.update(package_files(site, Fragments()))
    fragments = Fragments()
    pieces, rows = incident_data(site, fragments), incident_rows(site, fragments)
    assert len(pieces) == len(rows) == len(site.incidents)
    assert set(pieces[0]) == set(piece_makers(site)) and set(rows[0].value) == set(row_makers(site))
    together = downloads.render_downloads(site, COMMIT, fragments, pieces)
    together.update(package_files(site, fragments, rows))
    assert together == one_by_one
    names = Counter(key.partition("\0")[0] for key in fragments.kept if not key.startswith("memo:"))
    names_made = ("piece:data", "piece:rows", "piece:licence-meta")  # the licence lists' too
    assert names == {name: len(site.incidents) for name in names_made}


def test_a_rows_piece_holds_each_tables_rows_as_bytes_that_depend_only_on_the_rows(located_project: Path) -> None:
    site = site_of(located_project)
    rows = incident_rows(site, Fragments())
    for incident, kept in zip(site.incidents, rows, strict=True):
        for name, make in row_makers(site).items():
            made = make(incident)
            assert isinstance(kept.value[name], bytes) and table_rows(kept.value, name) == made
            copies = pickle.loads(pickle.dumps(made))  # equal rows, none of their texts the same objects
            shared = [tuple(sys.intern(cell) if isinstance(cell, str) else cell for cell in row) for row in made]
            assert plain_pickled(copies) == plain_pickled(shared) == kept.value[name]
    text = "".join(["Kansas", " City"])  # one object twice, and an equal one: pickle's memo tells them apart
    assert pickle.dumps([(text, text)]) != pickle.dumps([(text, "".join(["Kansas", " City"]))])
    assert plain_pickled([(text, text)]) == plain_pickled([(text, "".join(["Kansas", " City"]))])


def test_a_plans_fingerprint_of_a_list_of_incidents_is_each_incidents_key(located_project: Path) -> None:
    site = site_of(located_project)
    incidents = list(site.incidents)
    items = ",".join(identity(incident, 1) for incident in incidents)
    assert identity(incidents) == identity(tuple(incidents)) == f"[{items}]"
    mixed = [*incidents, "a title", 3]
    assert identity(mixed) == "[" + ",".join(identity(item, 1) for item in mixed) + "]"
    deep: object = incidents
    for _ in range(8):  # past the depth limit, the items are left out whatever they are
        deep = [deep]
    assert identity(deep).count("file:") == 0


def test_a_memo_used_with_other_inputs_is_kept_a_while_and_one_not_used_is_kept() -> None:
    fragments = Fragments()
    fragments.begin(lambda key: "")
    fragments.memo("agency-json:x", ("a", "b"), lambda: 1)
    fragments.memo("record-totals", (), lambda: 2)
    fragments.forget_gone(set())
    fragments.begin(lambda key: "")
    fragments.memo("agency-json:x", ("a",), lambda: 3)  # the agency lost an incident
    fragments.forget_gone(set())
    names = sorted(key.split("\0")[0] for key in fragments.kept)
    assert names == ["memo:agency-json:x", "memo:agency-json:x", "memo:record-totals"]
    assert fragments.memo("agency-json:x", ("a",), lambda: 4) == 3


def test_each_agencys_chart_stays_kept_when_another_agencys_page_is_made() -> None:
    """One memo name, other inputs for each page (the agencies' charts): an update making one page drops none.

    Dropping the others made each title edit in the preview make charts again and read every
    frame again (the read index's keys changed at each update).
    """
    fragments = Fragments()
    fragments.begin(lambda key: "")
    for agency in "abcdef":
        fragments.memo("year-chart:chart-agency", ("naming this agency", agency), lambda: "made")
    fragments.forget_gone(set())
    before = set(fragments.kept)
    for agency in "ace":
        fragments.begin(lambda key: "")
        fragments.memo("year-chart:chart-agency", ("naming this agency", agency), lambda: "again")
        fragments.forget_gone(set())
        assert set(fragments.kept) == before


def test_unused_variants_of_a_memo_are_dropped_past_the_bound_and_heavy_ones_at_once() -> None:
    fragments = Fragments()
    for update in range(3 * forgetting.MEMO_VARIANTS):  # an agency's list of incidents changed at each
        fragments.begin(lambda key: "")
        fragments.memo("year-chart:chart-agency", ("naming this agency", update), lambda: "made")
        fragments.memo("downloads", (update,), lambda: b"60 MB", by_reads=True)
        fragments.forget_gone(set())
        charts = {key for key in fragments.kept if key.startswith("memo:year-chart")}
        latest = range(max(0, update - forgetting.MEMO_VARIANTS), update + 1)  # those found current last
        assert charts == {f"memo:year-chart:chart-agency\0('naming this agency', {n})" for n in latest}
        assert [key for key in fragments.kept if key.startswith("memo:downloads")] == [f"memo:downloads\0({update},)"]


@pytest.mark.parametrize("seed", range(10))
def test_after_each_update_the_pieces_kept_are_those_of_files_still_there(seed: int) -> None:
    rng = random.Random(seed)
    fragments = Fragments()
    files = {f"content/incidents/{n}.md" for n in range(6)}
    for _ in range(60):
        fragments.begin(lambda key: "")
        if rng.random() < 0.3:
            files.add(f"content/incidents/{rng.randrange(10)}.md")
        for file in rng.sample(sorted(files), rng.randint(0, len(files))):
            key = f"piece:{rng.choice(['item', 'data'])}\0file:{file}"
            fragments.adopt(key, Kept(file, {}, fragments.revision, "fingerprint"))  # as _make and the workers do
        if rng.random() < 0.3:
            files.discard(rng.choice(sorted(files | {"content/incidents/none.md"})))
        if rng.random() < 0.3:
            continue  # no forget_gone: the preview's quick pass, or an update a template error stopped
        fragments.forget_gone(set(files))
        assert {key.partition("\0file:")[2] for key in fragments.kept} <= files


@pytest.mark.parametrize("seed", range(5))
def test_each_gives_the_pieces_of_the_items_it_is_handed_whatever_list_held_them_before(seed: int) -> None:
    """each() keeps each list's keys for a revision: a list changed in place, or a new list, is looked at again."""
    rng = random.Random(seed)
    models = [Model(f"content/incidents/{n}.md") for n in range(6)]
    fragments = Fragments()
    fragments.begin(lambda key: "")
    held: list[Model] = []
    for _ in range(100):
        action = rng.random()
        if action < 0.4:  # the same list object, changed in place
            held[:] = rng.sample(models, rng.randint(0, len(models)))
        elif action < 0.6:
            held = list(rng.sample(models, rng.randint(0, len(models))))
        elif action < 0.7:
            fragments.begin(lambda key: "")
        elif action < 0.75:
            fragments.let_go_keys()
        name = rng.choice(["item", "row"])
        got = fragments.each(name, held, lambda model, name=name: f"{name} of {model.source.rel}")
        assert got == [f"{name} of {model.source.rel}" for model in held]
        assert fragments.each(name, iter(held), lambda model: "not made again") == got  # any iterable


def _asker(fragments: Fragments, inputs: dict[str, str], known: dict[str, str]) -> Callable[[str], str]:
    """Return what the engine's Now would: inputs' fingerprints, pieces and memos as the fragments find them."""

    def now(key: str) -> str:
        found = known.get(key)
        if found is not None:
            return found
        if key.startswith("piece:"):
            found = fragments.piece_fingerprint(key)
            if found:
                known[key] = found
            return found
        if key.startswith("memo:"):
            return fragments.memo_fingerprint(key)
        found = known[key] = inputs.get(key, "")
        return found

    return now


@pytest.mark.parametrize("seed", range(20))
def test_settle_finds_current_the_pieces_asking_for_each_would(seed: int) -> None:
    """make site notes every current piece before reading the frames: the same pieces, the same fingerprints."""
    rng = random.Random(seed)
    inputs = {f"{kind}:{n}": f"v{n}" for kind in ("file", "config") for n in range(8)}
    memos = [f"memo:m{n}\0()" for n in range(3)]
    pieces = [f"piece:item\0file:{n}" for n in range(12)]
    kept: dict[str, Kept] = {}
    for key in memos + pieces:
        frame = {}
        for read in rng.sample(sorted(inputs), rng.randint(0, 4)):
            frame[read] = inputs[read] if rng.random() < 0.9 else "old"
        if key in pieces and rng.random() < 0.5:
            frame[rng.choice(memos)] = f"fp-{rng.choice(memos)}"
        if key in pieces and rng.random() < 0.4:
            other = rng.choice([piece for piece in pieces if piece < key] or [key])
            if other != key:
                frame[other] = f"fp-{other}"
        kept[key] = Kept(key, frame, 0, f"fp-{key}")
    for read in rng.sample(sorted(inputs), 3):  # some inputs changed since
        inputs[read] = "new"
    settled, asked = (
        Fragments({k: Kept(v.value, dict(v.frame), 0, v.fingerprint) for k, v in kept.items()}),
        Fragments(kept),
    )
    known: dict[str, str] = {}
    settled.begin(_asker(settled, inputs, known), known)
    settled.settle()
    asked_known: dict[str, str] = {}
    asked.begin(_asker(asked, inputs, asked_known), asked_known)
    for key in pieces:
        assert known.get(key, "") == asked.piece_fingerprint(key), key
    assert not any(key.startswith("memo:") for key in known)  # a memo made again changes its own


def test_the_keys_kept_for_items_no_longer_published_are_dropped() -> None:
    """_keys keeps each item's keys across revisions; a long preview makes a new incident object at every edit."""
    fragments = Fragments()
    files = {f"content/incidents/{n}.md" for n in range(5)}
    for _ in range(300):
        fragments.begin(lambda key: "")
        models = [Model(file) for file in sorted(files)]  # every incident made again, as after edits to each
        fragments.register("item", lambda model: model.source.rel, models)
        assert fragments.each("item", models, lambda model: model.source.rel) == sorted(files)
        fragments.forget_gone(files)
    assert len(fragments._named["item"]) <= 2 * len(files) + forgetting.KEPT_ITEMS


class _Item:
    """An incident as the pieces' keys see it: known by its file."""

    def __init__(self, rel: str) -> None:
        self.rel = rel

    def identity_key(self) -> str:
        return "file:" + self.rel


@pytest.mark.parametrize("seed", range(10))
def test_each_lists_keys_are_those_of_its_items_through_random_edits(seed: int) -> None:
    """The keys copied from the last list of a name, but at the places holding another object, are each item's own."""
    rng = random.Random(seed)
    fragments = Fragments()
    items = [_Item(f"content/incidents/{n}.md") for n in range(rng.randint(8, 40))]
    for _step in range(60):
        action = rng.random()
        if action < 0.6:  # an edit: a new object for a file, or another file, at a few places
            for _ in range(rng.randint(1, 3)):
                items[rng.randrange(len(items))] = _Item(f"content/incidents/{rng.randrange(60)}.md")
        elif action < 0.8:
            items = items[:-1] if rng.random() < 0.5 and len(items) > 1 else [*items, _Item("content/incidents/x.md")]
        elif action < 0.9:
            items = [_Item(f"content/incidents/{rng.randrange(60)}.md") for _ in items]  # most places differ
        elif action < 0.95:
            fragments.let_go_keys()  # as make site does before its save: gathered again when asked
        fragments.begin(lambda key: "", {})  # a new revision: each list is looked at again
        name = rng.choice(["located", "rows"])
        keys = fragments._keys(name, tuple(items), id(items))
        assert keys == [f"piece:{name}\0file:{item.rel}" for item in items]


@pytest.mark.parametrize("seed", range(10))
def test_lists_of_several_lengths_asked_in_turn_keep_each_items_keys(seed: int) -> None:
    """Lists of one name but other lengths (the timeline's, an agency's, a year's) asked in turn, through edits.

    Each length keeps its last items and keys (Fragments._keys), up to LAST_LENGTHS of them: the keys
    given are each item's own whichever list of that length was asked for last.
    """
    rng = random.Random(seed)
    fragments = Fragments()
    files = [f"content/incidents/{n}.md" for n in range(60)]
    lists = [[_Item(rel) for rel in rng.sample(files, rng.randint(1, 30))] for _ in range(LAST_LENGTHS + 3)]
    for _step in range(120):
        chosen = rng.randrange(len(lists))
        if rng.random() < 0.5:  # an edit: a new object for a file, wherever it is listed
            rel = rng.choice(files)
            for items in lists:
                items[:] = [_Item(rel) if item.rel == rel else item for item in items]
        if rng.random() < 0.1:
            lists[chosen].append(_Item(rng.choice(files)))
        fragments.begin(lambda key: "", {})
        items = lists[chosen]
        keys = fragments._keys("item", tuple(items), id(items))
        assert keys == [f"piece:item\0file:{item.rel}" for item in items]
        assert len(fragments._last["item"]) <= LAST_LENGTHS
        assert len(items) in fragments._last["item"]  # kept by length: the next list of this length starts from it


@pytest.mark.parametrize("seed", range(150))
def test_each_with_suspects_named_gives_what_looking_at_each_piece_gives(seed: int) -> None:
    """each() looks only at the read index's suspects when it can (Fragments._each_suspect): the same as its loop.

    Random kept pieces (some missing, some kept without a fingerprint, an incident listed twice),
    random changed inputs, random suspects (those whose reads changed and others), and pieces
    found out of date before the list is asked for, before the suspects are named (then not named
    again) or after: the values, the list's frame and the pieces made must be those of each()'s
    loop over every piece.
    """
    rng = random.Random(seed)
    models = [Model(f"content/incidents/{n}.md") for n in range(12)]
    inputs = {f"file:{n}": f"v{n}" for n in range(12)}

    def make(model: Model) -> str:
        read = "file:" + model.source.rel.split("/")[-1].removesuffix(".md")
        note(read, inputs[read])
        return f"item {inputs[read]}"

    kept: dict[str, Kept] = {}
    missing, unprinted = rng.choice([(0.15, 0.05), (0.0, 0.0)])  # half the seeds with every piece kept, fingerprinted
    for model in models:
        if rng.random() >= missing:
            read = "file:" + model.source.rel.split("/")[-1].removesuffix(".md")
            key = f"piece:item\0{Model.identity_key(model)}"
            fingerprint = "" if rng.random() < unprinted else f"fp-{key}"
            kept[key] = Kept(f"item {inputs[read]}", {read: inputs[read]}, 0, fingerprint)
    changed = rng.sample(sorted(inputs), rng.randint(0, 4))
    for read in changed:
        inputs[read] = "new " + read
    stale = {key for key, item in kept.items() if not item.frame.items() <= inputs.items()}
    suspects = stale | {key for key in kept if rng.random() < 0.2}
    listed = rng.sample(models, rng.randint(0, len(models)))
    listed += rng.sample(listed, min(len(listed), rng.randint(0, 2)))  # an incident listed twice
    rng.shuffle(listed)
    asked_before = [key for key in kept if rng.random() < 0.3]
    asked_first = [key for key in kept if rng.random() < 0.3]  # before the suspects are named (piece_fingerprint)

    def run(quick: bool) -> tuple[list[str], dict[str, str], list[str]]:
        copied = {key: Kept(item.value, dict(item.frame), 0, item.fingerprint) for key, item in kept.items()}
        fragments = Fragments(copied)
        if not quick:
            fragments._each_suspect = lambda *args: None  # type: ignore[method-assign]
        fragments.begin(lambda key: inputs.get(key, ""))
        for key in asked_first:
            fragments._current(fragments.kept[key], key)
        fragments.suspect(set(suspects - set(asked_first)), set(stale - set(asked_first)))
        for key in asked_before:
            fragments._current(fragments.kept[key], key)
        with recording() as frame:
            values = fragments.each("item", listed, make)
        return values, frame, list(fragments.made)

    assert run(quick=True) == run(quick=False)
    values, _, _ = run(quick=True)
    assert values == [make(model) for model in listed]


def test_the_suspects_test_takes_the_quick_path() -> None:
    """The test above compares _each_suspect's answer with the loop's: it must give one, not only None."""
    answered = 0
    original = Fragments._each_suspect

    def counted(self: Fragments, *args: Any) -> Any:
        nonlocal answered
        found = original(self, *args)
        answered += found is not None and len(found[0]) > 3
        return found

    Fragments._each_suspect = counted  # type: ignore[method-assign]
    try:
        for seed in range(40):
            test_each_with_suspects_named_gives_what_looking_at_each_piece_gives(seed)
    finally:
        Fragments._each_suspect = original  # type: ignore[method-assign]
    assert answered >= 10
