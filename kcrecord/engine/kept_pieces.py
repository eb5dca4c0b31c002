"""The kept pieces in the cache folder, in parts by file: a build writes only the parts that changed.

At 10,000 incidents the pieces (kcrecord/outputs/fragments.py) are about 100 MB pickled, and
pickling them all took 1.4-1.8 s of a one-edit build. A piece's key names the file it belongs to
(`list-item\\0file:content/incidents/x.md`), so the pieces are kept in PARTS parts by a hash of
that file, and the memos (the downloads without their value) in one more (kcrecord/engine/parts.py):
an edit to one incident writes one part of the 32, and the memos' part when a memo changed.

In a part, each piece's frame and fingerprint are pickled one by one, and the values of the
pieces of one name together, as one pickle (Packed) unpickled only when one of them is used:
a build needs every frame to know what is current, and after an edit to one incident only the
values of the pieces made again, or of the outputs made from them. Saved again, a name's values
not unpickled since (nor any of its pieces replaced) are written as they were read.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kcrecord.engine.collector import collector_paused
from kcrecord.engine.parts import Parts, load_parts, save_parts
from kcrecord.outputs.fragments import Kept

PARTS = 32
MEMOS = PARTS  # the part that holds the memos

Stored = tuple[dict[str, tuple[dict[str, str], str, bool, bool]], dict[str, bytes]]
"""What a part's file holds: each piece's (frame, fingerprint, dropped, heavy), and each name's values pickled."""


class Packed:
    """The values of a part's pieces of one name, pickled; unpickled into their Kept when one is first used."""

    __slots__ = ("data", "owners")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.owners: dict[str, Kept] = {}  # the pieces whose value is in data, by key

    def unpack(self) -> None:
        """Give each piece still packed here its value."""
        with collector_paused():
            values = pickle.loads(self.data)
        for key, kept in self.owners.items():
            if kept.packed is self:
                kept.fill(values[key])
        self.owners, self.data = {}, b""  # saved again, these values are pickled anew

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
    return load_parts(folder, code, PARTS + 1, _unpacked)


def save_pieces(
    folder: Path, code: str, pieces: dict[str, Kept], saved: Parts, keep: Callable[[Path, object], None]
) -> Parts:
    """Write the parts whose pieces changed since saved (as loaded or last saved); return the parts now.

    The memos' part is written with each heavy memo's value left out.
    """
    return save_parts(folder, code, pieces, saved, keep, part_of, PARTS + 1, _stored)


def _stored(number: int, part: dict[str, Any]) -> Stored:
    if number == MEMOS:
        part = without_memo_values(part)
    groups: dict[str, dict[str, Kept]] = {}
    for key, kept in part.items():
        groups.setdefault(key.partition("\0")[0], {})[key] = kept
    frames = {key: (kept.frame, kept.fingerprint, kept.dropped, kept.heavy) for key, kept in part.items()}
    values = {}
    for name, group in groups.items():
        packed = next(iter(group.values())).packed
        if isinstance(packed, Packed) and packed.holds_only(group):
            values[name] = packed.data  # as read: not unpickled, nor any piece replaced, since
        else:
            values[name] = pickle.dumps({key: kept.value for key, kept in group.items()}, pickle.HIGHEST_PROTOCOL)
    return frames, values


def _unpacked(stored: Stored) -> dict[str, Kept]:
    frames, values = stored
    packs = {name: Packed(data) for name, data in values.items()}
    part = {}
    for key, (frame, fingerprint, dropped, heavy) in frames.items():
        kept = part[key] = Kept(None, frame, 0, fingerprint, dropped, heavy)
        packed = kept.packed = packs[key.partition("\0")[0]]
        packed.owners[key] = kept
    return part


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
