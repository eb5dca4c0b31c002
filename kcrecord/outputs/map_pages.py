"""The maps on the pages: the shared outline files and the inline maps, drawn by templates/_map.html.

The outline of each frame (counties, state line, city labels) is written once as maps/<frame>.svg
and cached by the browser; a page inlines only its incidents over it, so a locator on an incident
page costs well under 1.5 KB.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jinja2
import markupsafe

from kcrecord.content.assemble import Incident
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.map_marks import Spot, incident_map, locator_map, mark_title, spot_of
from kcrecord.outputs.maps import CORE_BOX, FRAMES, Geography, Outline, load_geography
from kcrecord.outputs.members import members

TEMPLATE = "_map.html"


def geography(fragments: Fragments) -> Geography:
    """Return the area's geography, read once per build."""
    return fragments.memo("map-geography", (), load_geography)


def outline(fragments: Fragments, name: str) -> Outline:
    """Return the named frame's outline, drawn once per build."""
    return fragments.memo(f"map-outline-{name}", (), lambda: geography(fragments).outline(name))


def outline_files(env: jinja2.Environment, fragments: Fragments) -> dict[str, Callable[[], bytes]]:
    """Return each outline file's path below the site root and how to render it."""

    def render(name: str, labels: bool) -> bytes:
        macro = env.get_template(TEMPLATE).module.outline_svg  # type: ignore[attr-defined]
        return str(macro(outline(fragments, name), labels)).encode("utf-8")

    files = {}
    for name in FRAMES:
        files[f"maps/{name}.svg"] = functools.partial(render, name, False)
        files[f"maps/{name}-labels.svg"] = functools.partial(render, name, True)
    return files


def fits_core(spots: list[Spot]) -> bool:
    """Return True when every incident with coordinates lies well inside the core frame (and one does)."""
    west, south, east, north = CORE_BOX
    points = [spot.point for spot in spots if spot.point is not None]
    margin = 0.03  # degrees: room for an approximate circle's edge
    return bool(points) and all(
        west + margin <= lon <= east - margin and south + margin <= lat <= north - margin for lon, lat in points
    )


def area_map(
    env: jinja2.Environment,
    fragments: Fragments,
    incidents: list[Incident],
    map_id: str,
    subject: str,
    zoom: bool = False,
) -> markupsafe.Markup:
    """Return the map of incidents (closer in when zoom and they all fit the core) with its key and county table.

    Kept as a memo for these very incidents (named by their files): a page made again after an
    edit that leaves every incident's mark as it was (a title shown in no mark of its own) reuses it.
    """
    incidents, named = members(fragments, incidents)  # once each, whatever its roles
    make = functools.partial(_area_map, env, fragments, incidents, map_id, subject, zoom)
    return markupsafe.Markup(fragments.memo(f"area-map:{map_id}", (subject, zoom, named), make))


def _area_map(
    env: jinja2.Environment, fragments: Fragments, incidents: list[Incident], map_id: str, subject: str, zoom: bool
) -> str:
    spots = fragments.each("map-spot", incidents, functools.partial(map_spot, fragments))
    if len({id(spot) for spot in spots}) < len(spots):
        spots = [spot._replace() for spot in spots]  # one object for each incident, to find its title by
    by_spot = {id(spot): incident for spot, incident in zip(spots, incidents, strict=True)}

    def title_of(spot: Spot) -> str:  # read only for a mark of one incident alone: a piece of its own
        return fragments.get("map-title", by_spot[id(spot)], mark_title)

    name = "core" if zoom and fits_core(spots) else "area"
    data = incident_map(spots, outline(fragments, name), map_id, subject, title_of)
    return str(env.get_template(TEMPLATE).module.incident_map(data))  # type: ignore[attr-defined]


def locator(env: jinja2.Environment, fragments: Fragments, incident: Incident) -> markupsafe.Markup:
    """Return the small locator map of one incident."""
    return markupsafe.Markup(fragments.get("map-locator", incident, functools.partial(locator_piece, env, fragments)))


def map_spot(fragments: Fragments, incident: Incident) -> Spot:
    """Return where an incident's mark goes on the maps (a piece: map-spot), without its title (a piece: map-title)."""
    return spot_of(incident, geography(fragments), titled=False)


def locator_piece(env: jinja2.Environment, fragments: Fragments, incident: Incident) -> str:
    """Return the small locator map of one incident as markup (a piece: map-locator)."""
    data = locator_map(incident, geography(fragments), outline(fragments, "locator"))
    return str(env.get_template(TEMPLATE).module.locator_map(data))  # type: ignore[attr-defined]


def register_map_pieces(env: jinja2.Environment, fragments: Fragments) -> None:
    """Register the makers of the maps' pieces, as the maps use them (kcrecord/outputs/fragments.py)."""
    fragments.register("map-spot", functools.partial(map_spot, fragments))
    fragments.register("map-title", mark_title)
    fragments.register("map-locator", functools.partial(locator_piece, env, fragments))
