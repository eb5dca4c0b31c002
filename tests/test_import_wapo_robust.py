"""Odd CSV input never crashes the importer: each bad row is listed with its line, good rows are imported.

Every case writes a data file into tmp_path: a good row (id 501), the odd row on line 3, and
another good row (id 503) after it, so a problem that swallowed the rest of the file would show.
"""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
from pathlib import Path

import pytest

from kcrecord.cli import main
from kcrecord.engine.pipeline import Project, check
from kcrecord.importers.wapo_values import COLUMNS

REPO = Path(__file__).resolve().parent.parent
WAPO = Path(__file__).resolve().parent / "fixtures" / "wapo"
AGENCIES = WAPO / "fatal-police-shootings-agencies.csv"
HEADER = ",".join(f'"{column}"' for column in COLUMNS)


def cells(row_id: str = "502", **changes: str) -> dict[str, str]:
    """Return the cells of a good Kansas City row, with some changed."""
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        id=row_id,
        date="2020-01-02",
        threat_type="shoot",
        flee_status="not",
        armed_with="gun",
        city="Kansas City",
        county="Jackson",
        state="MO",
        latitude="39.1",
        longitude="-94.55",
        age="30",
        gender="male",
        was_mental_illness_related="False",
        body_camera="False",
        agency_ids="201",
    )
    row.update(changes)
    return row


def line(row: dict[str, str]) -> str:
    """Return a row as one quoted CSV line."""
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerow([row[c] for c in COLUMNS])
    return out.getvalue()


def data_file(tmp_path: Path, odd: bytes) -> Path:
    """Write header, a good row, the odd line(s) and another good row."""
    path = tmp_path / "data.csv"
    text = HEADER + "\n" + line(cells("501"))
    path.write_bytes(text.encode() + odd + line(cells("503", date="2020-01-03")).encode())
    return path


@pytest.fixture
def project(small_project: Path) -> Path:
    """Return the small fixture project with the repository's site.yaml."""
    shutil.copy(REPO / "site.yaml", small_project / "site.yaml")
    return small_project


