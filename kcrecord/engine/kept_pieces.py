"""The kept pieces in the cache folder, in parts by file: a build writes only the parts that changed.

At 10,000 incidents the pieces (kcrecord/outputs/fragments.py) are about 100 MB pickled, and
pickling them all took 1.4-1.8 s of a one-edit build. A piece's key names the file it belongs to
(`piece:list-item\\0file:content/incidents/x.md`), so the pieces are kept in PARTS parts by a hash of
that file, and the memos (the downloads without their value) in one more (kcrecord/engine/parts.py):
an edit to one incident writes one part of the 32, and the memos' part when a memo changed.

In a part, each piece's fingerprint is pickled one by one; the frames together, as one pickle
(Frames), with a summary of what each name's pieces read (Group); and the values of the pieces of
one name together, as one pickle (Packed). The frames and the values lie in the part's values file,
read only when one of its pieces needs them; the part's file holds the fingerprints and summaries.
Each is unpickled only when one of its pieces needs it: after an edit to one incident, make site
finds most parts current by their summary alone (Fragments.settle_groups), and uses the values of
the pieces made again or of the outputs made from them. Saved again, a name's values not unpickled
since (nor any of its pieces replaced) are written as they were read.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from kcrecord.engine.collector import collector_paused
from kcrecord.engine.parts import Parts, load_parts, save_parts
from kcrecord.engine.values_file import ValuesFile, ValuesWriter, Where, open_values
from kcrecord.outputs.kept import CacheDamagedError, Kept

PARTS = 32
MEMOS = PARTS  # the part that holds the memos

Stored = tuple[
    dict[str, dict[str, tuple[str, bool, bool]]],
    dict[str, "dict[str, str] | None"],
    tuple["str | None", dict[str, Where]],
]
"""What a part's file holds: each piece's (fingerprint, dropped, heavy), by name; a summary of each name's
pieces (Group); and its values file with where each name's values, and the frames pickled together, lie in it."""

FRAMES = "\0frames"
"""Where the frames lie in a part's values file (no name of a piece holds a NUL)."""

DAMAGED = {"\0damaged": "\0"}
"""The frame of a piece whose pickled frames cannot be read: a key no revision has, so never current."""


class Group:
    """A part's pieces of one name as loaded, with a summary of what they read (Fragments.settle_groups).

    summary: every key the pieces read, with the fingerprint recorded, but their reads of each
    other made with the read piece's fingerprint as it is; None when two of them recorded one key
    with two fingerprints, or one has no fingerprint. While the group holds the very pieces it was
    loaded with and its summary is current, each of its pieces is: its reads from outside the
    group are in the summary, and those of another piece of the group recorded that piece's
    fingerprint, which is current by the same argument (a piece reads pieces made before it: no
    cycle). By name, not by part: the map's geography reads each incident's place, and each
    incident's located piece reads the geography.
    """

    __slots__ = ("owners", "summary")

    def __init__(self, summary: dict[str, str] | None) -> None:
        self.owners: dict[str, Any] = {}  # Kept (or Record: kcrecord/engine/kept_records.py) by key
        self.summary = summary


class Frames:
    """The frames of a part's pieces, pickled together; unpickled into their Kept when one is first asked for.

    The bytes stay in the part's values file (kcrecord/engine/values_file.py) until then: after an
    edit, most parts are found current by their summaries and their frames are never read.
    """

    __slots__ = ("_data", "where", "owners", "groups")

    def __init__(self, data: bytes | None, where: tuple[ValuesFile, Where] | None = None) -> None:
        self._data = data
        self.where = where  # the values file and where in it, while the bytes were not read
        self.owners: dict[str, Any] = {}  # the part's pieces (or records: kcrecord/engine/kept_records.py) as loaded
        self.groups: list[Group] = []  # its pieces by name, each with a summary

    @property
    def pending(self) -> bool:
        """Return True while the frames are still pickled (none of them asked for yet)."""
        return bool(self.owners)

    def unpack(self) -> None:
        """Give each piece its frame (one that cannot be read: DAMAGED, so the piece is made again)."""
        try:
            data = self._data if self._data is not None else self.where[0].read(self.where[1])  # type: ignore[index]
            with collector_paused():
                frames = pickle.loads(data)
            if not isinstance(frames, dict):
                frames = {}
        except Exception:  # noqa: BLE001 - bytes the cache folder holds: whatever they are, they are not frames
            frames = {}
        for key, kept in self.owners.items():
            frame = frames.get(key)
            kept.fill_frame(frame if isinstance(frame, dict) else DAMAGED)
        self.owners, self.groups, self._data, self.where = {}, [], b"", None  # nothing loaded held any longer


class Packed:
    """The values of a part's pieces of one name, pickled; unpickled into their Kept when one is first used.

    The bytes are in memory, or still in the part's values file (kcrecord/engine/values_file.py).
    """

    __slots__ = ("_data", "where", "owners")

    def __init__(self, data: bytes | None, where: tuple[ValuesFile, Where] | None = None) -> None:
        self._data = data
        self.where = where  # the values file and where in it, while the bytes were not read
        self.owners: dict[str, Kept] = {}  # the pieces whose value is in data, by key

    @property
    def data(self) -> bytes:
        """Return the values pickled (read from the values file each time, when there: they are used once)."""
        if self._data is not None:
            return self._data
        if self.where is None:
            raise CacheDamagedError("kept values that were never written")
        file, where = self.where
        return file.read(where)

    def unpack(self) -> None:
        """Give each piece still packed here its value."""
        try:
            with collector_paused():
                values = pickle.loads(self.data)
            filled = [(kept, values[key]) for key, kept in self.owners.items() if kept.packed is self]
        except MemoryError:
            raise
        except Exception:  # noqa: BLE001 - bytes the cache folder holds: whatever they are, not these values
            raise CacheDamagedError(f"{len(self.owners)} kept values could not be read") from None
        for kept, value in filled:
            kept.fill(value)
        self.owners, self._data, self.where = {}, b"", None  # saved again, these values are pickled anew

    def holds_only(self, group: dict[str, Kept]) -> bool:
        """Return True when group is exactly the pieces packed here, each still packed."""
        owners = self.owners
        return len(owners) == len(group) and all(owners.get(key) is kept for key, kept in group.items())


