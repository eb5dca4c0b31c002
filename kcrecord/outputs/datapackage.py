"""data/datapackage.json: the CSV downloads described as a Frictionless Tabular Data Package (v1).

Each resource's fields come from the same Column definitions that write the CSV and the field
dictionary (kcrecord/outputs/csv_tables.py), with their keys from kcrecord/outputs/tables.py. A column
without a description stops the build, so no CSV column goes undocumented.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from kcrecord.content.assemble import Site
from kcrecord.outputs.columns import Column, Table
from kcrecord.outputs.csv_tables import TABLES
from kcrecord.outputs.discovery import licence_metas, licence_url_of
from kcrecord.outputs.tables import csv_keys

FIELD_TYPES = {
    "text": "string",
    "integer": "integer",
    "number": "number",
    "date": "date",
    "bool": "boolean",
    "list": "string",  # values joined with "; ", as the CSV writes them
}
MISSING = [""]  # an empty cell: not known, or not applicable
DIALECT = {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True}


class UndescribedColumnError(ValueError):
    """A CSV column has no description."""


def field(column: Column, table: Table) -> dict:
    """Return the Table Schema field of a column."""
    if not column.doc.strip():
        raise UndescribedColumnError(
            f"{table.filename}: column '{column.name}' has no description; write one in its Column "
            "in kcrecord/outputs/*_columns.py (it is shown in the field dictionary and in datapackage.json)"
        )
    spec: dict = {"name": column.name, "type": FIELD_TYPES[column.kind], "description": column.doc}
    if column.kind == "bool":
        spec.update(trueValues=["true"], falseValues=["false"])
    if column.kind == "list":
        spec["description"] += " Values are separated by '; '."
    return spec


def resource(table: Table) -> dict:
    """Return the Tabular Data Resource of a CSV download."""
    keys = csv_keys(table.filename)
    schema: dict = {
        "fields": [field(column, table) for column in table.columns],
        "missingValues": MISSING,
        "primaryKey": list(keys.primary),
    }
    if keys.foreign:
        schema["foreignKeys"] = [
            {"fields": list(fk.columns), "reference": {"resource": fk.table, "fields": list(fk.references)}}
            for fk in keys.foreign
        ]
    name = table.filename.removesuffix(".csv")
    return {
        "name": name,
        "path": table.filename,
        "profile": "tabular-data-resource",
        "title": name.replace("_", " ").capitalize(),
        "description": f"Each row is {table.row}.",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": DIALECT,
        "schema": schema,
    }


def licences(site: Site, metas: Iterable[dict] | None = None) -> list[dict]:
    """Return the site's content licence, then every other licence an incident carries, by code."""
    labels = site.config.vocab.get("licences", {})
    content = site.config.licence["content"]
    codes = {label.split(" (")[0]: code for code, label in labels.items()}
    main = {"name": codes[content["name"]]} if content["name"] in codes else {}
    found = [{**main, "path": content["url"], "title": content["name"]}]
    used = sorted({meta["licence"] for meta in licence_metas(site, metas) if meta.get("licence")} - set(main.values()))
    others = [{"name": code, "path": licence_url_of(code), "title": labels.get(code, code)} for code in used]
    return found + [{key: value for key, value in entry.items() if value} for entry in others]


def sources(site: Site, metas: Iterable[dict] | None = None) -> list[dict]:
    """Return the record itself, then every dataset an incident was imported from."""
    labels = site.config.vocab.get("import_sources", {})
    found = [{"title": f"{site.config.title}: curated Markdown files", "path": site.config.repository}]
    used = sorted({(meta.get("imported") or {}).get("source") for meta in licence_metas(site, metas)} - {None})
    return found + [{"title": labels.get(code, code)} for code in used]


def datapackage(site: Site, metas: Iterable[dict] | None = None) -> dict:
    """Return data/datapackage.json describing every CSV download (metas: each incident's licence_meta)."""
    return {
        "profile": "tabular-data-package",
        "name": "kc-police-record",
        "title": site.config.title,
        "description": (
            f"{site.config.description} Each row's licence column names the licence that applies to it; "
            "the sources cited are listed in sources.csv and belong to their publishers. A text cell starting with "
            "=, +, - or @ has a ' in front, so that spreadsheets show it as text instead of running it as a formula."
        ),
        "homepage": site.config.base_url + "data/",
        "licenses": licences(site, metas),
        "sources": sources(site, metas),
        "resources": [resource(table) for table in TABLES],
    }


def datapackage_json(site: Site, metas: Iterable[dict] | None = None) -> bytes:
    """Return datapackage as the file's bytes."""
    return (json.dumps(datapackage(site, metas), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
