"""Random edits of a project, for driving the engine and comparing it with a clean build (tests/test_engine_fuzz.py).

Each edit changes files under a project copied from tests/fixtures/site and returns the paths it
touched (what the preview's watcher would report). Some edits leave the project invalid; they
return an undo that the driver applies at the next step.
"""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

Undo = Callable[[], list[Path]]
Edit = Callable[[Path, random.Random], tuple[list[Path], Undo | None]]

# Template edits that make a template read something it did not read before.
NEW_READS = [
    ("agency.html", "{% block content %}", "{% block content %}<p class='fuzz'>{{ agency.count }} incidents</p>"),
    ("_partials/footer.html", "</footer>", "<p class='fuzz'>{{ site.incidents|length }} records</p></footer>"),
    (
        "incident.html",
        "{% block content %}",
        "{% block content %}{% set later = site.incidents|selectattr('sort_key', 'gt', incident.sort_key)|list %}"
        "{% if later %}<a class='fuzz' href='{{ url(later[0].path) }}'>{{ later[0].meta.title }}</a>{% endif %}",
    ),
    ("page.html", "{% block content %}", "{% block content %}{{ incident_items(site.incidents[-2:]) }}"),
    (
        "_macros.html",
        "  <li>\n",
        "  <li>\n    <small class='fuzz'>{% for role, id in incident.agency_roles %}"
        "{{ site.agencies[id].meta.name }} {% endfor %}</small>\n",
    ),
    ("home.html", "{% block content %}", "{% block content %}<p class='fuzz'>{{ site.pages|length }} pages</p>"),
    # A list item, or a list itself, that starts reading an incident's body: a body edit then changes them.
    ("_macros.html", "  <li>\n", "  <li>\n    <small class='fuzz'>{{ incident.source.body|length }}</small>\n"),
    (
        "timeline_year.html",
        "{% block content %}",
        "{% block content %}<p class='fuzz'>{% for i in incidents %}{{ i.body_html|length }} {% endfor %}</p>",
    ),
]


def _incidents(root: Path) -> list[Path]:
    return sorted((root / "content" / "incidents").rglob("*.md"))


def _visible_incidents(root: Path) -> list[Path]:
    return [p for p in _incidents(root) if not any(part.startswith(".") for part in p.parts)]


def _replace_line(path: Path, field: str, value: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(rf"(?m)^{field}: .*$", f"{field}: {value}", text, count=1), encoding="utf-8")


def body_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    path = rng.choice(_visible_incidents(root))
    path.write_text(path.read_text(encoding="utf-8") + f"\nA further sentence, number {rng.randrange(1000)}.\n")
    return [path], None


def title_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    path = rng.choice(_visible_incidents(root))
    _replace_line(path, "title", f"Officers respond to a call, version {rng.randrange(1000)}")
    return [path], None


def date_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Move an incident to another year: its date, the dates in step with it, and its file name."""
    path = rng.choice(_visible_incidents(root))
    year = rng.choice([2019, 2021, 2022, 2023, 2024])
    text = path.read_text(encoding="utf-8")
    old = re.search(r"(?m)^date: (\d{4})-(\d\d)-(\d\d)$", text)
    assert old is not None
    day = f"{year}-{old.group(2)}-{old.group(3)}"
    text = text.replace(old.group(0), f"date: {day}", 1)
    text = re.sub(r"(?m)^(\s*-? ?\{?date: )\d{4}", rf"\g<1>{year}", text)  # keep timeline dates in step
    text = re.sub(r"(?m)^(\s*published: )\d{4}", rf"\g<1>{year}", text)
    text = re.sub(r"as_of: \d{4}", f"as_of: {year}", text)
    text = re.sub(r"(?m)^updated: \d{4}", f"updated: {year}", text)
    target = path.with_name(day + path.name[10:])  # the file is named for its date (the checks say so)
    if target != path and target.exists():
        target = target.with_name(f"{target.stem}-{rng.randrange(10_000)}.md")
    path.unlink()
    target.write_text(text, encoding="utf-8")
    return sorted({path, target}), None


def role_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    path = rng.choice(_visible_incidents(root))
    text = path.read_text(encoding="utf-8")
    roles = ["involved", "investigating", "reviewing", "assisting"]
    text = re.sub(
        r"role: (involved|investigating|reviewing|assisting)\}", f"role: {rng.choice(roles)}}}", text, count=1
    )
    path.write_text(text, encoding="utf-8")
    return [path], None


def draft_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Keep an incident off the site with draft: true, or publish a draft again."""
    path = rng.choice(_visible_incidents(root))
    text = path.read_text(encoding="utf-8")
    if "\ndraft: true\n" in text:
        text = text.replace("\ndraft: true\n", "\n", 1)
    else:
        text = text.replace("\n", "\ndraft: true\n", 1)  # after the opening ---
    path.write_text(text, encoding="utf-8")
    return [path], None


