"""Incidents on the maps: where each is drawn, how exactly, and the counts the text alternative gives.

An incident is drawn when its record has coordinates. It is drawn as an approximate area (a
translucent circle about 5 km across) when its location is known to the city only (or not
known), or when the source gives no precision for its coordinates; otherwise as a small
point. Incidents drawn at the same spot share one mark. Incidents with no coordinates are
counted and named in the text, never placed at a guessed spot.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from kcrecord.content.area import Point
from kcrecord.content.assemble import Incident
from kcrecord.outputs.maps import APPROXIMATE_PRECISIONS, APPROXIMATE_RADIUS_KM, POINT_RADIUS, Geography, Outline

NOT_RECORDED = "County not recorded"
MIN_AREA_RADIUS = 5.0  # viewBox units
MAX_MARKS = 300  # past this many spots, approximate areas close together share a mark (see _merge_areas)
MAX_TITLED = 120  # past this many marks, marks carry no tooltip, so a large map stays small


def coordinates(incident: Incident) -> Point | None:
    """Return the incident's (longitude, latitude), or None when the record has none."""
    location = incident.meta["location"]
    lat, lon = location.get("latitude"), location.get("longitude")
    if lat is None or lon is None:
        return None
    return float(lon), float(lat)


def is_approximate(location: dict) -> bool:
    """Return True when the location is drawn only as an area (city or unknown precision, or unvouched coordinates)."""
    return (
        location.get("precision") in APPROXIMATE_PRECISIONS or location.get("coordinates_precision") == "not-available"
    )


@dataclass(frozen=True)
class Mark:
    """One drawn mark: a point, or a circle for an approximate location; count incidents share it."""

    x: float
    y: float
    r: float
    approximate: bool
    count: int
    title: str


@dataclass(frozen=True)
class CountyRow:
    """One line of the 'Incidents by county' table."""

    county: str
    shown: int
    not_shown: int


@dataclass(frozen=True)
class IncidentMap:
    """A map of some incidents over one frame's outline, with its text alternative."""

    id: str
    outline: Outline
    marks: tuple[Mark, ...]
    total: int
    approximate: int
    exact: int
    no_coordinates: int
    outside: int
    counties: tuple[CountyRow, ...]
    title: str
    description: str
    highlight: str = ""  # path data of a county shaded on a locator whose incident has no coordinates
    county_from_coordinates: int = 0  # incidents counted by the county their coordinates fall in

    @property
    def titled(self) -> bool:
        """Return True when each mark carries a tooltip (a map with few marks; a locator has none)."""
        return self.id != "map-locator" and len(self.marks) <= MAX_TITLED

    @property
    def shown(self) -> int:
        """Return how many incidents are drawn."""
        return self.approximate + self.exact


def county_of(incident: Incident, geography: Geography) -> tuple[str, bool]:
    """Return the incident's county as 'Jackson, MO' and whether it was worked out from the coordinates.

    The record's own county comes first; a record that names none is counted in the county its
    coordinates fall in (said so on the page), and otherwise as 'County not recorded'.
    """
    location = incident.meta["location"]
    name = location.get("county")
    if name:
        county = geography.area.county(name, location["state"])
        return (county.label if county else f"{name}, {location['state']}"), False
    point = coordinates(incident)
    found = geography.area.county_at(*point) if point else None
    return (found.label, True) if found else (NOT_RECORDED, False)


class Spot(NamedTuple):
    """What the maps need of one incident: worked out once per incident and kept (a piece of each map)."""

    point: Point | None  # (longitude, latitude), or None when the record has no coordinates
    approximate: bool  # drawn as an area (see is_approximate)
    county: str  # as county_of gives it
    inferred: bool  # the county was worked out from the coordinates
    named: bool  # the record names a county
    title: str  # the mark's tooltip when the incident has a mark of its own


