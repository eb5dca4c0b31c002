"""The record packaged for data tools: a SQLite database for Datasette, and a Frictionless data package."""

from __future__ import annotations

from collections.abc import Iterable

from kcrecord.content.assemble import Site
from kcrecord.outputs.database import metadata_json
from kcrecord.outputs.database_build import database_bytes
from kcrecord.outputs.datapackage import datapackage_json
from kcrecord.outputs.fragments import Fragments, Pieces

# The files below data/ that package the downloads, with their media types: the database first.
PACKAGED = (
    ("incidents.db", "application/vnd.sqlite3"),
    ("metadata.json", "application/json"),
    ("datapackage.json", "application/json"),
)


DATABASE_FILE = "data/incidents.db"


def package_files(site: Site, fragments: Fragments, pieces: Pieces | None = None) -> dict[str, bytes]:
    """Return data/incidents.db, its Datasette metadata.json and datapackage.json, mapped to their bytes.

    pieces: each incident's database rows made together (incident_data.incident_rows), when made so.
    """
    return {DATABASE_FILE: database_bytes(site, fragments, pieces), **about_files(site)}


def about_files(site: Site, metas: Iterable[dict] | None = None) -> dict[str, bytes]:
    """Return data/metadata.json and data/datapackage.json, which describe the files (not their rows).

    metas: each incident's licence_meta (kcrecord/outputs/discovery.py; all of its front matter when None).
    """
    return {"data/metadata.json": metadata_json(site, metas), "data/datapackage.json": datapackage_json(site, metas)}
