"""Numbered citations: each source of a page gets a number, and each source knows where it is cited.

A page has one numbered list of sources (in the order of its `sources:`), and every citation,
in the text (`[^source-id]`) or in the front matter (`sources: [...]` of a person, a timeline
entry or a disputed claim), is a marker showing that number. Readers never see a source's id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# The same shape record_checks.py accepts as a citation: no '[' in a label, so the scan stays linear.
CITATION = re.compile(r"\[\^([^\]\s[]+)\]")

# The parts of an incident page that cite sources, in page order: (id of its heading, its name).
SECTIONS = (
    ("facts", "Facts"),
    ("narrative", "What happened"),
    ("timeline", "Timeline"),
    ("disputed", "Where sources disagree"),
)
MAX_BACK_LINKS = 3  # a source lists where it is cited; at most this many of those are links


def source_numbers(sources: Iterable[dict]) -> dict[str, str]:
    """Return each source id's number on the page ('1', '2', ...), in the order sources are listed."""
    return {source["id"]: str(number) for number, source in enumerate(sources, start=1)}


@dataclass(frozen=True)
class Citations:
    """A page's source numbers and, for each source, the sections of the page that cite it."""

    numbers: dict[str, str]
    cited_in: dict[str, tuple[tuple[str, str], ...]]

    def back_links(self, source_id: str) -> tuple[tuple[str, str], ...]:
        """Return the (heading id, name) of the sections citing the source that get a link back."""
        return self.cited_in.get(source_id, ())[:MAX_BACK_LINKS]

    def also_in(self, source_id: str) -> tuple[str, ...]:
        """Return the names of any further sections citing the source, named without a link."""
        return tuple(name for _, name in self.cited_in.get(source_id, ())[MAX_BACK_LINKS:])


def _ids(entries: object, key: str = "sources") -> set[str]:
    found: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict):
            found.update(sid for sid in entry.get(key) or [] if isinstance(sid, str))
    return found


def citations_of(meta: dict, body: str) -> Citations:
    """Return the citations of an incident (or any page with sources) from its front matter and text."""
    claims = [claim for point in meta.get("disputed") or [] for claim in point.get("claims") or []]
    citing = {
        "facts": _ids(meta.get("people")),
        "narrative": set(CITATION.findall(body)),
        "timeline": _ids(meta.get("timeline")),
        "disputed": _ids(claims),
    }
    sources = meta.get("sources") or []
    cited_in = {
        source["id"]: tuple((key, name) for key, name in SECTIONS if source["id"] in citing[key]) for source in sources
    }
    return Citations(source_numbers(sources), cited_in)