def spot_of(incident: Incident, geography: Geography, titled: bool = True) -> Spot:
    """Return where the maps draw the incident and how, and the county the text counts it in.

    titled: with the mark's tooltip; without (""), for a map that asks for the titles it shows
    (place_marks' title_of), so an edit to a title leaves the maps whose mark holds others too.
    """
    location = incident.meta["location"]
    county, inferred = county_of(incident, geography)
    named = bool(location.get("county"))
    title = mark_title(incident) if titled else ""
    return Spot(coordinates(incident), is_approximate(location), county, inferred, named, title)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def mark_title(incident: Incident) -> str:
    """Return the tooltip of an incident's own mark."""
    return f"{incident.meta['date'].isoformat()}: {incident.meta['title']}"


def place_marks(
    spots: Iterable[Spot], outline: Outline, title_of: Callable[[Spot], str] | None = None
) -> tuple[list[Mark], list[Spot], list[Spot]]:
    """Return the marks of the incidents inside the frame, those with no coordinates, and those outside the frame.

    title_of(spot): the tooltip of a mark of one incident alone (else its spot's title).
    """
    frame = outline.frame
    # Never smaller than a few units, so the circle stays visible (and still reads as an area) on a small locator.
    radius = max(round(APPROXIMATE_RADIUS_KM * frame.units_per_km, 1), MIN_AREA_RADIUS)
    at: dict[tuple[float, float, bool], list[Spot]] = {}
    missing, outside = [], []
    for spot in spots:
        point = spot.point
        if point is None:
            missing.append(spot)
            continue
        if not frame.contains(*point):
            outside.append(spot)
            continue
        x, y = frame.project(*point)
        at.setdefault((round(x, 1), round(y, 1), spot.approximate), []).append(spot)
    if len(at) > MAX_MARKS:
        placed = _merge_areas(at, radius)
    else:
        placed = [(x, y, radius, approximate, group) for (x, y, approximate), group in at.items()]
    marks = [
        Mark(
            round(x, 1),
            round(y, 1),
            r if approximate else POINT_RADIUS,
            approximate,
            len(group),
            _group_title(group, outline, title_of),
        )
        for x, y, r, approximate, group in placed
    ]
    # Areas first, so points stay visible on top; then north to south, west to east: the same bytes every build.
    marks.sort(key=lambda mark: (not mark.approximate, mark.y, mark.x))
    return marks, missing, outside


def _group_title(group: list[Spot], outline: Outline, title_of: Callable[[Spot], str] | None) -> str:
    if len(group) == 1:
        return group[0].title if title_of is None else title_of(group[0])
    places = {tuple(round(v, 1) for v in outline.frame.project(*spot.point)) for spot in group}  # type: ignore[misc]
    return f"{len(group)} incidents {'at this spot' if len(places) == 1 else 'within a few km'}"


def _merge_areas(
    spots: dict[tuple[float, float, bool], list[Spot]], radius: float
) -> list[tuple[float, float, float, bool, list[Spot]]]:
    """Merge approximate areas in square cells, doubling the cell until at most MAX_MARKS areas are left.

    So a map of many incidents stays small. A merged circle is centred on its incidents' mean
    position and is as large as it needs to be to hold every one of their own circles, so it
    never claims more precision than they have. Points are never merged into areas.
    """
    areas = [(x, y, group) for (x, y, approximate), group in spots.items() if approximate]
    points = [(x, y, radius, False, group) for (x, y, approximate), group in spots.items() if not approximate]
    cell = 2 * radius  # a circle's width: neighbours that overlap anyway share one
    while True:
        cells: dict[tuple[int, int], list[tuple[float, float, list[Spot]]]] = {}
        for x, y, group in areas:
            cells.setdefault((math.floor(x / cell), math.floor(y / cell)), []).append((x, y, group))
        if len(cells) <= MAX_MARKS or len(cells) == 1:
            break
        cell *= 2
    merged = []
    for members in cells.values():
        count = sum(len(group) for _, _, group in members)
        cx = sum(x * len(group) for x, _, group in members) / count
        cy = sum(y * len(group) for _, y, group in members) / count
        reach = max(math.hypot(x - cx, y - cy) for x, y, _ in members)
        merged.append((cx, cy, math.ceil((reach + radius) * 10) / 10, True, [i for _, _, g in members for i in g]))
    return merged + points


