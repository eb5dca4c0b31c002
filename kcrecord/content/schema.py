"""The content model: agency and page front matter, and the parts incidents share (sources, import details, licence).

Incident front matter is in incident_schema.py; a Field is defined in field_model.py. The
validator, the field reference test and the JSON Schema all read these definitions, so a field
exists in exactly one spot.
"""

from __future__ import annotations

from kcrecord.content.field_model import Field, text

SOURCE = Field(
    "",
    "map",
    "A published source.",
    fields=(
        Field(
            "id",
            "slug",
            "Short id used to cite this source, e.g. `kshb-2024-11-08`. Lower-case letters, digits and hyphens.",
            required=True,
        ),
        text(
            "publisher",
            "Outlet or body that published it. Leave it out when the source does not name "
            "its outlet: the page then says the outlet is not identified.",
        ),
        text("title", "Headline or document title, as published.", required=True),
        Field("published", "date", "Date of publication.", required=True),
        Field("url", "url", "Address of the source."),
        Field("archived_url", "url", "Address of an archived copy (e.g. the Wayback Machine)."),
        Field("accessed", "date", "Date a curator last read the source."),
        text("note", "Anything a reader should know about this source."),
    ),
)

IMPORTED = Field(
    "imported",
    "map",
    "Set by an importer on a file it wrote; a curator changes only `reviewed`.",
    fields=(
        Field("source", "vocab", "The dataset the file was imported from.", required=True, vocab="import_sources"),
        Field("id", "int", "The row's id in that dataset.", required=True, minimum=0),
        Field("dataset_version", "date", "Date of the dataset version imported.", required=True),
        Field(
            "reviewed",
            "bool",
            "false until a curator has checked the record against published sources; then true.",
            required=True,
        ),
        text(
            "checksum",
            "Hash of the file as the importer wrote it. If the file no longer matches, the importer "
            "treats it as edited by a curator and never overwrites it.",
        ),
    ),
)

LICENCE = Field(
    "licence",
    "vocab",
    "The licence of this record when it differs from the site's (imported data keeps its dataset's licence).",
    vocab="licences",
)

AGENCY_FIELDS = Field(
    "",
    "map",
    "Agency front matter.",
    fields=(
        text("name", "Full name of the agency.", required=True),
        text("short_name", "Common short name, e.g. 'KCPD'."),
        Field("kind", "vocab", "What kind of agency it is.", required=True, vocab="agency_kinds"),
        text("jurisdiction", "The area it covers.", required=True),
        Field("state", "vocab", "Two-letter state code.", required=True, vocab="states"),
        Field("url", "url", "The agency's website."),
        Field(
            "members",
            "list",
            "For a multi-agency team: ids of the member agencies.",
            item=Field("", "agency", ""),
        ),
        Field("sources", "list", "Sources for what this page says.", item=SOURCE),
        Field(
            "ori_codes",
            "list",
            "FBI Originating Agency Identifier (ORI) codes, as listed by the source dataset.",
            item=Field("", "text", ""),
        ),
        IMPORTED,
        LICENCE,
    ),
)

PAGE_FIELDS = Field(
    "",
    "map",
    "Page front matter.",
    fields=(
        text("title", "Page title.", required=True),
        text("description", "One sentence for link previews."),
        Field("nav", "int", "Position in the site navigation; leave out to keep it out of the menu.", minimum=0),
    ),
)
