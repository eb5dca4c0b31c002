"""Maps drawn at build time, without a tile server: the area's counties, the state line, a few
cities, and each incident that has coordinates, drawn at the precision the record gives.

The outline (counties, state line, city labels) is the same on every page, so it is drawn once
per frame into a small SVG file the browser caches (maps/<frame>.svg); each page inlines only
its own incidents over it. A location known only to the city, or coordinates the source does
not vouch for, is drawn as a translucent circle a few km across, never as a point on a house.

Geometry: an equirectangular projection scaled by the cosine of the frame's middle latitude
(the area spans under 2 degrees, so distortion is small). County borders are cut into arcs
where the set of counties on either side changes, and each arc is simplified once
(Douglas-Peucker), so two neighbouring counties keep one shared border with no slivers.
This module only computes positions and counts; templates/_map.html draws them.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kcrecord.content.area import AREA_DIR, KM_PER_DEGREE_LAT, Area, AreaError, County, Point, load_area

CITIES_FILE = AREA_DIR / "cities.csv"
APPROXIMATE_PRECISIONS = frozenset({"city", "unknown"})
APPROXIMATE_RADIUS_KM = 2.5  # a circle about 5 km across for a location known to the city only
POINT_RADIUS = 3.0  # viewBox units: a small dot for a block, intersection, place or road
XY = tuple[float, float]
LABEL_SIDES = ("left", "right", "below")


@dataclass(frozen=True)
class City:
    """A city labelled on the maps, at the coordinates its source gives."""

    name: str
    state: str
    lon: float
    lat: float
    label_side: str  # 'left', 'right' or 'below' the point, so neighbouring labels do not overlap


def load_cities(path: Path = CITIES_FILE) -> list[City]:
    """Read the cities labelled on the maps (city,state,latitude,longitude,label_side)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AreaError(f"{path}: cannot be read ({err})") from err
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames != ["city", "state", "latitude", "longitude", "label_side"]:
        raise AreaError(f"{path}:1: expected the columns city,state,latitude,longitude,label_side")
    cities = []
    for raw in reader:
        try:
            lat, lon = float(raw["latitude"]), float(raw["longitude"])
        except ValueError:
            lat = lon = math.nan
        if not raw["city"] or not -90 <= lat <= 90 or not -180 <= lon <= 180 or raw["label_side"] not in LABEL_SIDES:
            raise AreaError(
                f"{path}:{reader.line_num}: expected a city, its state, latitude, longitude and left, right or below"
            )
        cities.append(City(raw["city"], raw["state"], lon, lat, raw["label_side"]))
    return cities


@dataclass(frozen=True)
class Frame:
    """A rectangle of the earth drawn into a viewBox width units wide (the height follows)."""

    name: str
    west: float
    south: float
    east: float
    north: float
    width: float
    tolerance: float  # simplification tolerance in viewBox units
    labels: bool = True  # city names (a small locator shows only a marker for Kansas City)

    @property
    def cos_lat(self) -> float:
        """Return the cosine of the middle latitude: how much shorter a degree of longitude is."""
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        """Return viewBox units per degree of latitude."""
        return self.width / ((self.east - self.west) * self.cos_lat)

    @property
    def height(self) -> float:
        """Return the viewBox height, rounded up to a whole unit."""
        return float(math.ceil((self.north - self.south) * self.scale))

    def project(self, lon: float, lat: float) -> XY:
        """Return the viewBox position of a point: x east from the west edge, y south from the north edge."""
        return (lon - self.west) * self.cos_lat * self.scale, (self.north - lat) * self.scale

    def contains(self, lon: float, lat: float) -> bool:
        """Return True when the point is inside the frame."""
        return self.west <= lon <= self.east and self.south <= lat <= self.north

    @property
    def units_per_km(self) -> float:
        """Return viewBox units per km on the ground."""
        return self.scale / KM_PER_DEGREE_LAT


def frame_around(name: str, box: tuple[float, float, float, float], width: float, margin: float, **kw: object) -> Frame:
    """Return a frame around box (west, south, east, north) with margin (a fraction of its size) on each side."""
    west, south, east, north = box
    dx, dy = (east - west) * margin, (north - south) * margin
    return Frame(name, west - dx, south - dy, east + dx, north + dy, width, **kw)  # type: ignore[arg-type]


# The central counties around Kansas City, where most incidents are: an agency whose incidents
# all fall here gets this closer view.
CORE_BOX = (-94.95, 38.76, -94.17, 39.40)
FRAMES = ("area", "core", "locator")


def frames_for(counties: list[County]) -> dict[str, Frame]:
    """Return the maps' frames: the whole area, its core, and a small locator of the whole area."""
    boxes = [county.bbox for county in counties]
    whole = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
    return {
        "area": frame_around("area", whole, 400, 0.01, tolerance=0.6),
        "core": frame_around("core", CORE_BOX, 400, 0.0, tolerance=0.6),
        "locator": frame_around("locator", whole, 120, 0.01, tolerance=0.5, labels=False),
    }


