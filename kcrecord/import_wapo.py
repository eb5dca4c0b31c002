"""Import The Washington Post's Fatal Force data as incidents marked imported, not yet reviewed.

One incident file per matching row and one agency file per agency the record lacks. Output is
deterministic (no timestamps: `updated` is the dataset version's date), so a second run changes
nothing. Every file the importer writes carries a checksum of its own text; a file that no
longer matches was edited by a curator and is never overwritten. Every row that cannot be
imported is reported with its CSV line number.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path

import yaml

SOURCE_ID = "wapo-fatal-force"
REPOSITORY = "https://github.com/washingtonpost/data-police-shootings"
LICENCE = "CC-BY-NC-SA-4.0"
DEFAULT_AGENCY_MAP = Path("imports") / "wapo-agencies.csv"

COLUMNS = (
    "id",
    "date",
    "threat_type",
    "flee_status",
    "armed_with",
    "city",
    "county",
    "state",
    "latitude",
    "longitude",
    "location_precision",
    "name",
    "age",
    "gender",
    "race",
    "race_source",
    "was_mental_illness_related",
    "body_camera",
    "agency_ids",
)
AGENCY_COLUMNS = ("id", "name", "type", "state", "oricodes")

# WaPo value -> our vocabulary value (site.yaml). A value missing here stops the row, with a
# report, rather than being guessed at: the vocabularies are closed.
THREAT_TYPES = {v: v for v in ("shoot", "point", "attack", "threat", "move", "flee", "accident", "undetermined")}
FLEE_STATUSES = {"not": "not-fleeing", "foot": "foot", "car": "car", "other": "other"}
WEAPONS = {
    "gun": "gun",
    "knife": "knife",
    "blunt_object": "blunt-object",
    "vehicle": "vehicle",
    "replica": "replica",
    "other": "other",
    "unarmed": "unarmed",
    "undetermined": "undetermined",
    "unknown": "unknown",
}
RACES = {"W": "white", "B": "black", "A": "asian", "N": "native-american", "H": "hispanic", "O": "other"}
RACE_SOURCES = {
    "public_record": "public record",
    "clip": "video clip",
    "photo": "photo",
    "other": "other",
    "not_available": "not available",
    "undetermined": "undetermined",
}
PRECISIONS = {
    "address": "address",
    "block": "block",
    "intersection": "intersection",
    "poi_small": "poi-small",
    "poi_large": "poi-large",
    "road": "road",
    "highway": "highway",
    "not_available": "not-available",
}
PRECISION_WORDS = {
    "address": "a street address",
    "block": "a block",
    "intersection": "an intersection",
    "poi-small": "a small point of interest",
    "poi-large": "a large point of interest",
    "road": "a road",
    "highway": "a highway",
    "not-available": "not available",
}
# Coordinates that may point at a home are rounded to 3 decimal places (about 100 m, block
# level), the most the record publishes; public places keep the dataset's digits.
ROUNDED_PRECISIONS = {"address", "block", "poi-small", "not-available", None}
GENDERS = {"male": "male", "female": "female", "non-binary": "non-binary"}
BOOLS = {"True": True, "False": False, "true": True, "false": False}
AGENCY_KINDS = {
    "local_police": "police-department",
    "sheriff": "sheriff",
    "state_police": "state-police",
    "federal": "federal",
    "local_other": "other",
    "state_other": "other",
    "other": "other",
    "": "other",
}
_STATE_CODES = "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY"
STATES = frozenset(_STATE_CODES.split() + ["NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX"])
STATES |= {"UT", "VT", "VA", "WA", "WV", "WI", "WY"}
AGENCY_STATES = STATES | {"US"}  # national agencies (e.g. the National Park Service)
MONTHS = ("January", "February", "March", "April", "May", "June")
MONTHS += ("July", "August", "September", "October", "November", "December")
CHECKSUM_LINE = re.compile(r'^  checksum: "sha256:([0-9a-f]{64})"$', re.MULTILINE)
PLACEHOLDER = "sha256:" + "0" * 64


class ImportInputError(Exception):
    """The input cannot be read at all (a missing file or column); nothing is written."""


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


@dataclass
class Options:
    """What to import and where to write it."""

    data: Path
    agencies: Path
    content: Path
    agency_map: Path | None = None
    state: str | None = None
    county: str | None = None
    city: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    dataset_version: dt.date | None = None


@dataclass
class Report:
    """What an import did, file by file and row by row."""

    rows: int = 0
    matched: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    not_imported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    agencies_created: list[str] = field(default_factory=list)
    agencies_updated: list[str] = field(default_factory=list)
    agencies_unchanged: list[str] = field(default_factory=list)
    agencies_existing: list[str] = field(default_factory=list)

    def lines(self, verbose: bool = False) -> list[str]:
        """Return the report as lines: problems and matches always, every file when verbose."""
        out = []
        if verbose:
            out += [f"{path}: created" for path in self.created + self.agencies_created]
            out += [f"{path}: updated" for path in self.updated + self.agencies_updated]
            out += [f"{path}: unchanged" for path in self.unchanged + self.agencies_unchanged]
        out += self.not_imported + self.linked + self.kept + self.notes
        out.append(
            f"Read {self.rows} rows; {self.matched} match the filters: {len(self.created)} created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, {len(self.linked)} linked to "
            f"curated incidents, {len(self.kept)} edited by a curator (kept), {len(self.not_imported)} "
            f"could not be imported."
        )
        out.append(
            f"Agencies: {len(self.agencies_created)} created, {len(self.agencies_updated)} updated, "
            f"{len(self.agencies_unchanged)} unchanged, {len(self.agencies_existing)} already in the record."
        )
        return out


# --- reading the dataset -------------------------------------------------------------------


def read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Return (line number, row) for every record of a CSV file; the line is where the record starts."""
    if not path.is_file():
        raise ImportInputError(f"{path}: no such file")
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in required if column not in (reader.fieldnames or [])]
        if missing:
            raise ImportInputError(f"{path}:1: missing column(s) {', '.join(missing)}; is this the v2 data file?")
        start = reader.line_num + 1
        for raw in reader:
            rows.append((start, {key: (value or "").strip() for key, value in raw.items() if key is not None}))
            start = reader.line_num + 1
    return rows


