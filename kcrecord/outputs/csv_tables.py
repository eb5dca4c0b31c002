"""The four CSV downloads: each file's name, what one row is, its columns and its rows.

downloads.py writes them, the data page documents them, and the database and data package reuse them.
"""

from __future__ import annotations

from kcrecord.outputs.agency_columns import AGENCY_COLUMNS, agency_rows
from kcrecord.outputs.columns import Table
from kcrecord.outputs.incident_columns import INCIDENT_COLUMNS, incident_row, incident_rows
from kcrecord.outputs.people_columns import PERSON_COLUMNS, people_of, person_rows
from kcrecord.outputs.source_columns import SOURCE_COLUMNS, source_rows, sources_of

TABLES = (
    Table("incidents.csv", "one incident", INCIDENT_COLUMNS, incident_rows, incident_row),
    Table("people.csv", "one person involved in an incident", PERSON_COLUMNS, person_rows, people_of),
    Table("agencies.csv", "one agency", AGENCY_COLUMNS, agency_rows),
    Table("sources.csv", "one source cited by an incident", SOURCE_COLUMNS, source_rows, sources_of),
)
