"""Pieces of outputs made once and kept with what they read: memos with recorded dependencies.

The timeline, the agency pages, the feed, the sitemap and the downloads hold one piece per
incident: its list item, its CSV rows, its JSON record, its GeoJSON feature, its sitemap entry.
Each piece is made once, inside its own recording frame (kcrecord/engine/deps.py), and kept
with that frame and a fingerprint, under its key piece:<name>\0<file>. Whoever uses a kept piece
records that key with that fingerprint, not what the piece read. At the next update (make serve) or the next build
(make site, through the cache folder) a kept piece is used again only while every key in its
frame still has the fingerprint it had, which the engine checks with `begin(fingerprint_of)`;
otherwise it is made again. (In the preview the read index finds which kept pieces and memos may
not be current, kcrecord/engine/read_index.py, and says so with `suspect`: the others count as
current without their frames being read.)

Early cutoff, as Salsa backdates a query: a piece made again with the same value keeps its
fingerprint, so its readers stay current (an edit to an incident's body leaves its list items
as they were, and the lists are not made again). To learn that before deciding which outputs
are stale, the engine asks `piece_fingerprint(key)`, which makes a piece that is not current
again with the maker its planner registered for that name (`register`); a piece with no maker
registered in this revision, or past MAX_AHEAD of them, counts as changed, so its readers are made.
Values computed from many incidents (the totals, the map's geography) are kept the same way
by `memo`, fingerprinted by their value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from sys import intern
from typing import Any, TypeVar

from kcrecord.engine.deps import FRAMES, note, other_places, reads_fingerprint, recording, value_fingerprint
from kcrecord.outputs.currentness import Currentness
from kcrecord.outputs.forgetting import Forgetting
from kcrecord.outputs.found_lists import Found, FoundLists
from kcrecord.outputs.kept import Kept
from kcrecord.outputs.settling import Settling

T = TypeVar("T")

NONCE = os.urandom(8).hex()
"""Starts every fingerprint of a piece this process makes (worker processes forked from it share it)."""
MAX_AHEAD = 256
"""Pieces made again in a revision to learn their fingerprint before their readers run: past this, a
reader is made again instead, and makes the pieces it reads (an edit to a template every piece
reads would otherwise make all 10,000 of a kind ahead, and the incident pages' own pieces one by
one in the engine's process rather than in the worker processes that make those pages)."""

Pieces = list[dict[str, Any]]
"""Each incident's download pieces by name, made together (kcrecord/outputs/incident_data.py)."""
Last = tuple[tuple[Any, ...], list[str]]
"""A list's items with their pieces' keys (Fragments._keys)."""
LAST_LENGTHS = 8
"""The lengths of list whose last items and keys are kept for each name of piece (Fragments._keys): the timeline's
and an agency's lists, a year's; more would hold incidents an edit replaced."""


class Fragments(Settling, Forgetting, Currentness, FoundLists):
    """Make per-incident pieces and site-wide values once, and reuse them while what they read is unchanged."""

    def __init__(self, kept: dict[str, Kept] | None = None, files: set[str] | None = None) -> None:
        """kept: pieces and memos kept by earlier builds; files: every content file at their last forget_gone."""
        self.kept: dict[str, Kept] = kept if kept is not None else {}
        for item in self.kept.values():
            item.checked = 0  # kept by another process, whose revisions count from 1 too: check each again
        self._memos = {key for key in self.kept if key.startswith("memo:")}  # the memos' keys in kept, for forget_gone
        self.revision = 1
        self._now: Callable[[str], str] | None = None
        self._known: dict[str, str] = {}
        self.made: list[str] = []  # keys of the values made, in order (worker processes send these back)
        self.scratch: Path | None = None  # a folder where a builder may keep working files between builds
        self.spill: Callable[[dict[str, Kept], list[str]], object] | None = None  # given what a heavy memo read
        self.makers: dict[str, Callable[[Any], Any]] = {}  # each piece's maker by name, registered by the planners
        self._incidents: list[Any] = []
        self._by_identity: dict[str, Any] | None = None
        self._by_file: Mapping[str, Any] | None = None
        self._ahead = 0  # pieces made in this revision by piece_fingerprint
        self._failed: set[str] = set()  # pieces whose maker failed in this revision: not tried again ahead
        self.suspects: set[str] | None = None  # when known: the only kept units that may not be current
        self._direct: set[str] | None = None  # of those, the ones with a read changed of their own (suspect())
        self.files: set[str] | None = files  # every content file at the last forget_gone
        self._fresh: set[str] = set()  # the files of the pieces made since (some may be gone already)
        self._lists: dict[int, tuple[tuple[Any, ...], dict[str, list[str]]]] = {}
        self._named: dict[str, dict[int, tuple[Any, str]]] = {}  # name -> id(item) -> (item, its piece's key)
        self._last: dict[str, dict[int, Last]] = {}  # name -> length -> the last items of that length, with keys
        self._settled: set[str] = set()  # the pieces settle_groups found current in this revision, by key
        self._outdated = False  # whether a kept value was found out of date in this revision
        self._out_of_date: set[str] = set()  # the keys of those values, unless a value was kept for the key since
        self._found: dict[tuple[str, int], Found] = {}  # lists' pieces as last found (kcrecord/outputs/found_lists.py)
        self._noted: list[str] = []  # the keys kept since (FoundLists.note_kept)

    def begin(self, fingerprint_of: Callable[[str], str], known: dict[str, str] | None = None) -> None:
        """Start a new revision: a kept value is current when each key it read has fingerprint_of(key) still.

        known: the keys fingerprint_of has worked out so far in this revision, filled as it goes
        (looked up first: 100,000 pieces ask about 600,000 keys). The makers registered in the
        previous revision are forgotten: they read its site.
        """
        self.revision += 1
        self._now = fingerprint_of
        self._known = {} if known is None else known
        self.made.clear()
        self.makers = {}
        self._incidents, self._by_identity, self._by_file, self._ahead = [], None, None, 0
        self._failed, self.suspects, self._direct = set(), None, None
        self._lists, self._settled, self._outdated, self._out_of_date = {}, set(), False, set()

    def register(
        self,
        name: str,
        make: Callable[[Any], T],
        incidents: list[Any] | None = None,
        by_file: Mapping[str, Any] | None = None,
    ) -> Callable[[Any], T]:
        """Register make as the maker of the pieces called name in this revision, and return it.

        Whoever uses those pieces must pass this very maker (a piece is a function of what it
        reads; this is how piece_fingerprint makes one again). incidents: where a piece's file
        is looked up (the site's published incidents); by_file: those same incidents by their
        file's path, when the caller has them so (Site.published_by_file), else they are mapped
        from incidents when first looked up (10,000 keys worked out at each revision).
        """
        self.makers[name] = make
        if incidents is not None and incidents is not self._incidents:
            self._incidents, self._by_identity = incidents, None
            self._by_file = by_file
        return make

    def each(self, name: str, incidents: Iterable[Any], make: Callable[[Any], T]) -> list[T]:
        """Return each incident's piece called name, making it with make(incident) unless a current one is kept.

        The same as get() for each incident in turn, written out in one loop: a list page or a
        download uses 10,000 pieces.
        """
        return [kept.value for kept in self.each_kept(name, incidents, make)]

    def each_kept(self, name: str, incidents: Iterable[Any], make: Callable[[Any], Any]) -> list[Kept]:
        """Return each(): each piece as kept, its value read only when asked for (the database's patch reads few)."""
        kept_get = self.kept.get
        revision = self.revision
        into = FRAMES[-1] if FRAMES else None
        items = tuple(incidents)
        keys = self._keys(name, items, id(incidents))
        suspected = self._each_suspect(name, keys, items, make)
        if suspected is not None:
            if into is not None:
                into.update(zip(keys, suspected[1], strict=True))
            return suspected[0]
        found = []
        for key, incident in zip(keys, items, strict=True):
            kept = kept_get(key)
            if kept is None or (kept.checked != revision and not self._current(kept, key)):
                kept = self._make(key, kept, make, incident)
            if into is not None:
                into[key] = kept.fingerprint
            found.append(kept)
        return found

    def _each_suspect(
        self, name: str, keys: list[str], items: tuple[Any, ...], make: Callable[[Any], Any]
    ) -> tuple[list[Kept], list[str]] | None:
        """Return each_kept's pieces and fingerprints looking only at the suspects, when the read index named them.

        _current holds a kept piece that is not a suspect current (unless found out of date in this
        revision already, or kept without a fingerprint): every piece of the list is kept and none is
        either, so only the suspects' places are checked, and made again when not current. The rest
        is done in C (an edit leaves a list of 10,000 with a few suspects): the pieces found out of
        date are known by key (_out_of_date), so each piece is looked at once, for its fingerprint.
        None: not known, or a piece missing: each_kept's loop looks at each.
        """
        suspects = self.suspects
        if suspects is None:
            return None
        again = self.found_again(name, keys)  # as last found, with the pieces kept since (found_lists.py)
        if again is not None:
            found, fingerprints, places = again
            if any(key in places for key in self._out_of_date):
                return None
            marked = sorted(places[key] for key in suspects if key in places)
        else:
            found, places = list(map(self.kept.get, keys)), None  # type: ignore[arg-type]
            if None in found or not self._out_of_date.isdisjoint(keys):
                return None
            fingerprints = list(map(attrgetter("fingerprint"), found))
            marked = (
                [place for place, key in enumerate(keys) if key in suspects] if not suspects.isdisjoint(keys) else []
            )
        if "" in fingerprints:
            return None
        revision = self.revision
        for place in marked:
            key = keys[place]
            kept = self.kept[key]  # made again at an earlier place when the same incident is listed twice
            if kept.checked != revision and not self._current(kept, key):
                kept = self._make(key, kept, make, items[place])
            found[place], fingerprints[place] = kept, kept.fingerprint
        self.keep_found(name, keys, found, fingerprints, places)
        return found, fingerprints

    def kept_guess(
        self, name: str, incidents: Sequence[Any], make: Callable[[Any], Any], again: Collection[int]
    ) -> list[Kept] | None:
        """Return each piece as each_kept would if only the items whose id() is in again had changed.

        Those are made again when not current; every other is taken as kept, unchecked (None when
        one is missing). A guess, for work begun ahead that is used only when it proves right
        (kcrecord/engine/head_start.py). Nothing is noted in any frame.
        """
        items = tuple(incidents)
        keys = self._keys(name, items, id(incidents))
        found = list(map(self.kept.get, keys))  # in C: 10,000 at the end of each quick pass
        for place in [place for place, ident in enumerate(map(id, items)) if ident in again]:
            kept, key = found[place], keys[place]
            if kept is None or not self._current(kept, key):
                found[place] = self._make(key, kept, make, items[place])
        if None in found or any(map(attrgetter("dropped"), found)):
            return None
        return found  # type: ignore[return-value]

    def keys_of(self, name: str, items: tuple[Any, ...]) -> list[str]:
        """Return the keys of name's pieces of items (piece:name\0<file>), looked up as each() looks them up."""
        return self._keys(name, items, id(items))

    def _keys(self, name: str, items: tuple[Any, ...], list_id: int) -> list[str]:
        """Return the keys of name's pieces of items (piece:name\0<file>), kept for the revision.

        The lists and downloads ask for ten kinds of piece of the same 10,000 incidents: each list's
        keys are gathered once a revision, not at each call. A list is known again by its items
        (the same objects in the same order: compared one by one, in C), not by its identity alone.
        Each item's keys are kept from one revision to the next (an item's identity key is fixed for
        its life): after an edit, a new list is compared object by object (in C) with the last list
        of that name and length, and only the keys of the items at places that hold another object
        are looked up (the edited incident's); the rest are copied. By name
        and length, not name alone: an agency's list of 2,000 asked between two lists of 10,000 made
        the second look up all 10,000 keys again (in the preview at 10,000 incidents, _keys took
        14.5 ms an edit, now 11.4). LAST_LENGTHS lengths are kept for each name, the oldest dropped.
        Each key is interned: one object, in kept and in every frame that read the piece (in the lists'
        frames 10,000 each, in the incident pages'), here, in get() and from the worker processes
        (kcrecord/engine/parallel.py), even once these lists are let go. A piece's key is its readers'
        key too: at 10,000 incidents a second text for each of 140,000 pieces held 20 MB.
        """
        seen = self._lists.get(list_id)
        if seen is None or seen[0] != items:
            seen = self._lists[list_id] = (items, {})
        found = seen[1].get(name)
        if found is None:
            named = self._named.setdefault(name, {})
            by_length = self._last.setdefault(name, {})
            last = by_length.pop(len(items), None)
            places: Sequence[int] | None = None
            if last is not None:  # an edit: the same list but a few new objects
                places = other_places(items, last[0])
            if last is None or places is None or len(places) > len(items) // 8:
                places, keys = range(len(items)), [""] * len(items)
            else:
                keys = last[1][:]
            for index in places:
                item = items[index]
                entry = named.get(id(item))
                if entry is None or entry[0] is not item:
                    entry = named[id(item)] = (item, intern(f"piece:{name}\0{type(item).identity_key(item)}"))
                keys[index] = entry[1]
            found = seen[1][name] = keys
            by_length[len(items)] = (items, keys)
            if len(by_length) > LAST_LENGTHS:
                del by_length[next(iter(by_length))]  # the length least recently asked for
        return found

    def get(self, name: str, incident: Any, make: Callable[[Any], T]) -> T:
        """Return the incident's piece called name, making it with make(incident) unless a current one is kept."""
        key = intern(f"piece:{name}\0{type(incident).identity_key(incident)}")  # one object: see _keys
        kept = self.kept.get(key)
        if kept is None or not self._current(kept, key):
            kept = self._make(key, kept, make, incident)
        note(key, kept.fingerprint)
        return kept.value  # type: ignore[no-any-return]

    def _make(self, key: str, old: Kept | None, make: Callable[[Any], Any], incident: Any) -> Kept:
        """Make the piece key, keeping old's value and fingerprint when the new value is the same (early cutoff)."""
        with recording() as frame:
            value = make(incident)
        if old is not None and not old.dropped and old.fingerprint and _same(old.value, value):
            kept = Kept(old.value, frame, self.revision, old.fingerprint)  # the old value, which its fingerprint names
        else:
            # The same reads give the same value: a piece made here and in a worker process from
            # one revision's inputs gets one fingerprint, which names that value (the database's blocks).
            token = hash(frozenset(frame.items())) & 0xFFFFFFFFFFFFFFFF
            kept = Kept(value, frame, self.revision, f"{NONCE}{token:016x}")
        self.adopt(key, kept)
        self.made.append(key)
        return kept

    def adopt(self, key: str, kept: Kept) -> None:
        """Keep a piece (or memo) made here or in a worker process; note a piece's file for forget_gone."""
        self.kept[key] = kept
        self.note_kept(key)
        if kept.checked != -self.revision:
            self._out_of_date.discard(key)
        if key.startswith("memo:"):
            self._memos.add(key)
        else:
            self._fresh.add(key.partition("\0file:")[2])

    def piece_fingerprint(self, key: str) -> str:
        """Return the fingerprint piece key has now, made again if it is not current; '' when it cannot tell.

        '' (counted as changed) when no maker is registered for its name in this revision, its
        incident is not published, MAX_AHEAD pieces were made here already, or its maker fails
        (the output that uses it is made, and reports the error where outputs are made).
        """
        kept = self.kept.get(key)
        if kept is not None and self._current(kept, key):
            return kept.fingerprint
        name, _, identity = key[6:].partition("\0")  # piece:name\0<file>
        make = self.makers.get(name)
        if make is None or self._ahead >= MAX_AHEAD or key in self._failed:
            return ""
        incident = self._incident_of(identity)
        if incident is None:
            return ""
        self._ahead += 1
        try:
            return self._make(key, kept, make, incident).fingerprint
        except Exception:  # noqa: BLE001 - the reader is made again, and its error reported there
            self._failed.add(key)
            return ""

    def _incident_of(self, identity: str) -> Any:
        """Return the registered incident whose key is identity (file:<path>), or None."""
        if self._by_file is not None:
            return self._by_file.get(identity.removeprefix("file:")) if identity.startswith("file:") else None
        if self._by_identity is None:
            self._by_identity = {type(item).identity_key(item): item for item in self._incidents}
        return self._by_identity.get(identity)

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
        if kept is None or kept.dropped or not self._current(kept, key):
            if by_reads and self.spill is not None:  # make site holds one heavy memo's value at a time
                self.let_go_heavy()
            with recording() as frame:
                value = make()
            fingerprint = reads_fingerprint(frame) if by_reads else value_fingerprint(value)
            kept = self.kept[key] = Kept(value, frame, self.revision, fingerprint, heavy=by_reads)
            self.note_kept(key)
            self._memos.add(key)
            self.made.append(key)
            if by_reads and self.spill is not None:  # make site: the pieces it read are not used again
                self.spill(self.kept, [read for read in frame if read.startswith("piece:")])
        note(key, kept.fingerprint)
        return kept.value  # type: ignore[no-any-return]

    def memo_fingerprint(self, key: str) -> str:
        """Return what memo:<name> is now: its kept value's fingerprint while current, else '' (make it again)."""
        kept = self.kept.get(key)
        return kept.fingerprint if kept is not None and self._current(kept, key) else ""

    def suspect(self, keys: set[str], direct: set[str] | None = None) -> None:
        """Say which kept pieces and memos alone may not be current in this revision (kcrecord/engine/read_index.py).

        direct: those of them with a read that changed other than a suspect's key (or not found
        current at an earlier update). The others read as recorded all but the suspects' keys: only
        those are looked at (a list's memo reads 10,000 pieces, of which an edit makes a few suspects).
        """
        self.suspects, self._direct = keys, direct


def _same(old: Any, new: Any) -> bool:
    """Return True when a piece made again holds what it held, type for type."""
    return value_fingerprint(old) == value_fingerprint(new)
