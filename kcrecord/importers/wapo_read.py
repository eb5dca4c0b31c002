"""Read the Fatal Force CSV files: every record with its line, every odd cell reported, nothing crashes.

A record that cannot be read as a whole (wrong number of cells, a byte that is not UTF-8, a NUL
byte, a cell longer than any real value) is a `Problem` with its line; the rest of the file is
still read. Only a file that cannot be read at all (missing, empty, no header, a missing
column) raises `ImportInputError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from kcrecord.content.check_fields import EARLIEST_DATE, date_range_message
from kcrecord.content.problems import Problem
from kcrecord.importers.wapo_values import (
    AGENCY_COLUMNS,
    AGENCY_KINDS,
    AGENCY_STATES,
    BOOLS,
    FLEE_STATUSES,
    GENDERS,
    PRECISIONS,
    RACE_SOURCES,
    RACES,
    STATES,
    THREAT_TYPES,
    WEAPONS,
)

MAX_CELL = 10_000  # characters; the longest real value (an agency's list of ORI codes) is about 1,200
MAX_FILE = 10 * 1024 * 1024  # bytes; the real data file is 1.4 MB (2022): a file seven times that is refused
# A place name as written into titles and text: letters (any script), spaces, periods, apostrophes, hyphens.
_CITY = re.compile(r"[^\W\d_]+(?:[ .'\u2019-]+[^\W\d_]+)*\.?")
MAX_LISTED = 1_000  # problem rows listed one by one; the rest are counted, so memory stays bounded
_NUMBER = re.compile(r"[0-9]{1,9}")  # ASCII digits only: str.isdigit() accepts '²', which int() refuses
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COORDINATE = re.compile(r"-?[0-9]{1,3}(\.[0-9]{1,20})?")
# Characters no text in the record may hold: C0/C1 controls (tab aside), lone surrogates,
# and the noncharacters U+FFFE/U+FFFF. A byte that is not UTF-8 arrives as a surrogate escape.
_BAD_CHAR = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class ImportInputError(Exception):
    """The input cannot be read at all (a missing file or column); nothing is written."""


@dataclass(frozen=True)
class Record:
    """One CSV record: the line it starts on and its cells by column name (stripped)."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class WapoAgency:
    """One row of the dataset's agency file."""

    id: int
    name: str
    kind: str
    state: str
    ori_codes: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One parsed row of the dataset: one person shot and killed by police."""

    line: int
    id: int
    date: dt.date
    city: str
    county: str | None
    state: str
    latitude: str | None
    longitude: str | None
    precision: str | None
    threat_type: str | None
    flee_status: str | None
    armed: tuple[str, ...]
    name: str | None
    age: int | None
    gender: str | None
    races: tuple[str, ...]
    race_source: str | None
    mental_illness: bool | None
    body_camera: bool | None
    agency_ids: tuple[int, ...]


def _describe(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        return f"byte 0x{code - 0xDC00:02x} is not UTF-8 text; save the file as UTF-8"
    if code == 0:
        return "contains a NUL byte; the file may be damaged"
    return f"contains the control character U+{code:04X}; remove it"


def _cell_problem(value: str) -> str | None:
    if len(value) > MAX_CELL:
        return f"{len(value):,} characters long, more than the {MAX_CELL:,} any real value needs; is the file damaged?"
    bad = _BAD_CHAR.search(value)
    return _describe(bad.group()) if bad else None


def read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[Record], list[Problem]]:
    """Return every record of a CSV file that can be read, and a problem for every one that cannot."""
    try:
        if not path.is_file():
            raise ImportInputError(f"{path}: no such file")
        if path.stat().st_size > MAX_FILE:
            raise ImportInputError(f"{path}: larger than {MAX_FILE // 1024 // 1024} MB; is this the right file?")
        raw = path.read_bytes()
    except OSError as err:
        raise ImportInputError(f"{path}: cannot be read ({err.strerror})") from err
    text = raw.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    if not text.strip():
        raise ImportInputError(f"{path}:1: empty file; expected a header line naming the columns")
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # long cells are reported below, not raised
    try:
        return _records(path, text, required)
    finally:
        csv.field_size_limit(limit)


def _records(path: Path, text: str, required: tuple[str, ...]) -> tuple[list[Record], list[Problem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [cell.strip() for cell in next(reader)]
    for column in header:
        bad = _cell_problem(column)
        if bad:
            raise ImportInputError(f"{path}:1: header: {bad}")
    missing = [column for column in required if column not in header]
    if missing:
        raise ImportInputError(f"{path}:1: header: missing column(s) {', '.join(missing)}; is this the v2 data file?")
    repeated = sorted({column for column in header if header.count(column) > 1 and column})
    if repeated:
        raise ImportInputError(f"{path}:1: header: column(s) {', '.join(repeated)} given twice; keep one of each")
    records: list[Record] = []
    problems = _Capped()
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problems.append(Problem(str(path), start, "record", f"not read: {err}"))
            start = reader.line_num + 1
            continue
        line, start = start, reader.line_num + 1
        if not cells or cells == [""]:
            continue  # a blank line holds no record
        if len(cells) != len(header):
            problems.append(
                Problem(str(path), line, "record", f"has {len(cells)} cells; the header has {len(header)} columns")
            )
            continue
        row = {}
        bad_cells = []
        for column, value in zip(header, cells, strict=True):
            bad = _cell_problem(value)
            if bad:
                bad_cells.append(Problem(str(path), line, column or "(unnamed column)", bad))
            row[column] = value.strip()
        if bad_cells:
            problems += bad_cells
            continue
        records.append(Record(line, row))
    return records, problems.listed(str(path))


class _Capped(list):
    """A list of problems that keeps the first MAX_LISTED and counts the rest."""

    unlisted = 0
    first_unlisted = 0

    def append(self, problem: Problem) -> None:  # type: ignore[override]
        if len(self) < MAX_LISTED:
            super().append(problem)
        else:
            self.unlisted += 1
            self.first_unlisted = self.first_unlisted or problem.line

    def __iadd__(self, problems: list[Problem]) -> _Capped:  # type: ignore[override]
        for problem in problems:
            self.append(problem)
        return self

    def listed(self, path: str) -> list[Problem]:
        """Return the problems kept, then one line for those only counted."""
        if not self.unlisted:
            return list(self)
        more = f"{self.unlisted:,} more problems from this line on are not listed; fix the ones above and run again"
        return [*self, Problem(path, self.first_unlisted, "record", more)]


def read_agencies(path: Path) -> tuple[dict[int, WapoAgency], list[Problem]]:
    """Read the dataset's agency file; return agencies by id and the records that could not be read."""
    records, problems = read_csv(path, AGENCY_COLUMNS)
    agencies: dict[int, WapoAgency] = {}
    for record in records:
        raw = record.cells
        if not _NUMBER.fullmatch(raw["id"]):
            problems.append(Problem(str(path), record.line, "id", f"expected a whole number, got {raw['id']!r}"))
            continue
        if raw["state"] not in AGENCY_STATES or not raw["name"] or raw["type"] not in AGENCY_KINDS:
            problems.append(
                Problem(
                    path,
                    record.line,
                    "agency",
                    f"expected a name, a two-letter state and a known type, "
                    f"got {raw['name']!r}, {raw['state']!r}, {raw['type']!r}",
                )
            )
            continue
        codes = tuple(code for code in raw["oricodes"].split(";") if code)
        agency_id = int(raw["id"])
        agencies[agency_id] = WapoAgency(agency_id, raw["name"], AGENCY_KINDS[raw["type"]], raw["state"], codes)
    return agencies, problems


