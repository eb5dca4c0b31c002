"""The Kansas City area as data: its 14 counties, their boundaries, and the places in them.

`load_area()` reads the committed extract of the Census Bureau's county boundaries
(imports/area/kansas-city-msa-counties.geojson); `Area` answers which county a point is in
(point in polygon, even-odd rule) and how far a point is from the area's outer edge.
`load_places()` reads the committed list of the area's cities and towns, for rows that have a
city name but no coordinates. Nothing here needs the network.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

AREA_DIR = Path(__file__).resolve().parents[2] / "imports" / "area"
COUNTIES_FILE = AREA_DIR / "kansas-city-msa-counties.geojson"
PLACES_FILE = AREA_DIR / "places.csv"
AREA_NAME = "Kansas City, MO-KS metropolitan statistical area"

Point = tuple[float, float]  # (longitude, latitude), as GeoJSON orders them
Ring = tuple[Point, ...]
Polygon = tuple[Ring, ...]  # the outer ring, then any holes

KM_PER_DEGREE_LAT = 111.0
EDGE_PROBE = 0.0005  # degrees (about 50 m) either side of a border segment


class AreaError(Exception):
    """The area file cannot be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class County:
    """One county of the area with its boundary."""

    name: str
    state: str  # two-letter code
    fips: str  # five digits: state and county
    polygons: tuple[Polygon, ...]

    @property
    def label(self) -> str:
        """Return the county as readers see it: 'Jackson, MO'."""
        return f"{self.name}, {self.state}"

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """Return (west, south, east, north)."""
        xs = [x for polygon in self.polygons for ring in polygon for x, _ in ring]
        ys = [y for polygon in self.polygons for ring in polygon for _, y in ring]
        return min(xs), min(ys), max(xs), max(ys)

    def contains(self, lon: float, lat: float) -> bool:
        """Return True when the point is inside the county (a hole in a polygon is outside)."""
        return any(_in_polygon(lon, lat, polygon) for polygon in self.polygons)


def _in_ring(x: float, y: float, ring: Ring) -> bool:
    result = False
    previous = ring[-1]
    for current in ring:
        (x0, y0), (x1, y1) = previous, current
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
        previous = current
    return result


def _in_polygon(x: float, y: float, polygon: Polygon) -> bool:
    return sum(_in_ring(x, y, ring) for ring in polygon) % 2 == 1


def _ring(value: object, where: str) -> Ring:
    if not isinstance(value, list) or len(value) < 4:
        raise AreaError(f"{where}: expected a ring of at least 4 [longitude, latitude] points")
    points = []
    for point in value:
        if (
            not isinstance(point, list)
            or len(point) != 2
            or not all(isinstance(c, (int, float)) and math.isfinite(c) for c in point)
        ):
            raise AreaError(f"{where}: expected [longitude, latitude] numbers, got {point!r}")
        points.append((float(point[0]), float(point[1])))
    if points[0] == points[-1]:
        points.pop()
    return tuple(points)


