"""The maps: projection, simplification, shared borders, the state line, and incidents drawn at their precision."""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from pathlib import Path

import jinja2
import pytest

from kcrecord.content.area import KM_PER_DEGREE_LAT, AreaError
from kcrecord.content.assemble import Incident
from kcrecord.engine.pipeline import Project, build
from kcrecord.outputs.map_marks import (
    MAX_MARKS,
    MAX_TITLED,
    NOT_RECORDED,
    _merge_areas,
    county_of,
    incident_map,
    is_approximate,
    locator_map,
    place_marks,
    spot_of,
)
from kcrecord.outputs.maps import (
    APPROXIMATE_RADIUS_KM,
    POINT_RADIUS,
    Frame,
    label_box,
    load_cities,
    load_geography,
    number,
    simplify,
    simplify_ring,
)

SEED = 14
REPO = Path(__file__).resolve().parent.parent
PRECISIONS = ("address-block", "intersection", "place", "road", "city", "unknown")


@pytest.fixture(scope="module")
def geography():
    """Read the committed area and cities once."""
    return load_geography()


def incident(n: int, **location: object) -> Incident:
    """Return an incident with the given location fields (city and state filled in)."""
    meta = {
        "title": f"Incident {n}",
        "date": dt.date(2020, 1, 1) + dt.timedelta(days=n),
        "location": {"city": "Kansas City", "state": "MO", "precision": "city", **location},
    }
    return Incident(f"2020-incident-{n}", meta, "", None)  # type: ignore[arg-type]


# Projection


def test_projection_keeps_distances_in_proportion_east_and_north() -> None:
    frame = Frame("t", -95.0, 38.0, -94.0, 40.0, 400, 0.5)
    x0, y0 = frame.project(-95.0, 40.0)
    assert (x0, y0) == (0, 0)  # north-west corner at the origin
    x1, _ = frame.project(-94.0, 40.0)
    assert x1 == pytest.approx(400)
    assert frame.project(-94.0, 38.0)[1] == pytest.approx(frame.height, abs=1)
    # A km east and a km north are the same length on the map at the middle latitude.
    lat0 = 39.0
    km_east = 1 / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat0)))
    east = frame.project(-94.5 + km_east, lat0)[0] - frame.project(-94.5, lat0)[0]
    north = frame.project(-94.5, lat0)[1] - frame.project(-94.5, lat0 + 1 / KM_PER_DEGREE_LAT)[1]
    assert east == pytest.approx(north) == pytest.approx(frame.units_per_km)


def test_projection_keeps_order_for_generated_points() -> None:
    rng = random.Random(SEED)
    frame = Frame("t", -95.2, 38.0, -93.4, 39.8, 400, 0.5)
    for _ in range(500):
        a = (rng.uniform(-95.2, -93.4), rng.uniform(38.0, 39.8))
        b = (rng.uniform(-95.2, -93.4), rng.uniform(38.0, 39.8))
        (ax, ay), (bx, by) = frame.project(*a), frame.project(*b)
        assert (ax < bx) == (a[0] < b[0]), (SEED, a, b)  # further east is further right
        assert (ay < by) == (a[1] > b[1]), (SEED, a, b)  # further north is higher up
        assert 0 <= ax <= frame.width and 0 <= ay <= frame.height + 1


@pytest.mark.parametrize("value, text", [(12.0, "12"), (12.04, "12"), (12.05, "12.1"), (-0.04, "0"), (-3.25, "-3.2")])
def test_numbers_have_one_decimal_at_most(value: float, text: str) -> None:
    assert number(value) == text


# Simplification


def _distance_to_polyline(point: tuple[float, float], line: list[tuple[float, float]]) -> float:
    best = math.inf
    for (x0, y0), (x1, y1) in zip(line, line[1:], strict=False):
        dx, dy = x1 - x0, y1 - y0
        length = dx * dx + dy * dy
        t = 0.0 if length == 0 else max(0.0, min(1.0, ((point[0] - x0) * dx + (point[1] - y0) * dy) / length))
        best = min(best, math.hypot(point[0] - x0 - t * dx, point[1] - y0 - t * dy))
    return best


