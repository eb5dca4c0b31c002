"""Each input file's hash, kept with the file's status, so that make site reads only the files that changed.

make site's first step hashes every file a build reads (kcrecord/engine/unchanged.py); at 10,000
incidents reading and hashing them took 0.5-0.6 s of every build. As git does for its index, the
cache folder keeps, for each file, its size, modification and change times (in nanoseconds), inode
and device, with the hash of the bytes read then. A file whose status is the same is not read
again. The change time is set by the system on every write, rename or change of the file's
status and cannot be set back by a program, so a file written since has another status.

One case is left: a file written again within the same tick of the file system's clock as the
read, which can leave every field of its status as it was. So an entry is used only when the
file's times are at least RACY_NS older than the moment its hash was taken; a file written just
before a build is read again by the next one too (git calls these entries "racily clean").
"""

from __future__ import annotations

import os
import pickle
import stat
import time
from pathlib import Path

from kcrecord.engine.state import keep_pickled
from kcrecord.outputs.kept import UNREADABLE

INPUT_HASHES = "input-hashes.pickle"  # the file in the cache folder's engine/ that keeps them
RACY_NS = 2_000_000_000  # more than the coarsest file-time resolution in use (2 s on FAT)

Status = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device


def status_of(info: os.stat_result) -> Status | None:
    """Return what identifies a regular file's content for the next build; None for anything else.

    None on Windows too, where st_ctime is the time the file was made, not last changed: a rewrite
    that put the modification time back would not be seen, so every file is read there.
    """
    if not stat.S_ISREG(info.st_mode) or os.name == "nt":
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


class KnownHashes:
    """The hashes a build took, by path below the project, with each file's status then; kept in file."""

    def __init__(self, file: Path | None) -> None:
        self.file = file
        self.kept: dict[str, tuple[Status, str, int]] = {}
        if file is not None:
            try:
                with open(file, "rb") as stream:
                    kept = pickle.load(stream)
            except UNREADABLE:
                kept = None
            if isinstance(kept, dict):
                self.kept = kept
        self.now: dict[str, tuple[Status, str, int]] = {}
        self.started = time.time_ns()  # before any file is looked at: a write after this is never trusted

    def get(self, rel: str, status: Status | None) -> str | None:
        """Return the hash taken when the file had this status, if it can be trusted; else None (read it)."""
        if status is None:
            return None
        kept = self.kept.get(rel)
        if not (isinstance(kept, tuple) and len(kept) == 3 and kept[0] == status and isinstance(kept[2], int)):
            return None  # not kept, another status, or not what this code keeps (a damaged cache is not an error)
        if max(status[1], status[2]) + RACY_NS >= kept[2] or not isinstance(kept[1], str):
            return None
        self.now[rel] = kept
        return kept[1]

    def put(self, rel: str, status: Status | None, hashed: str) -> None:
        """Keep the hash of the bytes read from a file that had status before it was read."""
        if status is not None:
            self.now[rel] = (status, hashed, self.started)

    def save(self) -> None:
        """Keep this build's hashes (only the files seen in it) when they differ from those loaded."""
        if self.file is not None and self.now != self.kept:
            keep_pickled(self.file, self.now)
