"""A YAML document's values with the line of every path (made by kcrecord/content/yaml_strict.py)."""

from __future__ import annotations

import datetime
import pickle
from collections.abc import Callable

from kcrecord.content import line_table

Path = tuple  # a path into the document: ("people", 1, "minor")


SHORT = 40
"""Texts up to this long are shared between documents (field names, vocabulary words, dates' digits)."""
_COMMON: dict[object, object] = {}
_MAX_COMMON = 200_000


def shared(value: object) -> object:
    """Return value (unpickled values) with each field name, short text and date the one object kept for it.

    Unpickling makes new objects for every document: 10,000 incidents' front matter took 11 KB
    each, their 45 texts mostly field names and vocabulary words that every incident repeats;
    shared, 5 KB (0.04 ms more each, against 0.04 ms to unpickle).
    """
    if len(_COMMON) > _MAX_COMMON:
        _COMMON.clear()
    return _shared(value, _COMMON.setdefault)


def _shared(value: object, common: Callable[[object, object], object]) -> object:
    kind = type(value)
    if kind is dict:
        return {
            (common(key, key) if type(key) is str else key): (  # 1 == True == 1.0: only texts are looked up
                _shared(item, common)
                if type(item) in _NESTED
                else common(item, item)
                if type(item) in _ATOMS and (type(item) is not str or len(item) <= SHORT)
                else item
            )
            for key, item in value.items()  # type: ignore[attr-defined]
        }
    if kind is list:
        return [
            _shared(item, common)
            if type(item) in _NESTED
            else common(item, item)
            if type(item) in _ATOMS and (type(item) is not str or len(item) <= SHORT)
            else item
            for item in value  # type: ignore[attr-defined]
        ]
    return value


_NESTED = (dict, list)
_ATOMS = (str, datetime.date)


class Document:
    """Values read from one YAML document, with the line of every path.

    Pickled (for the cache folder, or from a worker process), the values are pickled on their own
    and the lines packed (kcrecord/content/line_table.py); each is unpacked only when first asked:
    a build after one edit loads 10,000 kept files and reads the values of few of them.
    """

    __slots__ = ("_data", "_pickled", "_lines", "_packed", "_map")

    def __init__(
        self,
        data: object,
        lines: dict[Path, int] | None = None,
        packed: bytes | None = None,
        pickled: bytes | None = None,
        is_map: bool = False,
    ) -> None:
        self._data = data
        self._map = is_map  # whether the pickled values are a mapping (known without unpickling them)
        self._pickled = pickled  # the values, pickled, until first asked for (data is None meanwhile)
        self._lines = lines
        self._packed = packed

    @property
    def data(self) -> object:
        """Return the values (their names and short values shared with other documents': see shared)."""
        if self._pickled is not None:
            self._data = shared(pickle.loads(self._pickled))
            self._pickled = None
        return self._data

    @property
    def is_map(self) -> bool:
        """Return True when the values are a mapping (as front matter must be), without unpickling them."""
        return self._map if self._pickled is not None else isinstance(self._data, dict)

    @property
    def lines(self) -> dict[Path, int]:
        """Return the line of every path."""
        if self._lines is None:
            self._lines = {} if self._packed is None else line_table.unpack(self.data, self._packed)
        return self._lines

    def line(self, path: Path) -> int:
        """Return the line of path, or of its nearest ancestor that has one."""
        lines = self.lines
        while path not in lines and path:
            path = path[:-1]
        return lines.get(path, 1)

    def __reduce__(self) -> tuple:
        """Pickle the values on their own and the lines packed when they can be (each unpacked when asked)."""
        pickled = self._pickled if self._pickled is not None else pickle.dumps(self._data, pickle.HIGHEST_PROTOCOL)
        packed = self._packed if self._lines is None else line_table.pack(self.data, self._lines)
        lines = self.lines if packed is None else None
        return (Document, (None, lines, packed, pickled, self.is_map))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Document) and (self.data, self.lines) == (other.data, other.lines)

    __hash__ = None  # type: ignore[assignment] - mutable, like the dataclass it was

    def __repr__(self) -> str:
        return f"Document(data={self.data!r}, lines={self.lines!r})"