def test_simplify_keeps_ends_moves_nothing_and_strays_no_further_than_the_tolerance() -> None:
    rng = random.Random(SEED)
    for case in range(200):
        x, y, points = 0.0, 0.0, []
        for _ in range(rng.randrange(2, 120)):
            x, y = x + rng.uniform(-5, 5), y + rng.uniform(-5, 5)
            points.append((x, y))
        tolerance = rng.choice([0.1, 0.5, 2.0])
        done = simplify(points, tolerance)
        assert done[0] == points[0] and done[-1] == points[-1], (SEED, case)
        assert set(done) <= set(points), (SEED, case)  # no point is moved or invented
        order = [points.index(p) for p in done]
        assert order == sorted(order), (SEED, case)
        worst = max(_distance_to_polyline(p, done) for p in points)
        assert worst <= tolerance + 1e-9, (SEED, case, worst)


def test_simplify_drops_points_on_a_straight_line_and_keeps_a_corner() -> None:
    line = [(float(i), 0.0) for i in range(10)] + [(9.0, float(i)) for i in range(1, 10)]
    assert simplify(line, 0.5) == [(0.0, 0.0), (9.0, 0.0), (9.0, 9.0)]


def test_simplify_ring_keeps_a_square() -> None:
    square = [(0.0, 0.0), (5.0, 0.0), (10.0, 0.0), (10.0, 10.0), (5.0, 10.0), (0.0, 10.0)]
    assert sorted(simplify_ring(square, 0.5)) == [(0.0, 0.0), (0.0, 10.0), (10.0, 0.0), (10.0, 10.0)]


# The outline


def _points(d: str) -> set[tuple[str, str]]:
    numbers = re.findall(r"-?[0-9.]+", d)
    return set(zip(numbers[::2], numbers[1::2], strict=True))


def test_neighbouring_counties_share_one_simplified_border(geography) -> None:
    outline = geography.outline("area")
    shapes = dict(outline.counties)
    assert len(shapes) == 14 and all(shapes.values())
    # Jackson and Clay meet along the Missouri River: the points of that border are the same in both paths.
    shared = _points(shapes["Jackson, MO"]) & _points(shapes["Clay, MO"])
    assert len(shared) >= 5
    # Simplified: far fewer points than the source, small enough to draw on every page.
    source_points = sum(len(ring) for county in geography.counties for polygon in county.polygons for ring in polygon)
    drawn = sum(len(_points(d)) for d in shapes.values())
    assert drawn < source_points / 2


def test_the_state_line_runs_between_the_two_states(geography) -> None:
    outline = geography.outline("area")
    frame = outline.frame
    line = [(float(x), float(y)) for x, y in _points(outline.state_line)]
    assert len(line) >= 5
    # Every point of the line lies on a Kansas county's border and a Missouri county's border.
    shapes = dict(outline.counties)
    kansas = set().union(*(_points(d) for name, d in shapes.items() if name.endswith("KS")))
    missouri = set().union(*(_points(d) for name, d in shapes.items() if name.endswith("MO")))
    assert _points(outline.state_line) <= kansas & missouri
    # It runs most of the area's height, north of Kansas City to the Linn-Bates line.
    ys = [y for _, y in line]
    north_kc = frame.project(-94.6, 39.3)[1]
    south = frame.project(-94.6, 38.1)[1]
    assert min(ys) < north_kc and max(ys) > south


def test_outlines_are_the_same_bytes_every_time() -> None:
    assert load_geography().outline("area") == load_geography().outline("area")


def test_city_labels_do_not_overlap_each_other_or_county_names(geography) -> None:
    outline = geography.outline("area")
    boxes = [label_box(city, 12) for city in outline.cities] + [label_box(c, 9) for c in outline.county_labels]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
        assert a[0] >= 0 and a[2] <= outline.frame.width, a  # no label runs off the map


def test_cities_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "cities.csv"
    bad.write_text("city,state,latitude,longitude,label_side\nOlathe,KS,north,-94.8,left\n", encoding="utf-8")
    with pytest.raises(AreaError, match=r"cities.csv:2: expected a city, its state, latitude, longitude and left"):
        load_cities(bad)
    bad.write_text("name,state\n", encoding="utf-8")
    with pytest.raises(AreaError, match=r"cities.csv:1: expected the columns"):
        load_cities(bad)


# Incidents at their precision


