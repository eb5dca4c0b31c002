"""Regenerate kansas-city-msa-counties.geojson from the Census Bureau's 2016 county boundaries.

A one-off script: it reads cb_2016_us_county_500k (the Census Bureau's cartographic boundary
file at 1:500,000, public domain) from the wheel of the PyPI package plotly-geo 1.0.0, which
ships it unchanged, keeps the 14 counties of the Kansas City, MO-KS metropolitan statistical
area, rounds coordinates to 4 decimal places (about 10 m) and writes GeoJSON. Nothing at build
or test time runs it, so nothing at build or test time needs the network.

    python -m pip download --no-deps plotly-geo==1.0.0 -d /tmp/plotly-geo
    python imports/area/make_area.py /tmp/plotly-geo/plotly_geo-1.0.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import json
import struct
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "kansas-city-msa-counties.geojson"
SHAPES = "_plotly_geo/package_data/cb_2016_us_county_500k"
DIGITS = 4

# The Kansas City, MO-KS MSA (OMB delineation of 2013, unchanged in 2018): county FIPS -> name.
COUNTIES = {
    "29013": "Bates",
    "29025": "Caldwell",
    "29037": "Cass",
    "29047": "Clay",
    "29049": "Clinton",
    "29095": "Jackson",
    "29107": "Lafayette",
    "29165": "Platte",
    "29177": "Ray",
    "20091": "Johnson",
    "20103": "Leavenworth",
    "20107": "Linn",
    "20121": "Miami",
    "20209": "Wyandotte",
}
STATES = {"29": "MO", "20": "KS"}


def read_dbf(data: bytes) -> list[dict[str, str]]:
    """Return the records of a dBASE III table as text fields."""
    count, header_length, record_length = struct.unpack("<IHH", data[4:12])
    fields = []
    offset = 32
    while data[offset] != 0x0D:
        name = data[offset : offset + 11].split(b"\0", 1)[0].decode("ascii")
        fields.append((name, data[offset + 16]))
        offset += 32
    records = []
    for index in range(count):
        start = header_length + index * record_length + 1  # skip the deletion flag
        record = {}
        for name, length in fields:
            record[name] = data[start : start + length].decode("latin-1").strip()
            start += length
        records.append(record)
    return records


def read_shp(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """Return the rings of every polygon record of a shapefile, in record order."""
    shapes = []
    offset = 100
    while offset < len(data):
        length = struct.unpack(">i", data[offset + 4 : offset + 8])[0] * 2
        content = data[offset + 8 : offset + 8 + length]
        offset += 8 + length
        shape_type = struct.unpack("<i", content[:4])[0]
        if shape_type == 0:
            shapes.append([])
            continue
        if shape_type != 5:
            raise ValueError(f"expected polygons (type 5), got shape type {shape_type}")
        parts_count, points_count = struct.unpack("<ii", content[36:44])
        parts = list(struct.unpack(f"<{parts_count}i", content[44 : 44 + 4 * parts_count]))
        base = 44 + 4 * parts_count
        points = [struct.unpack("<dd", content[base + 16 * i : base + 16 * i + 16]) for i in range(points_count)]
        bounds = parts + [points_count]
        shapes.append([points[bounds[i] : bounds[i + 1]] for i in range(parts_count)])
    return shapes


def signed_area(ring: list[tuple[float, float]]) -> float:
    """Return the ring's signed area (negative when clockwise, as shapefile outer rings are)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    """Return True when point is inside ring (even-odd rule)."""
    x, y = point
    result = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
    return result


def rounded(ring: list[tuple[float, float]]) -> list[list[float]]:
    """Round a ring's points, drop repeats, and close it as GeoJSON wants."""
    out: list[list[float]] = []
    for x, y in ring:
        point = [round(x, DIGITS), round(y, DIGITS)]
        if not out or out[-1] != point:
            out.append(point)
    if out[0] != out[-1]:
        out.append(out[0])
    return out


def polygons(rings: list[list[tuple[float, float]]]) -> list[list[list[list[float]]]]:
    """Group shapefile rings into GeoJSON polygons: each outer ring followed by its holes."""
    outers = [ring for ring in rings if signed_area(ring) < 0]
    holes = [ring for ring in rings if signed_area(ring) >= 0]
    grouped: list[list[list[list[float]]]] = [[rounded(list(reversed(ring)))] for ring in outers]
    for hole in holes:
        for index, outer in enumerate(outers):
            if inside(hole[0], outer):
                grouped[index].append(rounded(list(reversed(hole))))
                break
    return grouped


def extract(wheel: Path) -> dict:
    """Return the area's counties as a GeoJSON FeatureCollection."""
    with zipfile.ZipFile(wheel) as archive:
        table = read_dbf(archive.read(SHAPES + ".dbf"))
        shapes = read_shp(archive.read(SHAPES + ".shp"))
    features = []
    for record, rings in zip(table, shapes, strict=True):
        fips = record["GEOID"]
        if fips not in COUNTIES:
            continue
        if record["NAME"] != COUNTIES[fips]:
            raise ValueError(f"county {fips} is called {record['NAME']!r} in the file, not {COUNTIES[fips]!r}")
        features.append(
            {
                "type": "Feature",
                "properties": {"name": record["NAME"], "state": STATES[fips[:2]], "fips": fips},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons(rings)},
            }
        )
    features.sort(key=lambda feature: (feature["properties"]["state"] != "MO", feature["properties"]["name"]))
    if len(features) != len(COUNTIES):
        raise ValueError(f"found {len(features)} of the {len(COUNTIES)} counties")
    return {
        "type": "FeatureCollection",
        "name": "Kansas City, MO-KS metropolitan statistical area: counties",
        "source": "US Census Bureau, cartographic boundary file cb_2016_us_county_500k (public domain), "
        f"as shipped in PyPI plotly-geo 1.0.0; coordinates rounded to {DIGITS} decimal places",
        "features": features,
    }


def write(collection: dict, path: Path) -> None:
    """Write the collection with one feature per line, so a diff shows which county changed."""
    lines = [json.dumps({key: value for key, value in collection.items() if key != "features"})[:-1] + ","]
    lines.append('"features": [')
    features = [json.dumps(feature, separators=(",", ":")) for feature in collection["features"]]
    lines.append(",\n".join(features))
    lines.append("]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    """Read the wheel named on the command line and write the extract."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="plotly_geo-1.0.0-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    write(extract(args.wheel), args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
