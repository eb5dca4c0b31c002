"""The JSON Schemas agree with the content model, the vocabularies and the build's own validator."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from kcrecord.content.field_model import Field, walk
from kcrecord.content.incident_schema import INCIDENT_FIELDS
from kcrecord.content.json_schema import SCHEMAS, document_schema, read_vocabularies, schema_files, to_json_value
from kcrecord.content.load import load_content, read_source
from kcrecord.content.schema import AGENCY_FIELDS
from kcrecord.content.validate import validate

REPO = Path(__file__).resolve().parent.parent
TYPES = {
    "text": "string",
    "date": "string",
    "time": "string",
    "url": "string",
    "slug": "string",
    "agency": "string",
    "source": "string",
    "vocab": "string",
    "bool": "boolean",
    "int": "integer",
    "number": "number",
    "list": "array",
    "map": "object",
}


def validator(name: str, vocabularies: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        document_schema(name, vocabularies), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_committed_schemas_are_up_to_date() -> None:
    for name, data in schema_files(read_vocabularies(REPO)).items():
        committed = REPO / "schemas" / name
        assert committed.read_bytes() == data, f"schemas/{name} is out of date; run `make schemas`"


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_schemas_are_valid_draft_2020_12(name: str) -> None:
    schema = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def node_at(schema: dict, dotted: str) -> dict:
    """Follow a schema.walk path like people[].armed through properties and items."""
    node = schema
    for part in dotted.split("."):
        name = part.removesuffix("[]")
        node = node["properties"][name]
        if part.endswith("[]"):
            node = node["items"]
    return node


def parent_required(schema: dict, dotted: str) -> list[str]:
    head, _, _ = dotted.rpartition(".")
    parent = node_at(schema, head) if head else schema
    return parent.get("required", [])


@pytest.mark.parametrize(
    ("name", "root"), [("incident.schema.json", INCIDENT_FIELDS), ("agency.schema.json", AGENCY_FIELDS)]
)
def test_every_field_has_its_type_enum_and_required_flag(name: str, root: Field) -> None:
    vocabularies = read_vocabularies(REPO)
    schema = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
    paths = list(walk(root))
    assert len(paths) > 10
    for dotted, spec in paths:
        node = node_at(schema, dotted)
        assert node["type"] == TYPES[spec.kind], dotted
        assert node["description"] == spec.doc, dotted
        assert (spec.name in parent_required(schema, dotted)) == spec.required, dotted
        target, item = (spec.item, node["items"]) if spec.kind == "list" else (spec, node)
        assert target is not None
        if spec.kind == "list":
            assert item["type"] == TYPES[target.kind], dotted
            assert node.get("minItems", 0) == spec.min_items, dotted
        if target.kind == "vocab":
            assert item["enum"] == list(vocabularies[target.vocab]), dotted
        if target.kind in ("int", "number"):
            assert item.get("minimum") == target.minimum and item.get("maximum") == target.maximum, dotted
        if target.kind == "map":
            assert item["additionalProperties"] is False, dotted
            assert sorted(item["properties"]) == sorted(sub.name for sub in target.fields), dotted


@pytest.mark.parametrize(("kind", "name"), [("incidents", "incident.schema.json"), ("agencies", "agency.schema.json")])
def test_real_content_passes_the_json_schema(kind: str, name: str) -> None:
    content, problems = load_content(REPO)
    assert problems == []
    check = validator(name, read_vocabularies(REPO))
    files = content.files[kind]
    assert files
    for source in files:
        errors = [e.message for e in check.iter_errors(to_json_value(source.meta))]
        assert errors == [], source.rel


GOOD = """---
title: Officer fires at a car in a parking lot
date: 2024-05-01
location: {near: 100 block of Main Street, city: Example, state: MO, precision: address-block}
types: [shots-fired-at-vehicle]
agencies: [{id: example-pd, role: involved}]
people: [{role: civilian, outcome: uninjured, age: 30}]
sources: [{id: gazette-2024-05-02, title: Police fire at car, published: 2024-05-02, url: "https://example.org/1"}]
updated: 2024-05-02
---
Text.[^gazette-2024-05-02]
"""

BAD = {
    "unknown field": lambda m: m.update(titel="x"),
    "missing required": lambda m: m.pop("types"),
    "vocabulary typo": lambda m: m["location"].update(precision="plac"),
    "text placeholder": lambda m: m.update(summary="REPLACE: one or two sentences"),
    "empty list": lambda m: m.update(types=[]),
    "bad slug": lambda m: m["sources"][0].update(id="Gazette 2024"),
    "age out of range": lambda m: m["people"][0].update(age=130),
    "string for a bool": lambda m: m.update(draft="yes please"),
    "bad url": lambda m: m["sources"][0].update(url="example.org/1"),
    "unquoted time": lambda m: m.update(time=830, time_of="shooting"),
    "time without what it is the time of": lambda m: m.update(time="13:50"),
    "unknown time_of": lambda m: m.update(time="13:50", time_of="arrival"),
    "date not a date": lambda m: m.update(updated="May 2"),
    "unknown field in a person": lambda m: m["people"][0].update(nmae="x"),
}


def test_the_good_example_passes_both(small_project: Path) -> None:
    path = small_project / "content" / "incidents" / "2024-05-01-example.md"
    path.write_text(GOOD, encoding="utf-8")
    content, problems = load_content(small_project)
    assert problems + validate(content) == []
    source, _ = read_source(path, small_project, "incidents")
    vocabularies = read_vocabularies(small_project)
    assert list(validator("incident.schema.json", vocabularies).iter_errors(to_json_value(source.meta))) == []


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_example_fails_both_validators(case: str, small_project: Path) -> None:
    import yaml

    front = yaml.safe_load(GOOD.split("---")[1])
    meta = copy.deepcopy(front)
    BAD[case](meta)
    body = "Text.[^gazette-2024-05-02]\n"
    text = "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body
    path = small_project / "content" / "incidents" / "2024-05-01-example.md"
    path.write_text(text, encoding="utf-8")
    content, problems = load_content(small_project)
    build_problems = [p for p in problems + validate(content) if p.path.endswith("2024-05-01-example.md")]
    assert build_problems, f"the build accepted: {case}"
    source, _ = read_source(path, small_project, "incidents")
    errors = list(
        validator("incident.schema.json", read_vocabularies(small_project)).iter_errors(to_json_value(source.meta))
    )
    assert errors, f"the JSON Schema accepted: {case}"


def test_the_site_publishes_the_committed_schemas(real_site: Path) -> None:
    for name in SCHEMAS:
        assert (real_site / "data" / name).read_bytes() == (REPO / "schemas" / name).read_bytes()
