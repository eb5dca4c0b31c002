"""The Kansas City area as data: the committed counties, point in polygon, distance to the edge, places."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from kcrecord.content.area import Area, AreaError, County, load_area, load_places, outline, place_key

FIPS = {
    ("Bates", "MO"): "29013",
    ("Caldwell", "MO"): "29025",
    ("Cass", "MO"): "29037",
    ("Clay", "MO"): "29047",
    ("Clinton", "MO"): "29049",
    ("Jackson", "MO"): "29095",
    ("Lafayette", "MO"): "29107",
    ("Platte", "MO"): "29165",
    ("Ray", "MO"): "29177",
    ("Johnson", "KS"): "20091",
    ("Leavenworth", "KS"): "20103",
    ("Linn", "KS"): "20107",
    ("Miami", "KS"): "20121",
    ("Wyandotte", "KS"): "20209",
}


@pytest.fixture(scope="module")
def area() -> Area:
    """Return the committed area."""
    return Area(load_area())


def test_the_committed_area_is_the_14_counties_of_the_msa(area: Area) -> None:
    assert {(c.name, c.state): c.fips for c in area.counties} == FIPS
    for county in area.counties:
        west, south, east, north = county.bbox
        assert -96 < west < east < -93 and 37.9 < south < north < 40, county.label


@pytest.mark.parametrize(
    ("lon", "lat", "label"),
    [
        (-94.5786, 39.0997, "Jackson, MO"),  # downtown Kansas City, Missouri
        (-94.4155, 39.0911, "Jackson, MO"),  # Independence
        (-94.6275, 39.1141, "Wyandotte, KS"),  # downtown Kansas City, Kansas
        (-94.8191, 38.8814, "Johnson, KS"),  # Olathe
        (-94.4191, 39.2461, "Clay, MO"),  # Liberty
        (-94.9225, 39.3111, "Leavenworth, KS"),  # Leavenworth
        (-94.3483, 38.6581, "Cass, MO"),  # Harrisonville
        (-93.9769, 39.2786, "Ray, MO"),  # Richmond
        (-94.8469, 39.7675, None),  # St. Joseph (Buchanan County)
        (-95.2353, 38.9717, None),  # Lawrence (Douglas County, KS)
        (-93.7360, 38.7625, None),  # Warrensburg (Johnson County, MO: not the area's Johnson)
    ],
)
def test_known_places_fall_in_their_county(area: Area, lon: float, lat: float, label: str | None) -> None:
    found = area.county_at(lon, lat)
    assert (found.label if found else None) == label


def test_no_point_is_in_two_counties(area: Area) -> None:
    rng = random.Random(20261130)
    west = min(c.bbox[0] for c in area.counties)
    south = min(c.bbox[1] for c in area.counties)
    east = max(c.bbox[2] for c in area.counties)
    north = max(c.bbox[3] for c in area.counties)
    inside = 0
    for _ in range(400):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        owners = [county for county in area.counties if county.contains(lon, lat)]
        assert len(owners) <= 1, (lon, lat, [c.label for c in owners])
        assert area.county_at(lon, lat) == (owners[0] if owners else None)
        inside += bool(owners)
    assert 100 < inside < 400  # the area is most, not all, of its bounding box


def square(x: float, y: float, size: float) -> tuple[tuple[float, float], ...]:
    """Return a square ring, counter-clockwise, with its south-west corner at (x, y)."""
    return ((x, y), (x + size, y), (x + size, y + size), (x, y + size))


def test_point_in_polygon_on_generated_shapes() -> None:
    donut = County("Donut", "MO", "29999", ((square(0, 0, 10), square(4, 4, 2)),))
    assert donut.contains(1, 1) and donut.contains(9.9, 5)
    assert not donut.contains(5, 5)  # in the hole
    assert not donut.contains(-0.1, 5) and not donut.contains(5, 10.1)
    two_parts = County("Islands", "KS", "20999", ((square(0, 0, 1),), (square(5, 5, 1),)))
    assert two_parts.contains(0.5, 0.5) and two_parts.contains(5.5, 5.5) and not two_parts.contains(3, 3)
    rng = random.Random(7)
    for _ in range(200):  # random points agree with the donut's definition
        x, y = rng.uniform(-5, 15), rng.uniform(-5, 15)
        assert donut.contains(x, y) == (0 < x < 10 and 0 < y < 10 and not (4 < x < 6 and 4 < y < 6))


def test_the_edge_leaves_out_borders_between_counties_and_distances_are_in_km() -> None:
    west = County("West", "KS", "20001", ((square(0, 0, 0.1),),))
    east = County("East", "MO", "29001", ((square(0.1, 0, 0.1),),))
    edge = outline([west, east])
    assert len(edge) == 6  # 8 sides, less the shared border, which both squares have
    assert ((0.1, 0.0), (0.1, 0.1)) not in edge
    both = Area([west, east])
    assert both.county_at(0.05, 0.05) is west and both.county_at(0.15, 0.05) is east
    # at the equator, 0.01 degree of latitude is about 1.11 km
    assert both.distance_to_edge_km(0.1, 0.05) == pytest.approx(5.55, rel=0.01)
    assert both.distance_to_edge_km(0.1, 0.11) == pytest.approx(1.11, rel=0.01)


def test_the_real_edge_is_only_the_outside(area: Area) -> None:
    # The state line between the two Kansas Citys is inside the area, far from its edge.
    assert area.distance_to_edge_km(-94.6075, 39.05) > 20
    # Cass County's southern border with Bates County is inside too; Bates's southern border is the edge.
    assert area.distance_to_edge_km(-94.3, 38.03) < 5


def test_a_broken_area_file_is_a_clear_error(tmp_path: Path) -> None:
    cases = {
        "not json": "{",
        "no features": json.dumps({"type": "FeatureCollection", "features": []}),
        "no name": json.dumps({"features": [{"properties": {}, "geometry": {"type": "Polygon"}}]}),
        "bad ring": json.dumps(
            {
                "features": [
                    {
                        "properties": {"name": "X", "state": "MO", "fips": "1"},
                        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, "a"], [1, 1], [0, 0]]]},
                    }
                ]
            }
        ),
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.geojson"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(AreaError, match=str(path)):
            load_area(path)
    with pytest.raises(AreaError, match="cannot be read"):
        load_area(tmp_path / "missing.geojson")


def test_places_name_only_the_area_and_fold_names(area: Area) -> None:
    places = load_places()
    for place in places.values():
        assert any(area.county(name, place.state) for name in place.counties), place
    assert places[(place_key("LEE’S SUMMIT"), "MO")].counties == ("Jackson", "Cass")
    assert places[(place_key("Kansas City"), "KS")].counties == ("Wyandotte",)
    assert (place_key("Kansas City"), "MO") in places and (place_key("Independence"), "KS") not in places
    assert place_key("St. Joseph") == place_key("saint  joseph")
