"""The importer chooses Kansas City area rows by county column, coordinates or city name, and says why."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import pytest

from kcrecord.cli import main
from kcrecord.content.area import Area, load_area
from kcrecord.importers.wapo import Options, Report, run_import
from kcrecord.importers.wapo_values import COLUMNS

REPO = Path(__file__).resolve().parent.parent
AGENCIES = Path(__file__).resolve().parent / "fixtures" / "wapo" / "fatal-police-shootings-agencies.csv"
KCK = ("39.1141", "-94.6275")  # downtown Kansas City, Kansas (Wyandotte County)
LAWRENCE = ("38.9717", "-95.2353")  # Lawrence, Kansas (Douglas County, outside the area)
WARRENSBURG = ("38.7625", "-93.7360")  # Johnson County, Missouri (not the area's Johnson County)


def near_the_edge() -> tuple[str, str]:
    """Return coordinates about 1 km south of the area's southern edge (south of Bates County)."""
    area = Area(load_area())
    lat = 37.90
    while area.county_at(-94.3, lat) is None:
        lat += 0.001
    return f"{lat - 0.009:.4f}", "-94.3000"


def row(row_id: int, **cells: str) -> dict[str, str]:
    """Return a good data row with some cells changed."""
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        id=str(row_id),
        date="2020-01-02",
        threat_type="shoot",
        flee_status="not",
        armed_with="gun",
        city="Kansas City",
        state="MO",
        age="30",
        gender="male",
        was_mental_illness_related="False",
        body_camera="False",
        agency_ids="201",
    )
    base.update(cells)
    return base


def rows() -> list[dict[str, str]]:
    """Return one row for each rule and each reason to confirm."""
    edge = near_the_edge()
    return [
        row(101, county="Wyandotte", state="KS"),
        row(102, county="Johnson", city="Warrensburg", latitude=WARRENSBURG[0], longitude=WARRENSBURG[1]),
        row(103, state="KS", latitude=KCK[0], longitude=KCK[1]),
        row(104, city="Lawrence", state="KS", latitude=LAWRENCE[0], longitude=LAWRENCE[1]),
        row(105, city="Raytown"),
        row(106, city="Springfield"),
        row(107, county="Jackson", latitude=KCK[0], longitude=KCK[1]),
        row(108, city="Hume", latitude=edge[0], longitude=edge[1]),
        row(109, city="Cameron"),
        row(110, latitude=KCK[0], longitude=KCK[1]),
        row(111, city=""),
        row(112, city="Lee’s Summit", county="Jackson County"),
    ]


def write_csv(path: Path, records: list[dict[str, str]]) -> Path:
    """Write rows as a v2 data file."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def project(small_project: Path) -> Path:
    """Return the small fixture project with the repository's site.yaml."""
    shutil.copy(REPO / "site.yaml", small_project / "site.yaml")
    return small_project


def run(project: Path, data: Path) -> Report:
    """Import the area's rows of data into the project."""
    return run_import(
        Options(data=data, agencies=AGENCIES, content=project / "content", dataset_version=dt.date(2022, 12, 23))
    )


def test_every_row_says_why_it_is_in_or_out(project: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "data.csv", rows())
    report = run(project, data)
    explained = [line.removeprefix(f"{data}:") for line in report.explain]
    assert explained[:7] == [
        "2: id 101: in (county column: Wyandotte, KS)",
        "3: id 102: out (county column: Johnson, MO is outside the area)",
        "4: id 103: in (coordinates inside Wyandotte, KS)",
        explained[3],
        "6: id 105: in (no coordinates; city name: Raytown, MO, in Jackson, MO)",
        "7: id 106: out (no coordinates; Springfield, MO is not on the area's list of places)",
        "8: id 107: in (county column: Jackson, MO)",
    ]
    assert explained[3].startswith("5: id 104: out (coordinates are outside the area, ")
    assert explained[3].endswith(" km from its edge)")
    assert float(explained[3].split(", ")[1].split()[0]) > 2  # Leavenworth County ends at the Kansas River
    near = (
        explained[7]
        .removeprefix("9: id 108: out (coordinates are outside the area, ")
        .removesuffix(" km from its edge)")
    )
    assert 0.7 <= float(near) <= 1.1
    assert explained[8:] == [
        "10: id 109: in (no coordinates; city name: Cameron, MO, in one of Clinton, MO; Caldwell, MO)",
        "11: id 110: in (coordinates inside Wyandotte, KS)",
        "12: id 111: out (no county, coordinates or city)",
        "13: id 112: in (county column: Jackson, MO)",
    ]
    confirm = [
        line.removeprefix(f"{data}:").split(": ", 1)[0] + ": " + line.rsplit(": ", 1)[1] for line in report.confirm
    ]
    assert confirm == [
        "8: county column says Jackson, MO but the coordinates are inside Wyandotte, KS",
        f"9: coordinates {near} km from the area's edge",
        "10: no coordinates, and Cameron lies partly outside the area (in DeKalb County too)",
        "11: state column says MO but the coordinates are inside Wyandotte, KS",
    ]
    assert report.per_county == {
        "Wyandotte, KS": 3,
        "Jackson, MO": 3,
        "county not known (Clinton, MO or Caldwell, MO)": 1,
    }
    assert report.left_out == {
        "with a county column outside the area": 1,
        "with no county and coordinates outside the area": 2,
        "with no county or coordinates, and a city not in the area": 1,
        "with no county, coordinates or city": 1,
    }
    assert report.problems == []
    names = sorted(Path(p).name for p in report.created)
    assert sorted(name.rsplit("-", 1)[1] for name in names) == [
        "101.md",
        "103.md",
        "105.md",
        "107.md",
        "109.md",
        "110.md",
        "112.md",
    ]
    coordinates_only = next(project.glob("content/incidents/*-wapo-103.md")).read_text(encoding="utf-8")
    assert "its coordinates fall inside Wyandotte County, KS" in coordinates_only
    by_county = next(project.glob("content/incidents/*-wapo-101.md")).read_text(encoding="utf-8")
    assert "coordinates fall inside" not in by_county


def test_the_command_line_explains_and_lists_rows_to_confirm(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(tmp_path / "data.csv", rows())
    args = ["--root", str(project), "import", "wapo", str(data), "--agencies", str(AGENCIES)]
    assert main(args + ["--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"{data}:2: id 101: in (county column: Wyandotte, KS)" in out
    assert "4 rows to confirm by hand (near the area's edge, or columns that disagree):" in out
    assert any(line.startswith("In the area, by county: ") and "Wyandotte, KS 3" in line for line in out)
    assert main(args) == 0
    quiet = capsys.readouterr().out.splitlines()
    assert not any(": id 101: in" in line and not line.startswith("  ") for line in quiet)
    assert "Read 12 rows (dataset version 2020-01-02); 7 selected: 0 created, 0 updated, 7 unchanged" in quiet[-2]


def test_an_imported_row_now_outside_the_area_is_left_and_reported(project: Path, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "data.csv", rows())
    run(project, data)
    moved = rows()
    moved[0] = row(101, county="Douglas", state="KS")
    report = run(project, write_csv(tmp_path / "moved.csv", moved))
    assert any(
        note.endswith("WaPo id 101 is now outside the area; left in place for a curator") for note in report.notes
    )
    assert len(list(project.glob("content/incidents/*-wapo-101.md"))) == 1
