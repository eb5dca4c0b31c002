"""The content model's building block: a Field (name, kind, rules, documentation), and how to build and walk them.

The fields themselves are in schema.py (agency and page front matter, and the parts incidents
share) and incident_schema.py (incident front matter).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

# Kinds a value can have. Each is checked in check_fields.py.
KINDS = (
    "text",  # a non-empty string
    "date",  # YYYY-MM-DD
    "time",  # "HH:MM", quoted
    "bool",  # true or false
    "int",  # a whole number
    "number",  # any number (coordinates)
    "url",  # http(s)://...
    "slug",  # lower-case letters, digits and hyphens
    "vocab",  # one value of a closed vocabulary in site.yaml
    "agency",  # the id of a file in content/agencies/
    "source",  # the id of an entry in this incident's sources
    "list",
    "map",
)


@dataclass(frozen=True)
class Field:
    """One field of the content model."""

    name: str
    kind: str
    doc: str
    required: bool = False
    # The name of a sibling field: this field is required whenever that one is set.
    required_with: str | None = None
    vocab: str | None = None
    item: Field | None = None
    fields: tuple[Field, ...] = field(default_factory=tuple)
    min_items: int = 0
    minimum: int | float | None = None
    maximum: int | float | None = None
    example: str | None = None

    def child(self, name: str) -> Field | None:
        """Return the sub-field called name, if this is a map."""
        for sub in self.fields:
            if sub.name == name:
                return sub
        return None


def text(name: str, doc: str, **kw) -> Field:
    """Build a text field."""
    return Field(name, "text", doc, **kw)


def sources_list(doc: str = "Ids of the sources that support this entry.") -> Field:
    """Build the list of source ids that backs a statement."""
    return Field("sources", "list", doc, required=True, min_items=1, item=Field("", "source", ""))


def walk(root: Field, prefix: str = "") -> Iterator[tuple[str, Field]]:
    """Yield every field under root with its dotted path (lists add `[]`)."""
    for sub in root.fields:
        path = f"{prefix}.{sub.name}" if prefix else sub.name
        yield path, sub
        target = sub.item if sub.kind == "list" and sub.item is not None else sub
        if target.kind == "map":
            yield from walk(target, path + "[]" if sub.kind == "list" else path)
