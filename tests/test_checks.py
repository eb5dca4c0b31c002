"""The checks after in-place edits look only at the edited files, and find what checking everything finds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kcrecord.content.problems import Problem
from kcrecord.engine import checks as checks_module
from kcrecord.engine.edit_log import KEPT, EditLog
from kcrecord.engine.engine import Engine
from tests.conftest import SMALL_SITE, copy_project

IMPORTED = "imported: {source: mpv, id: '1', dataset_version: 2024-01-01, reviewed: true}"


def with_an_uncovered_import_source(root: Path) -> None:
    """Name an import source in site.yaml's vocabularies but not in its coverage (an error once an incident uses it)."""
    site_yaml = root / "site.yaml"
    text = site_yaml.read_text(encoding="utf-8")
    line = "    wapo: The Washington Post, Fatal Force (data-police-shootings)\n"
    assert line in text
    site_yaml.write_text(text.replace(line, line + "    mpv: Mapping Police Violence\n"), encoding="utf-8")


def everything_checked(root: Path, out: Path) -> list[Problem]:
    engine = Engine(root, out, search=False)
    content, problems = engine.load()
    return sorted(set(problems + engine.check(content)))


def _edit(path: Path, original: str, rng: random.Random) -> None:
    """Rewrite path in place: as it was, unreadable, with a bad value, or readable with another body."""
    kind = rng.choice(["restore", "unreadable", "bad date", "unknown agency", "body", "import source"])
    if kind == "import source":  # site.yaml's coverage lacks it: a whole-site problem made by an incident
        text = original.replace("\ntitle:", f"\n{IMPORTED}\ntitle:", 1)
    elif kind == "restore":
        text = original
    elif kind == "unreadable":
        text = original.replace("title:", "title: [unclosed", 1)
    elif kind == "bad date":
        text = original.replace("date: 20", "date: 19", 1).replace("\ndate: 19", "\ndate: 1899-02-30\n#", 1)
    elif kind == "unknown agency":
        text = original.replace("id: example-pd", "id: no-such-agency", 1)
    else:
        text = original + f"\nAnother line {rng.randrange(1000)}.\n"
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("seed", range(6))
def test_in_place_edits_are_checked_like_a_whole_load(tmp_path: Path, seed: int) -> None:
    """Edits, breaks and fixes of single files, two of which share a slug, against a fresh engine each step.

    A file that shares its slug adds or removes the "slug used twice" problem by becoming
    unreadable or readable again, and an incident that names an import source site.yaml's
    coverage lacks adds a problem to site.yaml: the whole-site checks read every file.
    """
    rng = random.Random(seed)
    root = copy_project(SMALL_SITE, tmp_path / "project")
    with_an_uncovered_import_source(root)
    incidents = sorted((root / "content" / "incidents").glob("*.md"))
    twin = root / "content" / "incidents" / "2024" / incidents[0].name
    twin.parent.mkdir()
    twin.write_text(incidents[0].read_text(encoding="utf-8"), encoding="utf-8")
    files = [*incidents, twin, *sorted((root / "content" / "agencies").glob("*.md"))]
    originals = {path: path.read_text(encoding="utf-8") for path in files}
    engine = Engine(root, tmp_path / "out", search=False)
    content, problems = engine.load()
    assert sorted(set(problems + engine.check(content))) == everything_checked(root, tmp_path / "fresh")
    for step in range(25):
        edited = rng.sample(files, rng.choice([1, 1, 2]))
        for path in edited:
            _edit(path, originals[path], rng)
        seen = engine.edits.version
        content, problems = engine.load(edited)
        assert engine.edits.since(seen) == {path.relative_to(root).as_posix() for path in edited}  # read in place
        got = sorted(set(problems + engine.check(content)))
        assert got == everything_checked(root, tmp_path / "fresh"), (seed, step, [p.name for p in edited])
        if rng.random() < 0.3:  # a second pass with nothing read again (the preview's finish): the same answer
            content, problems = engine.load([])
            assert sorted(set(problems + engine.check(content))) == got


def test_a_check_with_nothing_read_again_answers_as_the_last_without_checking(tmp_path: Path, monkeypatch) -> None:
    root = copy_project(SMALL_SITE, tmp_path / "project")
    with_an_uncovered_import_source(root)
    incident = sorted((root / "content" / "incidents").glob("*.md"))[0]
    incident.write_text(incident.read_text(encoding="utf-8").replace("\ntitle:", f"\n{IMPORTED}\ntitle:", 1))
    engine = Engine(root, tmp_path / "out", search=False)
    content, _ = engine.load()
    first = engine.check(content)
    assert first  # the uncovered import source
    calls = []
    real = checks_module.check_site
    monkeypatch.setattr(checks_module, "check_site", lambda content: calls.append(1) or real(content))
    content, _ = engine.load([])
    assert engine.check(content) == first and not calls
    content, _ = engine.load([incident])
    assert engine.check(content) == first and calls == [1]  # a file read again: checked


def test_the_edit_log_says_what_was_read_again_since_a_load() -> None:
    log = EditLog()
    assert log.since(None) is None
    first = log.whole()
    assert log.since(first) == set()
    one = log.edited(["a.md"])
    log.edited(["b.md", "c.md"])
    assert log.since(first) == {"a.md", "b.md", "c.md"}
    assert log.since(one) == {"b.md", "c.md"}
    assert log.since(log.version) == set()
    assert log.since(log.version + 1) is None  # a load the log never made
    log.whole()
    assert log.since(one) is None  # a whole load came between
    seen = log.version
    for number in range(KEPT + 1):
        log.edited([f"{number}.md"])
    assert log.since(seen) is None  # further behind than the log remembers
    assert log.since(log.version - 1) == {f"{KEPT}.md"}


def test_an_incident_edited_in_place_can_make_a_whole_site_problem(tmp_path: Path) -> None:
    """Coverage asks which import sources the incidents use: the preview reports it, and its fix, like a clean build."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    with_an_uncovered_import_source(root)
    preview = Engine(root, tmp_path / "preview", search=False)
    assert preview.run().ok
    incident = root / "content" / "incidents" / "2024-03-05-example-shooting.md"
    original = incident.read_text(encoding="utf-8")
    incident.write_text(original.replace("\ntitle:", f"\n{IMPORTED}\ntitle:", 1), encoding="utf-8")
    got = preview.run([incident]).problems
    assert got == everything_checked(root, tmp_path / "fresh") != []
    assert any(problem.path == "site.yaml" and "mpv" in problem.message for problem in got)
    incident.write_text(original, encoding="utf-8")
    assert preview.run([incident]).ok
