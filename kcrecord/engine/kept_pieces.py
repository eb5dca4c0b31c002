"""The kept pieces in the cache folder, in parts by file: a build writes only the parts that changed.

At 10,000 incidents the pieces (kcrecord/outputs/fragments.py) are about 100 MB pickled, and
pickling them all took 1.4-1.8 s of a one-edit build. A piece's key names the file it belongs to
(`list-item\\0file:content/incidents/x.md`), so the pieces are kept in PARTS parts by a hash of
that file, and the memos (the downloads without their value) in one more (kcrecord/engine/parts.py):
an edit to one incident writes one part of the 32, and the memos' part when a memo changed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kcrecord.engine.parts import Parts, load_parts, save_parts
from kcrecord.outputs.fragments import Kept, without_memo_values

PARTS = 32
MEMOS = PARTS  # the part that holds the memos


def part_of(key: str) -> int:
    """Return the part a piece is kept in: the memos' own, or one chosen by the file the piece belongs to."""
    if key.startswith("memo:"):
        return MEMOS
    return zlib.crc32(key.partition("\0")[2].encode("utf-8", "surrogatepass")) % PARTS


def load_pieces(folder: Path, code: str) -> tuple[dict[str, Kept], Parts]:
    """Return every piece kept in folder by this code version, and the parts as loaded."""
    return load_parts(folder, code, PARTS + 1)


def save_pieces(
    folder: Path, code: str, pieces: dict[str, Kept], saved: Parts, keep: Callable[[Path, object], None]
) -> Parts:
    """Write the parts whose pieces changed since saved (as loaded or last saved); return the parts now.

    The memos' part is written with each heavy memo's value left out.
    """
    return save_parts(folder, code, pieces, saved, keep, part_of, PARTS + 1, _stored)


def _stored(number: int, part: dict[str, Any]) -> dict[str, Any]:
    return without_memo_values(part) if number == MEMOS else part
