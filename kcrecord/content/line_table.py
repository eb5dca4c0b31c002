"""The line of every value of a YAML document, packed for the cache folder and unpacked when asked.

A parsed file keeps the line of each path into its front matter (for messages), about 80 paths
for an incident. Kept in the cache as a dict of tuples, they were a third of the time it took to
load 10,000 parsed files. Every path of a document's values has a line and nothing else has, so the
lines are packed as an array in the order a walk of the values visits the paths, and unpacked by
walking again, only when a message needs one (a file whose checks are kept never does).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

Path = tuple  # a path into the document: ("people", 1, "minor")


def paths(data: object, path: Path = ()) -> Iterator[Path]:
    """Yield path and the path of every value below it, depth first, in the order the values are held."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths(value, (*path, index))


def pack(data: object, lines: dict[Path, int]) -> bytes | None:
    """Return the lines in the order paths(data) visits them; None when lines has other paths too."""
    found = array("I")
    for path in paths(data):
        line = lines.get(path)
        if line is None or line < 0:
            return None
        found.append(line)
    return found.tobytes() if len(found) == len(lines) else None


def unpack(data: object, packed: bytes) -> dict[Path, int]:
    """Return the lines that pack(data, lines) packed."""
    found = array("I")
    found.frombytes(packed)
    return dict(zip(paths(data), found, strict=True))