def test_a_city_level_location_is_never_drawn_as_a_point(geography) -> None:
    rng = random.Random(SEED)
    outline = geography.outline("area")
    incidents = []
    for n in range(250):  # under MAX_MARKS spots: each is drawn where it is (merging is tested below)
        location: dict[str, object] = {"precision": rng.choice(PRECISIONS)}
        location["latitude"] = round(rng.uniform(38.7, 39.4), rng.choice([2, 3, 5]))
        location["longitude"] = round(rng.uniform(-94.9, -94.2), 3)
        if rng.random() < 0.3:
            location["coordinates_precision"] = rng.choice(["not-available", "block", "intersection"])
        incidents.append(incident(n, **location))
    marks, missing, outside = place_marks([spot_of(i, geography) for i in incidents], outline)
    assert not missing and not outside
    assert sum(mark.count for mark in marks) == len(incidents)
    by_spot = {}
    for item in incidents:
        x, y = outline.frame.project(item.meta["location"]["longitude"], item.meta["location"]["latitude"])
        by_spot.setdefault((round(x, 1), round(y, 1), is_approximate(item.meta["location"])), []).append(item)
    for mark in marks:
        group = by_spot[(mark.x, mark.y, mark.approximate)]
        assert mark.count == len(group)
        for item in group:
            location = item.meta["location"]
            if location["precision"] in ("city", "unknown") or location.get("coordinates_precision") == "not-available":
                assert mark.approximate and mark.r >= APPROXIMATE_RADIUS_KM * outline.frame.units_per_km - 0.1
            else:
                assert not mark.approximate and mark.r == POINT_RADIUS


def test_a_circle_is_a_few_km_across_on_every_frame(geography) -> None:
    item = incident(1, latitude=39.1, longitude=-94.58)
    for name in ("area", "core"):
        outline = geography.outline(name)
        (mark,), _, _ = place_marks([spot_of(item, geography)], outline)
        assert mark.r / outline.frame.units_per_km == pytest.approx(APPROXIMATE_RADIUS_KM, abs=0.1)


def test_incidents_at_one_spot_share_a_mark_and_are_counted(geography) -> None:
    items = [incident(n, latitude=39.1, longitude=-94.58) for n in range(3)]
    items.append(incident(3, latitude=39.1, longitude=-94.58, precision="intersection", coordinates_precision="block"))
    marks, _, _ = place_marks([spot_of(i, geography) for i in items], geography.outline("area"))
    assert sorted((mark.approximate, mark.count) for mark in marks) == [(False, 1), (True, 3)]
    assert marks[0].approximate  # areas are drawn first, so the point stays on top


def test_the_text_alternative_counts_what_is_drawn_and_what_is_not(geography) -> None:
    items = [
        incident(1, latitude=39.1, longitude=-94.58, county="Jackson"),
        incident(2, latitude=39.0, longitude=-94.7, precision="intersection", coordinates_precision="block"),
        incident(3, county="Clay"),  # no coordinates
        incident(4, latitude=41.0, longitude=-90.0),  # far outside the area
    ]
    drawn = incident_map([spot_of(i, geography) for i in items], geography.outline("area"), "map-test", "recorded")
    assert (drawn.total, drawn.approximate, drawn.exact, drawn.no_coordinates, drawn.outside) == (4, 1, 1, 1, 1)
    assert "2 incidents of 4 drawn: 1 as approximate circles" in drawn.description
    assert "1 incident has no coordinates" in drawn.description
    assert "1 incident lies outside the map" in drawn.description
    rows = {row.county: (row.shown, row.not_shown) for row in drawn.counties}
    # The record's county first; with none, the county the coordinates fall in (Johnson, KS here).
    assert rows == {"Jackson, MO": (1, 0), "Johnson, KS": (1, 0), "Clay, MO": (0, 1), NOT_RECORDED: (0, 1)}
    assert drawn.county_from_coordinates == 1


def test_county_of_prefers_the_record(geography) -> None:
    assert county_of(incident(1, county="Jackson County", latitude=39.05, longitude=-94.7), geography) == (
        "Jackson, MO",
        False,
    )
    assert county_of(incident(2, latitude=38.95, longitude=-94.7), geography) == ("Johnson, KS", True)
    assert county_of(incident(3), geography) == (NOT_RECORDED, False)


def test_a_locator_without_coordinates_shades_the_county_and_draws_no_mark(geography) -> None:
    outline = geography.outline("locator")
    located = locator_map(incident(1, latitude=39.1, longitude=-94.58), geography, outline)
    assert len(located.marks) == 1 and located.marks[0].approximate and not located.highlight
    unlocated = locator_map(incident(2, county="Jackson"), geography, outline)
    assert not unlocated.marks and unlocated.highlight == dict(outline.counties)["Jackson, MO"]
    assert "no coordinates" in unlocated.description and "Jackson County" in unlocated.description