def load_area(path: Path = COUNTIES_FILE) -> list[County]:
    """Read the area's counties (name, state, FIPS code, polygons) from a GeoJSON file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise AreaError(f"{path}: cannot be read ({err.strerror})") from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AreaError(f"{path}: not a GeoJSON file ({err})") from err
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features:
        raise AreaError(f"{path}: expected a FeatureCollection of counties")
    counties = []
    for index, feature in enumerate(features):
        where = f"{path}: feature {index}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(props, dict) or not all(isinstance(props.get(k), str) for k in ("name", "state", "fips")):
            raise AreaError(f"{where}: expected properties name, state and fips as text")
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise AreaError(f"{where}: expected a Polygon or MultiPolygon geometry")
        coordinates = geometry.get("coordinates")
        if geometry["type"] == "Polygon":
            coordinates = [coordinates]
        if not isinstance(coordinates, list) or not all(isinstance(p, list) and p for p in coordinates):
            raise AreaError(f"{where}: expected polygons as lists of rings")
        polygons = tuple(tuple(_ring(ring, where) for ring in polygon) for polygon in coordinates)
        counties.append(County(props["name"], props["state"], props["fips"], polygons))
    return counties


@dataclass
class Area:
    """The area's counties, with the questions the importer and the maps ask of them."""

    counties: list[County]
    _outline: list[tuple[Point, Point]] = field(default_factory=list, repr=False)
    _boxes: list[tuple[float, float, float, float]] = field(default_factory=list, repr=False)
    _names: dict[tuple[str, str], County] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._boxes = [county.bbox for county in self.counties]
        # Rounding can leave a few short borders between two counties that do not coincide
        # exactly; a segment with the area on both sides is not part of the outer edge.
        self._outline = [segment for segment in outline(self.counties) if self._is_edge(segment)]

    def _is_edge(self, segment: tuple[Point, Point]) -> bool:
        (x0, y0), (x1, y1) = segment
        length = math.hypot(x1 - x0, y1 - y0)
        if length == 0:
            return False
        nx, ny = -(y1 - y0) / length * EDGE_PROBE, (x1 - x0) / length * EDGE_PROBE
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        return (self.county_at(mx + nx, my + ny) is None) != (self.county_at(mx - nx, my - ny) is None)

    def county(self, name: str, state: str) -> County | None:
        """Return the area's county of that name in that state ('Jackson County' works too)."""
        if not self._names:  # the first county of each name and state, as a loop over them would find
            for county in reversed(self.counties):
                self._names[(county.state, _county_key(county.name))] = county
        return self._names.get((state.upper(), _county_key(name)))

    def county_at(self, lon: float, lat: float) -> County | None:
        """Return the county the point is in, or None when it is outside the area."""
        for county, (west, south, east, north) in zip(self.counties, self._boxes, strict=True):
            if west <= lon <= east and south <= lat <= north and county.contains(lon, lat):
                return county
        return None

    def distance_to_edge_km(self, lon: float, lat: float) -> float:
        """Return the distance in km from the point to the area's outer edge (inside or outside)."""
        scale = math.cos(math.radians(lat)) * KM_PER_DEGREE_LAT
        best = math.inf
        for (x0, y0), (x1, y1) in self._outline:
            best = min(
                best,
                _segment_distance(
                    (lon - x0) * scale, (lat - y0) * KM_PER_DEGREE_LAT, (x1 - x0) * scale, (y1 - y0) * KM_PER_DEGREE_LAT
                ),
            )
        return best

    @property
    def outline(self) -> list[tuple[Point, Point]]:
        """Return the segments of the area's outer edge (county borders inside the area left out)."""
        return list(self._outline)


def _segment_distance(px: float, py: float, dx: float, dy: float) -> float:
    """Return the distance from (px, py) to the segment from (0, 0) to (dx, dy)."""
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, (px * dx + py * dy) / length))
    return math.hypot(px - t * dx, py - t * dy)


def outline(counties: list[County]) -> list[tuple[Point, Point]]:
    """Return the boundary segments that belong to one county only: the area's outer edge."""
    seen: dict[tuple[Point, Point], int] = {}
    for county in counties:
        for polygon in county.polygons:
            for ring in polygon:
                for index, start in enumerate(ring):
                    end = ring[(index + 1) % len(ring)]
                    key = (start, end) if start <= end else (end, start)
                    seen[key] = seen.get(key, 0) + 1
    return [segment for segment, count in seen.items() if count == 1]


def _county_key(name: str) -> str:
    words = name.casefold().replace(".", "").split()
    if words and words[-1] == "county":
        words = words[:-1]
    return " ".join(words)


@dataclass(frozen=True)
class Place:
    """A city or town, with the counties it lies in (some lie in more than one)."""

    name: str
    state: str
    counties: tuple[str, ...]  # county names in that state; some may be outside the area


def place_key(name: str) -> str:
    """Return a city name folded for comparison: case, apostrophes, 'St.'/'Saint' and spacing."""
    text = name.casefold().replace("’", "'").replace("'", "").replace(".", "")
    words = ["saint" if word == "st" else word for word in text.split()]
    return " ".join(words)


def load_places(path: Path = PLACES_FILE) -> dict[tuple[str, str], Place]:
    """Read the list of the area's places: (folded name, state) -> Place."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AreaError(f"{path}: cannot be read ({err})") from err
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames != ["place", "state", "counties"]:
        raise AreaError(f"{path}:1: expected the columns place,state,counties")
    places = {}
    for raw in reader:
        line = reader.line_num
        if not raw["place"] or raw["state"] not in ("MO", "KS") or not raw["counties"]:
            raise AreaError(f"{path}:{line}: expected a place, MO or KS, and its counties separated by ';'")
        counties = tuple(part.strip() for part in raw["counties"].split(";") if part.strip())
        places[(place_key(raw["place"]), raw["state"])] = Place(raw["place"], raw["state"], counties)
    return places
