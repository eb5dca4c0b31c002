"""The importer never writes a file the build refuses, and bounds what it lists (outside review of issue 11)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kcrecord.engine.pipeline import Project, check
from kcrecord.importers import wapo_read
from tests.test_import_wapo_robust import HEADER, cells, data_file, imported_ids, line, odd_row, project, run

__all__ = ["project"]  # the fixture, used by name below

TOMORROW = (dt.date.today() + dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("odd", "message"),
    [
        (odd_row(city="Kansas City[^nope]"), "city: expected a place name"),
        (odd_row(city="Kansas City [x](https://evil.example/)"), "city: expected a place name"),
        (odd_row(city="Kansas City" + "[" * 1500), "city: expected a place name"),
        (odd_row(city="<b>Kansas City</b>"), "city: expected a place name"),
        (odd_row(city="Kansas City *"), "city: expected a place name"),
        (odd_row(date="2099-01-01"), "date: the date 2099-01-01 is outside the record's range"),
        (odd_row(date="1899-12-31"), "date: the date 1899-12-31 is outside the record's range"),
        (odd_row(date=TOMORROW), f"date: the date {TOMORROW} is outside"),
    ],
)
def test_a_row_the_build_would_refuse_is_listed_not_imported(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], odd: bytes, message: str
) -> None:
    status, lines = run(project, data_file(tmp_path, odd), capsys)
    assert status == 1
    assert any(":3: " in text and message in text for text in lines), lines
    assert imported_ids(project) == ["501.md", "503.md"]
    assert check(Project(project, project / "site")) > 0  # what was imported passes the build's checks


def test_real_place_names_are_accepted(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = b"".join(odd_row(row_id=str(600 + i), city=name) for i, name in enumerate(["Lee's Summit", "St. Joseph"]))
    status, lines = run(project, data_file(tmp_path, odd), capsys)
    assert not [text for text in lines if "city:" in text], lines


def test_a_file_of_bad_rows_lists_the_first_thousand_and_counts_the_rest(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.csv"
    data.write_text(HEADER + "\n" + line(cells("501")) + "x\n" * 50_000, encoding="utf-8")
    status, lines = run(project, data, capsys)
    assert status == 1
    listed = [text for text in lines if "record: has 1 cells" in text]
    assert len(listed) == wapo_read.MAX_LISTED
    assert any("49,000 more problems from this line on are not listed" in text for text in lines), lines[-5:]
    assert imported_ids(project) == ["501.md"]
