"""Stage 3, assemble: turn validated files into the site model the templates read (kcrecord/content/site_model.py)."""

from __future__ import annotations

from collections.abc import Collection
from operator import attrgetter
from urllib.parse import urlsplit

from kcrecord.content.citations import source_numbers
from kcrecord.content.coverage import read_coverage
from kcrecord.content.history import Change
from kcrecord.content.load import Content, SourceFile
from kcrecord.content.markdown_render import MarkdownRenderer, RenderTooSlowError
from kcrecord.content.problems import ContentError, Problem
from kcrecord.content.recorded import file_key, set_reads
from kcrecord.content.site_model import ROLE_ORDER, Agency, Config, History, Incident, Page, Site
from kcrecord.content.validate import vocabularies_of
from kcrecord.engine.deps import digest

__all__ = [
    "ROLE_ORDER",
    "Agency",
    "Config",
    "History",
    "Incident",
    "Page",
    "Site",
    "assemble",
    "incidents_named",
    "read_config",
]


def read_config(content: Content, base_url: str | None = None) -> Config:
    """Return the validated site settings, with an optional base URL override."""
    assert content.config is not None
    data = content.config.data
    assert isinstance(data, dict)
    url = base_url or data["base_url"]
    if not url.endswith("/"):
        url += "/"
    path = urlsplit(url).path or "/"
    return Config(
        title=data["title"],
        description=data["description"],
        base_url=url,
        base_path=path,
        repository=data["repository"].rstrip("/"),
        branch=data["branch"],
        language=data.get("language", "en"),
        licence=data["licence"],
        vocab=vocabularies_of(content),
        coverage=read_coverage(data.get("coverage")),
    )


def _render(renderer: MarkdownRenderer, source: SourceFile, *args: object, **options: object) -> str:
    """Render source's body; a body that takes too long becomes a problem instead of a hang."""
    try:
        return renderer.render(source.body, *args, **options)
    except RenderTooSlowError as error:
        problem = Problem(
            source.rel,
            source.body_line,
            "body",
            f"this text took more than {error.args[0]:g} s to turn into HTML; split long paragraphs, "
            "lists or tables with blank lines, or remove repeated punctuation",
        )
        raise ContentError([problem]) from None  # stop at the first: each slow file would cost the limit again


def _history(history: dict[str, tuple[Change, ...]] | None, previous: Site | None) -> History:
    """Return the site's History: previous's when made from the very same commits (its fingerprints worked out once)."""
    if previous is not None and history is not None:
        kept = object.__getattribute__(previous, "history")  # not a read of the site
        if object.__getattribute__(kept, "_changes") is history:
            return kept  # type: ignore[no-any-return]
    return History(history if history is not None else {})


def assemble(
    content: Content,
    base_url: str | None = None,
    renderer: MarkdownRenderer | None = None,
    commit: str = "unknown",
    previous: Site | None = None,
    history: dict[str, tuple[Change, ...]] | None = None,
    edited: list[SourceFile] | None = None,
    kept: dict[int, Incident] | None = None,
) -> Site:
    """Build the site model from content that has passed validation.

    previous is a site assembled with the same settings (make serve passes the last one): an incident
    whose SourceFile is the very same object as then is reused instead of being rendered again, and
    when only incidents were edited without changing their order, drafts or agencies, the lists
    are taken from previous with the edited incidents swapped in (an edit costs no loop over
    every incident's attributes).
    history maps an incident file's path to the commits that changed it (kcrecord/content/history.py).
    edited: when the caller knows them, the incident files read again since previous was assembled,
    every other file being the very object it was then (and site.yaml too); only these are looked at.
    kept: incidents assembled before (by an earlier build, with these settings) from the very
    SourceFile objects of content, by id of that object (make site passes those it kept).
    """
    config = read_config(content, base_url)
    renderer = renderer or MarkdownRenderer(config.base_path)
    agencies = _agencies(content, renderer)
    pages = _pages(content, renderer)
    history_model = _history(history, previous)
    if previous is not None:
        swapped = _swap_edited(content, config, renderer, previous, agencies, edited)
        if swapped is not None:
            incidents, drafts, index = swapped
            site = _site(config, incidents, agencies, pages, commit, history_model, drafts, index, previous)
            _carry_derived(previous, site)
            return site
    incidents = []
    drafts = []
    reuse = previous.__dict__["_index"]["by_source"] if previous is not None and "_index" in previous.__dict__ else {}
    reuse = reuse or kept or {}
    for source in content.files["incidents"]:
        kept = reuse.get(id(source))
        if kept is not None and kept.source is source:
            incidents.append(kept)  # published then, from the very same file
        elif source.meta.get("draft"):
            drafts.append(source)
        else:
            incidents.append(_incident(source, renderer, config))
    incidents.sort(key=attrgetter("sort_key"))
    for incident in incidents:
        for role, agency_id in incident.agency_roles:
            agencies[agency_id].incidents_by_role.setdefault(role, []).append(incident)
    for agency in agencies.values():
        grouped = object.__getattribute__(agency, "incidents_by_role")
        by_role = {role: [i.source.rel for i in group] for role, group in grouped.items()}
        _agency_reads(agency, {f"agency-incidents:{agency.slug}": digest(repr(by_role))})
    return _site(config, incidents, agencies, pages, commit, history_model, drafts)