def parse_id(text: str) -> int | None:
    """Return a row or agency id written in ASCII digits, else None."""
    return int(text) if _NUMBER.fullmatch(text) else None


def parse_date(text: str) -> dt.date | None:
    """Return a real date written YYYY-MM-DD, else None (2022-02-30 is None)."""
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def parse_coordinate(text: str, limit: int) -> Decimal | None:
    """Return a decimal coordinate within ±limit written in ASCII digits, else None."""
    if not _COORDINATE.fullmatch(text):
        return None
    number = Decimal(text)
    return number if abs(number) <= limit else None


def _vocab(value: str, column: str, table: dict, errors: list[tuple[str, str]]) -> object:
    if not value:
        return None
    if value not in table:
        errors.append((column, f"unknown value {value!r}; expected one of {', '.join(table)}"))
        return None
    return table[value]


def _many(value: str, column: str, table: dict[str, str], errors: list[tuple[str, str]]) -> tuple[str, ...]:
    found: list[str] = []
    for part in value.split(";") if value else []:
        mapped = _vocab(part.strip(), column, table, errors)
        if isinstance(mapped, str) and mapped not in found:
            found.append(mapped)
    return tuple(found)


def parse_row(record: Record, agencies: dict[int, WapoAgency]) -> tuple[Row | None, list[tuple[str, str]]]:
    """Parse one data record; return the row, or None and every (column, reason) it cannot be imported."""
    raw = record.cells
    errors: list[tuple[str, str]] = []
    row_id = parse_id(raw["id"])
    if row_id is None:
        errors.append(("id", f"expected a whole number in digits 0-9, got {raw['id']!r}"))
    date = parse_date(raw["date"])
    if date is None:
        errors.append(("date", f"expected a real date as YYYY-MM-DD, got {raw['date']!r}"))
    elif not EARLIEST_DATE <= date <= dt.date.today():
        errors.append(("date", date_range_message(date)))
    if not raw["city"]:
        errors.append(("city", "blank; the record needs at least the city (a curator can add this one by hand)"))
    elif not _CITY.fullmatch(raw["city"]):
        errors.append(("city", f"expected a place name (letters, spaces, . ' and -), got {raw['city']!r}"))
    if raw["state"] not in STATES:
        errors.append(("state", f"expected a two-letter state code, got {raw['state']!r}"))
    latitude = longitude = None
    for column, limit in (("latitude", 90), ("longitude", 180)):
        if raw[column] and parse_coordinate(raw[column], limit) is None:
            errors.append(
                (column, f"expected a number between -{limit} and {limit} in digits 0-9, got {raw[column]!r}")
            )
    if not any(column in ("latitude", "longitude") for column, _ in errors):
        latitude, longitude = raw["latitude"] or None, raw["longitude"] or None
        if (latitude is None) != (longitude is None):
            errors.append(("latitude/longitude", "only one of the two is given"))
    precision = _vocab(raw["location_precision"], "location_precision", PRECISIONS, errors)
    threat = _vocab(raw["threat_type"], "threat_type", THREAT_TYPES, errors)
    flee = _vocab(raw["flee_status"], "flee_status", FLEE_STATUSES, errors)
    armed = _many(raw["armed_with"], "armed_with", WEAPONS, errors)
    age = None
    if raw["age"]:
        age = parse_id(raw["age"])
        if age is None or age > 120:
            errors.append(("age", f"expected a whole number of years (0-120) in digits 0-9, got {raw['age']!r}"))
    gender = _vocab(raw["gender"], "gender", GENDERS, errors)
    races = _many(raw["race"], "race", RACES, errors)
    race_source = _vocab(raw["race_source"], "race_source", RACE_SOURCES, errors)
    mental = _vocab(raw["was_mental_illness_related"], "was_mental_illness_related", BOOLS, errors)
    camera = _vocab(raw["body_camera"], "body_camera", BOOLS, errors)
    agency_ids: list[int] = []
    for part in raw["agency_ids"].split(";") if raw["agency_ids"] else []:
        agency_id = parse_id(part.strip())
        if agency_id is None or agency_id not in agencies:
            errors.append(("agency_ids", f"agency {part.strip()!r} is not in the agency file"))
        elif agency_id not in agency_ids:
            agency_ids.append(agency_id)
    if not raw["agency_ids"]:
        errors.append(("agency_ids", "blank; every incident names at least one agency"))
    if errors or row_id is None or date is None:
        return None, errors
    return (
        Row(
            line=record.line,
            id=row_id,
            date=date,
            city=raw["city"],
            county=raw["county"] or None,
            state=raw["state"],
            latitude=latitude,
            longitude=longitude,
            precision=precision if isinstance(precision, str) else None,
            threat_type=threat if isinstance(threat, str) else None,
            flee_status=flee if isinstance(flee, str) else None,
            armed=armed,
            name=raw["name"] or None,
            age=age,
            gender=gender if isinstance(gender, str) else None,
            races=races,
            race_source=race_source if isinstance(race_source, str) else None,
            mental_illness=mental if isinstance(mental, bool) else None,
            body_camera=camera if isinstance(camera, bool) else None,
            agency_ids=tuple(agency_ids),
        ),
        [],
    )
