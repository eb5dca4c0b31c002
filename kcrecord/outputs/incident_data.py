"""Each incident's download pieces made together: its lines in each CSV, its JSON record, its GeoJSON
feature and its rows in each database table, kept as one piece (kcrecord/outputs/fragments.py).

The downloads were joined from 12 pieces per incident, one per file or table; at 10,000 incidents
looking up and checking 120,000 kept pieces took longer than joining them. As one piece each,
an incident's download data is looked up, checked and saved once, and made again in one go when
the incident (or anything else it read) changes. The bytes are those of the pieces made one by
one (tests/test_fragments.py compares them). Each piece also draws a random token when it is made,
which names its database rows (database.Block): the database's patch finds the incidents made
again by their tokens, without comparing rows. A piece made again with the same contents keeps
its value, token included (early cutoff in kcrecord/outputs/fragments.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import Any

from kcrecord.content.assemble import Incident, Site
from kcrecord.outputs.csv_tables import TABLES
from kcrecord.outputs.database import incident_values
from kcrecord.outputs.downloads import csv_piece, feature_json, incident_json
from kcrecord.outputs.fragments import TOKEN, Fragments, Pieces
from kcrecord.outputs.tables import db_tables


def piece_makers(site: Site) -> dict[str, Callable[[Incident], Any]]:
    """Return the maker of each download piece of an incident, by the name the downloads look it up by."""
    makers: dict[str, Callable[[Incident], Any]] = {
        f"csv:{table.filename}": csv_piece(table, site) for table in TABLES if table.incident_rows is not None
    }
    makers["json"] = partial(incident_json, site)
    makers["geojson"] = partial(feature_json, site)
    makers.update(
        (f"db:{table.name}", partial(incident_values, table, site)) for table in db_tables() if table.incident_rows
    )
    return makers


def incident_data(site: Site, fragments: Fragments) -> Pieces:
    """Return each published incident's download pieces, by name, in the record's order."""
    return fragments.each("data", site.incidents, data_maker(site))


def data_maker(site: Site) -> Callable[[Incident], dict[str, Any]]:
    """Return the maker of an incident's download pieces made together (the piece called data)."""
    return partial(_data_piece, piece_makers(site))


def register_data_pieces(site: Site, fragments: Fragments) -> None:
    """Register the makers of the downloads' pieces, as the downloads use them (kcrecord/outputs/fragments.py)."""
    fragments.register("data", data_maker(site), site.incidents)
    for name, make in piece_makers(site).items():
        fragments.register(name, make)


def _data_piece(makers: dict[str, Callable[[Incident], Any]], incident: Incident) -> dict[str, Any]:
    made = {name: maker(incident) for name, maker in makers.items()}
    made[TOKEN] = os.urandom(12).hex()  # names these rows for the database's patch (database.Block)
    return made
