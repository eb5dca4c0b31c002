"""The engine's records in the cache folder, in parts: each output's hash and frame, the frames kept pickled.

A record says what an output read when it was last made (kcrecord/engine/deps.py). make site needs
to know whether each of 20,000 records is current, and after an edit to one incident almost all
are. So a part's file holds each record's hash, the frames pickled together (Frames, in the part's
values file, read and unpickled when one of them is first asked for) and a summary of the part:
every key its records read, with the fingerprint recorded (kcrecord/engine/kept_pieces.py, Group).
While a part holds the very records it was loaded with and its summary is current, every record in
it is (records read no record), found without reading a frame. The summary is None when two records
recorded one key with two fingerprints.

Parts: 32 for the incidents' own outputs, by incident, so that an edit to one incident's body
writes two of them; one for the downloads (data/); one for the rest (the lists, most of the bytes).
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from functools import partial
from operator import is_
from pathlib import Path
from typing import Any

from kcrecord.engine.kept_pieces import FRAMES, Frames, Group, frame_groups, union
from kcrecord.engine.parts import Parts, load_parts, save_parts
from kcrecord.engine.values_file import ValuesWriter, Where, open_values
from kcrecord.outputs.kept import Framed

RECORD_PARTS = 34
"""32 parts for the incidents' own outputs, by incident; one for the downloads (data/); one for the rest."""

Stored = tuple[dict[str, str], tuple["str | None", dict[str, Where]], "dict[str, str] | None"]
"""What a part's file holds: each record's hash, its values file with where the frames (pickled together)
lie in it, and the part's summary."""


class Record(Framed):
    """One output as last made: the hash of its bytes and what it read (its frame: unpickled when first read)."""

    __slots__ = ("digest", "_frame", "frames")

    def __init__(self, digest: str, frame: dict[str, str] | None) -> None:
        self.digest = digest
        self._frame = frame
        self.frames: Frames | None = None  # where its frame is while still pickled (_frame is None until then)

    def __reduce__(self) -> tuple:
        """Pickle as a plain tuple."""
        return (Record, (self.digest, self.frame))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and (self.digest, self.frame) == (other.digest, other.frame)

    __hash__ = None  # type: ignore[assignment] - compared by value, like the dataclass it was

    def __repr__(self) -> str:
        return f"Record({self.digest!r}, {self.frame!r})"


def record_part(path: str) -> int:
    """Return the part an output's record is kept in: an edit to one incident's body writes two of them.

    The lists' records are most of the bytes (a list of 10,000 incidents records 10,000 reads),
    and after such an edit only the incident's own outputs and the downloads are made again.
    """
    if own_output(path):
        return zlib.crc32(path.split("/")[1].encode("utf-8", "surrogatepass")) % 32
    return 32 if path.startswith("data/") else 33


def own_output(path: str) -> bool:
    """Return True for an incident's own page or data file (incidents/<slug>/...), made from it alone."""
    parts = path.split("/")
    return len(parts) == 3 and parts[0] == "incidents" and parts[1] != "page"


def load_records(folder: Path, code: str) -> tuple[dict[str, Record], Parts]:
    """Return every record kept in folder by this code version (frames still pickled), and the parts as loaded."""
    return load_parts(folder, code, RECORD_PARTS, lambda stored: _unpacked(folder, stored))


def save_records(
    folder: Path, code: str, records: dict[str, Record], saved: Parts, keep: Callable[[Path, object], None]
) -> Parts:
    """Write the parts whose records changed since saved (as loaded or last saved); return the parts now.

    A part's frames go to a values file of its own (read when a frame is first asked for); the
    part's others are removed once the part's file names the new one.
    """
    writer = ValuesWriter(folder)
    return save_parts(
        folder, code, records, saved, keep, record_part, RECORD_PARTS, partial(_stored, writer), writer.remove_others
    )


def current_records(records: dict[str, Record], parts: Parts, changed: Callable[[dict[str, str]], str]) -> set[str]:
    """Return the outputs of each part still as loaded whose summary has not changed (changed(summary) == "").

    parts: as loaded or last saved (State.saved_records); a part holds its summary only as loaded
    (a record made again in this process, or a part saved since, has none), and while every record
    loaded with it is still the one in records: one made again since may have read something else.
    """
    found: set[str] = set()
    for group in frame_groups(parts):
        owners = group.owners
        if not all(map(is_, map(records.get, owners), owners.values())):  # the very records loaded (in C)
            continue
        try:
            same = not changed(group.summary)  # type: ignore[arg-type] - a group has a summary
        except (AttributeError, TypeError):  # not keys: a cache file rewritten by hand, say
            same = False
        if same:
            found.update(owners)
    return found


def _stored(writer: ValuesWriter, number: int, part: dict[str, Any]) -> Stored:
    outside = union(record.frame for record in part.values())
    digests = {path: record.digest for path, record in part.items()}
    frames = pickle.dumps({path: record.frame for path, record in part.items()}, pickle.HIGHEST_PROTOCOL)
    return digests, writer.write(number, {FRAMES: frames}), outside


def _unpacked(folder: Path, stored: Stored) -> dict[str, Record]:
    digests, (values_name, index), outside = stored
    if not isinstance(index, dict) or not (outside is None or isinstance(outside, dict)):
        raise TypeError("not a part of the records")
    where = index[FRAMES]
    if not (isinstance(where, tuple) and len(where) == 3):
        raise TypeError("not where the frames lie")
    frames = Frames(None, (open_values(folder, values_name), where))  # read when a frame is first asked for
    group = Group(outside)
    for path, digest in digests.items():
        record = frames.owners[path] = group.owners[path] = Record(digest, None)
        record.frames = frames
    if outside is not None:
        frames.groups = [group]
    return dict(frames.owners)