def run(project: Path, data: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    """Run the import command; return its exit status and printed lines (stdout and stderr)."""
    status = main(["--root", str(project), "import", "wapo", str(data), "--agencies", str(AGENCIES), *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return status, (captured.out + captured.err).splitlines()


def imported_ids(project: Path) -> list[str]:
    """Return the WaPo ids of the imported incident files."""
    return sorted(p.name.rsplit("-", 1)[1] for p in (project / "content" / "incidents").glob("*-wapo-*.md"))


def odd_row(**changes: str) -> bytes:
    """Return one CSV line of a row with odd cells."""
    return line(cells(**changes)).encode("utf-8")


DIGITS = "expected a whole number in digits 0-9, got"
AGE = "expected a whole number of years (0-120) in digits 0-9, got"
CASES = {
    # ids and ages that str.isdigit() accepts and int() refuses, or other scripts' digits
    "id superscript two": (odd_row(id="²"), f"id: {DIGITS} '²'"),
    "id superscripts": (odd_row(id="³²"), f"id: {DIGITS} '³²'"),
    "id digit then superscript": (odd_row(id="5²"), f"id: {DIGITS} '5²'"),
    "id Arabic-Indic": (odd_row(id="٥٠٢"), f"id: {DIGITS} '٥٠٢'"),
    "id full-width": (odd_row(id="５０２"), f"id: {DIGITS} '５０２'"),
    "age superscript": (odd_row(age="²"), f"age: {AGE} '²'"),
    "age mixed": (odd_row(age="1⁰"), f"age: {AGE} '1⁰'"),
    "age Devanagari": (odd_row(age="४५"), f"age: {AGE} '४५'"),
    "age too old": (odd_row(age="999"), f"age: {AGE} '999'"),
    "agency superscript": (odd_row(agency_ids="²⁰¹"), "agency_ids: agency '²⁰¹' is not in the agency file"),
    # bytes that are not UTF-8
    "byte ff in name": (odd_row(name="Pat X").replace(b"Pat X", b"Pat \xff"), "name: byte 0xff is not UTF-8 text"),
    "latin-1 e-acute in city": (
        odd_row(city="Kansas City").replace(b'"Kansas City"', b'"Kansas Cit\xe9"'),
        "city: byte 0xe9 is not UTF-8 text",
    ),
    "lone lead byte in id": (odd_row().replace(b'"502"', b'"50\xc3"'), "id: byte 0xc3 is not UTF-8 text"),
    "continuation byte in race": (odd_row(race="B").replace(b'"B"', b'"\x80"'), "race: byte 0x80 is not UTF-8 text"),
    # cells far larger than any real value (the csv module's limit is 131,072 characters)
    "200 KB name": (odd_row(name="x" * 200_000), "name: 200,000 characters long"),
    "200 KB unquoted city": (
        odd_row(city="Kansas City").replace(b'"Kansas City"', b"K" * 200_000),
        "city: 200,000 characters long",
    ),
    "1 MB field spanning lines": (odd_row(name="ab\n" * 350_000), "name: 1,050,000 characters long"),
    "15 KB race list": (odd_row(race=";".join(["B"] * 7_500)), "race: 14,999 characters long"),
    # NUL bytes
    "NUL in name": (odd_row(name="Pat\x00X"), "name: contains a NUL byte"),
    "NUL in id": (odd_row(id="50\x002"), "id: contains a NUL byte"),
    "NUL line": (b"\x00" * 40 + b"\n", "record: has 1 cells; the header has 19 columns"),
    # control characters, which no page or feed may hold
    "escape in city": (odd_row(city="Kansas\x1bCity"), "city: contains the control character U+001B"),
    "vertical tab in name": (odd_row(name="Pat\x0bX"), "name: contains the control character U+000B"),
    "C1 control in county": (odd_row(county="Jack\x85son"), "county: contains the control character U+0085"),
    "noncharacter in name": (odd_row(name="Pat\uffffX"), "name: contains the control character U+FFFF"),
    # wrong number of cells
    "one cell short": (odd_row().replace(b',"201"\n', b"\n"), "record: has 18 cells; the header has 19 columns"),
    "one cell extra": (odd_row().replace(b"\n", b',"extra"\n'), "record: has 20 cells; the header has 19 columns"),
    "a lone word": (b"hello\n", "record: has 1 cells; the header has 19 columns"),
    "text after a closing quote": (b'"502","2020-01-02"x\n', "record: has 2 cells; the header has 19 columns"),
    # coordinates that are not numbers, or not on Earth
    "latitude word": (
        odd_row(latitude="abc"),
        "latitude: expected a number between -90 and 90 in digits 0-9, got 'abc'",
    ),
    "latitude nan": (
        odd_row(latitude="nan"),
        "latitude: expected a number between -90 and 90 in digits 0-9, got 'nan'",
    ),
    "longitude inf": (
        odd_row(longitude="-inf"),
        "longitude: expected a number between -180 and 180 in digits 0-9, got '-inf'",
    ),
    "latitude exponent": (odd_row(latitude="3.9e1"), "latitude: expected a number between -90 and 90"),
    "latitude off the globe": (odd_row(latitude="91.5"), "latitude: expected a number between -90 and 90"),
    "latitude Arabic-Indic": (odd_row(latitude="٣٩.١"), "latitude: expected a number between -90 and 90"),
    "latitude two points": (odd_row(latitude="39.1.2"), "latitude: expected a number between -90 and 90"),
    "only a latitude": (odd_row(longitude=""), "latitude/longitude: only one of the two is given"),
    # dates that do not exist or are not YYYY-MM-DD
    "February 30": (odd_row(date="2022-02-30"), "date: expected a real date as YYYY-MM-DD, got '2022-02-30'"),
    "month 13": (odd_row(date="2021-13-01"), "date: expected a real date as YYYY-MM-DD, got '2021-13-01'"),
    "February 29 of 2023": (odd_row(date="2023-02-29"), "date: expected a real date as YYYY-MM-DD, got '2023-02-29'"),
    "short date": (odd_row(date="2022-2-3"), "date: expected a real date as YYYY-MM-DD, got '2022-2-3'"),
    "full-width date": (odd_row(date="２０２２-01-01"), "date: expected a real date as YYYY-MM-DD"),
    "no dashes": (odd_row(date="20220101"), "date: expected a real date as YYYY-MM-DD, got '20220101'"),
    "US order": (odd_row(date="01/02/2020"), "date: expected a real date as YYYY-MM-DD, got '01/02/2020'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_odd_row_is_listed_and_the_good_rows_are_imported(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    odd, expected = CASES[case]
    data = data_file(tmp_path, odd)
    status, lines = run(project, data, capsys)
    assert status == 1
    problems = [text for text in lines if text.startswith(f"{data}:")]
    assert problems, lines
    assert all(re.fullmatch(rf"{re.escape(str(data))}:3: [^:]+: .+", text) for text in problems), problems
    assert any(text.startswith(f"{data}:3: {expected}") for text in problems), problems
    assert imported_ids(project) == ["501.md", "503.md"]
    check(Project(project, project / "site"))  # what was imported is valid content


HEADER_CASES = {
    "no id column": (HEADER.replace('"id",', ""), "header: missing column(s) id; is this the v2 data file?"),
    "no agency_ids": (HEADER.replace(',"agency_ids"', ""), "header: missing column(s) agency_ids"),
    "renamed column": (HEADER.replace('"date"', '"Date"'), "header: missing column(s) date"),
    "repeated column": (HEADER + ',"age"', "header: column(s) age given twice; keep one of each"),
    "bad byte in header": (HEADER.replace('"race"', '"ra\udcffce"'), "header: byte 0xff is not UTF-8 text"),
}


@pytest.mark.parametrize("case", list(HEADER_CASES))
def test_a_bad_header_stops_the_import_with_its_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    header, expected = HEADER_CASES[case]
    data = tmp_path / "data.csv"
    data.write_bytes((header + "\n").encode("utf-8", "surrogateescape") + line(cells("501")).encode())
    status, lines = run(project, data, capsys)
    assert status == 1
    assert lines[0].startswith(f"{data}:1: {expected}") and lines[0].endswith("; nothing was written.")
    assert imported_ids(project) == []


@pytest.mark.parametrize("text", [b"", b"\xef\xbb\xbf", b"\n\n   \n", b"\r\n"])
def test_an_empty_file_is_one_clear_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: bytes
) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(text)
    status, lines = run(project, data, capsys)
    assert (status, lines) == (
        1,
        [f"{data}:1: empty file; expected a header line naming the columns; nothing was written."],
    )


def test_an_unclosed_quote_is_listed_where_it_starts(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = data_file(tmp_path, b'"502","2020-01-02\n')  # the quote runs on through the last row
    status, lines = run(project, data, capsys)
    assert status == 1
    assert f"{data}:3: record: has 20 cells; the header has 19 columns" in lines
    assert imported_ids(project) == ["501.md"]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"])
def test_a_byte_order_mark_and_any_line_ending_are_read_as_usual(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], ending: bytes
) -> None:
    data = tmp_path / "data.csv"
    body = (HEADER + "\n" + line(cells("501")) + line(cells("503"))).encode().replace(b"\n", ending)
    data.write_bytes(b"\xef\xbb\xbf" + body)
    status, lines = run(project, data, capsys)
    assert status == 0, lines
    assert imported_ids(project) == ["501.md", "503.md"]


def test_a_missing_file_and_a_header_without_rows(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = run(project, tmp_path / "nowhere.csv", capsys)
    assert (status, lines) == (1, [f"{tmp_path / 'nowhere.csv'}: no such file; nothing was written."])
    header_only = tmp_path / "header.csv"
    header_only.write_text(HEADER + "\r\n", encoding="utf-8")
    status, lines = run(project, header_only, capsys)
    assert status == 0 and lines[-2].startswith("Read 0 rows")


def test_a_bad_agency_row_is_listed_too(project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    agencies = tmp_path / "agencies.csv"
    agencies.write_bytes(AGENCIES.read_bytes() + b'"7\xc2\xb2","Odd","local_police","MO","",""\n"8","x"\n')
    data = data_file(tmp_path, b"")
    status = main(["--root", str(project), "import", "wapo", str(data), "--agencies", str(agencies)])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{agencies}:16: id: expected a whole number, got '7²'" in out
    assert f"{agencies}:17: record: has 2 cells; the header has 6 columns" in out
    assert imported_ids(project) == ["501.md", "503.md"]


ODD_VALUES = [
    "²",
    "³²",
    "١٢",
    "",
    " ",
    "-1",
    "1e999",
    "nan",
    "NaN",
    "inf",
    "2022-02-30",
    "0000-00-00",
    "9999-12-31",
    '"',
    '""',
    "a,b",
    "a\nb",
    "a\r\nb",
    "\x00",
    "\x1b[31m",
    "\u2028",
    "\ufeff",
    "\uffff",
    "<script>alert(1)</script>",
    "'; DROP TABLE x; --",
    "{{ x }}",
    "[^x]",
    "---",
    "key: value",
    "- item",
    "&amp;",
    "x" * 140_000,
    "Kansas City",
    "Jackson",
    "MO",
    "KS",
    "201;201;99999",
    "gun;;knife",
    "W;B;Z",
    "True",
    "yes",
    "39.1",
    "-94.55",
    "90",
    "-180.0000001",
    "12345678901234567890",
    "0",
    "17",
    "🙂",
    "e\u0301",
]


@pytest.mark.parametrize("seed", range(25))
def test_random_odd_cells_never_crash_the_import(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], seed: int
) -> None:
    rng = random.Random(seed)
    rows = list(csv.reader(io.StringIO((WAPO / "fatal-police-shootings-data.csv").read_text(encoding="utf-8"))))
    for _ in range(rng.randint(1, 6)):
        row = rng.choice(rows[1:])
        row[rng.randrange(len(row))] = rng.choice(ODD_VALUES)
    out = io.StringIO()
    csv.writer(out, quoting=rng.choice([csv.QUOTE_ALL, csv.QUOTE_MINIMAL]), lineterminator="\n").writerows(rows)
    raw = bytearray(out.getvalue().encode("utf-8", "surrogatepass"))
    for _ in range(rng.randint(0, 3)):  # damage the bytes too: insert, delete, or cut the file short
        where = rng.randrange(len(raw))
        action = rng.choice(["insert", "delete", "truncate"])
        if action == "insert":
            raw[where:where] = bytes([rng.choice([0x00, 0x22, 0x2C, 0x0A, 0x0D, 0x80, 0xC3, 0xFF])])
        elif action == "delete":
            del raw[where : where + rng.randint(1, 20)]
        elif where > len(HEADER) + 1:
            del raw[where:]
    data = tmp_path / "data.csv"
    data.write_bytes(bytes(raw))
    try:
        status, lines = run(project, data, capsys, "--all-areas")
    except Exception as err:  # the claim under test: nothing raises
        pytest.fail(f"seed {seed}: the importer raised {err!r}")
    assert status in (0, 1), f"seed {seed}"
    for text in lines:
        if text.startswith(f"{data}:"):
            assert re.fullmatch(rf"{re.escape(str(data))}:\d+: [^:]+: .+", text, re.DOTALL), f"seed {seed}: {text}"
    try:
        check(Project(project, project / "site"))
    except Exception as err:
        pytest.fail(f"seed {seed}: imported content does not validate: {err!r} {getattr(err, 'problems', '')}")