def time_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Give an incident another time of day (its place among the day's incidents), or none."""
    path = rng.choice(_visible_incidents(root))
    text = path.read_text(encoding="utf-8")
    value = rng.choice(["00:05", "13:50", "23:59", None])
    text = re.sub(r"(?m)^time: .*\n", "", text, count=1)
    if value is not None:
        text = text.replace("\ndate: ", f'\ntime: "{value}"\ndate: ', 1)
    path.write_text(text, encoding="utf-8")
    return [path], None


COORDINATES = "latitude: 39.0997, longitude: -94.5786, coordinates_note: Placed at the block police named"


def location_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Give an incident map coordinates, or take them away (the maps and the data page count located ones)."""
    path = rng.choice(_visible_incidents(root))
    text = path.read_text(encoding="utf-8")
    if "latitude:" in text:
        text = re.sub(r"(?m)^  (latitude|longitude|coordinates_note): .*\n", "", text)
        text = text.replace(", " + COORDINATES, "")
    elif re.search(r"(?m)^  precision: ", text):
        block = "".join(f"\n  {part.strip()}" for part in COORDINATES.split(", "))
        text = re.sub(r"(?m)^(  precision: .*)$", lambda match: match.group(1) + block, text, count=1)
    else:
        text = re.sub(r"(precision: [a-z-]+)\}", lambda match: f"{match.group(1)}, {COORDINATES}}}", text, count=1)
    path.write_text(text, encoding="utf-8")
    return [path], None


# The incident page shows its locator map unless the about page says "nomap" (map_toggle): a kept piece
# then goes unread for a while, and is read again after later edits (its incident may have moved).
HIDDEN_MAPS = (
    "incident.html",
    "{{ locator_map(incident) }}",
    "{% set about = site.pages|selectattr('slug', 'equalto', 'about')|first %}"
    "{% if 'nomap' not in about.body_html %}{{ locator_map(incident) }}{% endif %}",
)


def hide_maps(root: Path) -> None:
    """Make the incident pages' locator maps depend on the about page (HIDDEN_MAPS)."""
    name, old, new = HIDDEN_MAPS
    path = root / "templates" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def map_toggle(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Hide the incident pages' locator maps, or show them again (with hide_maps' template)."""
    path = root / "content" / "pages" / "about.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nnomap\n", "") if "\nnomap\n" in text else text + "\nnomap\n", encoding="utf-8")
    return [path], None


def add_incident(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    source = rng.choice(_visible_incidents(root))
    folder = root / "content" / "incidents" / rng.choice(["", "2022"])
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{source.stem[:10]}-added-{rng.randrange(10_000)}.md"
    shutil.copy(source, target)
    _replace_line(target, "title", f"Added record {rng.randrange(1000)}")
    return [target], None


def delete_incident(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    paths = _visible_incidents(root)
    if len(paths) < 2:
        return add_incident(root, rng)
    path = rng.choice(paths)
    path.unlink()
    return [path], None


def rename_incident(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    path = rng.choice(_visible_incidents(root))
    target = path.with_name(f"{path.stem[:10]}-renamed-{rng.randrange(10_000)}.md")
    path.rename(target)
    return [path, target], None


def hide_incident(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Move an incident into a hidden folder (not content for any command), or one back out."""
    hidden = [p for p in _incidents(root) if ".aside" in p.parts]
    if hidden and rng.random() < 0.5:
        path = hidden[0]
        target = root / "content" / "incidents" / path.name
    else:
        paths = _visible_incidents(root)
        if len(paths) < 2:
            return add_incident(root, rng)
        path = rng.choice(paths)
        target = root / "content" / "incidents" / ".aside" / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    path.rename(target)
    return [path, target], None


def agency_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    path = rng.choice(sorted((root / "content" / "agencies").glob("*.md")))
    _replace_line(path, "name", f"Example Agency {rng.randrange(1000)}")
    return [path], None


def page_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    path = root / "content" / "pages" / "about.md"
    if rng.random() < 0.5:
        _replace_line(path, "title", f"About this record {rng.randrange(100)}")
    else:
        path.write_text(path.read_text(encoding="utf-8") + f"\nMore about the record, {rng.randrange(100)}.\n")
    return [path], None


def site_yaml_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    path = root / "site.yaml"
    text = path.read_text(encoding="utf-8")
    choice = rng.randrange(3)
    if choice == 0:
        text = re.sub(r"(?m)^title: .*$", f"title: Police Incident Record {rng.randrange(100)}", text, count=1)
    elif choice == 1:
        text = re.sub(
            r"police-shooting: .*", f"police-shooting: Shooting by police {rng.randrange(100)}", text, count=1
        )
    else:
        text = re.sub(r"(?m)^base_url: .*$", f"base_url: https://example.org/r{rng.randrange(100)}/", text, count=1)
    path.write_text(text, encoding="utf-8")
    return [path], None


def template_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Add text to a template, or make one read something it did not read before."""
    folder = root / "templates"
    if rng.random() < 0.6:
        name, anchor, new = rng.choice(NEW_READS)
        path = folder / name
        text = path.read_text(encoding="utf-8")
        if new in text:
            path.write_text(text.replace(new, anchor, 1), encoding="utf-8")  # take it out again
        else:
            path.write_text(text.replace(anchor, new, 1), encoding="utf-8")
        return [path], None
    name = rng.choice(["base.html", "_macros.html", "timeline_year.html", "agencies.html", "data.html"])
    path = folder / name
    path.write_text(path.read_text(encoding="utf-8") + f"{{# edit {rng.randrange(1000)} #}}\n", encoding="utf-8")
    return [path], None


def static_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    folder = root / "static"
    extra = folder / "extra.txt"
    if extra.exists() and rng.random() < 0.5:
        extra.unlink()
        return [extra], None
    if rng.random() < 0.5:
        extra.write_text(f"extra {rng.randrange(1000)}\n")
        return [extra], None
    css = folder / "style.css"
    css.write_text(css.read_text(encoding="utf-8") + f"/* {rng.randrange(1000)} */\n", encoding="utf-8")
    return [css], None


def static_swap(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Turn a static file into a folder of the same name, or back into a file: outputs in each other's way."""
    path = root / "static" / "swap.txt"
    if path.is_dir():
        shutil.rmtree(path)
        path.write_text(f"a file again {rng.randrange(1000)}\n")
    else:
        path.unlink(missing_ok=True)
        (path / "inner").mkdir(parents=True)
        (path / "inner" / "deep.txt").write_text(f"in a folder {rng.randrange(1000)}\n")
    return [path], None


def break_incident(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Leave an incident invalid (a bad date or an unknown agency); the undo restores it."""
    path = rng.choice(_visible_incidents(root))
    before = path.read_text(encoding="utf-8")
    if rng.random() < 0.5:
        _replace_line(path, "date", "2024-02-30")
    else:
        path.write_text(before.replace("id: example-pd,", "id: no-such-agency,", 1), encoding="utf-8")

    def undo() -> list[Path]:
        path.write_text(before, encoding="utf-8")
        return [path]

    return [path], undo


# Top-level code in a template another one imports: Jinja runs it once, for its first user, and
# hands every later user the module it made (kcrecord/outputs/template_runtime.py). An anchor of
# "" is a template of its own, added and removed whole.
MODULE_READS = [
    [  # a list item prints a number worked out at the top of _macros.html
        (
            "_macros.html",
            "{% macro incident_item(incident) %}",
            "{% set fuzz_total = site.incidents|length %}{% macro incident_item(incident) %}",
        ),
        ("_macros.html", "  <li>\n", "  <li>\n    <small class='fuzz-total'>{{ fuzz_total }}</small>\n"),
    ],
    [  # a page imports a macro from a template that works out a value at its top
        (
            "_fuzz_count.html",
            "",
            "{% set counted = site.incidents|map(attribute='meta.title')|join(', ') %}"
            "{% macro fuzz_count() %}<p class='fuzz-count'>{{ counted|length }}</p>{% endmacro %}\n",
        ),
        (
            "incident.html",
            "{% block content %}",
            "{% from '_fuzz_count.html' import fuzz_count %}{% block content %}{{ fuzz_count() }}",
        ),
    ],
    [  # a partial included without context: its output is made once
        ("_fuzz_total.html", "", "<p class='fuzz-total'>{{ site.incidents|length }} in the record</p>\n"),
        ("_partials/footer.html", "</footer>", "{% include '_fuzz_total.html' without context %}</footer>"),
    ],
]


def module_edit(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Add top-level reads to a template that others import, or take them out again."""
    folder = root / "templates"
    edits = rng.choice(MODULE_READS)
    applied = all(anchor == "" or new in (folder / name).read_text(encoding="utf-8") for name, anchor, new in edits)
    for name, anchor, new in edits:
        path = folder / name
        if anchor == "":
            if applied:
                path.unlink(missing_ok=True)
            else:
                path.write_text(new, encoding="utf-8")
            continue
        text = path.read_text(encoding="utf-8")
        if applied:
            path.write_text(text.replace(new, anchor, 1), encoding="utf-8")
        elif new not in text:
            path.write_text(text.replace(anchor, new, 1), encoding="utf-8")
    return sorted({folder / name for name, _anchor, _new in edits}), None


def link_incident(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Replace an incident with a symbolic link (to a copy outside content/, or to nothing); the undo restores it.

    Every command refuses a link where a content file should be.
    """
    path = rng.choice(_visible_incidents(root))
    before = path.read_bytes()
    outside = root / "outside.md"
    outside.write_bytes(before)
    path.unlink()
    path.symlink_to(outside if rng.random() < 0.5 else root / "no-such-file.md")

    def undo() -> list[Path]:
        path.unlink()
        path.write_bytes(before)
        outside.unlink(missing_ok=True)
        return [path]

    return [path], undo


def stray_file(root: Path, rng: random.Random) -> tuple[list[Path], Undo | None]:
    """Put a file that is not Markdown under content/pages/ (refused by every command); the undo removes it."""
    path = root / "content" / "pages" / "notes.txt"
    path.write_text("notes\n")

    def undo() -> list[Path]:
        path.unlink()
        return [path]

    return [path], undo


EDITS: list[Edit] = [
    body_edit,
    title_edit,
    date_edit,
    role_edit,
    draft_edit,
    time_edit,
    location_edit,
    add_incident,
    delete_incident,
    rename_incident,
    hide_incident,
    agency_edit,
    page_edit,
    site_yaml_edit,
    template_edit,
    template_edit,
    static_edit,
    static_swap,
    break_incident,
    stray_file,
    module_edit,
    module_edit,
    link_incident,
    map_toggle,
    map_toggle,
]
