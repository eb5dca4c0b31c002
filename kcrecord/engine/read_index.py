"""Which outputs read each key, with which fingerprint: the stale outputs found without reading every frame.

An output is up to date while every key in its frame still has the fingerprint recorded there
(kcrecord/engine/state.py). Asking that of each of 20,000 frames costs 400,000 look-ups at
10,000 incidents; but those frames hold only about 40,000 distinct keys, each almost always
with one fingerprint. The index maps key -> fingerprint -> the outputs that recorded it, so
finding the outputs with a changed read costs one look-up per distinct key and fingerprint.
The answer is the same as reading every frame: an output is a candidate exactly when some key
in its frame has another fingerprint now.

In the preview, which runs update after update in one process, the kept pieces and memos
(kcrecord/outputs/fragments.py) are indexed too, a piece by its key (`piece:name\0file:<path>`) and a
memo by its (`memo:name\0inputs`), both holding a NUL that no output path holds. Their readers
recorded their fingerprints under those same keys, which change only when the unit is made
again. A unit is a suspect when one of its own reads changed, when it recorded a unit's
fingerprint that is not that unit's now, or when it reads a suspect; only suspects can have
another fingerprint now, so only they are asked about (a piece is then made again to learn it,
and keeps its fingerprint when its value is the same), and the others are current: checking
every one of 90,000 units' frames at each update cost 0.5 s. The readers of a unit made again
since they were made are found from the units the index saw replaced or read with another
fingerprint (`_moved`, until every reader has the unit's), and a unit read but not kept is
asked about (`_orphans`).
`make site` runs once a process and keeps no index: building one (0.7-0.9 s at 10,000 incidents)
cost more than reading every frame, once a frame whose reads are all known (Now.known) with the
fingerprints recorded is found current by one comparison of dict views, made in C (changed_reads).

The index follows the engine's records (and units) by identity: one replaced, added or removed
since the last look is indexed again (a Record or a unit and its frame are never changed once made).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import compress
from operator import attrgetter
from typing import TypeVar

from kcrecord.engine.deps import other_places
from kcrecord.engine.kept_records import Record
from kcrecord.outputs.kept import Kept

Job = TypeVar("Job")  # a planned output: anything with a .path

Framed = Record | Kept
Table = dict[str, dict[str, set[str]]]
UNIT_KEYS = ("piece:", "memo:")
NAMED_KEYS = ("file:", "front:", "history:", "plan:")
"""Keys named after one content file or one output: 50,000 at 10,000 incidents, and after an edit to one
file only its own and the plan keys that changed can have another fingerprint (Since)."""
FILE_KINDS = ("file:", "front:", "history:")


class ReadIndex:
    """Key -> fingerprint -> output paths (and units), kept in step with the records (and the units)."""

    def __init__(self) -> None:
        self._by_key: Table = {}  # every key but the units' (piece:..., memo:...) and the named ones
        self._by_name: Table = {}  # the keys named after one file or output (NAMED_KEYS)
        self._by_unit: Table = {}  # the units' keys, as their readers recorded them
        self.since = Since()  # what may have changed since the last changed() of a run that completed
        self._indexed: dict[str, Framed] = {}
        self._units = 0  # how many kept pieces and memos are indexed
        self._moved: set[str] = set()  # units indexed anew, or read with another fingerprint, until all readers agree
        self._orphans: set[str] = set()  # units' keys recorded by a reader, whose unit is not indexed
        self._unsettled: set[str] = set()  # suspects not found current yet: suspects again until they are
        self._with_units = False
        self._then: tuple[tuple[list[str], list[Framed]], ...] | None = None  # the last sync's keys and values
        self.hard: set[str] = set()  # of the last changed(), the outputs found through a key that is not a memo's

    def sync(self, records: dict[str, Record], units: Mapping[str, Kept] | None = None) -> None:
        """Index the records (and units: kept pieces and memos) added or replaced since the last call; drop the rest.

        When both hold the keys they held at the last call, in the same order (an edit: a few
        values replaced in place), the values replaced are found by comparing the two calls'
        lists of values object by object, in C; otherwise every path is looked at.
        """
        indexed = self._indexed
        self._with_units = units is not None  # else no unit's readers are tracked (_moved, _orphans): all are asked
        units = {} if units is None else units
        now = (list(records), list(records.values())), (list(units), list(units.values()))
        then, self._then = self._then, None  # None until this call has indexed them all
        if then is not None and now[0][0] == then[0][0] and now[1][0] == then[1][0]:
            self._add(_replaced(*now[0], then[0][1]))
            self._add(_replaced(*now[1], then[1][1]), units=True)
        else:
            for path in [path for path in indexed if path not in (units if "\0" in path else records)]:
                self._remove(path, indexed.pop(path).frame)
                self._unsettled.discard(path)
                if "\0" in path and path in self._by_unit:
                    self._orphans.add(path)
            self._add(records.items())
            self._add(units.items(), units=True)
        self._units = len(units)
        self._then = now

    def _add(self, items: Iterable[tuple[str, Framed]], units: bool = False) -> None:
        indexed = self._indexed
        for path, record in items:
            known = indexed.get(path)
            if known is record:
                continue
            if known is not None:
                self._replace(path, known.frame, record.frame)
            else:
                self._insert(path, record.frame.items())
            indexed[path] = record
            if units:
                self._moved.add(path)
                self._orphans.discard(path)
                self._unsettled.discard(path)  # made again: current

    def _insert(self, path: str, reads: Iterable[tuple[str, str]]) -> None:
        by_key, by_unit, indexed, with_units = self._by_key, self._by_unit, self._indexed, self._with_units
        by_name = self._by_name
        for key, fingerprint in reads:  # one loop: a first sync indexes 20,000 frames
            table = by_name if key.startswith(NAMED_KEYS) else by_key  # _table, written out: the hot loop
            if key.startswith(UNIT_KEYS):
                table = by_unit
                if with_units:
                    unit = indexed.get(key)
                    if unit is None:
                        self._orphans.add(key)
                    elif isinstance(unit, Kept) and unit.fingerprint != fingerprint:
                        self._moved.add(key)  # read as it was before: its readers are looked at
            by_fingerprint = table.get(key)
            if by_fingerprint is None:
                table[key] = {fingerprint: {path}}
                continue
            paths = by_fingerprint.get(fingerprint)
            if paths is None:
                by_fingerprint[fingerprint] = {path}
            else:
                paths.add(path)

    def changed(
        self,
        now: Callable[[str], str],
        suspected: Callable[[set[str], set[str]], None] | None = None,
        known: dict[str, str] | None = None,
        named: set[str] | None = None,
    ) -> set[str]:
        """Return the output paths that recorded some key with another fingerprint than now(key).

        With units indexed, a unit's key is asked about only when the unit is not kept (first,
        while every unit still checks its whole frame) or is a suspect (see above);
        suspected(suspects, direct) is told which units are suspects before any suspect is asked about,
        and which of them are suspects of their own (direct): a read of theirs other than a suspect's
        key changed, or they were not found current before; the others are suspects only as readers of suspects.
        named: the only keys named after a file or an output that may have changed (Since.keys);
        None: every one is looked at.
        Afterwards, hard holds the outputs found through a key that is not a memo's, asked now():
        changed_reads would say "other" of each, and after an edit to an incident's title reading
        the frames of the lists (10,000 reads each) to be told so was a tenth of the update.
        """
        found: set[str] = set()
        hard = self.hard = set()
        get = (known or {}).get  # what now() has worked out already (Now.known): a look-up, not a call
        by_name = self._by_name
        names = by_name if named is None else {key: by_name[key] for key in named if key in by_name}
        for table in (self._by_key, names) if self._units else (self._by_key, names, self._by_unit):
            for key, by_fingerprint in table.items():
                current = get(key)
                if current is None:
                    current = now(key)
                if len(by_fingerprint) == 1 and current in by_fingerprint:
                    continue  # the commonest: every reader saw what the key is now
                for fingerprint, paths in by_fingerprint.items():
                    if fingerprint != current:
                        found |= paths
                        if not key.startswith("memo:"):
                            hard |= paths
        if not self._units:
            self.hard = {path for path in hard if "\0" not in path}
            return found
        for key in list(self._orphans):
            if key in self._by_unit:
                self._flag(key, now(key), found, hard)
        indexed = self._indexed
        for unit in list(self._moved):  # readers that recorded another fingerprint than the unit has now
            kept = indexed.get(unit)
            if not isinstance(kept, Kept) or unit not in self._by_unit or self._flag(unit, kept.fingerprint, found):
                self._moved.discard(unit)  # every reader has its fingerprint (or none reads it)
        # A suspect is asked about until it is found current: one that nothing reads now (or that could not
        # be made ahead) may be read again after later updates, which look only at the keys changed since.
        direct = {path for path in found if "\0" in path} | (self._unsettled & indexed.keys())
        suspects = set(direct)
        todo = list(suspects)
        while todo:  # whatever reads a suspect, through any number of units, is one too
            for paths in self._by_unit.get(todo.pop(), {}).values():
                more = {path for path in paths if "\0" in path and path not in suspects}
                suspects |= more
                todo += more
        if suspected is not None:
            suspected(suspects, direct)
        self._unsettled = set()
        for unit in suspects:  # a unit's readers record it by its own key
            if unit not in self._by_unit:
                self._unsettled.add(unit)  # read by nothing now
                continue
            current = now(unit)  # made again ahead if it has to be; the others are current
            if not current:
                self._unsettled.add(unit)  # not made ahead: its readers are made, and make it
            self._flag(unit, current, found, hard)
        self.hard = {path for path in hard if "\0" not in path}
        return {path for path in found if "\0" not in path}

    def _flag(self, key: str, current: str, found: set[str], hard: set[str] | None = None) -> bool:
        """Add the readers of a unit's key that recorded another fingerprint than current; True when none did.

        hard: where to add them too when the key is a piece's and current is what now() says of it.
        """
        by_fingerprint = self._by_unit[key]
        if len(by_fingerprint) == 1 and current in by_fingerprint:
            return True
        for fingerprint, paths in by_fingerprint.items():
            if fingerprint != current:
                found |= paths
                if hard is not None and not key.startswith("memo:"):
                    hard |= paths
        return False

    def _replace(self, path: str, old: dict[str, str], new: dict[str, str]) -> None:
        """Index path's new frame in place of its old one, touching only the reads that differ.

        An output made again after one edit (a list of 10,000 incidents) reads what it read
        before but for a key or two, and in the same order: then the fingerprints are compared
        object by object in C, and only those at other places are compared by value.
        """
        keys = list(new) if len(old) == len(new) else None
        if keys is not None and list(old) == keys:
            before, after = list(old.values()), list(new.values())
            places = [place for place in other_places(after, before) if after[place] != before[place]]
            self._remove(path, {keys[place]: before[place] for place in places})
            self._insert(path, [(keys[place], after[place]) for place in places])
            return
        self._remove(path, {key: fingerprint for key, fingerprint in old.items() if new.get(key) != fingerprint})
        self._insert(path, [(key, fingerprint) for key, fingerprint in new.items() if old.get(key) != fingerprint])

    def _table(self, key: str) -> Table:
        """Return the table of a key that is not a unit's."""
        return self._by_name if key.startswith(NAMED_KEYS) else self._by_key

    def _remove(self, path: str, frame: dict[str, str]) -> None:
        for key, fingerprint in frame.items():
            table = self._by_unit if key.startswith(UNIT_KEYS) else self._table(key)
            by_fingerprint = table[key]
            paths = by_fingerprint[fingerprint]
            paths.discard(path)
            if not paths:
                del by_fingerprint[fingerprint]
                if not by_fingerprint:
                    del table[key]
                    self._orphans.discard(key)