KEPT_AT_ONCE = ("year", "sort_key", "agency_roles", "origin", "title")
"""An incident's values that the lists and counts read of every incident, worked out as it is assembled: an
incident kept in the cache folder (kcrecord/engine/kept_files.py) holds them, and its front matter stays
pickled in a build that reads nothing else of it."""


def _incident(source: SourceFile, renderer: MarkdownRenderer, config: Config) -> Incident:
    meta = source.meta
    # The narrative sits under the page's "What happened" h2, so its ## headings become h3.
    html = _render(renderer, source, source_numbers(meta["sources"]), shift_headings=1)
    incident = Incident(source.slug, meta, html, source)
    whole = {file_key(source.rel): source.digest}  # its body is read through these two
    body_html = {**whole, "config:base_path": digest(repr(config.base_path))}
    # Its slug and path are its file's name: whatever handed the incident over noted which file it is
    # (a list's coll:incidents or agency-incidents:<slug>, a plan, a piece's key), so they read nothing more.
    front = {file_key(source.rel, "front:"): source.front_digest}
    set_reads(incident, front, body_html=body_html, source=whole, slug={}, path={})
    for entry in meta["agencies"]:
        incident.agencies_by_role.setdefault(entry["role"], []).append(entry["id"])
    for name in KEPT_AT_ONCE:
        getattr(incident, name)
    return incident


def _agencies(content: Content, renderer: MarkdownRenderer) -> dict[str, Agency]:
    agencies = {}
    for source in sorted(content.files["agencies"], key=lambda s: s.slug):
        notes = source_numbers(source.meta.get("sources", []))
        agencies[source.slug] = agency = Agency(source.slug, source.meta, _render(renderer, source, notes), source)
        set_reads(agency, {file_key(source.rel): source.digest})
    return agencies


def _agency_reads(agency: Agency, key: dict[str, str]) -> None:
    """Say what reading agency records: its file, and for its incidents and count, which incidents name it."""
    set_reads(agency, {file_key(agency.source.rel): agency.source.digest}, incidents_by_role=key, count=key)


def _pages(content: Content, renderer: MarkdownRenderer) -> list[Page]:
    pages = [Page(s.slug, s.meta, _render(renderer, s), s) for s in content.files["pages"]]
    for item in pages:
        set_reads(item, {file_key(item.source.rel): item.source.digest})
    pages.sort(key=lambda p: p.slug)
    return pages


def _site(
    config: Config,
    incidents: list[Incident],
    agencies: dict[str, Agency],
    pages: list[Page],
    commit: str,
    history: History,
    drafts: list[SourceFile],
    index: dict[str, dict] | None = None,
    same_incidents_as: Site | None = None,
) -> Site:
    site = Site(config, incidents, agencies, pages, commit, history, same_incidents_as)
    if index is None:
        sources = [object.__getattribute__(incident, "source") for incident in incidents]
        index = {
            "by_source": {id(source): incident for source, incident in zip(sources, incidents, strict=True)},
            "by_rel": {source.rel: incident for source, incident in zip(sources, incidents, strict=True)},
            "by_slug": {source.slug: incident for source, incident in zip(sources, incidents, strict=True)},
        }
    index["drafts"] = {id(source): source for source in drafts}  # the sources are kept alive: ids stay unique
    object.__setattr__(site, "_index", index)  # for the next assembly's edits (_swap_edited)
    return site


