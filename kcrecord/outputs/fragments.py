"""Per-incident pieces of the outputs that list every incident, made once and then joined.

The timeline, the agency pages, the feed, the sitemap and the downloads hold one piece per
incident: its list item, its CSV rows, its JSON record, its GeoJSON feature, its sitemap entry.
A build makes each piece once and joins pieces, so an incident listed on four pages is rendered
once. The pieces are kept on the Incident object, and `make serve` reuses the Incident of every
file that did not change (assemble's previous), so after an edit only the edited incident's
pieces are made again and a list of 10,000 incidents is a join.

A piece may read its incident and the rest of the site apart from other incidents: site.yaml,
agencies, pages, templates and the commit. An Incident is made from one file's bytes and never
changed after assembly; the rest of the site is hashed into the context (context_of), part of
every piece's key. So a kept piece is always the piece a fresh build would make.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

import jinja2

from kcrecord.content.assemble import Incident, Site

T = TypeVar("T")


class Fragments:
    """Make per-incident pieces once per context, and keep values computed from many incidents."""

    def __init__(self) -> None:
        self.context = ""
        self._memos: dict[str, tuple[Hashable, object]] = {}

    def use(self, context: str) -> None:
        """Render from now on a site whose inputs other than incidents hash to context (see context_of)."""
        if context != self.context:
            self._memos.clear()
            self.context = context

    def each(self, name: str, incidents: Iterable[Incident], make: Callable[[Incident], T]) -> list[T]:
        """Return each incident's piece called name, making it with make(incident) unless it is kept."""
        key = f"{name}@{self.context}"
        incidents = incidents if isinstance(incidents, list) else list(incidents)
        try:
            return [incident.pieces[key] for incident in incidents]  # the usual case: all kept
        except KeyError:
            return [i.pieces[key] if key in i.pieces else self._piece(i, key, make) for i in incidents]

    def get(self, name: str, incident: Incident, make: Callable[[Incident], T]) -> T:
        """Return the incident's piece called name, making it with make(incident) unless it is kept."""
        return self.each(name, [incident], make)[0]

    def _piece(self, incident: Incident, key: str, make: Callable[[Incident], T]) -> T:
        pieces = incident.pieces
        for stale in [old for old in pieces if not old.endswith("@" + self.context)]:
            del pieces[stale]  # made for another context: never asked for again
        piece = pieces[key] = make(incident)
        return piece

    def memo(self, name: str, inputs: Hashable, make: Callable[[], T]) -> T:
        """Return make(), or the value it returned last time for name if inputs are equal to that time's."""
        kept = self._memos.get(name)
        if kept is not None and kept[0] == inputs:
            return kept[1]  # type: ignore[return-value]
        value = make()
        self._memos[name] = (inputs, value)
        return value


def context_of(site: Site, env: jinja2.Environment) -> str:
    """Return a hash of everything a piece may read besides its incident: settings, agencies, pages, templates."""
    digest = hashlib.sha256(f"{site.config!r}\0{site.commit}".encode())
    for source in [agency.source for agency in site.agencies.values()] + [page.source for page in site.pages]:
        digest.update(f"\0{source.rel}\0{source.digest}".encode())
    assert env.loader is not None
    for name in env.loader.list_templates():
        source, _, _ = env.loader.get_source(env, name)
        digest.update(f"\0{name}\0{source}".encode())
    return digest.hexdigest()
