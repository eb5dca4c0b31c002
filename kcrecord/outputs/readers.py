"""The readers' extras planned with the pages: the incidents table, downloads, search, feed, sitemap, robots.txt."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Protocol

import jinja2
import markupsafe

from kcrecord.content.assemble import Incident, Site
from kcrecord.outputs import PACKAGED, discovery, downloads
from kcrecord.outputs.database_build import database_file
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.incident_data import incident_data, incident_rows, register_data_pieces
from kcrecord.outputs.incident_table import plan_incident_table
from kcrecord.outputs.later import Later
from kcrecord.outputs.packaged import DATABASE_FILE, about_files
from kcrecord.outputs.spooled import Spooled
from kcrecord.outputs.tables import EXTRA_COLUMNS, EXTRA_TABLES

# Every download below data/, with its media type, in the order the data page lists them.
DOWNLOADS = (
    ("incidents.csv", "text/csv"),
    ("people.csv", "text/csv"),
    ("agencies.csv", "text/csv"),
    ("sources.csv", "text/csv"),
    ("incidents.json", "application/json"),
    ("incidents.geojson", "application/geo+json"),
)


class AddPage(Protocol):
    """plan_site's helper that adds a page job."""

    def __call__(self, path: str, template: str, **context: object) -> None: ...


AddOutput = Callable[..., None]
Files = dict[str, "bytes | Spooled"]


def size_label(size: int) -> str:
    """Return a file size for people: '812 bytes', '14 KB', '2.3 MB'."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{round(size / 1000)} KB"
    return f"{size / 1_000_000:.1f} MB"


def plan_readers(
    site: Site,
    env: jinja2.Environment,
    page: AddPage,
    output: AddOutput,
    html_paths: Callable[[], list[str]],
    fragments: Fragments,
) -> None:
    """Add the data, search, feed, sitemap and robots.txt outputs through plan_site's helpers."""
    # Before the memos that read these pieces are asked for (the data page's are, as it is planned): a
    # piece whose maker is registered is made again ahead to learn whether its value changed.
    fragments.register("licence-meta", discovery.licence_meta)

    def download_files() -> Files:
        """Return the downloads: in make site, each written to a file as it is joined (Spooled), not held whole."""
        join = b"".join  # the preview keeps bytes: copied once less at each edit
        if fragments.spill is not None:
            join = functools.partial(Spooled.or_bytes, folder=fragments.scratch)
        return downloads.render_downloads(site, site.commit, fragments, incident_data(site, fragments), join)

    def database_files() -> Files:
        return {DATABASE_FILE: database_file(site, fragments, incident_rows(site, fragments))}

    makers: dict[str, tuple[Callable[[], Files], bool]] = {  # memo -> (maker, fingerprinted by its reads)
        "downloads": (download_files, True),
        "database": (database_files, True),
        "data-about": (lambda: about_files(site, downloads.kept_licence_metas(site, fragments)), False),
    }
    made_by = {f"data/{name}": "downloads" for name, _media in DOWNLOADS}
    made_by.update({DATABASE_FILE: "database", **{f"data/{name}": "data-about" for name, _ in PACKAGED[1:]}})

    def data_file(rel: str) -> bytes | Spooled:
        """Return one file below data/ from the memo that makes it (its readers pick a file of it).

        Three memos, as they read different things: after an edit to a narrative (which only the
        database holds) the database is made again and the other files are not (the data page
        is, as its size memo for the database reads the database's memo).
        """
        make, heavy = makers[made_by[rel]]  # the data page's sizes are memos too: made again for a file made again
        return fragments.memo(made_by[rel], (), make, by_reads=heavy)[rel]

    def size(name: str) -> str:
        """Return the size the data page shows for data/name (a memo that reads the file's memo)."""
        return fragments.memo(f"size:{name}", (), lambda: size_label(len(data_file(f"data/{name}"))))

    def file(rel: str) -> bytes | Spooled:
        """Return data_file(rel), with the sizes of every file of its memo made meanwhile.

        So the data page, planned after the files, finds its sizes made: a cold make site holds
        one heavy memo's value at a time (Fragments.memo), about 45 MB each at 10,000 incidents.
        """
        made = data_file(rel)
        for other, memo in made_by.items():
            if memo == made_by[rel]:
                size(other.removeprefix("data/"))
        return made

    for rel in made_by:
        output(rel, functools.partial(file, rel))
    page(  # planned after the files, whose jobs make its sizes (while each memo's value is held)
        "data/",
        "data.html",
        title="Data",
        tables=downloads.TABLES,
        geojson_properties=downloads.GEOJSON_PROPERTIES,
        sizes=size,
        located=Later(
            lambda: fragments.memo(
                "located-count", (), lambda: sum(fragments.each("located", site.incidents, downloads.located))
            )
        ),  # worked out as the page is made (kcrecord/outputs/later.py), like the licences below
        database_tables=EXTRA_TABLES,
        database_columns=EXTRA_COLUMNS,
        commit=site.commit,
        licences=Later(lambda: downloads.kept_licence_counts(site, fragments)),
        dataset_ld=Later(
            lambda: discovery.dataset_json_ld(
                site,
                [(f"data/{name}", media) for name, media in DOWNLOADS + PACKAGED[:1]],
                fragments.memo(
                    "licence-addresses",
                    (),
                    lambda: discovery.dataset_licences(site, downloads.kept_licence_metas(site, fragments)),
                ),
            )
        ),
    )
    plan_incident_table(site, env, page, output, fragments)  # /incidents/, its pages and their filter data
    page("review/", "review.html", title="Waiting for review")
    page("search/", "search.html", title="Search")

    def feed() -> bytes:
        entries = discovery.feed_entries(site, fragments.each("last_changed", site.incidents, discovery.last_changed))
        # With no incidents there is no change to date; a fixed date keeps builds identical.
        updated = entries[0].updated if entries else "1970-01-01T00:00:00Z"
        return env.get_template("feed.xml").render(entries=entries, updated=updated).encode("utf-8")

    def url_entry(*args: object) -> str:  # looked up where it is used, so each piece records the template
        return env.get_template("_sitemap.xml").module.url_entry(*args)  # type: ignore[no-any-return,attr-defined]

    def incident_entry(incident: Incident) -> str:  # an incident page carries the date it last changed
        return url_entry(site.config.base_url + incident.path, discovery.last_changed(incident).isoformat())

    fragments.register("sitemap", incident_entry, site.incidents)
    fragments.register("located", downloads.located)
    fragments.register("last_changed", discovery.last_changed)
    register_data_pieces(site, fragments)

    def sitemap() -> bytes:
        made = fragments.each("sitemap", site.incidents, incident_entry)
        kept = dict(zip((incident.path + "index.html" for incident in site.incidents), made, strict=True))
        entries = [
            kept.get(rel) or url_entry(site.config.base_url + path, None)
            for rel, path in discovery.sitemap_pages(html_paths())
        ]
        return env.get_template("sitemap.xml").render(entries=markupsafe.Markup("".join(entries))).encode("utf-8")

    output("feed.xml", feed)
    output("sitemap.xml", sitemap)
    output("robots.txt", lambda: discovery.robots_txt(site))
