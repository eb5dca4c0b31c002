"""A dict kept in the cache folder in parts, one file each: a build writes only the parts that changed.

The engine's records and kept pieces (kcrecord/engine/state.py, kcrecord/engine/kept_pieces.py)
are tens of MB pickled at 10,000 incidents, and an edit changes a few entries. Each entry goes
to the part its key names (part_of), and a part whose entries are the very objects it was loaded
or saved with is not written again (an entry is never changed in place once made: a new one
replaces it). Each part carries the code version; a part that cannot be read, or is from other
code, is left out, and its entries are made again (every entry carries what says whether it is
current, so parts from two builds can be used together).
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kcrecord.engine.ahead import Ahead
from kcrecord.engine.collector import collector_paused
from kcrecord.outputs.kept import UNREADABLE

Parts = dict[int, dict[str, Any]]
SPLIT_FROM = 4000  # entries to write: fewer are written in this process (forking costs 20-40 ms)
SPLIT_PARTS = 8  # parts to write: an edit changes a few (a one-edit build writes them here)


def part_file(folder: Path, number: int) -> Path:
    """Return the file that keeps one part."""
    return folder / f"{number:02d}.pickle"


def load_parts(
    folder: Path, code: str, count: int, unpack: Callable[[Any], Any] | None = None
) -> tuple[dict[str, Any], Parts]:
    """Return every entry kept in folder's count parts by this code version, and the parts as loaded.

    unpack(stored) gives the part from what its file holds, when not the part itself (save_parts' stored).
    """
    entries: dict[str, Any] = {}
    parts: Parts = {}
    with collector_paused():
        for number in range(count):
            try:
                with open(part_file(folder, number), "rb") as stream:
                    stored = pickle.load(stream)
            except UNREADABLE:
                continue
            if not (isinstance(stored, tuple) and len(stored) == 2 and stored[0] == code):
                continue
            try:
                part = stored[1] if unpack is None else unpack(stored[1])
            except (TypeError, ValueError, KeyError, AttributeError):
                continue
            if isinstance(part, dict):
                parts[number] = part
                entries.update(part)
    return entries, parts


def save_parts(
    folder: Path,
    code: str,
    entries: dict[str, Any],
    saved: Parts,
    keep: Callable[[Path, object], None],
    part_of: Callable[[str], int],
    count: int,
    stored: Callable[[int, dict[str, Any]], dict[str, Any]] | None = None,
    finish: Callable[[], None] | None = None,
) -> Parts:
    """Write the parts whose entries changed since saved (as loaded or last saved); return the parts now.

    keep(target, value) writes one file (state.keep_pickled: through a temporary file, skipped
    when the cache folder cannot be written). stored(number, part) gives what a part's file holds,
    when not the part itself. finish() runs once the parts are written (where they were written:
    after many changed parts, half are written by a forked helper, see _write_parts).
    """
    changed = {number for number in range(count) if number not in saved}  # never written: written now
    get = entries.get
    held: set[str] = set()
    for number, before in saved.items():
        held.update(before)
        if number not in changed and any(get(key) is not entry for key, entry in before.items()):
            changed.add(number)  # an entry replaced or gone
    added: dict[int, list[str]] = {}
    for key in entries.keys() - held:
        number = part_of(key)
        added.setdefault(number, []).append(key)
        changed.add(number)
    parts: Parts = dict(saved)  # a part whose entries are all as saved is kept as it is
    for number in sorted(changed):
        before = saved.get(number, {})
        part = {key: entries[key] for key in before if key in entries}
        part.update((key, entries[key]) for key in sorted(added.get(number, [])))
        parts[number] = part
    writes = [(number, parts[number]) for number in sorted(changed)]
    _write_parts(partial(_write, folder, code, keep, stored, finish), writes)
    return parts


def _write(
    folder: Path,
    code: str,
    keep: Callable[[Path, object], None],
    stored: Callable[[int, dict[str, Any]], dict[str, Any]] | None,
    finish: Callable[[], None] | None,
    writes: list[tuple[int, dict[str, Any]]],
) -> bool:
    for number, part in writes:
        keep(part_file(folder, number), (code, part if stored is None else stored(number, part)))
    if finish is not None:
        finish()
    return True


def _write_parts(write: Callable[[list[tuple[int, dict[str, Any]]]], bool], writes: list[tuple[int, Any]]) -> None:
    """write(writes), half of them in a forked helper when there are many entries to pickle and no other thread.

    Pickling is most of a save, and a cold build's save (2 s at 10,000 incidents) ran with the
    other core idle. Each file is written through a temporary file and replaced whole, the
    helper's half as well; if the helper fails, its half is written here (Ahead.result).
    A process with other threads (the preview's server) writes everything itself: a fork copies
    locks those threads may hold.
    """
    if len(writes) < SPLIT_PARTS or sum(len(part) for _, part in writes) < SPLIT_FROM or not _alone():
        write(writes)
        return
    helper = Ahead(partial(write, writes[1::2]))
    try:
        write(writes[0::2])
    finally:
        helper.result()


def _alone() -> bool:
    """Return True when no other thread runs in this process: a fork copies the locks other threads hold."""
    return threading.active_count() == 1
