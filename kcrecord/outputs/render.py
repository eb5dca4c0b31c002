"""Stage 4, render: fill the Jinja templates from the site model, one output file per page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import jinja2
import markupsafe

from kcrecord.content.assemble import ROLE_ORDER, Incident, Site
from kcrecord.content.citations import citations_of
from kcrecord.content.history import commit_url
from kcrecord.content.json_schema import schema_files
from kcrecord.content.yaml_strict import NOT_XML
from kcrecord.engine.progress import Progress, counting, stage
from kcrecord.outputs.charts import year_type_chart
from kcrecord.outputs.discovery import incident_json_ld, json_ld
from kcrecord.outputs.fragments import Fragments, context_of
from kcrecord.outputs.map_pages import area_map, locator, outline_files

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def format_date(value: dt.date) -> str:
    """Format a date as 'November 7, 2024' (no locale, so builds are reproducible)."""
    return f"{MONTHS[value.month - 1]} {value.day}, {value.year}"


def format_time(value: str) -> str:
    """Format '13:50' as '1:50 p.m.'."""
    hour, minute = (int(part) for part in value.split(":"))
    if (hour, minute) == (12, 0):
        return "noon"
    if (hour, minute) == (0, 0):
        return "midnight"
    suffix = "a.m." if hour < 12 else "p.m."
    return f"{(hour % 12) or 12}:{minute:02d} {suffix}"


def jsonable(value: object) -> object:
    """Return value with dates as ISO strings, ready for json.dumps."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def incident_record(incident: Incident, site: Site) -> dict:
    """Return the incident as plain data: its front matter plus slug and URLs."""
    record = {"slug": incident.slug, "url": site.config.base_url + incident.path}
    record.update(jsonable(incident.meta))  # type: ignore[arg-type]
    record["source_file"] = incident.source.rel
    return record