def _distance(point: XY, start: XY, end: XY) -> float:
    """Return the distance from point to the segment start-end."""
    (px, py), (x0, y0), (x1, y1) = point, start, end
    dx, dy = x1 - x0, y1 - y0
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - x0) * dx + (py - y0) * dy) / length))
    return math.hypot(px - x0 - t * dx, py - y0 - t * dy)


def simplify(points: Sequence[XY], tolerance: float) -> list[XY]:
    """Return the polyline simplified by Douglas-Peucker: ends kept, no point moved, none farther than tolerance."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:  # a stack, not recursion: a long border cannot exhaust Python's recursion limit
        first, last = stack.pop()
        best, index = 0.0, 0
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if best > tolerance:
            keep[index] = True
            stack.extend(((first, index), (index, last)))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def simplify_ring(ring: Sequence[XY], tolerance: float) -> list[XY]:
    """Return a closed ring (first point not repeated) simplified, cut at its first point and its farthest."""
    if len(ring) < 4:
        return list(ring)
    far = max(range(len(ring)), key=lambda i: math.dist(ring[0], ring[i]))
    one = simplify(list(ring[: far + 1]), tolerance)
    two = simplify([*ring[far:], ring[0]], tolerance)
    return one + two[1:-1]


Edge = tuple[Point, Point]


@dataclass(frozen=True)
class Arc:
    """A stretch of border with the same counties on each side all along it."""

    points: tuple[Point, ...]
    sides: frozenset[int]  # indexes of the counties whose boundary runs along it
    closed: bool = False  # a whole ring with one neighbour set (an island, or a county alone)


def _edge(start: Point, end: Point) -> Edge:
    return (start, end) if start <= end else (end, start)


def split_arcs(counties: list[County]) -> list[list[list[Arc]]]:
    """Return each county's rings (polygon by polygon, ring by ring flattened) cut into arcs at every junction."""
    owners: dict[Edge, set[int]] = {}
    rings = [
        [(index, ring) for polygon in county.polygons for ring in polygon] for index, county in enumerate(counties)
    ]
    for per_county in rings:
        for index, ring in per_county:
            for i, start in enumerate(ring):
                owners.setdefault(_edge(start, ring[(i + 1) % len(ring)]), set()).add(index)
    result = []
    for per_county in rings:
        county_arcs = []
        for _index, ring in per_county:
            n = len(ring)
            sides = [frozenset(owners[_edge(ring[i], ring[(i + 1) % n])]) for i in range(n)]
            cuts = [i for i in range(n) if sides[i - 1] != sides[i]]
            if not cuts:
                county_arcs.append([Arc(tuple(ring), sides[0], closed=True)])
                continue
            ring_arcs = []
            for k, cut in enumerate(cuts):
                end = cuts[(k + 1) % len(cuts)]
                span = range(cut, end + 1) if end > cut else [*range(cut, n), *range(end + 1)]
                ring_arcs.append(Arc(tuple(ring[i] for i in span), sides[cut]))
            county_arcs.append(ring_arcs)
        result.append(county_arcs)
    return result


def number(value: float) -> str:
    """Return a coordinate with one decimal at most: '12', '12.5', never '-0'."""
    text = f"{round(value, 1):.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def path_data(rings: Iterable[Sequence[XY]], close: bool = True) -> str:
    """Return SVG path data for rings (closed) or lines, in absolute coordinates with one decimal."""
    parts = []
    for ring in rings:
        points = " ".join(f"{number(x)} {number(y)}" for x, y in ring)
        parts.append(f"M{points}{'Z' if close else ''}")
    return "".join(parts)


@dataclass(frozen=True)
class Label:
    """Text at a position; side says where it sits relative to its point."""

    text: str
    x: float
    y: float
    side: str = "middle"


@dataclass(frozen=True)
class Outline:
    """What every map in one frame shares: county shapes, the state line, labels."""

    frame: Frame
    counties: tuple[tuple[str, str], ...]  # (county label, path data)
    state_line: str  # path data
    cities: tuple[Label, ...]
    county_labels: tuple[Label, ...]
    state_labels: tuple[Label, ...]

    @property
    def file(self) -> str:
        """Return the path below the site root of the outline drawn under the incidents."""
        return f"maps/{self.frame.name}.svg"

    @property
    def labels_file(self) -> str:
        """Return the path below the site root of the city labels drawn over the incidents."""
        return f"maps/{self.frame.name}-labels.svg"