def read_agencies(path: Path) -> tuple[dict[int, WapoAgency], list[str]]:
    """Read the dataset's agency file; return agencies by id and the lines that could not be read."""
    agencies: dict[int, WapoAgency] = {}
    problems = []
    for line, raw in read_csv(path, AGENCY_COLUMNS):
        where = f"{path.name}:{line}"
        if not raw["id"].isdigit():
            problems.append(f"{where}: agency not read: id: expected a whole number, got {raw['id']!r}")
            continue
        if raw["state"] not in AGENCY_STATES or not raw["name"] or raw["type"] not in AGENCY_KINDS:
            problems.append(
                f"{where}: agency not read: expected a name, a two-letter state and a known type, "
                f"got {raw['name']!r}, {raw['state']!r}, {raw['type']!r}"
            )
            continue
        codes = tuple(code for code in raw["oricodes"].split(";") if code)
        agencies[int(raw["id"])] = WapoAgency(
            int(raw["id"]), raw["name"], AGENCY_KINDS[raw["type"]], raw["state"], codes
        )
    return agencies, problems


def _vocab(raw: dict[str, str], column: str, table: dict[str, str], errors: list[str]) -> str | None:
    value = raw.get(column, "")
    if not value:
        return None
    if value not in table:
        errors.append(f"{column}: unknown value {value!r}; expected one of {', '.join(table)}")
        return None
    return table[value]


