"""The columns of agencies.csv, one row per agency, with its incidents counted by role."""

from __future__ import annotations

from collections.abc import Callable

from kcrecord.content.assemble import ROLE_ORDER, Site
from kcrecord.outputs.columns import Column


def agency_rows(site: Site) -> list[dict]:
    """Return one row per agency, by id."""
    return [{"agency": agency, "meta": agency.meta, "site": site} for agency in site.agencies.values()]


def _role_count(role: str) -> Callable[[dict], object]:
    return lambda r: len(r["agency"].incidents_by_role.get(role, []))


def _agency(key: str) -> Callable[[dict], object]:
    return lambda r: r["meta"].get(key)


AGENCY_COLUMNS = (
    Column("id", "text", "The agency's id, as used in incidents.csv.", lambda r: r["agency"].slug),
    Column("url", "text", "Address of the agency's page.", lambda r: r["site"].config.base_url + r["agency"].path),
    Column("name", "text", "Full name of the agency.", _agency("name")),
    Column("short_name", "text", "Common short name.", _agency("short_name")),
    Column("kind", "text", "What kind of agency it is, from the agency_kinds vocabulary.", _agency("kind")),
    Column("jurisdiction", "text", "The area it covers.", _agency("jurisdiction")),
    Column("state", "text", "Two-letter state code.", _agency("state")),
    Column("website", "text", "The agency's website.", _agency("url")),
    Column(
        "members",
        "list",
        "For a multi-agency team: ids of the member agencies.",
        lambda r: r["meta"].get("members") or [],
    ),
    Column(
        "incidents", "integer", "Number of incidents that name the agency, in any role.", lambda r: r["agency"].count
    ),
    *(
        Column(
            f"incidents_{role}",
            "integer",
            f"Number of incidents in which the agency's role was '{role}'.",
            _role_count(role),
        )
        for role in ROLE_ORDER
    ),
)
