"""The Washington Post's Fatal Force data: its columns and how its values map to our vocabularies."""

from __future__ import annotations

SOURCE_ID = "wapo-fatal-force"
REPOSITORY = "https://github.com/washingtonpost/data-police-shootings"
LICENCE = "CC-BY-NC-SA-4.0"

COLUMNS = (
    "id",
    "date",
    "threat_type",
    "flee_status",
    "armed_with",
    "city",
    "county",
    "state",
    "latitude",
    "longitude",
    "location_precision",
    "name",
    "age",
    "gender",
    "race",
    "race_source",
    "was_mental_illness_related",
    "body_camera",
    "agency_ids",
)
AGENCY_COLUMNS = ("id", "name", "type", "state", "oricodes")

# WaPo value -> our vocabulary value (site.yaml). A value missing here stops the row, with a
# report, rather than being guessed at: the vocabularies are closed.
THREAT_TYPES = {v: v for v in ("shoot", "point", "attack", "threat", "move", "flee", "accident", "undetermined")}
FLEE_STATUSES = {"not": "not-fleeing", "foot": "foot", "car": "car", "other": "other"}
WEAPONS = {
    "gun": "gun",
    "knife": "knife",
    "blunt_object": "blunt-object",
    "vehicle": "vehicle",
    "replica": "replica",
    "other": "other",
    "unarmed": "unarmed",
    "undetermined": "undetermined",
    "unknown": "unknown",
}
RACES = {"W": "white", "B": "black", "A": "asian", "N": "native-american", "H": "hispanic", "O": "other"}
RACE_SOURCES = {
    "public_record": "public record",
    "clip": "video clip",
    "photo": "photo",
    "other": "other",
    "not_available": "not available",
    "undetermined": "undetermined",
}
PRECISIONS = {
    "address": "address",
    "block": "block",
    "intersection": "intersection",
    "poi_small": "poi-small",
    "poi_large": "poi-large",
    "road": "road",
    "highway": "highway",
    "not_available": "not-available",
}
PRECISION_WORDS = {
    "address": "a street address",
    "block": "a block",
    "intersection": "an intersection",
    "poi-small": "a small point of interest",
    "poi-large": "a large point of interest",
    "road": "a road",
    "highway": "a highway",
    "not-available": "not available",
}
# Coordinates that may point at a home are rounded to 3 decimal places (about 100 m, block
# level), the most the record publishes; public places keep the dataset's digits.
ROUNDED_PRECISIONS = {"address", "block", "poi-small", "not-available", None}
GENDERS = {"male": "male", "female": "female", "non-binary": "non-binary"}
BOOLS = {"True": True, "False": False, "true": True, "false": False}
AGENCY_KINDS = {
    "local_police": "police-department",
    "sheriff": "sheriff",
    "state_police": "state-police",
    "federal": "federal",
    "local_other": "other",
    "state_other": "other",
    "other": "other",
    "": "other",
}
_STATE_CODES = "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY"
STATES = frozenset(_STATE_CODES.split() + ["NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX"])
STATES |= {"UT", "VT", "VA", "WA", "WV", "WI", "WY"}
AGENCY_STATES = STATES | {"US"}  # national agencies (e.g. the National Park Service)
