"""Decide whether a Fatal Force row is in the Kansas City area, and say why.

The rules, in order: the `county` column where it is filled (county and state among the area's
14); where it is blank, the row's coordinates (inside one of the area's counties); where there
are no coordinates either, the city name (on the committed list of the area's places). A row
near the area's edge, or whose county column and coordinates disagree, is marked for a human
to confirm; the rule still decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from kcrecord.content.area import Area, County, Place, place_key
from kcrecord.importers.wapo_read import parse_coordinate

MARGIN_KM = 2.0  # rows whose coordinates are this close to the area's edge are listed to confirm
_NEAR_DEGREES = 0.1  # only rows within this of the area's bounding box are measured


@dataclass(frozen=True)
class Decision:
    """Whether a row is in the area, by which rule, in which county, and whether to confirm it."""

    included: bool
    rule: str  # what decided: "county column", "coordinates", "city name", "nothing" or "everywhere"
    reason: str  # e.g. "county column: Jackson, MO"
    counties: tuple[str, ...] = ()  # the area's counties it may be in ('Jackson, MO'); one when known
    confirm: str | None = None  # why a human should check this row

    def __str__(self) -> str:
        return f"{'in' if self.included else 'out'} ({self.reason})"


class AreaSelector:
    """Apply the area's rules to rows of the dataset."""

    def __init__(self, area: Area, places: dict[tuple[str, str], Place], margin_km: float = MARGIN_KM) -> None:
        self.area = area
        self.places = places
        self.margin_km = margin_km
        boxes = [county.bbox for county in area.counties]
        self._box = (
            min(b[0] for b in boxes) - _NEAR_DEGREES,
            min(b[1] for b in boxes) - _NEAR_DEGREES,
            max(b[2] for b in boxes) + _NEAR_DEGREES,
            max(b[3] for b in boxes) + _NEAR_DEGREES,
        )

    def decide(self, cells: dict[str, str]) -> Decision:
        """Return the decision for one row's cells (state, county, city, latitude, longitude)."""
        state = cells.get("state", "").upper()
        county_cell = cells.get("county", "")
        lat = parse_coordinate(cells.get("latitude", ""), 90)
        lon = parse_coordinate(cells.get("longitude", ""), 180)
        point = (float(lon), float(lat)) if lat is not None and lon is not None else None
        at = self.area.county_at(*point) if point else None
        distance = self._distance(point)
        if county_cell:
            return self._by_county(county_cell, state, point, at, distance)
        if point is not None:
            return self._by_coordinates(state, at, distance)
        return self._by_city(cells.get("city", ""), state)

    def _distance(self, point: tuple[float, float] | None) -> float | None:
        if point is None:
            return None
        west, south, east, north = self._box
        if not (west <= point[0] <= east and south <= point[1] <= north):
            return None  # far from the area: not worth measuring
        return self.area.distance_to_edge_km(*point)

    def _where(self, at: County | None, distance: float | None) -> str:
        if at is not None:
            return f"the coordinates are inside {at.label}"
        if distance is not None:
            return f"the coordinates are outside the area, {distance:.1f} km from its edge"
        return "the coordinates are outside the area"

    def _by_county(
        self, county_cell: str, state: str, point: tuple[float, float] | None, at: County | None, distance: float | None
    ) -> Decision:
        county = self.area.county(county_cell, state) if state else None
        if county is not None:
            confirm = None
            if point is not None and at is not county:
                confirm = f"county column says {county.label} but {self._where(at, distance)}"
            return Decision(True, "county column", f"county column: {county.label}", (county.label,), confirm)
        confirm = None
        if at is not None:
            confirm = f"county column says {county_cell}, {state} but {self._where(at, distance)}"
        return Decision(
            False,
            "county column",
            f"county column: {county_cell}, {state or '(no state)'} is outside the area",
            (),
            confirm,
        )

    def _by_coordinates(self, state: str, at: County | None, distance: float | None) -> Decision:
        confirm = None
        if distance is not None and distance <= self.margin_km:
            confirm = f"coordinates {distance:.1f} km from the area's edge"
        if at is not None:
            if state != at.state:
                confirm = f"state column says {state or '(blank)'} but {self._where(at, distance)}"
            return Decision(True, "coordinates", f"coordinates inside {at.label}", (at.label,), confirm)
        return Decision(False, "coordinates", self._where(at, distance).removeprefix("the "), (), confirm)

    def _by_city(self, city: str, state: str) -> Decision:
        if not city:
            return Decision(False, "nothing", "no county, coordinates or city")
        place = self.places.get((place_key(city), state))
        if place is None:
            return Decision(
                False,
                "city name",
                f"no coordinates; {city}, {state or '(no state)'} is not on the area's list of places",
            )
        inside = [county for name in place.counties if (county := self.area.county(name, state))]
        if not inside:
            return Decision(
                False, "city name", f"no coordinates; {place.name}, {state} lies outside the area's counties"
            )
        labels = tuple(county.label for county in inside)
        confirm = None
        outside = [name for name in place.counties if self.area.county(name, state) is None]
        if outside:
            confirm = (
                f"no coordinates, and {place.name} lies partly outside the area (in {', '.join(outside)} County too)"
            )
        where = labels[0] if len(labels) == 1 else "one of " + "; ".join(labels)
        return Decision(
            True, "city name", f"no coordinates; city name: {place.name}, {state}, in {where}", labels, confirm
        )
