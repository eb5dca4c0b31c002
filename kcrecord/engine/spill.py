"""Values a cold make site no longer uses, moved out of memory until the state is saved.

Each incident's download pieces (its JSON, CSV and GeoJSON bytes: the piece called data) and its
database rows (rows) are read by one output each, the downloads and the database, which are
made once, below data/, early in the rendering stage. Kept in memory to the end of the build for
the save, they were about 80 MB of the engine's process at 10,000 incidents. Once the heavy memos
that read them are let go (kcrecord/outputs/forgetting.py: let_go_heavy), their values are
pickled, a part and a name at a time, into a file with no name (values_file.unnamed_values) and
the pieces hold only where (kept_pieces.Packed): the save writes those bytes as they are
(Packed.holds_only), and a piece used again is read back from the file (Packed.unpack). The
values, fingerprints and frames are the same either way, so what is built and kept is too. The
heap's pages those values held are then handed back (allocator.give_back): at 10,000 incidents a cold
make site peaked at 394-397 MB resident with that, 401 MB without (--no-cache, alternated).
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

from kcrecord.engine.allocator import give_back
from kcrecord.engine.collector import collector_paused
from kcrecord.engine.kept_pieces import Packed, part_of
from kcrecord.engine.values_file import unnamed_values
from kcrecord.outputs.kept import Kept

SPILL_FROM = 1000
"""Fewer values held are left in memory: a build after an edit makes a few, not worth a file (30 ms for 300)."""


def spill(folder: Path | None, pieces: dict[str, Kept], keys: Iterable[str]) -> int:
    """Move out of memory the values of the pieces (of pieces) keys name, with the others of their part and name.

    Grouped as the save groups them, a part and a name at a time; a group some of whose pieces
    are still pickled or have no value is left as it is. Returns how many values were moved
    (none when fewer than SPILL_FROM are held, or the file cannot be written).
    """
    held = [key for key in keys if (kept := pieces.get(key)) is not None and kept.packed is None]
    if len(held) < SPILL_FROM:
        return 0
    wanted = {(part_of(key), key.partition("\0")[0]) for key in held if not key.startswith("memo:")}
    names = {name for _number, name in wanted}
    groups: dict[tuple[int, str], dict[str, Kept]] = {}
    for key, kept in pieces.items():
        name = key.partition("\0")[0]
        if name in names and (ident := (part_of(key), name)) in wanted:
            groups.setdefault(ident, {})[key] = kept
    groups = {
        ident: group
        for ident, group in groups.items()
        if all(kept.packed is None and not kept.dropped for kept in group.values())
    }
    if not groups:
        return 0
    labels = {f"{number}\0{name}": group for (number, name), group in groups.items()}
    written = unnamed_values(folder, _pickled(labels))
    if written is None:
        return 0
    file, index = written
    for label, group in labels.items():
        packed = Packed(None, (file, index[label]))
        packed.owners = group
        for kept in group.values():
            kept.pack(packed)
    give_back()
    return sum(map(len, groups.values()))


def _pickled(labels: dict[str, dict[str, Kept]]) -> Iterator[tuple[str, bytes]]:
    """Yield each group's values pickled as the save pickles them (kept_pieces._stored), one at a time."""
    with collector_paused():
        for label, group in labels.items():
            yield label, pickle.dumps({key: kept.value for key, kept in group.items()}, pickle.HIGHEST_PROTOCOL)