# On built pages


def test_built_maps_are_small_and_the_same_bytes_each_build(small_project: Path, tmp_path: Path) -> None:
    shooting = small_project / "content/incidents/2024-03-05-example-shooting.md"
    text = shooting.read_text(encoding="utf-8")
    shooting.write_text(text.replace("  precision: ", "  latitude: 39.1\n  longitude: -94.58\n  precision: ", 1))
    first, second = tmp_path / "one", tmp_path / "two"
    build(Project(small_project, first))
    build(Project(small_project, second))
    for name in ("area", "area-labels", "core", "core-labels", "locator", "locator-labels"):
        rel = f"maps/{name}.svg"
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    assert (first / "maps/area.svg").stat().st_size < 12_000
    for rel in ("index.html", "incidents/2024-03-05-example-shooting/index.html"):
        page = (first / rel).read_text(encoding="utf-8")
        assert page.count('class="map-svg" role="img"') == 1, rel
        drawing = page.split('class="map-svg"', 1)[1].split("</svg>", 1)[0]
        assert drawing.count("<circle cx=") == 1, rel  # the one incident with coordinates; the other has none
    other = (first / "incidents/2023-07-01-example-vehicle/index.html").read_text(encoding="utf-8")
    assert 'class="map-svg"' in other and "The record has no coordinates for the incident" in other


def test_a_map_of_ten_thousand_incidents_stays_under_its_budget(geography) -> None:
    rng = random.Random(SEED)
    items = []
    for n in range(10_000):  # most around Kansas City, some anywhere in the area, a few given to the block
        if rng.random() < 0.8:
            lat, lon = rng.gauss(39.05, 0.08), rng.gauss(-94.55, 0.1)
        else:
            lat, lon = rng.uniform(38.1, 39.7), rng.uniform(-95.1, -93.6)
        fields = {"latitude": round(lat, 3), "longitude": round(lon, 3)}
        if rng.random() < 0.01:
            fields.update(precision="address-block", coordinates_precision="block")
        items.append(incident(n, **fields))
    outline = geography.outline("area")
    drawn = incident_map([spot_of(i, geography) for i in items], outline, "map-test", "recorded")
    assert sum(mark.count for mark in drawn.marks) == drawn.shown == len(items) - drawn.outside
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO / "templates"), autoescape=True)
    env.globals["url"] = lambda path="": "/kc-police-record/" + path
    html = str(env.get_template("_map.html").module.incident_map(drawn))
    assert 'class="map-svg" role="img"' in html
    outline_files = len(str(env.get_template("_map.html").module.outline_svg(outline, False)).encode())
    outline_files += len(str(env.get_template("_map.html").module.outline_svg(outline, True)).encode())
    assert len(html.encode()) + outline_files < 30_000, (len(html.encode()), outline_files)
    assert len(drawn.marks) <= MAX_MARKS + len([i for i in items if not is_approximate(i.meta["location"])])
    assert not drawn.titled and len(drawn.marks) > MAX_TITLED
    # Merged or not, a city-level incident is never in a point, and a point stands for block-level incidents only.
    exact = [i for i in items if not is_approximate(i.meta["location"])]
    assert sum(mark.count for mark in drawn.marks if not mark.approximate) == drawn.exact == len(exact)
    assert all(mark.r >= 5 for mark in drawn.marks if mark.approximate)


def test_merged_areas_hold_every_incident_they_stand_for(geography) -> None:
    rng = random.Random(SEED)
    frame = geography.outline("area").frame
    spots: dict = {}
    for n in range(3000):
        item = incident(n, latitude=round(rng.uniform(38.2, 39.7), 3), longitude=round(rng.uniform(-95.0, -93.6), 3))
        x, y = frame.project(item.meta["location"]["longitude"], item.meta["location"]["latitude"])
        spots.setdefault((round(x, 1), round(y, 1), True), []).append(item)
    radius = 6.8
    merged = _merge_areas(spots, radius)
    assert len(merged) <= MAX_MARKS
    assert sum(len(group) for *_, group in merged) == 3000
    for cx, cy, r, approximate, group in merged:
        assert approximate
        for item in group:
            x, y = frame.project(item.meta["location"]["longitude"], item.meta["location"]["latitude"])
            assert math.hypot(x - cx, y - cy) + radius <= r + 0.2, (SEED, cx, cy, r)  # its own circle fits inside
