"""The incidents a page's chart or map shows, once each, and the digest a memo of them is named by."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from kcrecord.content.recorded import Recorded
from kcrecord.engine.deps import digest
from kcrecord.outputs.fragments import Fragments

R = TypeVar("R", bound=Recorded)


def members(fragments: Fragments, items: Iterable[R]) -> tuple[list[R], str]:
    """Return items once each (an incident listed under two of an agency's roles), in order, and their digest.

    The digest names their files: a memo kept under it is used again for the very same incidents.
    Their keys are looked up as the lists look up theirs (Fragments.keys_of): after an edit, only
    the edited incident's, not 10,000 of them.
    """
    once = tuple({id(item): item for item in items}.values())
    keys = fragments.keys_of("members", once)
    if len(set(keys)) < len(keys):  # two objects of one file: keep the first
        first: dict[str, R] = {}
        for key, item in zip(keys, once, strict=True):
            first.setdefault(key, item)
        once, keys = tuple(first.values()), list(first)
    return list(once), digest("\n".join(keys))
