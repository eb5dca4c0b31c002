"""An output's bytes kept in a file with no name instead of in memory: the database, and make site's downloads.

At 10,000 incidents data/incidents.db is 29 MB and the downloads 67 MB together (incidents.json
27 MB). Held as bytes, each was a second copy of what its pieces already hold, at the build's
highest point of memory. A Spooled is written once (from the parts of a download, or the file
SQLite's VACUUM INTO wrote), hashed as it is written, and copied from there into the output
folder (kcrecord/engine/output.py): the bytes are never whole in memory. The file is made with
no name (or its name removed at once), so a build that is killed leaves nothing behind, and it
is gone once the Spooled is let go.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from kcrecord.engine.deps import LONG, digest, long_digest

BLOCK = 1 << 20  # bytes read at a time


class Spooled:
    """A file's bytes in a file of their own: their size, their digest (deps.digest's) and a way to copy them."""

    __slots__ = ("_file", "size", "digest")

    def __init__(self, file: BinaryIO, hasher: hashlib._Hash | None = None) -> None:
        """Take file (open for reading, its bytes written and flushed) as the bytes.

        hasher: the SHA-256 of the bytes, fed as they were written; without it they are read back and hashed.
        """
        self._file = file
        self.size = os.fstat(file.fileno()).st_size
        if self.size < LONG:
            self.digest = digest(bytes(self))  # deps.digest's short rule: a few hundred bytes read back
            return
        if hasher is None:
            hasher = hashlib.sha256()
            for block in self.blocks():
                hasher.update(block)
        self.digest = long_digest(hasher)

    @classmethod
    def of_parts(cls, parts: Iterable[bytes], folder: Path | None = None) -> Spooled:
        """Return the bytes of parts joined, written one part at a time to a file with no name (in folder)."""
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        file = tempfile.TemporaryFile(dir=folder)  # noqa: SIM115 - held open by the Spooled, closed when let go
        hasher = hashlib.sha256()
        try:
            for part in parts:
                file.write(part)
                hasher.update(part)  # hashed as written: the file is not read back
            file.flush()
            return cls(file, hasher)  # type: ignore[arg-type]
        except BaseException:
            file.close()
            raise

    @classmethod
    def of_path(cls, path: Path) -> Spooled:
        """Return the bytes of the file at path, which is removed (the Spooled holds it open until let go)."""
        file = open(path, "rb")  # noqa: SIM115 - held open by the Spooled, closed when it is let go
        try:
            path.unlink()
            return cls(file)
        except BaseException:
            file.close()
            raise

    @classmethod
    def or_bytes(cls, parts: list[bytes], folder: Path | None = None) -> Spooled | bytes:
        """Return of_parts(parts, folder), or the parts joined in memory where no file can be made (a disk full)."""
        try:
            return cls.of_parts(parts, folder)
        except OSError:
            return b"".join(parts)

    def __len__(self) -> int:
        return self.size

    def __bytes__(self) -> bytes:
        return b"".join(self.blocks())

    def blocks(self) -> Iterator[bytes]:
        """Yield the bytes a block at a time (read at their offset: a forked process may read the file too)."""
        fileno, offset = self._file.fileno(), 0
        while offset < self.size:
            block = os.pread(fileno, min(BLOCK, self.size - offset), offset)
            if not block:
                raise OSError(f"{self.size - offset} bytes of a spooled output are missing")
            yield block
            offset += len(block)

    def write_to(self, stream: BinaryIO) -> None:
        """Write the bytes to stream (a new file open for writing), copied in the kernel where it can be."""
        stream.flush()
        copied, source, target = 0, self._file.fileno(), stream.fileno()
        try:
            while copied < self.size:
                done = os.copy_file_range(source, target, self.size - copied, copied)
                if done == 0:
                    raise OSError("copy_file_range copied nothing")
                copied += done
            return
        except (AttributeError, OSError):  # not on this system, or not between these files: written from here
            stream.seek(0)
            stream.truncate()
        for block in self.blocks():
            stream.write(block)

    def same_as(self, stream: BinaryIO) -> bool:
        """Return True when stream (a file open for reading, at its start) holds exactly these bytes."""
        for block in self.blocks():
            if stream.read(len(block)) != block:
                return False
        return stream.read(1) == b""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Spooled):
            return self.size == other.size and self.digest == other.digest and bytes(self) == bytes(other)
        if isinstance(other, (bytes, bytearray)):
            return self.size == len(other) and bytes(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment] - compared by value, like bytes, but not a key

    def __reduce__(self) -> tuple:
        """Pickle as the bytes (what it stands for), not the file."""
        return (bytes, (bytes(self),))

    def __repr__(self) -> str:
        return f"Spooled({self.size} bytes, {self.digest})"
