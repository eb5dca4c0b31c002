"""The content model of an incident: every field of incident front matter, and of each person involved.

The parts agencies share (sources, import details, licence) are in schema.py.
"""

from __future__ import annotations

from kcrecord.content.field_model import Field, sources_list, text
from kcrecord.content.schema import IMPORTED, LICENCE, SOURCE

PERSON = Field(
    "",
    "map",
    "A person involved.",
    fields=(
        Field("role", "vocab", "Who the person was in the incident.", required=True, vocab="person_roles"),
        text("name", "Name, once officially released or published. Never for a minor."),
        text("description", "How sources describe the person, without naming a minor."),
        Field("age", "int", "Age in years, when published.", minimum=0, maximum=120),
        Field("minor", "bool", "true when the person is under 18. A minor is never named."),
        Field("gender", "vocab", "Gender as reported.", vocab="genders"),
        Field(
            "race",
            "list",
            "Race or ethnicity as reported (a list: sources may give several).",
            item=Field("", "vocab", "", vocab="races"),
        ),
        text("race_source", "How the race was determined (e.g. public record, photo)."),
        Field("outcome", "vocab", "What happened to the person.", required=True, vocab="outcomes"),
        Field(
            "shot_by",
            "vocab",
            "Who shot the person, if they were shot; for a person shot at and missed (outcome uninjured), who fired.",
            vocab="shot_by",
        ),
        Field(
            "armed",
            "list",
            "What the person was armed with, as alleged by police.",
            item=Field("", "vocab", "", vocab="weapons"),
        ),
        Field(
            "mental_illness_related",
            "bool",
            "true when sources report signs of mental illness played a part.",
        ),
        Field("on_leave", "bool", "For officers: placed on administrative leave."),
        Field(
            "threat_type",
            "vocab",
            "The threat the person posed, as recorded by the Washington Post dataset "
            "(e.g. pointed a gun); imported records only unless a source says the same.",
            vocab="threat_types",
        ),
        Field("flee_status", "vocab", "Whether and how the person was fleeing, as recorded.", vocab="flee_statuses"),
        Field("sources", "list", "Ids of the sources for this person.", item=Field("", "source", "")),
    ),
)