def changed_reads(frame: dict[str, str], now: Callable[[str], str], known: dict[str, str] | None = None) -> str:
    """Return "" when every read in frame is unchanged, "memos" when only memos changed, else "other".

    known: fingerprints already worked out (Now.known); a frame all of whose reads are there, with
    the fingerprint recorded, is unchanged, found in one look-up per read made in C (a tenth of the loop's time).
    """
    reads: Iterable[tuple[str, str]] = frame.items()
    if known is not None:
        if frame.items() <= known.items():
            return ""
        get = known.get
        reads = [(key, fingerprint) for key, fingerprint in reads if get(key) != fingerprint]  # unknown, or changed
    found = ""
    for key, fingerprint in reads:
        if now(key) != fingerprint:
            if not key.startswith("memo:"):
                return "other"
            found = "memos"
    return found


def _replaced(keys: list[str], values: list[Framed], before: list[Framed]) -> list[tuple[str, Framed]]:
    """Return (key, value) for each value that is not the object before held at its place (the same keys)."""
    return [(keys[index], values[index]) for index in other_places(values, before)]


class Since:
    """What may have changed since the last run that asked the index and completed (the preview's updates).

    A key named after a content file (file:, front:, history:) has another fingerprint only when
    the file was read again: the edit log (kcrecord/engine/edit_log.py) names the files read again
    in place since, and knows no answer after a whole load; history:<path> also changes with the
    commit, when the site's History is another object. A plan key (plan:<output>) has another
    fingerprint when the planner handed its output something else: the plans are compared with
    those of that run. A run that fails, or stops after a quick pass, marks nothing: the next asks
    about everything changed since the last run that completed. A kept piece or memo found a
    suspect through such a key is asked about at every update until it is found current
    (ReadIndex._unsettled): nothing may read it when the key changes, and a page may read it later.
    """

    def __init__(self) -> None:
        self._at: tuple[int, dict[str, str], object] | None = None
        self._asked: tuple[int, dict[str, str], object] | None = None  # by the run under way

    def begin(self) -> None:
        """Start a run: what an earlier run asked and did not complete is forgotten."""
        self._asked = None

    def keys(self, edited: Callable[[int], set[str] | None], plans: dict[str, str], history: object) -> set[str] | None:
        """Return the named keys that may have changed since the last run that completed; None: any may have."""
        if self._at is None:
            return None
        version, plans_then, history_then = self._at
        rels = edited(version)
        if rels is None or history is not history_then:
            return None
        found = {kind + rel for rel in rels for kind in FILE_KINDS}
        found.update("plan:" + path for path in _other_values(plans, plans_then))
        return found

    def asked(self, version: int, plans: dict[str, str], history: object) -> None:
        """Note that this run asked the index at load number version, with these plan keys and this History."""
        self._asked = (version, plans, history)

    def completed(self) -> None:
        """The run completed (every output it found stale was made): what it asked is the new starting point."""
        if self._asked is not None:
            self._at, self._asked = self._asked, None


def _other_values(now: dict[str, str], then: dict[str, str]) -> list[str]:
    """Return the keys of now that then lacks or holds another value for.

    The plans of two updates hold the same outputs in the same order, and the very key objects
    but at the few places planned again: those places are found in C, then compared by value.
    """
    keys = list(now)
    if len(keys) != len(then) or keys != list(then):
        return [key for key, _value in now.items() - then.items()]
    values, before = list(now.values()), list(then.values())
    return [keys[place] for place in other_places(values, before) if values[place] != before[place]]


def worth_a_look(jobs: list[Job], candidates: set[str], records: Mapping[str, object]) -> list[Job]:
    """Return the jobs, in order, whose output is a candidate or has no record yet; the others are current.

    Found in C (10,000 jobs: 1 ms, against 10 ms for the loop that skipped them one by one).
    """
    paths = list(map(attrgetter("path"), jobs))
    wanted = candidates.union(set(paths).difference(records))
    return list(compress(jobs, map(wanted.__contains__, paths)))
