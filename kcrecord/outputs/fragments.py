"""Pieces of outputs made once and kept with what they read: memos with recorded dependencies.

The timeline, the agency pages, the feed, the sitemap and the downloads hold one piece per
incident: its list item, its CSV rows, its JSON record, its GeoJSON feature, its sitemap entry.
Each piece is made once, inside its own recording frame (kcrecord/engine/deps.py), and kept
with that frame. Whoever uses a kept piece reads what the piece read: the frame is replayed
into theirs. At the next update (make serve) or the next build (make site, through the cache
folder) a kept piece is used again only while every key in its frame still has the fingerprint
it had, which the engine checks with `begin(fingerprint_of)`; otherwise it is made again.
Values computed from many incidents (the totals, the map's geography) are kept the same way
by `memo`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from kcrecord.engine.deps import FRAMES, digest, note, note_all, recording, value_fingerprint

T = TypeVar("T")

Pieces = list[dict[str, Any]]
"""Each incident's download pieces by name, made together (kcrecord/outputs/incident_data.py)."""


@dataclass
class Kept:
    """A value with the reads that made it, and the revision it was last found current in."""

    value: Any
    frame: dict[str, str]
    checked: int = 0
    fingerprint: str = ""  # a memo's value by identity: what its readers record (memo:<name>)
    dropped: bool = False  # a memo kept without its value (made again when used; its fingerprint still holds)
    heavy: bool = False  # a memo fingerprinted by its reads (memo(by_reads=True)): its value is not saved

    def __reduce__(self) -> tuple:
        """Pickle as a plain tuple (a third faster to save and load than a dataclass's dict); checked starts at 0."""
        return (Kept, (self.value, self.frame, 0, self.fingerprint, self.dropped, self.heavy))


class Fragments:
    """Make per-incident pieces and site-wide values once, and reuse them while what they read is unchanged."""

    def __init__(self, kept: dict[str, Kept] | None = None) -> None:
        self.kept: dict[str, Kept] = kept if kept is not None else {}
        for item in self.kept.values():
            item.checked = 0  # kept by another process, whose revisions count from 1 too: check each again
        self.revision = 1
        self._now: Callable[[str], str] | None = None
        self.made: list[str] = []  # keys of the values made, in order (worker processes send these back)
        self.scratch: Path | None = None  # a folder where a builder may keep working files between builds

    def begin(self, fingerprint_of: Callable[[str], str]) -> None:
        """Start a new revision: a kept value is current when each key it read has fingerprint_of(key) still."""
        self.revision += 1
        self._now = fingerprint_of
        self.made.clear()

    def each(self, name: str, incidents: Iterable[Any], make: Callable[[Any], T]) -> list[T]:
        """Return each incident's piece called name, making it with make(incident) unless a current one is kept.

        The same as get() for each incident in turn, written out in one loop: a list page or a
        download uses 10,000 pieces.
        """
        kept_get = self.kept.get
        revision = self.revision
        into = FRAMES[-1].update if FRAMES else None
        prefix = name + "\0"
        values = []
        for incident in incidents:
            key = prefix + type(incident).identity_key(incident)
            kept = kept_get(key)
            if kept is None or (kept.checked != revision and not self._current(kept)):
                with recording() as frame:
                    value = make(incident)
                kept = self.kept[key] = Kept(value, frame, revision)
                self.made.append(key)
            if into is not None:
                into(kept.frame)
            values.append(kept.value)
        return values

    def get(self, name: str, incident: Any, make: Callable[[Any], T]) -> T:
        """Return the incident's piece called name, making it with make(incident) unless a current one is kept."""
        return self._use(f"{name}\0{type(incident).identity_key(incident)}", lambda: make(incident))

    def memo(self, name: str, inputs: Hashable, make: Callable[[], T], by_reads: bool = False) -> T:
        """Return make(), kept under name and inputs while what it read is unchanged.

        A reader records memo:<name> with the value's fingerprint, not all the memo read (a
        value made from every incident would otherwise put every incident in each reader's frame).
        The fingerprint is a hash of the value, so a memo made again with the same value leaves its
        readers current; by_reads: a hash of what it read instead, for a value too large to hash
        each time (the downloads, about 60 MB at 10,000 incidents) whose readers are cheap to make
        again (the same reads give the same value, so this is never wrong, only less sparing).
        """
        key = f"memo:{name}\0{inputs!r}"
        kept = self.kept.get(key)
        if kept is None or kept.dropped or not self._current(kept):
            with recording() as frame:
                value = make()
            fingerprint = digest(repr(sorted(frame.items()))) if by_reads else value_fingerprint(value)
            kept = self.kept[key] = Kept(value, frame, self.revision, fingerprint, heavy=by_reads)
            self.made.append(key)
        note(key, kept.fingerprint)
        return kept.value  # type: ignore[no-any-return]

    def memo_fingerprint(self, key: str) -> str:
        """Return what memo:<name> is now: its kept value's fingerprint while current, else '' (make it again)."""
        kept = self.kept.get(key)
        return kept.fingerprint if kept is not None and self._current(kept) else ""

    def _use(self, key: str, make: Callable[[], T]) -> T:
        kept = self.kept.get(key)
        if kept is None or not self._current(kept):
            with recording() as frame:
                value = make()
            kept = self.kept[key] = Kept(value, frame, self.revision)
            self.made.append(key)
        note_all(kept.frame)
        return kept.value  # type: ignore[no-any-return]

    def _current(self, kept: Kept) -> bool:
        if kept.checked == self.revision:
            return True
        now = self._now
        if now is None or kept.checked == -self.revision:  # found out of date in this revision already
            return False
        for key, fingerprint in kept.frame.items():
            if now(key) != fingerprint:
                kept.checked = -self.revision  # a value made again replaces this Kept: the mark goes with it
                return False
        kept.checked = self.revision
        return True

    def forget_gone(self, files: Collection[str]) -> None:
        """Drop the pieces of files that are gone (call after a whole update; files: every content file now).

        Pieces are checked lazily, when used, so one not used in this revision may well be current:
        it is kept (an update that makes nothing must not throw away what the next one needs).
        A piece that is not current is made again when next used, whatever is kept. A memo kept
        for other inputs than those its name was used with in this revision (an agency's old list
        of incidents) is dropped too: a long preview session would otherwise keep one for each.
        """
        revision = self.revision
        used = {
            key.partition("\0")[0]
            for key, kept in self.kept.items()
            if key.startswith("memo:") and kept.checked == revision
        }
        self.kept = {
            key: kept
            for key, kept in self.kept.items()
            if kept.checked == revision
            or (key.partition("\0")[0] not in used if key.startswith("memo:") else key.partition("\0file:")[2] in files)
        }


def without_memo_values(kept: dict[str, Kept]) -> dict[str, Kept]:
    """Return the kept values with each heavy memo's value left out (what the cache folder keeps).

    The downloads are 67 MB at 10,000 incidents and take longer to save and load than to make
    from their kept pieces; their fingerprint and frame are kept, so their readers stay current
    while they are, and they are made again when something uses them. The other memos (the
    area's geography and outlines, the schemas, the totals) are a few KB and are kept whole, so a
    build after an edit does not make them again.
    """
    return {
        key: Kept(None, item.frame, 0, item.fingerprint, dropped=True, heavy=True) if item.heavy else item
        for key, item in kept.items()
    }
