"""Which content files the engine's loads read again in place, so a stage can redo only those.

The preview's updates mostly follow an edit to one incident: the loader is skipped and the file
is read again in place (Engine._edited_in_place), every other file being the very object it
was. A stage that keeps what it made from the last content it saw (the checks, the files'
fingerprints, the assembled site) asks the log which files were read again since then, and
redoes the whole stage when the answer is None: a whole load came between (files added,
removed or renamed, site.yaml, a first run), or the stage never ran.
"""

from __future__ import annotations

from collections.abc import Iterable

KEPT = 256  # updates remembered; a stage further behind than this does its whole work


class EditLog:
    """A numbered log of the loads: whole loads, and the files each in-place load read again."""

    def __init__(self) -> None:
        self.version = 0
        self._whole_at = 0
        self._edits: list[tuple[int, frozenset[str]]] = []

    def whole(self) -> int:
        """Log a whole load; return its number."""
        self.version += 1
        self._whole_at = self.version
        self._edits.clear()
        return self.version

    def edited(self, rels: Iterable[str]) -> int:
        """Log an in-place load that read the files rels again; return its number."""
        self.version += 1
        self._edits.append((self.version, frozenset(rels)))
        del self._edits[:-KEPT]
        return self.version

    def since(self, seen: int | None) -> set[str] | None:
        """Return the files read again in place after load number seen; None when a stage must redo it all."""
        if seen is None or seen < self._whole_at or seen > self.version:
            return None
        if self._edits and seen < self._edits[0][0] - 1:
            return None  # older than what is remembered
        found: set[str] = set()
        for number, rels in self._edits:
            if number > seen:
                found |= rels
        return found
