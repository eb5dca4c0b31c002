"""The Washington Post importer: mapping, idempotency, updates, curator edits, duplicates, bad rows."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from kcrecord.cli import main
from kcrecord.engine.pipeline import Project, build, check
from kcrecord.importers import wapo_values
from kcrecord.importers import wapo_write as import_write
from kcrecord.importers.wapo import Options, Report, run_import

REPO = Path(__file__).resolve().parent.parent
WAPO = Path(__file__).resolve().parent / "fixtures" / "wapo"
DATA = WAPO / "fatal-police-shootings-data.csv"
AGENCIES = WAPO / "fatal-police-shootings-agencies.csv"
VERSION = dt.date(2022, 12, 23)


@pytest.fixture
def project(small_project: Path) -> Path:
    """Return the small fixture project with the repository's site.yaml and an agency map."""
    shutil.copy(REPO / "site.yaml", small_project / "site.yaml")
    (small_project / "imports").mkdir()
    (small_project / "imports" / "wapo-agencies.csv").write_text(
        "wapo_id,agency,wapo_name\n201,example-pd,Kansas City Police Department\n"
        "1127,blue-springs-pd,Blue Springs Police Department\n",
        encoding="utf-8",
    )
    return small_project


def run(
    project: Path, data: Path = DATA, version: dt.date | None = VERSION, area: bool = False, **filters: object
) -> Report:
    """Import into the project's content folder (rows from everywhere unless area is True)."""
    options = Options(
        data=data,
        agencies=AGENCIES,
        content=project / "content",
        agency_map=project / "imports" / "wapo-agencies.csv",
        dataset_version=version,
        area=area,
        **filters,  # type: ignore[arg-type]
    )
    return run_import(options)


def front(path: Path) -> dict:
    """Return a content file's front matter."""
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---\n", 1)[0][4:])


