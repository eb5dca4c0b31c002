"""Stage 4, render: plan every output of the site, and fill the Jinja templates from the site model.

Templates are read once per update into a snapshot (TemplateSnapshot), so every output of one
update sees one state of templates/, and each template an output loads, whether by extends,
include, import or from Python, is recorded as template:<name> (kcrecord/engine/deps.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import jinja2
import markupsafe
from jinja2.utils import internalcode

from kcrecord.content.assemble import ROLE_ORDER, Incident, Site, incidents_named
from kcrecord.content.citations import citations_of
from kcrecord.content.history import commit_url
from kcrecord.content.json_schema import schema_files
from kcrecord.content.load import project_files, read_regular_file
from kcrecord.content.yaml_strict import NOT_XML
from kcrecord.engine.deps import digest, identity, note
from kcrecord.engine.progress import Progress, counting, stage
from kcrecord.outputs.charts import chart_facts, year_type_chart
from kcrecord.outputs.database_build import database_head_start
from kcrecord.outputs.discovery import incident_json_ld, json_ld
from kcrecord.outputs.formats import format_date, format_time, incident_record
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.json_indent import indented
from kcrecord.outputs.later import worked_out
from kcrecord.outputs.map_pages import area_map, locator, outline_files, register_map_pieces
from kcrecord.outputs.readers import plan_readers
from kcrecord.outputs.spooled import Spooled
from kcrecord.outputs.template_runtime import FastContext, FastTemplate, fast_getattr


class TemplateSnapshot(jinja2.BaseLoader):
    """The templates folder read once: every output of an update renders from the same sources."""

    def __init__(self, folder: Path, sources: Mapping[str, str] | None = None) -> None:
        self.folder = folder
        self.sources = dict(sources) if sources is not None else read_templates(folder)
        self.fingerprints = {name: digest(text) for name, text in self.sources.items()}

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source = self.sources.get(template)
        if source is None:
            raise jinja2.TemplateNotFound(template)
        return source, str(self.folder / template), lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.sources)


def read_templates(folder: Path) -> dict[str, str]:
    """Return every template below folder by name (hidden files and editor backups left out)."""
    found = {}
    for path in project_files(folder.parent, folder.name, []):  # the loader's rule: no links, no hidden files
        rel = path.relative_to(folder).as_posix()
        data, _refused = read_regular_file(path, rel)
        if data is not None and not rel.endswith("~"):  # the loader reports what is not a plain file
            found[rel] = data.decode("utf-8", "replace")  # and what is not UTF-8, before anything renders
    return found


class RecordingEnvironment(jinja2.Environment):
    """A Jinja environment that records each template an output loads, found or not.

    Its context and attribute reads take shorter paths through Jinja's runtime, with Jinja's
    results (kcrecord/outputs/template_runtime.py).
    """

    context_class = FastContext
    template_class = FastTemplate

    @internalcode  # hidden from template tracebacks, as fast_getattr is
    def getattr(self, obj: Any, attribute: str) -> Any:
        return fast_getattr(self, obj, attribute)

    def _load_template(self, name: Any, globals: MutableMapping[str, Any] | None) -> jinja2.Template:
        if isinstance(name, str):
            loader = self.loader
            assert isinstance(loader, TemplateSnapshot)
            note(f"template:{name}", loader.fingerprints.get(name, ""))
        return super()._load_template(name, globals)


def make_environment(
    templates: Path | TemplateSnapshot,
    site: Site,
    bytecode_cache: jinja2.BytecodeCache | None = None,
    fragments: Fragments | None = None,
) -> jinja2.Environment:
    """Create the Jinja environment: autoescape on, undefined names fail the build."""
    loader = templates if isinstance(templates, TemplateSnapshot) else TemplateSnapshot(templates)
    env = RecordingEnvironment(
        loader=loader,
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
    item = fragments.register("incident_item", partial(incident_item, env), site.incidents, site.published_by_file())
    register_map_pieces(env, fragments)
    fragments.register("chart-facts", chart_facts)
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
        incident_items=partial(incident_items, item, fragments),
        area_map=partial(area_map, env, fragments),
        locator_map=partial(locator, env, fragments),
    )
    return env


def incident_item(env: jinja2.Environment, incident: Incident) -> str:
    """Return an incident's list item (the macro is looked up inside the piece, so the piece records it)."""
    return env.get_template("_macros.html").module.incident_item(incident)  # type: ignore[no-any-return,attr-defined]


