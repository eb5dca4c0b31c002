"""Write incident and agency files for Fatal Force rows: fixed layout, no names of minors, a checksum.

The text depends only on the row, its agencies and the dataset version given, so the same
inputs always give the same bytes. Every file carries a checksum of its own text; a file that
no longer matches it was edited by a curator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import ROUND_HALF_EVEN, Decimal

from kcrecord.importers.wapo_read import Row, WapoAgency
from kcrecord.importers.wapo_values import LICENCE, PRECISION_WORDS, REPOSITORY, ROUNDED_PRECISIONS, SOURCE_ID
from kcrecord.new_incident import slugify as _slugify
from kcrecord.outputs.formats import format_date

CHECKSUM_LINE = re.compile(r'^  checksum: "sha256:([0-9a-f]{64})"$', re.MULTILINE)
PLACEHOLDER = "sha256:" + "0" * 64
SLUG_LIMIT = 200

# Text YAML reads back unchanged without quotes, even inside a flow list (no ':', '#', ',').
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9 .'-]*[A-Za-z0-9.]$|^[A-Za-z]$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none"}


def slugify(text: str) -> str:
    """Return text as lower-case ASCII words joined by hyphens; apostrophes join ("Lee's" -> "lees")."""
    return _slugify(re.sub(r"['’]", "", text), SLUG_LIMIT) or "unknown"


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
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


def is_minor(row: Row) -> bool:
    """Return True when the dataset gives an age under 18."""
    return row.age is not None and row.age < 18


def _who(row: Row) -> tuple[str, str]:
    """Return (title word, body phrase) describing the person without naming them."""
    minor = is_minor(row)
    word = {"male": "Boy" if minor else "Man", "female": "Girl" if minor else "Woman"}.get(row.gender or "", "Person")
    if row.age is not None:
        return f"{word}, {row.age},", f"a {row.age}-year-old {word.lower() if word != 'Person' else 'person'}"
    return word, f"a {word.lower()}" if word != "Person" else "a person"


def incident_slug(row: Row) -> str:
    """Return the file name (without .md) for a row: date, city and the WaPo id."""
    return f"{row.date.isoformat()}-{slugify(row.city)}-wapo-{row.id}"


def _location(row: Row) -> dict:
    location: dict = {"city": row.city}
    if row.county:
        location["county"] = row.county
    location["state"] = row.state
    location["precision"] = "city"
    if row.latitude is not None and row.longitude is not None:
        given = PRECISION_WORDS.get(row.precision or "", "not stated")
        if row.precision in ROUNDED_PRECISIONS:
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
    return location


def _person(row: Row) -> dict:
    person: dict = {"role": "civilian"}
    minor = is_minor(row)
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
    for key, value in (("gender", row.gender), ("race", list(row.races)), ("race_source", row.race_source)):
        if value:
            person[key] = value
    person["outcome"] = "killed"
    person["shot_by"] = "police"
    for key, value in (("armed", list(row.armed)), ("threat_type", row.threat_type), ("flee_status", row.flee_status)):
        if value:
            person[key] = value
    if row.mental_illness is not None:
        person["mental_illness_related"] = row.mental_illness
    person["sources"] = [SOURCE_ID]
    return person


def incident_text(
    row: Row, agency_slugs: list[str], version: dt.date, siblings: list[int], county_note: str | None = None
) -> str:
    """Return the whole incident file for a row; county_note says how a blank county was placed."""
    title_who, body_who = _who(row)
    front: dict = {
        "title": f"{title_who} shot and killed by police in {row.city}, {row.state}",
        "summary": "A fatal police shooting recorded in The Washington Post's Fatal Force data; "
        "imported and not yet reviewed by a curator.",
        "date": row.date,
        "location": _location(row),
        "types": ["police-shooting"],
        "agencies": [{"id": slug, "role": "involved"} for slug in agency_slugs],
        "people": [_person(row)],
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
    if county_note:
        body += f"\n{county_note}\n"
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
