"""Each incident's download pieces, made together in two: its lines in each CSV, its JSON record and its
GeoJSON feature (the piece called data), and its rows in each database table (rows), each kept as
one piece (kcrecord/outputs/fragments.py).

The downloads were joined from 12 pieces per incident, one per file or table; at 10,000 incidents
looking up and checking 120,000 kept pieces took longer than joining them. As two pieces each,
an incident's download data is looked up, checked and saved twice, and made again in two goes
when the incident (or anything else they read) changes. They are two because they read different
things: the files are made from the front matter, the database also holds the narrative, so an
edit to an incident's narrative makes its rows again and leaves its data piece current, and the
files made from the data pieces are not made again (kcrecord/outputs/readers.py). The bytes are
those of the pieces made one by one (tests/test_fragments.py compares them). A rows piece's
fingerprint names its database rows (database.Run): the database's patch finds the incidents made
again by their fingerprints, without reading or comparing rows. A piece made again with the same
contents keeps its value and fingerprint (early cutoff in kcrecord/outputs/fragments.py).

A rows piece holds each table's rows pickled (bytes), unpickled a table at a time as the database
is made (database.table_rows). As tuples, the 10,000 pieces' rows took about 45 MB of small
objects, which stayed resident once let go; as bytes about 14 MB (the cache's rows values), handed back
to the system when make site lets them go (kcrecord/engine/allocator.py): a cold make site peaked at
376-378 MB resident instead of 394-397 MB (--no-cache, 10,000 incidents).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kcrecord.content.assemble import Incident, Site
from kcrecord.engine.deps import plain_pickled
from kcrecord.outputs.csv_tables import TABLES
from kcrecord.outputs.database import incident_values
from kcrecord.outputs.downloads import csv_piece, feature_json, incident_json
from kcrecord.outputs.fragments import Fragments, Pieces
from kcrecord.outputs.kept import Kept
from kcrecord.outputs.tables import db_tables


def piece_makers(site: Site) -> dict[str, Callable[[Incident], Any]]:
    """Return the maker of each download file's piece of an incident, by the name the downloads look it up by."""
    makers: dict[str, Callable[[Incident], Any]] = {
        f"csv:{table.filename}": csv_piece(table, site) for table in TABLES if table.incident_rows is not None
    }
    makers["json"] = partial(incident_json, site)
    makers["geojson"] = partial(feature_json, site)
    return makers


def row_makers(site: Site) -> dict[str, Callable[[Incident], Any]]:
    """Return the maker of an incident's rows in each database table, by the name the database looks them up by."""
    return {f"db:{table.name}": partial(incident_values, table, site) for table in db_tables() if table.incident_rows}


def incident_data(site: Site, fragments: Fragments) -> Pieces:
    """Return each published incident's pieces of the download files, by name, in the record's order."""
    return fragments.each("data", site.incidents, data_maker(site))


def incident_rows(site: Site, fragments: Fragments) -> list[Kept]:
    """Return each published incident's rows piece as kept (its rows in each table, by name), in the record's order."""
    return fragments.each_kept("rows", site.incidents, rows_maker(site))


def data_maker(site: Site) -> Callable[[Incident], dict[str, Any]]:
    """Return the maker of an incident's pieces of the download files made together (the piece called data)."""
    return partial(_together, piece_makers(site))


def rows_maker(site: Site) -> Callable[[Incident], dict[str, bytes]]:
    """Return the maker of an incident's database rows made together (the piece called rows), each table's pickled."""
    return partial(_pickled_together, row_makers(site))


def register_data_pieces(site: Site, fragments: Fragments) -> None:
    """Register the makers of the downloads' pieces, as the downloads use them (kcrecord/outputs/fragments.py)."""
    fragments.register("data", data_maker(site), site.incidents)
    fragments.register("rows", rows_maker(site), site.incidents)
    for name, make in {**piece_makers(site), **row_makers(site)}.items():
        fragments.register(name, make)


def _together(makers: dict[str, Callable[[Incident], Any]], incident: Incident) -> dict[str, Any]:
    return {name: maker(incident) for name, maker in makers.items()}


def _pickled_together(makers: dict[str, Callable[[Incident], Any]], incident: Incident) -> dict[str, bytes]:
    return {name: plain_pickled(rows) for name, rows in _together(makers, incident).items()}  # the same in any process