def _coordinate(raw: dict[str, str], column: str, limit: int, errors: list[str]) -> str | None:
    value = raw.get(column, "")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        errors.append(f"{column}: expected a number, got {value!r}")
        return None
    if not number.is_finite() or abs(number) > limit:
        errors.append(f"{column}: expected a number between -{limit} and {limit}, got {value!r}")
        return None
    return value


def parse_row(raw: dict[str, str], line: int, agencies: dict[int, WapoAgency]) -> tuple[Row | None, list[str]]:
    """Parse one data row; return the row, or None and every reason it cannot be imported."""
    errors: list[str] = []
    row_id = int(raw["id"]) if raw["id"].isdigit() else None
    if row_id is None:
        errors.append(f"id: expected a whole number, got {raw['id']!r}")
    try:
        date = dt.date.fromisoformat(raw["date"]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw["date"]) else None
    except ValueError:
        date = None
    if date is None:
        errors.append(f"date: expected a real date as YYYY-MM-DD, got {raw['date']!r}")
    if not raw["city"]:
        errors.append("city: blank; the record needs at least the city (a curator can add this one by hand)")
    if raw["state"] not in STATES:
        errors.append(f"state: expected a two-letter state code, got {raw['state']!r}")
    latitude = _coordinate(raw, "latitude", 90, errors)
    longitude = _coordinate(raw, "longitude", 180, errors)
    if (latitude is None) != (longitude is None) and not errors:
        errors.append("latitude/longitude: only one of the two is given")
    precision = _vocab(raw, "location_precision", PRECISIONS, errors)
    threat = _vocab(raw, "threat_type", THREAT_TYPES, errors)
    flee = _vocab(raw, "flee_status", FLEE_STATUSES, errors)
    armed: list[str] = []
    for part in raw["armed_with"].split(";") if raw["armed_with"] else []:
        weapon = _vocab({"armed_with": part.strip()}, "armed_with", WEAPONS, errors)
        if weapon and weapon not in armed:
            armed.append(weapon)
    age = None
    if raw["age"]:
        if raw["age"].isdigit() and int(raw["age"]) <= 120:
            age = int(raw["age"])
        else:
            errors.append(f"age: expected a whole number of years, got {raw['age']!r}")
    gender = _vocab(raw, "gender", GENDERS, errors)
    races: list[str] = []
    for part in raw["race"].split(";") if raw["race"] else []:
        race = _vocab({"race": part.strip()}, "race", RACES, errors)
        if race and race not in races:
            races.append(race)
    race_source = _vocab(raw, "race_source", RACE_SOURCES, errors)
    mental = _vocab(raw, "was_mental_illness_related", BOOLS, errors)  # type: ignore[arg-type]
    camera = _vocab(raw, "body_camera", BOOLS, errors)  # type: ignore[arg-type]
    agency_ids: list[int] = []
    for part in raw["agency_ids"].split(";") if raw["agency_ids"] else []:
        part = part.strip()
        if not part.isdigit() or int(part) not in agencies:
            errors.append(f"agency_ids: agency {part!r} is not in the agency file")
        elif int(part) not in agency_ids:
            agency_ids.append(int(part))
    if not raw["agency_ids"]:
        errors.append("agency_ids: blank; every incident names at least one agency")
    if errors:
        return None, errors
    assert row_id is not None and date is not None
    return (
        Row(
            line=line,
            id=row_id,
            date=date,
            city=raw["city"],
            county=raw["county"] or None,
            state=raw["state"],
            latitude=latitude,
            longitude=longitude,
            precision=precision,
            threat_type=threat,
            flee_status=flee,
            armed=tuple(armed),
            name=raw["name"] or None,
            age=age,
            gender=gender,
            races=tuple(races),
            race_source=race_source,
            mental_illness=mental,  # type: ignore[arg-type]
            body_camera=camera,  # type: ignore[arg-type]
            agency_ids=tuple(agency_ids),
        ),
        [],
    )


def _matches_filters(raw: dict[str, str], options: Options) -> bool:
    if options.state and raw["state"].upper() != options.state.upper():
        return False
    if options.county and _place_key(raw["county"]) != _place_key(options.county):
        return False
    return not (options.city and _place_key(raw["city"]) != _place_key(options.city))