def incident_map(
    spots: list[Spot], outline: Outline, map_id: str, subject: str, title_of: Callable[[Spot], str] | None = None
) -> IncidentMap:
    """Return the map of the incidents' spots in outline's frame; subject completes '... incidents {subject}'."""
    marks, missing, outside = place_marks(spots, outline, title_of)
    approximate = sum(mark.count for mark in marks if mark.approximate)
    exact = sum(mark.count for mark in marks if not mark.approximate)
    not_shown = {id(spot) for spot in missing + outside}
    shown_by: Counter[str] = Counter()
    hidden_by: Counter[str] = Counter()
    from_coordinates = 0
    for spot in spots:
        (hidden_by if id(spot) in not_shown else shown_by)[spot.county] += 1
        from_coordinates += spot.inferred
    names = sorted(set(shown_by) | set(hidden_by), key=lambda name: (name == NOT_RECORDED, name))
    rows = tuple(CountyRow(name, shown_by[name], hidden_by[name]) for name in names)
    whole = outline.frame.name == "area"
    title = f"Map of the incidents {subject}" + (" in the Kansas City area" if whole else ", central Kansas City area")
    parts = [
        f"{'The 14 counties of the Kansas City area' if whole else 'The central counties of the Kansas City area'} "
        "and the Missouri-Kansas state line, with "
        f"{_plural(approximate + exact, 'incident', 'incidents')} of {len(spots)} drawn: "
        f"{approximate} as approximate circles about {APPROXIMATE_RADIUS_KM * 2:g} km across "
        f"(location known to the city only) and {exact} as points."
    ]
    if missing:
        parts.append(
            f"{_plural(len(missing), 'incident has', 'incidents have')} no coordinates in the record "
            f"and {'is' if len(missing) == 1 else 'are'} not drawn."
        )
    if outside:
        parts.append(f"{_plural(len(outside), 'incident lies', 'incidents lie')} outside the map.")
    return IncidentMap(
        map_id,
        outline,
        tuple(marks),
        len(spots),
        approximate,
        exact,
        len(missing),
        len(outside),
        rows,
        title,
        " ".join(parts),
        county_from_coordinates=from_coordinates,
    )


def locator_map(incident: Incident, geography: Geography, outline: Outline) -> IncidentMap:
    """Return the small locator of one incident; with no coordinates, its county is shaded instead."""
    spot = spot_of(incident, geography)
    marks, missing, outside = place_marks([spot], outline)
    county = spot.county
    highlight = ""
    if marks and marks[0].approximate:
        how = (
            f"The incident is drawn as an approximate circle about {APPROXIMATE_RADIUS_KM * 2:g} km across, "
            "because the record gives its location to the city only."
        )
    elif marks:
        how = "The incident is drawn as a point."
    elif outside:
        how = "The incident's coordinates lie outside the area, so no mark is drawn."
    else:
        how = "The record has no coordinates for the incident, so no mark is drawn."
        highlight = dict(outline.counties).get(county, "") if spot.named else ""
        if highlight:
            how += f" {county.split(',')[0]} County, where the record places it, is shaded."
    title = "Where it happened, in the Kansas City area"
    description = f"A small map of the 14-county Kansas City area and the Missouri-Kansas state line. {how}"
    rows = (CountyRow(county, len(marks), len(missing) + len(outside)),)
    approximate = sum(1 for mark in marks if mark.approximate)
    return IncidentMap(
        "map-locator",
        outline,
        tuple(marks),
        1,
        approximate,
        len(marks) - approximate,
        len(missing),
        len(outside),
        rows,
        title,
        description,
        highlight,
    )
