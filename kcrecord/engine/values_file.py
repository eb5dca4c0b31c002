"""The values (and frames) of a part of the kept pieces or records, in a file beside the part's, read when used.

At 10,000 incidents the pieces' values are about 110 MB pickled (the downloads' rows, the
database's rows, the map locators...), and a build after an edit to one incident uses a few of
them: the rest need not be read at all. A part's file names its values file and where each
name's values lie in it (offset, length, hash). The values file is opened when the part is
loaded and read with pread when a name's values are first used: an open file keeps the bytes it
had when opened, whatever build replaces it meanwhile (a new one is written beside it under
another name, and the old one removed). Bytes that are not those written (a file damaged or cut
short) are refused by their hash: the values are made again (kept.CacheDamagedError).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from kcrecord.engine.deps import digest
from kcrecord.outputs.kept import CacheDamagedError

SUFFIX = ".values"
UNNAMED = ".unnamed-"  # the name an unnamed file has for the moment between its making and its unlinking
LEFT_AFTER = 3600  # seconds: a temporary file of the cache folder older than this was left by a build killed

Where = tuple[int, int, str]
"""Where one name's values lie in a values file: offset, length and the hash of those bytes."""


class ValuesFile:
    """A values file opened for reading (closed when nothing refers to it any longer)."""

    __slots__ = ("fd",)

    def __init__(self, path: Path) -> None:
        self.fd = -1  # closed by __del__ only once opened
        self.fd = os.open(path, os.O_RDONLY)

    @classmethod
    def opened(cls, fd: int) -> ValuesFile:
        """Return the values file open as fd (closed with it)."""
        file = cls.__new__(cls)
        file.fd = fd
        return file

    def read(self, where: Where) -> bytes:
        """Return the bytes at where, as written; CacheDamagedError when they are not."""
        offset, length, hashed = where
        try:
            data = os.pread(self.fd, length, offset)
        except OSError as error:
            raise CacheDamagedError(f"kept values could not be read ({error.strerror})") from None
        if len(data) != length or digest(data) != hashed:
            raise CacheDamagedError("kept values changed on disk")
        return data

    def __del__(self) -> None:
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)


def open_values(folder: Path, name: object) -> ValuesFile:
    """Open the values file a part names; ValueError when the name is not one or the file cannot be opened."""
    if not isinstance(name, str) or Path(name).name != name or not name.endswith(SUFFIX):
        raise ValueError("not the name of a values file")
    try:
        return ValuesFile(folder / name)
    except OSError as error:
        raise ValueError(f"{name}: {error.strerror}") from None


def write_values(folder: Path, number: int, blobs: dict[str, bytes]) -> tuple[str | None, dict[str, Where]]:
    """Write one part's values into a new file named by their hash; return its name and where each name's lie.

    The name is None when the cache folder cannot be written (the part then loads as damaged).
    """
    index: dict[str, Where] = {}
    offset = 0
    for key, data in blobs.items():
        index[key] = (offset, len(data), digest(data))
        offset += len(data)
    name = f"{number:02d}-{digest(repr(sorted(index.items())))}{SUFFIX}"
    target = folder / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}-", dir=folder)  # written again even when there:
        with os.fdopen(handle, "wb") as stream:  # the file there may be damaged (a build reading it has it open)
            for data in blobs.values():
                stream.write(data)
        os.replace(temporary, target)
    except OSError:
        return None, index
    return name, index


def remove_others(folder: Path, number: int, name: str | None) -> None:
    """Remove the part's values files but name, once the part's file names it (a build reading one has it open)."""
    with contextlib.suppress(OSError):
        for other in folder.glob(f"{number:02d}-*{SUFFIX}"):
            if other.name != name:
                other.unlink(missing_ok=True)


class ValuesWriter:
    """Writes the values files of one save of parts, and then removes each written part's older ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: dict[int, str | None] = {}

    def write(self, number: int, blobs: dict[str, bytes]) -> tuple[str | None, dict[str, Where]]:
        """Write part number's values file (write_values), remembering its name."""
        name, index = write_values(self.folder, number, blobs)
        self.written[number] = name
        return name, index

    def remove_others(self) -> None:
        """Remove the older values files of the parts written, once the parts' files name the new ones."""
        for number, name in self.written.items():
            remove_others(self.folder, number, name)


def unnamed_values(
    folder: Path | None, blobs: Iterable[tuple[str, bytes]]
) -> tuple[ValuesFile, dict[str, Where]] | None:
    """Write blobs, one at a time as they come, into a file with no name; return it opened, and where each lies.

    The file is removed as soon as it is made: it lives while a ValuesFile (or a forked process)
    holds it open, and nothing is left behind by a build that is killed. folder None: the
    system's temporary folder. None when it cannot be written.
    """
    try:
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            _remove_left(folder)
        handle, path = tempfile.mkstemp(prefix=UNNAMED, suffix=SUFFIX, dir=folder)
    except OSError:
        return None
    file = ValuesFile.opened(handle)  # closes it once let go, whatever happens below
    index: dict[str, Where] = {}
    offset = 0
    try:
        os.unlink(path)
        for key, data in blobs:
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            index[key] = (offset, len(data), digest(data))
            offset += len(data)
    except OSError:
        return None
    return file, index


def _remove_left(folder: Path) -> None:
    """Remove files a build killed between making and unlinking its unnamed file left, once LEFT_AFTER seconds old."""
    left = time.time() - LEFT_AFTER
    for other in folder.glob(f"{UNNAMED}*{SUFFIX}"):
        with contextlib.suppress(OSError):
            if other.stat().st_mtime < left:
                other.unlink()
