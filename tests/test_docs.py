"""The field reference documents every schema field and vocabulary; README's commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kcrecord.content.field_model import walk
from kcrecord.content.incident_schema import INCIDENT_FIELDS
from kcrecord.content.schema import AGENCY_FIELDS, PAGE_FIELDS

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "content" / "pages" / "fields.md"


def section(heading: str) -> str:
    text = REFERENCE.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no '## {heading}' section in {REFERENCE.name}"
    return match.group(1)


@pytest.mark.parametrize(
    ("heading", "root"),
    [("Incident files", INCIDENT_FIELDS), ("Agency files", AGENCY_FIELDS), ("Page files", PAGE_FIELDS)],
)
def test_every_schema_field_is_in_the_field_reference(heading: str, root) -> None:
    documented = set(re.findall(r"^\| `([^`]+)` \|", section(heading), re.M))
    fields = {path for path, _ in walk(root)}
    assert sorted(fields - documented) == [], "undocumented fields: add a row to content/pages/fields.md"
    assert sorted(documented - fields) == [], "the field reference lists fields the schema does not have"


def test_every_schema_field_has_a_docstring() -> None:
    for root in (INCIDENT_FIELDS, AGENCY_FIELDS, PAGE_FIELDS):
        for path, field in walk(root):
            assert field.doc.strip().endswith("."), path


def test_every_vocabulary_is_in_the_field_reference() -> None:
    vocabularies = yaml.safe_load((REPO / "site.yaml").read_text())["vocabularies"]
    listed = section("Vocabularies")
    for name, values in vocabularies.items():
        assert f"### {name}\n" in listed, name
        if name != "states":
            for value in values:
                assert f"| `{value}` |" in listed, f"{name}: {value}"


def test_readme_commands_are_make_targets() -> None:
    readme = (REPO / "README.md").read_text()
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    for target in re.findall(r"`make ([a-z-]+)", readme):
        assert target in targets, target
    assert readme.index("make site") < readme.index("make test")