def incident_items(
    item: Callable[[Incident], str], fragments: Fragments, incidents: Iterable[Incident]
) -> markupsafe.Markup:
    """Return the list items of incidents, each rendered once by the incident_item macro in _macros.html."""
    return markupsafe.Markup("".join(fragments.each("incident_item", incidents, item)))


@dataclass(frozen=True)
class Job:
    """One output file: its path below site/, how to render it, and what the planner handed it.

    Nothing here says what the output reads: the engine records that while render() runs
    (kcrecord/engine/deps.py). plan is the template and context (or the render function) the
    planner chose; the engine fingerprints it as plan:<path>, so handing the output other
    incidents or another template makes it again.
    """

    path: str
    render: Callable[[], bytes | Spooled]  # Spooled: a large file kept out of memory (the database)
    plan: tuple = ()
    identity_attribute: ClassVar[str] = "path"  # what identity_key returns (kcrecord/engine/plan_snapshot.py)

    def identity_key(self) -> str:
        """Return the output's path: a planned output is known by where it goes (kcrecord/engine/deps.py)."""
        return self.path

    def plan_key(self) -> str:
        """Return the fingerprint of what the planner handed this output."""
        return digest(identity(self.plan))


def plan_site(
    site: Site,
    templates: Path | TemplateSnapshot,
    bytecode_cache: jinja2.BytecodeCache | None = None,
    only_incidents: Collection[str] | None = None,
    fragments: Fragments | None = None,
    kept: KeptJobs | None = None,
) -> list[Job]:
    """Return every output of the site as a job, without rendering anything yet.

    only_incidents (slugs) plans just those incidents' own pages and none of the other outputs:
    make serve's quick first pass after an edit, which must not cost a loop over every incident.
    fragments keeps each incident's pieces of the lists and downloads (make serve and the cache
    folder pass one that lives across updates). kept: each incident's jobs from the last planning
    (make serve passes one that lives across updates).
    """
    fragments = Fragments() if fragments is None else fragments
    env = make_environment(templates, site, bytecode_cache, fragments)
    kept = KeptJobs() if kept is None else kept
    kept.env, kept.site = env, site  # what every kept job renders with from now on
    jobs: list[Job] = []

    def page(path: str, template: str, **context: object) -> None:
        def render() -> bytes:
            return env.get_template(template).render(page_path=path, **worked_out(context)).encode("utf-8")

        target = path + "index.html" if path.endswith("/") or path == "" else path
        made = xml_safe(render) if target.endswith(".xml") else render
        jobs.append(Job(target, made, (template, path, context)))

    def output(path: str, render: Callable[[], bytes | Spooled]) -> None:
        jobs.append(Job(path, xml_safe(render) if path.endswith(".xml") else render, (render,)))

    if only_incidents is not None:
        for incident in incidents_named(site, only_incidents):
            jobs += kept.jobs_of(incident)
        return jobs
    page("", "home.html", latest=site.incidents[-10:][::-1])
    jobs += kept.every(site.incidents)
    page("timeline/", "timeline.html", title="Timeline")
    for year, incidents in site.years.items():
        page(f"timeline/{year}/", "timeline_year.html", year=year, incidents=incidents, title=f"Incidents in {year}")
    page("agencies/", "agencies.html", title="Agencies")
    for agency in site.agencies.values():
        page(agency.path, "agency.html", agency=agency, title=agency.meta["name"])
    for item in site.pages:
        page(item.path, "page.html", page=item, title=item.meta["title"])
    page("404.html", "404.html", title="Page not found")
    schemas = fragments.memo("schema-files", (), lambda: schema_files(site.config.vocab))
    for name in schemas:
        output(f"data/{name}", partial(_schema_file, fragments, site, name))
    for name, render_map in outline_files(env, fragments).items():
        output(name, render_map)
    plan_readers(site, env, page, output, lambda: [job.path for job in jobs], fragments)
    return jobs