def _place_key(text: str) -> str:
    text = text.casefold().replace("’", "'").strip()
    return re.sub(r"\s+county$", "", text)


# --- writing files -------------------------------------------------------------------------

# Text YAML reads back unchanged without quotes, even inside a flow list (no ':', '#', ',').
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 .'-]*[A-Za-z0-9.]$|^[A-Za-z]$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none"}


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, dt.date)):
        return str(value) if isinstance(value, int) else value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    assert isinstance(value, str)
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(data: dict, indent: str = "") -> str:
    """Write a map of scalars, lists and maps as block YAML in a fixed, readable layout."""
    out = []
    for key, value in data.items():
        if isinstance(value, dict):
            out.append(f"{indent}{key}:\n{to_yaml(value, indent + '  ').rstrip(chr(10))}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out.append(f"{indent}{key}:")
            for item in value:
                body = to_yaml(item, indent + "    ")
                out.append(indent + "  - " + body[len(indent) + 4 :].rstrip("\n"))
        elif isinstance(value, list):
            out.append(f"{indent}{key}: [{', '.join(_scalar(item) for item in value)}]")
        else:
            out.append(f"{indent}{key}: {_scalar(value)}")
    return "\n".join(out) + "\n"


def with_checksum(front: dict, body: str) -> str:
    """Return the file text with imported.checksum set to the hash of the text itself."""
    front["imported"]["checksum"] = PLACEHOLDER
    text = f"---\n{to_yaml(front)}---\n{body}"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text.replace(f'  checksum: "{PLACEHOLDER}"', f'  checksum: "sha256:{digest}"', 1)


def is_pristine(text: str) -> bool:
    """Return True when a file is exactly as the importer wrote it (its checksum still matches)."""
    found = CHECKSUM_LINE.findall(text)
    if len(found) != 1:
        return False
    blank = CHECKSUM_LINE.sub(f'  checksum: "{PLACEHOLDER}"', text)
    return hashlib.sha256(blank.encode("utf-8")).hexdigest() == found[0]


def slugify(text: str) -> str:
    """Return text as lower-case ASCII words joined by hyphens."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"['’]", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "unknown"


def format_date(value: dt.date) -> str:
    """Format a date as 'March 13, 2015'."""
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def _who(row: Row) -> tuple[str, str]:
    """Return (title word, body phrase) describing the person without naming them."""
    minor = row.age is not None and row.age < 18
    word = {"male": "Boy" if minor else "Man", "female": "Girl" if minor else "Woman"}.get(row.gender or "", "Person")
    if row.age is not None:
        return f"{word}, {row.age},", f"a {row.age}-year-old {word.lower() if word != 'Person' else 'person'}"
    return word, f"a {word.lower()}" if word != "Person" else "a person"


def incident_slug(row: Row) -> str:
    """Return the file name (without .md) for a row: date, city and the WaPo id."""
    return f"{row.date.isoformat()}-{slugify(row.city)}-wapo-{row.id}"


def incident_text(row: Row, agency_slugs: list[str], version: dt.date, siblings: list[int]) -> str:
    """Return the whole incident file for a row."""
    title_who, body_who = _who(row)
    location: dict = {"city": row.city}
    if row.county:
        location["county"] = row.county
    location["state"] = row.state
    location["precision"] = "city"
    if row.latitude is not None and row.longitude is not None:
        rounded = row.precision in ROUNDED_PRECISIONS
        given = PRECISION_WORDS.get(row.precision or "", "not stated")
        if rounded:
            step = Decimal("0.001")
            location["latitude"] = Decimal(row.latitude).quantize(step, ROUND_HALF_EVEN)
            location["longitude"] = Decimal(row.longitude).quantize(step, ROUND_HALF_EVEN)
            note = (
                "From The Washington Post's data, rounded to 3 decimal places (about 100 m) so that no "
                f"home can be picked out; the dataset gives their precision as {given}."
            )
        else:
            location["latitude"] = Decimal(row.latitude)
            location["longitude"] = Decimal(row.longitude)
            note = f"As given in The Washington Post's data, which places them at {given}."
        location["coordinates_note"] = note
        location["coordinates_precision"] = row.precision or "not-available"
    person: dict = {"role": "civilian"}
    minor = row.age is not None and row.age < 18
    if row.name and not minor:
        person["name"] = row.name
    elif minor:
        person["description"] = "Under 18; the record does not publish the names of minors."
    else:
        person["description"] = "Not named in the dataset."
    if row.age is not None:
        person["age"] = row.age
    if minor:
        person["minor"] = True
    if row.gender:
        person["gender"] = row.gender
    if row.races:
        person["race"] = list(row.races)
    if row.race_source:
        person["race_source"] = row.race_source
    person["outcome"] = "killed"
    person["shot_by"] = "police"
    if row.armed:
        person["armed"] = list(row.armed)
    if row.threat_type:
        person["threat_type"] = row.threat_type
    if row.flee_status:
        person["flee_status"] = row.flee_status
    if row.mental_illness is not None:
        person["mental_illness_related"] = row.mental_illness
    person["sources"] = [SOURCE_ID]
    front: dict = {
        "title": f"{title_who} shot and killed by police in {row.city}, {row.state}",
        "summary": "A fatal police shooting recorded in The Washington Post's Fatal Force data; "
        "imported and not yet reviewed by a curator.",
        "date": row.date,
        "location": location,
        "types": ["police-shooting"],
        "agencies": [{"id": slug, "role": "involved"} for slug in agency_slugs],
        "people": [person],
    }
    if row.body_camera is not None:
        front["body_camera"] = row.body_camera
    front["sources"] = [source_entry(row.id, version)]
    front["updated"] = version
    front["imported"] = {"source": "wapo", "id": row.id, "dataset_version": version, "reviewed": False}
    front["licence"] = LICENCE
    body = (
        f"The Washington Post's Fatal Force data records that police shot and killed {body_who} in "
        f"{row.city}, {row.state}, on {format_date(row.date)}.[^{SOURCE_ID}]\n\n"
        "This record was imported from that dataset and has not yet been reviewed by a curator: "
        "its facts are the dataset's and have not yet been checked against news reports or official "
        "statements.\n"
    )
    if siblings:
        ids = ", ".join(str(other) for other in siblings)
        body += (
            f"\nThe dataset records the death of another person on the same date at the same "
            f"coordinates (Washington Post id {ids}); the deaths may be part of one incident.\n"
        )
    return with_checksum(front, body)


def source_entry(row_id: int, version: dt.date) -> dict:
    """Return the source entry citing the dataset row."""
    return {
        "id": SOURCE_ID,
        "publisher": "The Washington Post",
        "title": "Fatal Force: data-police-shootings (version 2)",
        "published": version,
        "url": REPOSITORY,
        "note": f"Row id {row_id} of v2/fatal-police-shootings-data.csv, dataset version of "
        f"{version.isoformat()}. Licence: CC BY-NC-SA 4.0.",
    }


def agency_text(agency: WapoAgency, version: dt.date) -> str:
    """Return the agency file for an agency the record does not have yet."""
    front: dict = {
        "name": agency.name,
        "kind": agency.kind,
        "jurisdiction": "Area not recorded in the source dataset",
        "state": agency.state,
    }
    if agency.ori_codes:
        front["ori_codes"] = list(agency.ori_codes)
    front["imported"] = {"source": "wapo", "id": agency.id, "dataset_version": version, "reviewed": False}
    front["licence"] = LICENCE
    body = (
        f"Created from the agency list of The Washington Post's Fatal Force data (agency id {agency.id}). "
        "Not yet reviewed by a curator: its jurisdiction, website and short name have not been added.\n"
    )
    return with_checksum(front, body)


# --- what is already in content/ -----------------------------------------------------------

try:
    _LOADER = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _LOADER = yaml.SafeLoader  # type: ignore[misc]


@dataclass
class Existing:
    """A content file already on disk."""

    path: Path
    text: str
    meta: dict


_IMPORTED_BLOCK = re.compile(r"^imported:\n  source: wapo\n  id: (\d+)\n", re.MULTILINE)


def read_existing(folder: Path) -> list[Existing]:
    """Read the front matter of every .md file in folder (unreadable front matter gives {})."""
    found = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        quick = _IMPORTED_BLOCK.search(text)
        if quick and is_pristine(text):
            # As the importer wrote it: the id is all the import needs, so skip parsing YAML.
            found.append(Existing(path, text, {"imported": {"source": "wapo", "id": int(quick.group(1))}}))
            continue
        meta: object = {}
        parts = text.split("\n---\n", 1)
        if text.startswith("---\n") and len(parts) == 2:
            try:
                meta = yaml.load(parts[0][4:], Loader=_LOADER)
            except yaml.YAMLError:
                meta = {}
        found.append(Existing(path, text, meta if isinstance(meta, dict) else {}))
    return found


def _imported_id(meta: dict) -> int | None:
    block = meta.get("imported")
    if isinstance(block, dict) and block.get("source") == "wapo" and isinstance(block.get("id"), int):
        return block["id"]
    return None


def _name_key(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", unicodedata.normalize("NFKD", str(name)).lower()).strip()


@dataclass
class Curated:
    """The curated incidents, indexed for finding a row that is already in the record."""

    files: list[Existing]

    def match(self, row: Row) -> tuple[Existing, str] | None:
        """Return the curated incident that covers this row, and why, if any."""
        for item in self.files:
            ids = item.meta.get("wapo_ids")
            if isinstance(ids, list) and row.id in ids:
                return item, "listed in its wapo_ids"
        for item in self.files:
            if isinstance(item.meta.get("wapo_ids"), list):
                continue  # a curator has said which rows this incident covers
            location = item.meta.get("location") if isinstance(item.meta.get("location"), dict) else {}
            same_place = (
                _place_key(str(location.get("city", ""))) == _place_key(row.city) and location.get("state") == row.state
            )
            if item.meta.get("date") == row.date and same_place:
                return item, "same date and city"
            people = item.meta.get("people") if isinstance(item.meta.get("people"), list) else []
            names = {_name_key(p.get("name")) for p in people if isinstance(p, dict) and p.get("name")}
            if row.name and _name_key(row.name) in names and location.get("state") == row.state:
                return item, "same person's name"
        return None


# --- the import ----------------------------------------------------------------------------


def read_agency_map(path: Path | None) -> dict[int, str]:
    """Read the committed table mapping WaPo agency ids to existing agency files."""
    if path is None or not path.is_file():
        return {}
    return {int(raw["wapo_id"]): raw["agency"] for _, raw in read_csv(path, ("wapo_id", "agency"))}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def _rel(path: Path, content: Path) -> str:
    base = content.parent
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def _base_slugs(agencies: dict[int, WapoAgency]) -> dict[int, str]:
    """Return a slug per agency; names shared within a state get the WaPo id appended."""
    base = {aid: slugify(f"{a.name} {a.state}") for aid, a in agencies.items()}
    counts: dict[str, int] = {}
    for slug in base.values():
        counts[slug] = counts.get(slug, 0) + 1
    return {aid: slug if counts[slug] == 1 else f"{slug}-wapo-{aid}" for aid, slug in base.items()}


def run_import(options: Options) -> Report:
    """Import matching rows into options.content; return what was done."""
    report = Report()
    agencies, agency_problems = read_agencies(options.agencies)
    report.notes += agency_problems
    records = read_csv(options.data, COLUMNS)
    report.rows = len(records)
    version = options.dataset_version or max(
        (date for _, raw in records if (date := _safe_date(raw["date"])) is not None), default=dt.date(1970, 1, 1)
    )
    content = options.content
    incidents_dir, agencies_dir = content / "incidents", content / "agencies"
    existing_incidents = read_existing(incidents_dir)
    imported = {}
    for item in existing_incidents:
        row_id = _imported_id(item.meta)
        if row_id is not None:
            imported.setdefault(row_id, item)
    curated = Curated([item for item in existing_incidents if "imported" not in item.meta])
    existing_agencies = read_existing(agencies_dir)
    agency_files = {item.path.stem: item for item in existing_agencies}
    imported_agencies = {aid: item for item in existing_agencies if (aid := _imported_id(item.meta)) is not None}
    mapped = read_agency_map(options.agency_map)
    base_slugs = _base_slugs(agencies)

    # Rows that share a date and coordinates may be one incident with several deaths.
    places: dict[tuple, list[int]] = {}
    seen_ids: dict[str, int] = {}
    for _line, raw in records:
        if raw["latitude"] and raw["longitude"] and raw["id"].isdigit():
            places.setdefault((raw["date"], raw["latitude"], raw["longitude"]), []).append(int(raw["id"]))
    all_ids = {int(raw["id"]) for _, raw in records if raw["id"].isdigit()}

    agency_slug: dict[int, str] = {}
    for line, raw in records:
        if not _matches_filters(raw, options):
            continue
        where = f"{options.data.name}:{line}"
        row, errors = parse_row(raw, line, agencies)
        if raw["id"] in seen_ids and raw["id"]:
            errors.append(f"id: {raw['id']} is also the id of the row on line {seen_ids[raw['id']]}")
            row = None
        seen_ids.setdefault(raw["id"], line)
        if row is not None and (
            (options.since and row.date < options.since) or (options.until and row.date > options.until)
        ):
            continue
        report.matched += 1
        if row is None:
            report.not_imported.append(f"{where}: not imported: {'; '.join(errors)}")
            continue
        match = curated.match(row)
        if match is not None:
            item, why = match
            rel = _rel(item.path, content)
            message = f"{where}: WaPo id {row.id} is already in the record as {rel} ({why}); not imported"
            if why != "listed in its wapo_ids":
                message += f". If it is the same incident, add wapo_ids: [{row.id}] to that file"
            if row.id in imported:
                message += f"; the earlier import {_rel(imported[row.id].path, content)} can be deleted"
            report.linked.append(message)
            continue
        slugs = []
        for aid in row.agency_ids:
            if aid not in agency_slug:
                agency_slug[aid] = _resolve_agency(
                    agencies[aid], mapped, imported_agencies, agency_files, base_slugs, version, content, report
                )
            slugs.append(agency_slug[aid])
        siblings = sorted(
            other for other in places.get((raw["date"], raw["latitude"], raw["longitude"]), []) if other != row.id
        )
        text = incident_text(row, slugs, version, siblings)
        target = incidents_dir / f"{incident_slug(row)}.md"
        _place_file(target, text, imported.get(row.id), content, report, where)
    if not (options.state or options.county or options.city or options.since or options.until):
        for row_id, item in sorted(imported.items()):
            if row_id not in all_ids:
                report.notes.append(
                    f"{_rel(item.path, content)}: WaPo id {row_id} is no longer in the dataset; "
                    "left in place for a curator"
                )
    return report


def _safe_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _place_file(target: Path, text: str, previous: Existing | None, content: Path, report: Report, where: str) -> None:
    rel = _rel(target, content)
    if previous is None:
        if target.exists():
            report.kept.append(f"{where}: {rel} already exists and was not written by this import; not overwritten")
            return
        _write(target, text)
        report.created.append(rel)
        return
    old_rel = _rel(previous.path, content)
    if previous.path == target and previous.text == text:
        report.unchanged.append(rel)
        return
    if not is_pristine(previous.text):
        report.kept.append(f"{old_rel}: edited by a curator; not overwritten")
        return
    _write(target, text)
    if previous.path != target:
        previous.path.unlink()
        report.notes.append(f"{old_rel}: moved to {rel} (the dataset changed its date or city)")
    report.updated.append(rel)


def _resolve_agency(
    agency: WapoAgency,
    mapped: dict[int, str],
    imported_agencies: dict[int, Existing],
    agency_files: dict[str, Existing],
    base_slugs: dict[int, str],
    version: dt.date,
    content: Path,
    report: Report,
) -> str:
    """Return the agency file id for a WaPo agency, writing the file when the record lacks it."""
    if agency.id in mapped:
        slug = mapped[agency.id]
    elif agency.id in imported_agencies:
        slug = imported_agencies[agency.id].path.stem
    else:
        slug = base_slugs[agency.id]
        if slug in agency_files and _imported_id(agency_files[slug].meta) != agency.id:
            slug = f"{slug}-wapo-{agency.id}"
    existing = agency_files.get(slug)
    path = content / "agencies" / f"{slug}.md"
    rel = _rel(path, content)
    if existing is not None and _imported_id(existing.meta) != agency.id:
        report.agencies_existing.append(rel)  # a curated file: never touched
        return slug
    text = agency_text(agency, version)
    if existing is None:
        _write(path, text)
        report.agencies_created.append(rel)
    elif existing.text == text:
        report.agencies_unchanged.append(rel)
    elif not is_pristine(existing.text):
        report.kept.append(f"{rel}: edited by a curator; not overwritten")
    else:
        _write(path, text)
        report.agencies_updated.append(rel)
    agency_files[slug] = Existing(path, text, {"imported": {"source": "wapo", "id": agency.id}})
    return slug


# --- command line --------------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from err


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `import wapo DATA.csv --agencies AGENCIES.csv ...` to the import subcommand."""
    sources = parser.add_subparsers(dest="import_source", required=True)
    wapo = sources.add_parser("wapo", help="The Washington Post's Fatal Force data (v2 CSV files)")
    wapo.add_argument("data", type=Path, help="fatal-police-shootings-data.csv")
    wapo.add_argument("--agencies", type=Path, required=True, help="fatal-police-shootings-agencies.csv")
    wapo.add_argument("--content", type=Path, default=None, help="content folder to write to (default: content/)")
    wapo.add_argument(
        "--agency-map",
        type=Path,
        default=None,
        help=f"table of WaPo agency ids already in the record (default: {DEFAULT_AGENCY_MAP})",
    )
    wapo.add_argument("--state", help="only rows in this state, e.g. MO")
    wapo.add_argument("--county", help="only rows in this county, e.g. Jackson")
    wapo.add_argument("--city", help="only rows in this city, e.g. 'Kansas City'")
    wapo.add_argument("--since", type=_date, help="only rows on or after this date (YYYY-MM-DD)")
    wapo.add_argument("--until", type=_date, help="only rows on or before this date (YYYY-MM-DD)")
    wapo.add_argument(
        "--dataset-version",
        type=_date,
        help="date of the dataset version (default: the latest date in the data file)",
    )
    wapo.add_argument("-v", "--verbose", action="store_true", help="list every file, not only problems")


def main(args: argparse.Namespace, root: Path) -> int:
    """Run an import from parsed arguments; return the exit status (1 if any row was not imported)."""
    options = Options(
        data=args.data,
        agencies=args.agencies,
        content=(args.content or root / "content").resolve(),
        agency_map=args.agency_map or root / DEFAULT_AGENCY_MAP,
        state=args.state,
        county=args.county,
        city=args.city,
        since=args.since,
        until=args.until,
        dataset_version=args.dataset_version,
    )
    try:
        report = run_import(options)
    except ImportInputError as error:
        print(f"{error}; nothing was written.")
        return 2
    print("\n".join(report.lines(args.verbose)))
    return 1 if report.not_imported else 0
