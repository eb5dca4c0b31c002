"""JSON Schemas (draft 2020-12) for incident and agency front matter, generated from the content model.

The content model (schema.py, incident_schema.py) and the vocabularies in site.yaml stay the one source of
truth: these schemas are derived from them, published under /data/ on the site and
committed under schemas/ for editors. `make schemas` (python -m kcrecord.content.json_schema)
rewrites the committed copies; a test fails when they are out of date.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from kcrecord.content import yaml_strict
from kcrecord.content.check_fields import SLUG, TIME, URL
from kcrecord.content.field_model import Field
from kcrecord.content.incident_schema import INCIDENT_FIELDS
from kcrecord.content.placeholders import MARKER
from kcrecord.content.schema import AGENCY_FIELDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS = {
    "incident.schema.json": (
        INCIDENT_FIELDS,
        "Incident front matter",
        "The fields between the --- lines of a file in content/incidents/. "
        "See the field reference (content/pages/fields.md) for what each one means.",
    ),
    "agency.schema.json": (
        AGENCY_FIELDS,
        "Agency front matter",
        "The fields between the --- lines of a file in content/agencies/. "
        "See the field reference (content/pages/fields.md) for what each one means.",
    ),
}
# The build also checks what a JSON Schema cannot: that agency and source ids exist, that the
# date matches the file name, that a minor has no name, and that YAML did not misread a value.
_STRING_PATTERNS = {
    "time": TIME.pattern,
    "url": URL.pattern,
    "slug": SLUG.pattern,
    "agency": SLUG.pattern,
    "source": SLUG.pattern,
}


def field_schema(spec: Field, vocabularies: dict[str, dict[str, str]]) -> dict:
    """Return the JSON Schema of one field."""
    schema: dict = {"description": spec.doc} if spec.doc else {}
    kind = spec.kind
    if kind == "text":
        schema.update(type="string", pattern=r"\S", **{"not": {"pattern": rf"\b{MARKER}\b"}})
    elif kind == "date":
        schema.update(type="string", format="date", pattern=r"^\d{4}-\d{2}-\d{2}$")
    elif kind in _STRING_PATTERNS:
        schema.update(type="string", pattern=_STRING_PATTERNS[kind])
        if kind == "url":
            schema["format"] = "uri"
    elif kind == "bool":
        schema["type"] = "boolean"
    elif kind in ("int", "number"):
        schema["type"] = "integer" if kind == "int" else "number"
        if spec.minimum is not None:
            schema["minimum"] = spec.minimum
        if spec.maximum is not None:
            schema["maximum"] = spec.maximum
    elif kind == "vocab":
        assert spec.vocab is not None
        schema.update(type="string", enum=list(vocabularies.get(spec.vocab, {})))
    elif kind == "list":
        assert spec.item is not None
        schema.update(type="array", items=field_schema(spec.item, vocabularies))
        if spec.min_items:
            schema["minItems"] = spec.min_items
    elif kind == "map":
        schema.update(map_schema(spec, vocabularies))
    else:  # pragma: no cover - schema.py's KINDS are all handled above
        raise ValueError(f"unknown field kind {kind!r}")
    return schema


def map_schema(spec: Field, vocabularies: dict[str, dict[str, str]]) -> dict:
    """Return the JSON Schema of a group of fields: its properties, required names, nothing else."""
    schema: dict = {
        "type": "object",
        "properties": {sub.name: field_schema(sub, vocabularies) for sub in spec.fields},
        "additionalProperties": False,
    }
    required = [sub.name for sub in spec.fields if sub.required]
    if required:
        schema["required"] = required
    dependent: dict[str, list[str]] = {}
    for sub in spec.fields:
        if sub.required_with:
            dependent.setdefault(sub.required_with, []).append(sub.name)
    if dependent:
        schema["dependentRequired"] = dependent
    return schema


def document_schema(name: str, vocabularies: dict[str, dict[str, str]]) -> dict:
    """Return the whole schema called name (e.g. incident.schema.json)."""
    spec, title, description = SCHEMAS[name]
    return {"$schema": DIALECT, "title": title, "description": description, **map_schema(spec, vocabularies)}


def schema_files(vocabularies: dict[str, dict[str, str]]) -> dict[str, bytes]:
    """Return every schema file's name mapped to its bytes (stable, so builds stay byte-identical)."""
    return {
        name: (json.dumps(document_schema(name, vocabularies), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        for name in SCHEMAS
    }


def read_vocabularies(root: Path) -> dict[str, dict[str, str]]:
    """Read the vocabularies from root/site.yaml."""
    doc, problems = yaml_strict.load((root / "site.yaml").read_text(encoding="utf-8"), "site.yaml")
    if doc is None or not isinstance(doc.data, dict) or problems:
        raise ValueError("site.yaml could not be read; run `make check` to see why")
    vocabularies = doc.data.get("vocabularies")
    if not isinstance(vocabularies, dict):
        raise ValueError("site.yaml has no vocabularies")
    return {name: values for name, values in vocabularies.items() if isinstance(values, dict)}


def to_json_value(value: object) -> object:
    """Return front matter as JSON would hold it: dates as YYYY-MM-DD, YAML traps as their text."""
    if isinstance(value, dict):
        return {key: to_json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json_value(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, yaml_strict.Trap):
        return value.text
    return value


def write_schemas(root: Path) -> list[Path]:
    """Write the schemas into root/schemas/ for editors; return the files written."""
    folder = root / "schemas"
    folder.mkdir(exist_ok=True)
    written = []
    for name, data in schema_files(read_vocabularies(root)).items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Regenerate schemas/*.json from schema.py and site.yaml."""
    root = Path(argv[0] if argv else ".").resolve()
    for path in write_schemas(root):
        print(f"Wrote {path.relative_to(root).as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