def _swap_edited(
    content: Content,
    config: Config,
    renderer: MarkdownRenderer,
    previous: Site,
    agencies: dict[str, Agency],
    edited: list[SourceFile] | None = None,
) -> tuple[list[Incident], list[SourceFile], dict[str, dict]] | None:
    """Return previous's incidents with the edited ones swapped in, the drafts and the new index, or None.

    None when more changed than incidents' text: then the whole assembly runs.

    That is: a file added, removed or renamed, a draft published or unpublished, an incident
    whose date, time or agencies changed (its place in the lists), or another set of agencies.
    """
    index = previous.__dict__.get("_index")
    if index is None or set(agencies) != set(previous.agencies):
        return None
    by_source, by_rel, drafts_before = index["by_source"], index["by_rel"], index["drafts"]
    drafts, swapped = [], {}
    published = 0
    if edited is not None:  # every other incident file is the very object previous was assembled from
        drafts = list(drafts_before.values())
        published = len(previous.incidents) - sum(1 for source in edited if source.rel in by_rel)
    for source in content.files["incidents"] if edited is None else edited:
        kept = by_source.get(id(source))
        if kept is not None and object.__getattribute__(kept, "source") is source:
            published += 1
            continue
        if drafts_before.get(id(source)) is source:
            if edited is None:
                drafts.append(source)
            continue
        old = by_rel.get(source.rel)
        if old is None or source.meta.get("draft"):
            return None
        new = _incident(source, renderer, config)
        old_roles = object.__getattribute__(old, "agencies_by_role")
        if new.sort_key != old.sort_key or new.agencies_by_role != old_roles:
            return None
        swapped[id(old)] = new
        published += 1
    if published != len(previous.incidents):
        return None
    for slug, agency in agencies.items():
        before = previous.agencies[slug]
        agency.incidents_by_role = dict(object.__getattribute__(before, "incidents_by_role"))  # lists shared
        _agency_reads(agency, object.__getattribute__(before, "_reads")["count"])
    for old_id, new in swapped.items():  # a copy of each list that holds an edited incident, with it swapped in
        for role, agency_id in new.agency_roles:
            group = list(object.__getattribute__(agencies[agency_id], "incidents_by_role")[role])
            group[[id(i) for i in group].index(old_id)] = new
            agencies[agency_id].incidents_by_role[role] = group
    new_index = {"by_source": dict(by_source), "by_rel": dict(by_rel), "by_slug": dict(index["by_slug"])}
    for new in swapped.values():
        source = object.__getattribute__(new, "source")
        del new_index["by_source"][id(object.__getattribute__(by_rel[source.rel], "source"))]
        new_index["by_source"][id(source)] = new_index["by_rel"][source.rel] = new_index["by_slug"][source.slug] = new
    return [swapped.get(id(i), i) for i in previous.incidents], drafts, new_index


def _carry_derived(previous: Site, site: Site) -> None:
    """Give site the derived values previous worked out that its swapped-in incidents leave as they were.

    The swapped incidents have the sort keys and agencies of those they replace (_swap_edited), so
    each stays in its year at its place; the counts by source and the review queue also need their
    origin (and for the queue, its updated date) unchanged, and the same settings. Lists of incidents
    get the new objects at the old ones' places; a fingerprint (of which files, in which order) stays.
    """
    get = object.__getattribute__
    store = get(previous, "__dict__").get("_derived")
    if not store:
        return
    pairs = [(old, new) for old, new in zip(get(previous, "incidents"), get(site, "incidents"), strict=True)]
    swapped = {id(old): new for old, new in pairs if old is not new}
    same = get(previous, "config") == get(site, "config") and all(
        old.origin == new.origin and old.meta["updated"] == new.meta["updated"]  # an incident kept in the cache
        for old, new in pairs  # folder reads its front matter when first asked for (not through the object's dict)
        if old is not new
    )

    def swap(group: list[Incident]) -> list[Incident]:
        return [swapped.get(id(incident), incident) for incident in group]

    carried = {}
    if "years" in store:
        years, fingerprint = store["years"]
        carried["years"] = ({year: swap(group) for year, group in years.items()}, fingerprint)
    if same and "source_counts" in store:
        carried["source_counts"] = store["source_counts"]
    if same and "waiting_review" in store:
        waiting, fingerprint = store["waiting_review"]
        carried["waiting_review"] = (swap(waiting), fingerprint)
    get(site, "__dict__")["_derived"] = carried


def incidents_named(site: Site, slugs: Collection[str]) -> list[Incident]:
    """Return the published incidents with these slugs, in the site's order (looked up, not searched for)."""
    by_slug = site.__dict__["_index"]["by_slug"] if "_index" in site.__dict__ else {i.slug: i for i in site.incidents}
    return sorted((by_slug[slug] for slug in set(slugs) if slug in by_slug), key=attrgetter("sort_key"))


def made_from(site: Site, commit: str, history: dict | None) -> bool:
    """Return True when site was assembled with this commit and these very commits of each file (read unrecorded)."""
    kept = object.__getattribute__(site, "history")
    return object.__getattribute__(site, "commit") == commit and object.__getattribute__(kept, "_changes") is history
