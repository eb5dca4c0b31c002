"""`build.py new`: a correctly named file from the template that fails until it is filled in."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import yaml

from kcrecord import cli, new_incident
from kcrecord.content.load import load_content
from kcrecord.content.validate import validate
from kcrecord.engine.pipeline import Project, build
from tests.conftest import REPO

TODAY = dt.date(2024, 6, 3)
NAME = "content/incidents/2024-06-01-example-officer-fires-at-car-driver-flees.md"


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make stdin look like a pipe, as in CI."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))


def problems_of(root: Path) -> list[str]:
    content, problems = load_content(root)
    return [str(p) for p in sorted(problems + validate(content))]


def new(root: Path) -> Path:
    status = new_incident.run(root, "2024-06-01", "Example", "Officer fires at car: driver flees", today=TODAY)
    assert status == 0
    return root / NAME


def test_fresh_file_fails_with_a_message_for_every_placeholder_and_empty_field(
    small_project: Path, no_terminal: None
) -> None:
    path = new(small_project)
    text = path.read_text(encoding="utf-8")
    assert 'title: "Officer fires at car: driver flees"' in text.splitlines()
    assert "date: 2024-06-01" in text.splitlines()
    assert "  city: Example" in text.splitlines()
    assert "updated: 2024-06-03" in text.splitlines()
    placeholder = "still has the template placeholder; write"
    assert problems_of(small_project) == [
        f"{NAME}:18: summary: {placeholder} one or two sentences for lists, search results and link previews",
        f"{NAME}:32: location.place: {placeholder} a named place, e.g. an apartment complex",
        f"{NAME}:34: location.near: {placeholder} a block, intersection or landmark, "
        "e.g. '1100 block of North Elsea Smith Road'",
        f"{NAME}:38: location.state: required field 'state' is empty; "
        "write state: followed by a value listed under 'states' in site.yaml (see the field reference)",
        f"{NAME}:40: location.precision: required field 'precision' is empty; "
        "write precision: followed by one of address-block, intersection, place, road, city, unknown",
        f"{NAME}:44: types: required field 'types' is empty; write types: followed by a list",
        f"{NAME}:50: agencies[0].id: {placeholder} the id of a file in content/agencies/ (its name without .md), "
        "like 'kcpd'",
        f"{NAME}:78: sources[0].id: {placeholder} a short id of lower-case letters, digits and hyphens, "
        "like 'kshb-2024-11-08'",
        f"{NAME}:80: sources[0].publisher: {placeholder} outlet or body that published it",
        f"{NAME}:81: sources[0].title: {placeholder} headline or document title, as published",
        f"{NAME}:82: sources[0].published: {placeholder} the date as YYYY-MM-DD, unquoted",
        f"{NAME}:83: sources[0].url: {placeholder} the address, starting with https://",
        f"{NAME}:106: body: {placeholder} what happened in your own words, citing sources as [^source-id]",
    ]


FILLED = {
    r'summary: "REPLACE: .*"': "summary: An officer fired at a car that drove toward him; the driver fled.",
    r'place: "REPLACE: .*"': "place: Example Mart parking lot",
    r'near: "REPLACE: .*"': "near: 1200 block of Main Street",
    r"state:\n": "state: MO\n",
    r"precision:\n": "precision: address-block\n",
    r"types:\n": "types: [shots-fired-at-vehicle]\n",
    r"id: REPLACE-agency-id": "id: example-pd",
    r"id: REPLACE-source-id": "id: gazette-2024-06-02",
    r'publisher: "REPLACE: .*"': "publisher: Example Gazette",
    r'title: "REPLACE: the headline.*"': "title: Officer fires at fleeing car",
    r"published: REPLACE-WITH-YYYY-MM-DD": "published: 2024-06-02",
    r"url: REPLACE-WITH-https-address": "url: https://example.org/news/2",
    r"REPLACE this line.*": "An officer fired at a car in a store's parking lot.[^gazette-2024-06-02]",
}


def fill(text: str) -> str:
    for pattern, replacement in FILLED.items():
        text, count = re.subn(pattern, replacement, text, count=1)
        assert count == 1, pattern
    return text


def test_filled_in_file_passes_and_is_published(small_project: Path, no_terminal: None, tmp_path: Path) -> None:
    path = new(small_project)
    path.write_text(fill(path.read_text(encoding="utf-8")), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if "REPLACE" in line and not line.lstrip().startswith("#")] == []
    assert problems_of(small_project) == []
    out = tmp_path / "out"
    build(Project(small_project, out))
    page = out / "incidents" / "2024-06-01-example-officer-fires-at-car-driver-flees" / "index.html"
    assert "Officer fires at car: driver flees" in page.read_text(encoding="utf-8")


def test_one_placeholder_left_is_the_only_problem(small_project: Path, no_terminal: None) -> None:
    path = new(small_project)
    text = fill(path.read_text(encoding="utf-8")).replace(
        "place: Example Mart parking lot", 'place: "REPLACE: a named place, or delete this line"'
    )
    path.write_text(text, encoding="utf-8")
    assert problems_of(small_project) == [
        f"{NAME}:32: location.place: still has the template placeholder; write a named place, e.g. an apartment complex"
    ]


def test_template_copied_by_hand_fails_on_the_fields_new_fills(small_project: Path) -> None:
    target = small_project / "content" / "incidents" / "2024-06-01-by-hand.md"
    target.write_text((small_project / new_incident.TEMPLATE).read_text(encoding="utf-8"), encoding="utf-8")
    fields = [line.split(": ", 2)[1] for line in problems_of(small_project) if "template placeholder" in line]
    for name in ("title", "date", "location.city", "updated"):
        assert name in fields


def test_refuses_to_overwrite(small_project: Path, no_terminal: None, capsys: pytest.CaptureFixture) -> None:
    path = new(small_project)
    path.write_text("my work\n", encoding="utf-8")
    status = new_incident.run(small_project, "2024-06-01", "Example", "Officer fires at car: driver flees", today=TODAY)
    assert status == 1
    assert capsys.readouterr().err == (
        f"build.py new: {NAME} already exists; edit that file, or give a different title to start another incident\n"
    )
    assert path.read_text(encoding="utf-8") == "my work\n"


def test_missing_flags_without_a_terminal_exit_2(
    small_project: Path, no_terminal: None, capsys: pytest.CaptureFixture
) -> None:
    before = sorted((small_project / "content" / "incidents").iterdir())
    assert cli.main(["--root", str(small_project), "new", "--city", "Example"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("build.py new: missing --date, --title; give all three, e.g. python build.py new --date ")
    assert "run it in a terminal to be asked" in err
    assert sorted((small_project / "content" / "incidents").iterdir()) == before


def test_bad_date_flag_exit_2(small_project: Path, no_terminal: None, capsys: pytest.CaptureFixture) -> None:
    args = ["--root", str(small_project), "new", "--date", "11/7/2024", "--city", "A", "--title", "B"]
    assert cli.main(args) == 2
    assert capsys.readouterr().err == "build.py new: date: expected YYYY-MM-DD, like 2024-11-07; got '11/7/2024'\n"
    args[4] = "2024-02-30"
    assert cli.main(args) == 2
    assert capsys.readouterr().err == "build.py new: date: 2024-02-30 is not a real date; check the month and day\n"


def test_cli_writes_the_file(small_project: Path, no_terminal: None, capsys: pytest.CaptureFixture) -> None:
    args = ["--root", str(small_project), "new", "--date", "2024-06-01", "--city", "Example", "--title", "Car chase"]
    assert cli.main(args) == 0
    assert capsys.readouterr().out.startswith("Created content/incidents/2024-06-01-example-car-chase.md\n")
    assert (small_project / "content/incidents/2024-06-01-example-car-chase.md").exists()


def test_asks_in_a_terminal_and_asks_again_after_a_bad_date(small_project: Path) -> None:
    answers = iter(["Nov 7", "2024-11-07", "  ", "Independence", "Officer shoots at apartment"])
    asked: list[str] = []
    said: list[str] = []

    def read(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    incident = new_incident.ask({"date": None, "city": None, "title": None}, read, said.append)
    assert incident == new_incident.NewIncident(dt.date(2024, 11, 7), "Independence", "Officer shoots at apartment")
    assert asked[:2] == ["Date of the incident (YYYY-MM-DD): "] * 2
    assert said == ["date: expected YYYY-MM-DD, like 2024-11-07; got 'Nov 7'", "city: please write something"]


def test_terminal_run_asks_only_for_what_is_missing(small_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "Example")
    assert new_incident.run(small_project, "2024-06-01", None, "Shots fired", today=TODAY) == 0
    assert (
        "  city: Example"
        in (small_project / "content/incidents/2024-06-01-example-shots-fired.md").read_text().splitlines()
    )


@pytest.mark.parametrize(
    ("title", "city", "name"),
    [
        (
            "Officer shoots man near 39th & Main",
            "Kansas City",
            "2024-06-01-kansas-city-officer-shoots-man-near-39th-main.md",
        ),
        ("Policía dispara en Raytown", "Raytown", "2024-06-01-raytown-policia-dispara-en-raytown.md"),
        ("¿?", "Grandview", "2024-06-01-grandview.md"),
        ("Shots fired", "¿?", "2024-06-01-shots-fired.md"),
        # A title that starts with the city does not repeat it, as in the files already there.
        (
            "Independence oval springs apartments",
            "Independence",
            "2024-06-01-independence-oval-springs-apartments.md",
        ),
        (
            "Officers fire at a driver who hit a patrol car and then fled north on Interstate 435",
            "Kansas City",
            "2024-06-01-kansas-city-officers-fire-at-a-driver-who-hit-a-patrol-car.md",
        ),
    ],
)
def test_file_name_from_title_or_city(title: str, city: str, name: str) -> None:
    chosen = new_incident.file_name(new_incident.NewIncident(dt.date(2024, 6, 1), city, title))
    assert chosen == name
    assert len(chosen.removesuffix(".md")) <= len("2024-06-01-") + new_incident.MAX_SLUG


@pytest.mark.parametrize("value", ["Plain words", "A: colon", "# hash", "yes", "13:50", "'quoted'", 'say "hi"'])
def test_yaml_text_reads_back_as_the_same_text(value: str) -> None:
    import yaml

    assert yaml.safe_load(f"key: {new_incident.yaml_text(value)}") == {"key": value}


def test_make_new_names_files_as_the_record_already_does() -> None:
    """Every incident file in content/ is named YYYY-MM-DD-<city>-...; make new's names start the same way."""
    paths = sorted((REPO / "content" / "incidents").glob("*.md"))
    assert paths
    for path in paths:
        meta = yaml.safe_load(path.read_text(encoding="utf-8").split("\n---", 1)[0].removeprefix("---\n"))
        city = new_incident.slugify(meta["location"]["city"])
        prefix = f"{meta['date'].isoformat()}-{city}-"
        made = new_incident.file_name(new_incident.NewIncident(meta["date"], meta["location"]["city"], meta["title"]))
        assert path.name.startswith(prefix), path.name
        assert made.startswith(prefix) and f"-{city}-{city}-" not in made, made