def draw_outline(counties: list[County], arcs: list[list[list[Arc]]], cities: list[City], frame: Frame) -> Outline:
    """Return the frame's outline: each county's simplified shape, the Missouri-Kansas line, labels."""
    cache: dict[tuple[Point, ...], list[XY]] = {}

    def simplified(arc: Arc) -> list[XY]:
        if arc.points in cache:
            return cache[arc.points]
        if arc.points[::-1] in cache:
            return cache[arc.points[::-1]][::-1]
        projected = [frame.project(*point) for point in arc.points]
        done = simplify_ring(projected, frame.tolerance) if arc.closed else simplify(projected, frame.tolerance)
        cache[arc.points] = done
        return done

    shapes = []
    for county, county_arcs in zip(counties, arcs, strict=True):
        rings = []
        for ring_arcs in county_arcs:
            ring: list[XY] = []
            for arc in ring_arcs:
                points = simplified(arc)
                ring.extend(points if not ring else points[1:])
            if len(ring) > 1 and ring[0] == ring[-1]:
                ring.pop()
            if len(ring) >= 3:
                rings.append(ring)
        shapes.append((county.label, path_data(rings)))
    states = [county.state for county in counties]
    line, seen = [], set()
    for county_arcs in arcs:
        for arc in (arc for ring_arcs in county_arcs for arc in ring_arcs):
            key = min(arc.points, arc.points[::-1])
            if len({states[i] for i in arc.sides}) == 2 and key not in seen:
                seen.add(key)
                line.append(simplified(arc))
    city_labels = tuple(Label(city.name, *frame.project(city.lon, city.lat), city.label_side) for city in cities)
    if not frame.labels:
        city_labels = tuple(label for label in city_labels if label.text == "Kansas City")[:1]
    county_labels = tuple(_county_labels(counties, frame, city_labels)) if frame.labels else ()
    state_labels = tuple(_state_labels(counties, frame))
    return Outline(frame, tuple(shapes), path_data(line, close=False), city_labels, county_labels, state_labels)


CITY_FONT, COUNTY_FONT = 12.0, 9.0  # viewBox units, as templates/_map.html draws them


def label_box(label: Label, font: float) -> tuple[float, float, float, float]:
    """Return the rough box (left, top, right, bottom) a label's text covers, about 0.6 em per character."""
    width = len(label.text) * font * 0.6
    if label.side == "right":
        left = label.x + 5
    elif label.side == "left":
        left = label.x - 5 - width
    else:
        left = label.x - width / 2
    baseline = label.y + (14 if label.side == "below" else 4)
    return left, baseline - font, left + width, baseline + 2


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _county_labels(counties: list[County], frame: Frame, cities: tuple[Label, ...]) -> Iterable[Label]:
    """Place each county's name at its centroid, or a line off when a city's name is there, or leave it out."""
    taken = [label_box(city, CITY_FONT) for city in cities]
    for county in counties:
        point = _label_point(county)
        if not frame.contains(*point):
            continue
        x, y = frame.project(*point)
        for dy in (0.0, 14.0, -14.0):
            label = Label(county.name, x, y + dy)
            if not any(_overlaps(label_box(label, COUNTY_FONT), box) for box in taken):
                yield label
                break


def _label_point(county: County) -> Point:
    """Return the centroid of the county's largest ring, where its name goes."""
    ring = max((polygon[0] for polygon in county.polygons), key=lambda r: abs(_signed_area(r)))
    area = _signed_area(ring)
    cx = sum((x0 + x1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / (
        6 * area
    )
    cy = sum((y0 + y1) * (x0 * y1 - x1 * y0) for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / (
        6 * area
    )
    return cx, cy


def _signed_area(ring: Sequence[Point]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True)) / 2


def _state_labels(counties: list[County], frame: Frame) -> Iterable[Label]:
    """Place each state's name along the frame's top edge, on its side of the line."""
    for state, name in (("KS", "KANSAS"), ("MO", "MISSOURI")):
        xs = [frame.project(*_label_point(c))[0] for c in counties if c.state == state]
        if xs:
            x = min(xs) if state == "KS" else max(xs)
            yield Label(name, min(max(x, 30.0), frame.width - 30), 12.0)


@dataclass(frozen=True)
class Geography:
    """The area's counties with their arcs, the labelled cities and the frames: read once per build."""

    counties: list[County]
    area: Area
    arcs: list[list[list[Arc]]]
    cities: list[City]
    frames: dict[str, Frame]

    def outline(self, name: str) -> Outline:
        """Return the named frame's outline."""
        return draw_outline(self.counties, self.arcs, self.cities, self.frames[name])


def load_geography(area_file: Path | None = None, cities_file: Path = CITIES_FILE) -> Geography:
    """Read the counties and cities and prepare the frames."""
    counties = load_area() if area_file is None else load_area(area_file)
    return Geography(counties, Area(counties), split_arcs(counties), load_cities(cities_file), frames_for(counties))
