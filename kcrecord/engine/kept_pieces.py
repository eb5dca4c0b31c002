"""The kept pieces in the cache folder, in parts by file: a build writes only the parts that changed.

At 10,000 incidents the pieces (kcrecord/outputs/fragments.py) are about 100 MB pickled, and
pickling them all took 1.4-1.8 s of a one-edit build. A piece's key names the file it belongs to
(`list-item\\0file:content/incidents/x.md`), so the pieces are kept in PARTS parts by a hash of
that file, and the memos (the downloads without their value) in one more. A part whose pieces are the
very objects it was loaded or saved with is not written again: an edit to one incident writes one
part of the 32, and the memos. Each part carries the code version; a part that cannot be read,
or is from other code, is left out, and its pieces are made again when used (every piece carries
the frame that says whether it is current, so parts from two builds can be used together).
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from pathlib import Path

from kcrecord.engine.collector import collector_paused
from kcrecord.outputs.fragments import Kept, without_memo_values

PARTS = 32
MEMOS = PARTS  # the part that holds the memos

Parts = dict[int, dict[str, Kept]]


def part_of(key: str) -> int:
    """Return the part a piece is kept in: the memos' own, or one chosen by the file the piece belongs to."""
    if key.startswith("memo:"):
        return MEMOS
    return zlib.crc32(key.partition("\0")[2].encode("utf-8", "surrogatepass")) % PARTS


def part_file(folder: Path, number: int) -> Path:
    """Return the file that keeps one part."""
    return folder / f"{number:02d}.pickle"


def load_pieces(folder: Path, code: str) -> tuple[dict[str, Kept], Parts]:
    """Return every piece kept in folder by this code version, and the parts as loaded."""
    pieces: dict[str, Kept] = {}
    parts: Parts = {}
    with collector_paused():
        for number in range(PARTS + 1):
            try:
                with open(part_file(folder, number), "rb") as stream:
                    stored = pickle.load(stream)
            except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
                continue
            if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == code):
                continue
            part = stored[1]
            if isinstance(part, dict):
                parts[number] = part
                pieces.update(part)
    return pieces, parts


def save_pieces(
    folder: Path, code: str, pieces: dict[str, Kept], saved: Parts, keep: Callable[[Path, object], None]
) -> Parts:
    """Write the parts whose pieces changed since saved (as loaded or last saved); return the parts now.

    keep(target, value) writes one file (state.keep_pickled: through a temporary file, skipped
    when the cache folder cannot be written).
    """
    parts: Parts = {number: {} for number in range(PARTS + 1)}
    for key, kept in pieces.items():
        parts[part_of(key)][key] = kept
    for number, part in parts.items():
        if number == MEMOS:
            keep(part_file(folder, number), (code, without_memo_values(part)))
            continue
        before = saved.get(number)
        if before is not None and len(before) == len(part) and all(before.get(k) is v for k, v in part.items()):
            continue
        keep(part_file(folder, number), (code, part))
    return parts