def part_of(key: str) -> int:
    """Return the part a piece is kept in: the memos' own, or one chosen by the file the piece belongs to."""
    if key.startswith("memo:"):
        return MEMOS
    return zlib.crc32(key.partition("\0")[2].encode("utf-8", "surrogatepass")) % PARTS


def load_pieces(folder: Path, code: str) -> tuple[dict[str, Kept], Parts]:
    """Return every piece kept in folder by this code version (values still packed), and the parts as loaded."""
    return load_parts(folder, code, PARTS + 1, lambda stored: _unpacked(folder, stored))


def save_pieces(
    folder: Path, code: str, pieces: dict[str, Kept], saved: Parts, keep: Callable[[Path, object], None]
) -> Parts:
    """Write the parts whose pieces changed since saved (as loaded or last saved); return the parts now.

    The memos' part is written with each heavy memo's value left out; each part's values go to a
    values file of their own, and the part's others are removed once the part's file names the new one.
    """
    writer = ValuesWriter(folder)
    return save_parts(
        folder, code, pieces, saved, keep, part_of, PARTS + 1, partial(_stored, writer), writer.remove_others
    )


def _stored(writer: ValuesWriter, number: int, part: dict[str, Any]) -> Stored:
    if number == MEMOS:
        part = without_memo_values(part)
    groups: dict[str, dict[str, Kept]] = {}
    for key, kept in part.items():
        groups.setdefault(key.partition("\0")[0], {})[key] = kept
    values = {}
    for name, group in list(groups.items()):
        packed = next(iter(group.values())).packed
        try:
            if isinstance(packed, Packed) and packed.holds_only(group):
                values[name] = packed.data  # as read: not unpickled, nor any piece replaced, since
                continue
            values[name] = pickle.dumps({key: kept.value for key, kept in group.items()}, pickle.HIGHEST_PROTOCOL)
        except CacheDamagedError:  # values that cannot be read (nothing used them): left out, made again when used
            del groups[name]
    part = {key: kept for group in groups.values() for key, kept in group.items()}
    meta = {
        name: {key: (kept.fingerprint, kept.dropped, kept.heavy) for key, kept in group.items()}
        for name, group in groups.items()
    }
    values[FRAMES] = pickle.dumps({key: kept.frame for key, kept in part.items()}, pickle.HIGHEST_PROTOCOL)
    summaries = {} if number == MEMOS else {name: summary(group) for name, group in groups.items()}
    return meta, summaries, writer.write(number, values)


def union(frames: Iterable[dict[str, str]]) -> dict[str, str] | None:
    """Return every read in frames with the fingerprint recorded; None when one key was read two ways."""
    frames = list(frames)
    merged: dict[str, str] = {}
    for frame in frames:
        merged.update(frame)
    if all(frame.items() <= merged.items() for frame in frames):
        return merged
    return None


def summary(group: dict[str, Kept]) -> dict[str, str] | None:
    """Return what the pieces read from outside the group, with the fingerprints recorded (Group); None if ambiguous."""
    if not all(kept.fingerprint for kept in group.values()):
        return None
    merged = union(kept.frame for kept in group.values())
    if merged is None:
        return None
    for key, kept in group.items():
        if merged.get(key) == kept.fingerprint:
            del merged[key]  # a read of a piece of the group, as it is: current while the group is
    return merged


def _unpacked(folder: Path, stored: Stored) -> dict[str, Kept]:
    meta, summaries, (values_name, index) = stored
    if not isinstance(summaries, dict) or not isinstance(index, dict):
        raise TypeError("not a part of the kept pieces")
    if not all(isinstance(where, tuple) and len(where) == 3 for where in index.values()):
        raise TypeError("not where values lie")
    values = open_values(folder, values_name)
    frames = Frames(None, (values, index[FRAMES]))  # read when a frame is first asked for
    part = frames.owners
    for name, entries in meta.items():  # 110,000 pieces at 10,000 incidents: made a name at a time
        packed = Packed(None, (values, index[name]))
        made = {
            key: Kept.loaded(print_, dropped, heavy, packed, frames)
            for key, (print_, dropped, heavy) in entries.items()
        }
        packed.owners = made
        outside = summaries.get(name)
        if isinstance(outside, dict):
            group = Group(outside)
            group.owners = dict(made)
            frames.groups.append(group)
        part.update(made)
    return dict(part)


def frame_groups(parts: Parts) -> list[Group]:
    """Return the groups of the parts as loaded, each with its summary (the first piece of a part names its Frames)."""
    found: list[Group] = []
    for part in parts.values():
        first = next(iter(part.values()), None)
        if first is not None and isinstance(first.frames, Frames):
            found += first.frames.groups
    return found


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