INCIDENT_FIELDS = Field(
    "",
    "map",
    "Incident front matter.",
    fields=(
        text("title", "A neutral one-line headline in your own words.", required=True),
        text("summary", "One or two sentences for lists, search results and link previews."),
        Field("date", "date", "Date of the incident, YYYY-MM-DD.", required=True),
        text(
            "date_inferred",
            "When the date is worked out rather than stated, say how "
            "(e.g. the article says 'Thursday' and was published on a Friday).",
        ),
        Field(
            "time",
            "time",
            'Local time, 24-hour, in quotes: "13:50". Leave it out when no source gives one; '
            "say in `time_of` what it is the time of.",
        ),
        Field(
            "time_of",
            "vocab",
            "What `time` is the time of: the shooting itself, the call to police, or the first "
            "report. Required when `time` is set; the page shows it as a label before the time "
            "(e.g. 'Officers called: about 1:50 p.m.'), never as the time of the incident unless "
            "it is `shooting`.",
            vocab="time_of",
            required_with="time",
        ),
        Field("time_approximate", "bool", "true when the time is approximate."),
        text(
            "time_note",
            "Anything a reader should know about the time, e.g. that sources give it only for "
            "the event as a whole or that it conflicts with another time in the record.",
        ),
        Field(
            "location",
            "map",
            "Where it happened. No house numbers: block level at most.",
            required=True,
            fields=(
                text("place", "A named place, e.g. an apartment complex."),
                text(
                    "near",
                    "A block, intersection or landmark, e.g. '1100 block of North Elsea Smith Road'.",
                ),
                text("city", "City.", required=True),
                text("county", "County."),
                text(
                    "inferred",
                    "When part of the location is worked out rather than stated (often the county), "
                    "say which part and how, e.g. 'County inferred: the source names only the city'.",
                ),
                Field("state", "vocab", "Two-letter state code.", required=True, vocab="states"),
                Field(
                    "precision",
                    "vocab",
                    "How exact the location is.",
                    required=True,
                    vocab="location_precision",
                ),
                Field(
                    "latitude",
                    "number",
                    "Latitude in decimal degrees; given with `longitude` or not at all.",
                    minimum=-90,
                    maximum=90,
                    required_with="longitude",
                ),
                Field(
                    "longitude",
                    "number",
                    "Longitude in decimal degrees; given with `latitude` or not at all.",
                    minimum=-180,
                    maximum=180,
                    required_with="latitude",
                ),
                text("coordinates_note", "Where the coordinates come from and how exact they are."),
                Field(
                    "coordinates_precision",
                    "vocab",
                    "How exact the coordinates are, as the source dataset gives it.",
                    vocab="coordinates_precision",
                ),
            ),
        ),
        Field(
            "types",
            "list",
            "What kind of incident it was.",
            required=True,
            min_items=1,
            item=Field("", "vocab", "", vocab="incident_types"),
        ),
        Field(
            "agencies",
            "list",
            "Every agency with a role in the incident or its investigation (involved, investigating, "
            "reviewing, assisting). An agency the sources mention for something else, such as one asked "
            "for comment or one that asked another agency to investigate, is named in the text instead.",
            required=True,
            min_items=1,
            item=Field(
                "",
                "map",
                "An agency and its role.",
                fields=(
                    Field("id", "agency", "Id of a file in content/agencies/.", required=True),
                    Field("role", "vocab", "The agency's role.", required=True, vocab="agency_roles"),
                ),
            ),
        ),
        Field("people", "list", "Everyone involved who was shot at, shot, or fired.", item=PERSON),
        Field(
            "officers_fired",
            "int",
            "How many officers fired, when sources agree. If they disagree, leave it out "
            "and record the claims under `disputed`.",
            minimum=0,
            maximum=100,
        ),
        Field(
            "body_camera",
            "bool",
            "true when news reports say an officer wore a body camera that may have recorded part of "
            "the incident; false means no such report was found, not that there was no camera.",
        ),
        Field(
            "investigation",
            "map",
            "Who investigates and where it stands.",
            fields=(
                Field(
                    "status", "vocab", "Where the investigation stands.", required=True, vocab="investigation_status"
                ),
                Field("lead", "agency", "Id of the agency leading the investigation."),
                Field("as_of", "date", "Date the status was last confirmed.", required=True),
                text("note", "Anything else about the investigation."),
            ),
        ),
        Field(
            "unknown",
            "list",
            "What is still not known, one item per line.",
            item=Field("", "text", ""),
        ),
        Field("sources", "list", "Every source cited.", required=True, min_items=1, item=SOURCE),
        Field(
            "timeline",
            "list",
            "The incident's own timeline: the call, the shooting, announcements, releases.",
            item=Field(
                "",
                "map",
                "A timeline entry.",
                fields=(
                    Field("date", "date", "Date of the event.", required=True),
                    Field("time", "time", 'Time of the event, in quotes: "13:50".'),
                    Field("time_approximate", "bool", "true when the time is approximate."),
                    text("date_inferred", "How the date was worked out, when it was."),
                    text("text", "What happened, in your own words.", required=True),
                    sources_list(),
                ),
            ),
        ),
        Field(
            "disputed",
            "list",
            "Points on which sources disagree. Each claim is shown with its sources.",
            item=Field(
                "",
                "map",
                "A disputed point.",
                fields=(
                    text("topic", "What the disagreement is about.", required=True),
                    Field(
                        "claims",
                        "list",
                        "The competing claims (two or more).",
                        required=True,
                        min_items=2,
                        item=Field(
                            "",
                            "map",
                            "A claim.",
                            fields=(
                                text("text", "The claim, in your own words.", required=True),
                                sources_list("Ids of the sources making this claim."),
                            ),
                        ),
                    ),
                    text("note", "Context for the reader, without taking a side."),
                ),
            ),
        ),
        Field(
            "corrections",
            "list",
            "The corrections log: every change to facts already published.",
            item=Field(
                "",
                "map",
                "A correction.",
                fields=(
                    Field("date", "date", "Date of the correction.", required=True),
                    text("text", "What was corrected and why.", required=True),
                ),
            ),
        ),
        Field(
            "updated",
            "date",
            "Date this record last changed. A curator sets it to the day of the edit. On an imported "
            "record the importer sets it to the date of the dataset version in which the record's row "
            "last changed (the version it was first imported from, until a later version changes the "
            "row); a run that changes nothing leaves it alone. The page's history lists the file's own changes.",
            required=True,
        ),
        Field("draft", "bool", "true keeps the incident off the site (it is still validated)."),
        IMPORTED,
        LICENCE,
        Field(
            "wapo_ids",
            "list",
            "On a curated incident: the Washington Post Fatal Force ids of the people it covers. "
            "The importer then links those rows here instead of creating a duplicate.",
            item=Field("", "int", "", minimum=1),
        ),
    ),
)