def make_environment(
    templates: Path,
    site: Site,
    bytecode_cache: jinja2.BytecodeCache | None = None,
    fragments: Fragments | None = None,
) -> jinja2.Environment:
    """Create the Jinja environment: autoescape on, undefined names fail the build."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        bytecode_cache=bytecode_cache,  # compiled templates, reused by make serve across rebuilds
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    config = site.config
    fragments = Fragments() if fragments is None else fragments
    env.filters["date"] = format_date
    env.filters["time"] = format_time
    env.filters["json_ld"] = json_ld
    env.globals.update(
        site=site,
        config=config,
        roles=ROLE_ORDER,
        url=lambda path="": config.base_path + path,
        absolute_url=lambda path="": config.base_url + path,
        label=config.label,
        edit_url=lambda source: f"{config.repository}/edit/{config.branch}/{source.rel}",
        view_url=lambda source: f"{config.repository}/blob/{config.branch}/{source.rel}",
        osm_url=lambda lat, lon: f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}",
        incident_json_ld=lambda incident: incident_json_ld(incident, site),
        citations=lambda record: citations_of(record.meta, record.source.body),
        commit_url=lambda commit: commit_url(config.repository, commit),
        year_type_chart=lambda incidents, chart_id, subject: year_type_chart(
            incidents, config, chart_id, subject, fragments
        ),
        incident_items=partial(incident_items, env, fragments),
        area_map=partial(area_map, env, fragments),
        locator_map=partial(locator, env, fragments),
    )
    return env


def incident_items(env: jinja2.Environment, fragments: Fragments, incidents: Iterable[Incident]) -> markupsafe.Markup:
    """Return the list items of incidents, each rendered once by the incident_item macro in _macros.html."""
    item = env.get_template("_macros.html").module.incident_item  # type: ignore[attr-defined]
    return markupsafe.Markup("".join(fragments.each("incident_item", incidents, item)))


ALWAYS = "*"
"""The dependency key of a job that is re-rendered on every change (the safe default)."""


@dataclass(frozen=True)
class Job:
    """One output file: its path below site/, how to render it, and the inputs it reads.

    deps are keys naming what the output reads, so `make serve` re-renders only the jobs a
    change affects (kcrecord/engine/incremental.py works out which keys an edit changed):
    `incident:SLUG`, `incidents` (any incident), `year:YYYY` and `years` (the set of years),
    `agency:ID` (its file), `agency-incidents:ID` (incidents naming it), `agencies` (any
    agency file), `page:SLUG`. site.yaml, a page's title or a file added or removed change
    everything. A job that does not say what it reads has deps {ALWAYS}: always re-rendered.
    template is the page template; the templates it extends, includes or imports count too.
    """

    path: str
    render: Callable[[], bytes]
    deps: frozenset[str] = frozenset({ALWAYS})
    template: str | None = None


def plan_site(
    site: Site,
    templates: Path,
    bytecode_cache: jinja2.BytecodeCache | None = None,
    only_incidents: Collection[str] | None = None,
    fragments: Fragments | None = None,
) -> list[Job]:
    """Return every output of the site as a job, without rendering anything yet.

    only_incidents (slugs) plans just those incidents' own pages besides the other pages: make serve's
    quick first pass after an edit, which must not cost a loop over every incident. fragments makes
    each incident's pieces of the lists and downloads once (make serve passes one for the session).
    """
    fragments = Fragments() if fragments is None else fragments
    env = make_environment(templates, site, bytecode_cache, fragments)
    fragments.use(context_of(site, env))
    jobs: list[Job] = []

    def page(path: str, template: str, deps: Iterable[str] = (ALWAYS,), **context: object) -> None:
        def render() -> bytes:
            return env.get_template(template).render(page_path=path, **context).encode("utf-8")

        target = path + "index.html" if path.endswith("/") or path == "" else path
        jobs.append(Job(target, xml_safe(render) if target.endswith(".xml") else render, frozenset(deps), template))

    def output(path: str, render: Callable[[], bytes], deps: Iterable[str] = (ALWAYS,)) -> None:
        jobs.append(Job(path, xml_safe(render) if path.endswith(".xml") else render, frozenset(deps)))

    page("", "home.html", deps={"incidents"}, latest=site.incidents[-10:][::-1])
    chosen = site.incidents if only_incidents is None else _only(site.incidents, only_incidents)
    for incident, (deps, own) in zip(chosen, fragments.each("deps", chosen, _incident_deps), strict=True):
        page(incident.path, "incident.html", deps, incident=incident, title=incident.meta["title"])
        output(incident.path + "incident.json", partial(incident_json, incident, site), own)
    page("timeline/", "timeline.html", deps={"incidents"}, title="Timeline")
    for year, incidents in site.years.items():
        title = f"Incidents in {year}"
        page(
            f"timeline/{year}/",
            "timeline_year.html",
            {f"year:{year}", "years"},
            year=year,
            incidents=incidents,
            title=title,
        )
    page("agencies/", "agencies.html", deps={"agencies", "incidents"}, title="Agencies")
    for agency in site.agencies.values():
        deps = {f"agency:{agency.slug}", f"agency-incidents:{agency.slug}"}
        deps.update(f"agency:{member}" for member in agency.meta.get("members") or [])
        page(agency.path, "agency.html", deps, agency=agency, title=agency.meta["name"])
    for item in site.pages:
        page(item.path, "page.html", {f"page:{item.slug}"}, page=item, title=item.meta["title"])
    page("404.html", "404.html", deps=(), title="Page not found")
    schemas = fragments.memo("schema-files", (), lambda: schema_files(site.config.vocab))  # site.yaml is in the context
    for name, data in schemas.items():  # read only site.yaml, like the 404 page
        output(f"data/{name}", partial(bytes, data), ())
    for name, render_map in outline_files(env, fragments).items():  # read only imports/area/
        output(name, render_map, ())
    from kcrecord.outputs.readers import plan_readers  # here, not at the top: readers reads this module's helpers

    plan_readers(site, env, page, output, lambda: [job.path for job in jobs], fragments)
    return jobs


def xml_safe(render: Callable[[], bytes]) -> Callable[[], bytes]:
    """Wrap an XML output's render so characters XML 1.0 cannot hold are removed (validation refuses them first)."""

    def safe() -> bytes:
        return NOT_XML.sub("", render().decode("utf-8", "surrogatepass")).encode("utf-8")

    return safe


def _only(incidents: list[Incident], slugs: Collection[str]) -> list[Incident]:
    return [incident for incident in incidents if incident.slug in slugs]


def _incident_deps(incident: Incident) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(incident_deps(incident)), frozenset({f"incident:{incident.slug}"})


def incident_deps(incident: Incident) -> set[str]:
    """Return the keys an incident page reads: the incident and the agencies it names."""
    deps = {f"incident:{incident.slug}"}
    deps.update(f"agency:{entry['id']}" for entry in incident.meta["agencies"])
    lead = (incident.meta.get("investigation") or {}).get("lead")
    if lead:
        deps.add(f"agency:{lead}")
    return deps


def incident_json(incident: Incident, site: Site) -> bytes:
    """Return the incident's data file."""
    return (json.dumps(incident_record(incident, site), indent=2, ensure_ascii=False) + "\n").encode()


def render_site(site: Site, templates: Path, progress: Progress | None = None) -> dict[str, bytes]:
    """Render every page; return output paths (relative to site/) mapped to their bytes."""
    jobs = plan_site(site, templates)
    with stage(progress, "Rendering", len(jobs)) as advance:
        return {job.path: counting(job.render, advance)() for job in jobs}