def snapshot(folder: Path) -> dict[str, str]:
    """Return a hash of every file under folder."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def incident(project: Path, wapo_id: int) -> Path:
    """Return the one incident file imported for a WaPo id."""
    (path,) = (project / "content" / "incidents").glob(f"*-wapo-{wapo_id}.md")
    return path


def test_fields_are_mapped(project: Path) -> None:
    run(project)
    person_file = front(incident(project, 1415))
    assert incident(project, 1415).name == "2016-03-24-blue-springs-wapo-1415.md"
    assert person_file["title"] == "Man, 22, shot and killed by police in Blue Springs, MO"
    assert [a["id"] for a in person_file["agencies"]] == [
        "federal-bureau-of-investigation-mo",
        "example-pd",
        "u-s-marshals-service-mo",
    ]
    assert {a["role"] for a in person_file["agencies"]} == {"involved"}
    person = person_file["people"][0]
    assert person == {
        "role": "civilian",
        "name": "Marcus Fennimore",
        "age": 22,
        "gender": "male",
        "race": ["black"],
        "race_source": "not available",
        "outcome": "killed",
        "shot_by": "police",
        "armed": ["gun"],
        "threat_type": "point",
        "flee_status": "not-fleeing",
        "mental_illness_related": False,
        "sources": ["wapo-fatal-force"],
    }
    assert person_file["body_camera"] is False
    assert person_file["licence"] == "CC-BY-NC-SA-4.0"
    assert person_file["updated"] == VERSION
    imported = person_file["imported"]
    assert {k: imported[k] for k in ("source", "id", "dataset_version", "reviewed")} == {
        "source": "wapo",
        "id": 1415,
        "dataset_version": VERSION,
        "reviewed": False,
    }
    assert person_file["sources"][0]["url"] == "https://github.com/washingtonpost/data-police-shootings"
    assert person_file["sources"][0]["publisher"] == "The Washington Post"
    assert person_file["location"]["county"] == "Jackson"
    assert person_file["location"]["precision"] == "city"


def test_messy_values(project: Path) -> None:
    run(project)
    assert front(incident(project, 8366))["people"][0]["race"] == ["black", "hispanic"]
    assert front(incident(project, 1040))["people"][0]["armed"] == ["blunt-object"]
    unnamed = front(incident(project, 3469))["people"][0]
    assert "name" not in unnamed and "age" not in unnamed and "race" not in unnamed
    assert "flee_status" not in unnamed
    no_threat = front(incident(project, 8707))
    assert "threat_type" not in no_threat["people"][0]
    assert no_threat["agencies"] == [{"id": "federal-bureau-of-investigation-oh", "role": "involved"}]
    no_place = front(incident(project, 1015))["location"]
    assert "latitude" not in no_place and "coordinates_precision" not in no_place
    siblings = incident(project, 3779).read_text(encoding="utf-8")
    assert "(Washington Post id 3776)" in siblings


def test_a_minor_is_never_named(project: Path) -> None:
    run(project)
    path = incident(project, 1307)
    person = front(path)["people"][0]
    assert person["minor"] is True and person["age"] == 16
    assert "name" not in person
    (minor,) = [r for r in csv.DictReader(DATA.open(encoding="utf-8")) if r["id"] == "1307"]
    text = path.read_text(encoding="utf-8").lower()
    assert minor["name"] and not any(word.lower() in text for word in minor["name"].split())
    assert front(path)["title"].startswith("Boy, 16,")


def test_coordinates_are_rounded_unless_the_place_is_public(project: Path) -> None:
    run(project)
    address = front(incident(project, 8705))["location"]  # dataset precision: address
    assert (address["latitude"], address["longitude"]) == (36.861, -76.174)
    assert address["coordinates_precision"] == "address"
    assert "rounded to 3 decimal places" in address["coordinates_note"]
    crossing = front(incident(project, 8713))["location"]  # dataset precision: intersection
    assert crossing["latitude"] == 28.239974109608266
    assert crossing["coordinates_precision"] == "intersection"


def test_agencies_are_created_once_and_mapped_ones_reused(project: Path) -> None:
    report = run(project)
    agencies = project / "content" / "agencies"
    assert not (agencies / "kansas-city-police-department-mo.md").exists()  # mapped to example-pd
    created = front(agencies / "blue-springs-pd.md")  # mapped, but not in the record yet: created there
    assert created["name"] == "Blue Springs Police Department"
    assert created["imported"]["id"] == 1127
    sheriff = front(agencies / "refugio-county-sheriffs-department-tx.md")
    assert sheriff["kind"] == "sheriff" and "ori_codes" not in sheriff
    assert front(agencies / "missouri-state-highway-patrol-mo.md")["ori_codes"][0] == "MOMHP00"
    assert "content/agencies/example-pd.md" in report.agencies_existing
    assert len(report.agencies_created) == len(set(report.agencies_created))


def test_a_content_file_whose_front_matter_cannot_be_read_is_reported_and_left_alone(
    project: Path, write_file: Callable[..., Path]
) -> None:
    run(project)
    path = incident(project, 283)
    broken = path.read_text(encoding="utf-8").replace("title: ", "title: [unclosed ", 1)
    path.write_text(broken, encoding="utf-8")
    write_file(project, "content/incidents/2015-01-01-no-fence.md", "title: no front matter fence\n")
    report = run(project, version=dt.date(2023, 2, 1))
    assert path.read_text(encoding="utf-8") == broken
    assert any(
        re.match(r"content/incidents/2015-03-13-kansas-city-wapo-283.md:[0-9]+: front matter: YAML", p)
        for p in report.problems
    )
    assert any(p.startswith("content/incidents/2015-01-01-no-fence.md:1: front matter: ") for p in report.problems)
    assert "already exists and was not written by this import" in " ".join(report.kept)


def test_two_wapo_ids_mapped_to_one_new_agency_file(project: Path) -> None:
    mapping = project / "imports" / "wapo-agencies.csv"
    mapping.write_text("wapo_id,agency\n1105,shared-office\n1066,shared-office\n", encoding="utf-8")
    report = run(project)
    assert report.kept == []
    assert report.agencies_created.count("content/agencies/shared-office.md") == 1
    assert "content/agencies/shared-office.md" in report.agencies_existing  # the second id finds it
    assert front(incident(project, 1230))["agencies"] == [{"id": "shared-office", "role": "involved"}]
    check(Project(project, project / "site"))


def test_the_imported_project_validates_and_builds(project: Path) -> None:
    run(project)
    check(Project(project, project / "site"))
    build(Project(project, project / "site"))
    page = project / "site" / "incidents" / "2016-03-24-blue-springs-wapo-1415" / "index.html"
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    notice = soup.select_one("p.notice.imported")
    assert notice is not None
    assert "not yet reviewed by a curator" in notice.get_text()
    assert "CC BY-NC-SA 4.0" in soup.select_one("p.licence").get_text()
    curated = project / "site" / "incidents" / "2024-03-05-example-shooting" / "index.html"
    assert BeautifulSoup(curated.read_text(encoding="utf-8"), "html.parser").select_one("p.notice.imported") is None


def test_importing_twice_changes_nothing(project: Path) -> None:
    first = run(project)
    before = snapshot(project / "content")
    second = run(project)
    assert snapshot(project / "content") == before
    assert second.created == [] and second.updated == [] and second.agencies_created == []
    assert len(second.unchanged) == len(first.created) == 13


def test_a_newer_dataset_updates_imported_files(project: Path, tmp_path: Path) -> None:
    run(project)
    newer = tmp_path / "newer.csv"
    text = DATA.read_text(encoding="utf-8")
    old_row = '"283","2015-03-13","point","not","gun"'
    assert old_row in text
    newer.write_text(text.replace(old_row, '"283","2015-03-13","point","foot","gun"'), encoding="utf-8")
    report = run(project, newer, dt.date(2023, 2, 1))
    path = incident(project, 283)
    meta = front(path)
    assert meta["people"][0]["flee_status"] == "foot"
    assert meta["updated"] == dt.date(2023, 2, 1)
    assert meta["imported"]["dataset_version"] == dt.date(2023, 2, 1)
    assert report.updated == ["content/incidents/2015-03-13-kansas-city-wapo-283.md"]
    assert report.created == []
    # A row that did not change keeps the version and `updated` date it was written with.
    unchanged = front(incident(project, 1415))
    assert unchanged["updated"] == VERSION and unchanged["imported"]["dataset_version"] == VERSION
    assert len(report.unchanged) == 12


def test_without_a_dataset_version_a_second_run_changes_nothing(project: Path) -> None:
    run(project, version=None)
    before = snapshot(project / "content")
    last = max(dt.date.fromisoformat(row["date"]) for row in csv.DictReader(DATA.open(encoding="utf-8")))
    assert front(incident(project, 283))["updated"] == last  # the data's last date
    again = run(project, version=None)
    later = run(project, version=dt.date(2023, 6, 1))  # a later version of the same rows
    assert snapshot(project / "content") == before
    assert again.created == again.updated == later.created == later.updated == []


@pytest.mark.parametrize("edit", ["review", "edit", "review-and-keep-checksum"])
def test_a_file_a_curator_edited_or_reviewed_is_never_overwritten(project: Path, tmp_path: Path, edit: str) -> None:
    run(project)
    path = incident(project, 283)
    text = path.read_text(encoding="utf-8")
    if edit == "review":
        edited = text.replace("reviewed: false", "reviewed: true")
    elif edit == "edit":
        edited = text.replace("Kansas City, MO, on", "Kansas City, Missouri, on")
    else:  # reviewed, with the checksum recomputed so that it still matches
        blank = import_write.CHECKSUM_LINE.sub(f'  checksum: "{import_write.PLACEHOLDER}"', text)
        blank = blank.replace("reviewed: false", "reviewed: true")
        digest = hashlib.sha256(blank.encode("utf-8")).hexdigest()
        edited = blank.replace(import_write.PLACEHOLDER, f"sha256:{digest}")
        assert import_write.is_pristine(edited)
    path.write_text(edited, encoding="utf-8")
    newer = tmp_path / "newer.csv"
    newer.write_text(
        DATA.read_text(encoding="utf-8").replace(
            '"283","2015-03-13","point","not"', '"283","2015-03-13","point","foot"'
        ),
        encoding="utf-8",
    )
    report = run(project, newer, version=dt.date(2023, 2, 1))
    assert path.read_text(encoding="utf-8") == edited
    assert report.kept == [
        f"{newer}:2: content/incidents/2015-03-13-kansas-city-wapo-283.md: reviewed or edited by a curator; "
        "not overwritten"
    ]
    assert any("reviewed or edited by a curator" in line for line in report.lines())


CURATED = """
    ---
    title: Officer shoots man in a parking lot
    date: {date}
    location:
      city: Kansas City
      state: MO
      precision: city
    types: [police-shooting]
    agencies:
      - {{id: example-pd, role: involved}}
    sources:
      - id: example-2015
        title: An example source
        published: 2015-03-14
    updated: 2015-03-14
    {extra}
    ---
    A curated account.[^example-2015]
    """


def test_a_curated_incident_on_the_same_date_and_city_is_not_duplicated(
    project: Path, write_file: Callable[..., Path]
) -> None:
    write_file(project, "content/incidents/2015-03-13-curated.md", CURATED.format(date="2015-03-13", extra=""))
    report = run(project)
    assert not list((project / "content" / "incidents").glob("*-wapo-283.md"))
    assert report.linked == [
        f"{DATA}:2: WaPo id 283 is already in the record as "
        "content/incidents/2015-03-13-curated.md (same date and city); not imported. "
        "If it is the same incident, add wapo_ids: [283] to that file"
    ]


def test_wapo_ids_link_a_curated_incident_and_stop_guessing(project: Path, write_file: Callable[..., Path]) -> None:
    write_file(
        project, "content/incidents/2015-03-12-curated.md", CURATED.format(date="2015-03-12", extra="wapo_ids: [283]")
    )
    write_file(
        project, "content/incidents/2018-06-14-curated.md", CURATED.format(date="2018-06-14", extra="wapo_ids: []")
    )
    report = run(project)
    assert not list((project / "content" / "incidents").glob("*-wapo-283.md"))
    assert report.linked == [
        f"{DATA}:2: WaPo id 283 is already in the record as "
        "content/incidents/2015-03-12-curated.md (listed in its wapo_ids); not imported"
    ]
    assert incident(project, 3776).exists() and incident(project, 3779).exists()  # wapo_ids: [] matches nothing
    check(Project(project, project / "site"))


def test_rows_that_cannot_be_imported_are_reported_with_line_numbers(project: Path) -> None:
    report = run(project)
    assert report.not_imported == [
        f"{DATA}:14: city: blank; the record needs at least the city (a curator can add this one by hand)"
    ]
    assert report.matched == 14 and len(report.created) == 13


def test_bad_rows(project: Path) -> None:
    report = run(project, WAPO / "bad-rows.csv")
    bad = WAPO / "bad-rows.csv"
    assert report.not_imported == [
        f"{bad}:2: date: expected a real date as YYYY-MM-DD, got '2019-02-30'",
        f"{bad}:5: threat_type: unknown value 'lunge'; expected one of shoot, point, attack, "
        "threat, move, flee, accident, undetermined",
        f"{bad}:5: age: expected a whole number of years (0-120) in digits 0-9, got 'twenty'",
        f"{bad}:5: agency_ids: agency '99999' is not in the agency file",
        f"{bad}:6: id: 9002 is also the id of the row on line 3",
        f"{bad}:7: latitude: expected a number between -90 and 90 in digits 0-9, got 'abc'",
        f"{bad}:7: agency_ids: blank; every incident names at least one agency",
    ]
    assert [Path(p).name for p in report.created] == ["2019-03-01-kansas-city-wapo-9002.md"]
    assert report.lines()[-2].endswith(
        "1 created, 0 updated, 0 unchanged, 0 linked to curated incidents, "
        "0 kept (reviewed or edited by a curator), 7 problems."
    )


def test_filters(project: Path) -> None:
    report = run(project, state="mo", county="Jackson County", since=dt.date(2016, 1, 1), until=dt.date(2018, 6, 14))
    names = sorted(Path(p).name for p in report.created)
    assert names == [
        "2016-01-30-sugar-creek-wapo-1230.md",
        "2016-02-24-blue-springs-wapo-1307.md",
        "2016-03-24-blue-springs-wapo-1415.md",
        "2018-03-05-kansas-city-wapo-3469.md",
        "2018-06-14-kansas-city-wapo-3776.md",
        "2018-06-14-kansas-city-wapo-3779.md",
    ]
    assert report.rows == 14 and report.matched == 6


def test_every_mapped_value_is_in_the_vocabularies() -> None:
    vocab = yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))["vocabularies"]
    pairs = [
        (wapo_values.THREAT_TYPES, "threat_types"),
        (wapo_values.FLEE_STATUSES, "flee_statuses"),
        (wapo_values.WEAPONS, "weapons"),
        (wapo_values.RACES, "races"),
        (wapo_values.PRECISIONS, "coordinates_precision"),
        (wapo_values.GENDERS, "genders"),
        (wapo_values.AGENCY_KINDS, "agency_kinds"),
    ]
    for table, name in pairs:
        assert set(table.values()) <= set(vocab[name]), name
    assert set(vocab["states"]) >= wapo_values.AGENCY_STATES
    assert wapo_values.LICENCE in vocab["licences"]


def test_command_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--root", str(project), "import", "wapo", str(DATA), "--agencies", str(AGENCIES)]
    assert main(args + ["--city", "Kansas City", "--dataset-version", "2022-12-23"]) == 0
    out = capsys.readouterr().out
    assert "Read 14 rows (dataset version 2022-12-23); 4 selected: 4 created" in out
    assert main(args + ["--state", "DE"]) == 0  # the blank-city row is outside the area
    assert main(args + ["--state", "DE", "--all-areas"]) == 1
    assert f"{DATA}:14: city: blank" in capsys.readouterr().out
