"""Rows written as JSON with their repeated texts given once, by number, each row's text kept for the next time.

incidents/index.json (kcrecord/outputs/incident_table.py) holds 10,000 rows whose cities,
agencies, types and sources are numbers into one list of texts, numbered in the order the rows
first use them. In the preview it is made again after every edit to a title, and numbering and
encoding 10,000 rows took 80-140 ms of the 0.5 s an edit may take. The numbering depends only on
the texts the rows use, in order, so a list that holds the same row objects as last time but at
a few places, where the new rows use the same texts as the old ones did, has the same numbering:
only those rows are encoded again, and the others' text is taken as it was. Anything else (rows
added, removed or moved, a row that uses other texts) is numbered and encoded from the start.
Either way the bytes are those of one json.dumps of the whole (tests/test_numbered_json.py).

The rows must not change once made (the table's rows are kept pieces: frozen, made again rather
than changed); they are known again by identity.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from kcrecord.engine.deps import other_places

Row = TypeVar("Row")

ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""What json.dumps(value, ensure_ascii=False, separators=(",", ":")) gives, without a new encoder each call."""

Encoded = tuple[tuple[Any, ...], dict[str, int], list[str]]
"""The rows, their texts' numbers (in number order) and each row's JSON text."""


class NumberedRows(Generic[Row]):
    """Encode rows with numbered texts, keeping the last call's rows and their text to reuse.

    texts_of(row): the texts the row numbers, in the order its value uses them first.
    value_of(row, number): the row's JSON value, number(text) giving each text's number.
    """

    def __init__(
        self, texts_of: Callable[[Row], tuple[str, ...]], value_of: Callable[[Row, Callable[[str], int]], Any]
    ) -> None:
        self.texts_of = texts_of
        self.value_of = value_of
        self._last: Encoded | None = None
        self._lock = threading.Lock()  # the preview may make it ahead on another thread

    def encode(self, rows: Sequence[Row]) -> tuple[list[str], list[str]]:
        """Return the texts in number order and each row's JSON text, as a plain numbering would give them."""
        items = tuple(rows)
        with self._lock:
            last = self._last
        found = None if last is None else self._again(items, last)
        if found is None:
            found = self._fresh(items)
        with self._lock:
            self._last = found
        return list(found[1]), found[2]

    def _fresh(self, items: tuple[Row, ...]) -> Encoded:
        texts: dict[str, int] = {}
        number = texts.setdefault
        for item in items:
            for text in self.texts_of(item):
                number(text, len(texts))
        value_of, find = self.value_of, texts.__getitem__
        return items, texts, [ENCODE(value_of(item, find)) for item in items]

    def _again(self, items: tuple[Row, ...], last: Encoded) -> Encoded | None:
        """Return the last numbering and text, the rows at changed places encoded again; None if it cannot be."""
        before, texts, encoded = last
        if len(before) != len(items):
            return None
        places = other_places(items, before)
        if len(places) > len(items) // 8:
            return None
        texts_of = self.texts_of
        if any(texts_of(items[place]) != texts_of(before[place]) for place in places):
            return None  # another numbering, perhaps
        if places:
            encoded = encoded[:]
            for place in places:
                encoded[place] = ENCODE(self.value_of(items[place], texts.__getitem__))
        return items, texts, encoded