class KeptJobs:
    """Each incident's page and data file as planned, kept from one planning to the next while the incident is.

    The preview plans every output at each update: making 20,000 jobs again, working out each
    one's plan key and freeing the last update's took 150-300 ms of each update at 10,000
    incidents, nearly all for incidents that had not changed (the same objects: an incident is
    assembled again only when its file changed). A job kept here is the same object as last
    time, so the engine takes its plan key as it was (kcrecord/engine/plan_keys.py); its plan
    holds only the incident and strings, as a new one's would. Its render finds the environment
    and the site of the planning that handed it out here (plan_site sets them), so it renders
    exactly as a job planned now would: plans are made and used one at a time.
    """

    def __init__(self) -> None:
        self.env: jinja2.Environment | None = None
        self.site: Site | None = None
        self._by_incident: dict[int, tuple[Incident, Job, Job]] = {}

    def jobs_of(self, incident: Incident) -> tuple[Job, Job]:
        """Return the incident's page and data file, kept or planned now."""
        found = self._by_incident.get(id(incident))
        if found is None or found[0] is not incident:
            found = self._by_incident[id(incident)] = self._planned(incident)
        return found[1], found[2]

    def every(self, incidents: Iterable[Incident]) -> list[Job]:
        """Return each incident's page and data file in turn, and keep only these incidents' jobs."""
        before, now, jobs = self._by_incident, {}, []
        for incident in incidents:
            found = before.get(id(incident))
            if found is None or found[0] is not incident:
                found = self._planned(incident)
            now[id(incident)] = found
            jobs.append(found[1])
            jobs.append(found[2])
        self._by_incident = now
        return jobs

    def _planned(self, incident: Incident) -> tuple[Incident, Job, Job]:
        path = incident.path
        context = {"incident": incident, "title": incident.title}
        page = Job(path + "index.html", partial(_incident_page, self, path, context), ("incident.html", path, context))
        data = partial(_incident_data, self, incident)
        return incident, page, Job(path + "incident.json", data, (data,))


def _incident_page(kept: KeptJobs, path: str, context: dict[str, Any]) -> bytes:
    assert kept.env is not None
    return kept.env.get_template("incident.html").render(page_path=path, **context).encode("utf-8")


def _incident_data(kept: KeptJobs, incident: Incident) -> bytes:
    assert kept.site is not None
    return incident_json(incident, kept.site)


def start_ahead(site: Site, fragments: Fragments, again: list[Incident]) -> None:
    """Begin in threads what making the outputs will likely need, guessing that only the incidents in again changed.

    The engine calls this once the site is assembled and before planning (kcrecord/engine/head_start.py):
    today the database's patch, the one output whose making is mostly work done without Python's lock.
    """
    database_head_start(fragments, site, again)


def _schema_file(fragments: Fragments, site: Site, name: str) -> bytes:
    return fragments.memo("schema-files", (), lambda: schema_files(site.config.vocab))[name]


def xml_safe(render: Callable[[], bytes]) -> Callable[[], bytes]:
    """Wrap an XML output's render so characters XML 1.0 cannot hold are removed (validation refuses them first)."""

    def safe() -> bytes:
        return NOT_XML.sub("", render().decode("utf-8", "surrogatepass")).encode("utf-8")

    return safe


def incident_json(incident: Incident, site: Site) -> bytes:
    """Return the incident's data file."""
    return (indented(incident_record(incident, site), 2) + "\n").encode()


def render_site(site: Site, templates: Path, progress: Progress | None = None) -> dict[str, bytes]:
    """Render every page; return output paths (relative to site/) mapped to their bytes."""
    jobs = plan_site(site, templates)
    with stage(progress, "Rendering", len(jobs)) as advance:
        return {job.path: counting(job.render, advance)() for job in jobs}
