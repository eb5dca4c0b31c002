"""Recorded dependencies: while a unit is computed, every input it reads is noted with its fingerprint.

A unit is an output file or a cached intermediate (an incident's list item, the downloads' rows,
a value computed from every incident). The engine computes it inside `recording()`; the model
objects (kcrecord/content/assemble.py), the template loader (kcrecord/outputs/render.py) and the
memos (kcrecord/outputs/fragments.py) call `note(key, fingerprint)` as they are read. The frame
that comes back maps each key read to the fingerprint it had then. The unit is up to date exactly
while every key still has that fingerprint (kcrecord/engine/state.py says what each key is now).

Keys:
  file:<path>               a content file's bytes (an agency or page read in any way; an incident's body or source)
  front:<path>              an incident's front matter as text (its fields: title, date, agencies, ...)
  piece:<name>\0file:<path> a kept piece of an incident (its list item, its download rows), by its own
                            key in Fragments.kept: a token that a piece made again with the same value keeps
  coll:incidents|agencies|pages   which files are published, in order (a page that iterates them)
  config:<setting>          one setting of site.yaml, as the templates see it (title, vocab, ...)
  agency-incidents:<slug>   which incidents name an agency, by role (its page and its count)
  template:<name>           a template's source, as read once per update ('' when missing)
  static:<path>             a file below static/
  area                      the area's boundary files in imports/area/
  commit                    the git commit the site is built from
  history:<path>            the commits that changed a content file
  plan:<output>             what the planner gave an output: its template and context, by identity

An imported template's top-level code runs once, in a frame of its own; each unit that uses the
module it made takes those reads into its own frame (kcrecord/outputs/template_runtime.py).

Units nest: a unit computed while another records has its own frame. A unit that uses a kept
piece or memo records the piece's or memo's fingerprint (kcrecord/outputs/fragments.py), not
everything it read. A piece made again with the same value keeps its fingerprint, and most
memos are fingerprinted by their value, so an edit that leaves them as they were leaves their
readers current (early cutoff); the downloads' memos (the files, the database) are fingerprinted by
their reads (the pieces' fingerprints), too large to hash at every build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import enum
import fractions
import functools
import hashlib
import io
import pickle
from collections.abc import Iterator, Sequence
from itertools import chain, compress
from operator import is_not

FRAMES: list[dict[str, str]] = []
"""The frames being recorded, innermost last (one update at a time: the engine holds a lock)."""


def note(key: str, fingerprint: str) -> None:
    """Record that the unit being computed read key, which has this fingerprint now."""
    if FRAMES:
        FRAMES[-1][key] = fingerprint


@contextlib.contextmanager
def recording() -> Iterator[dict[str, str]]:
    """Record the reads made inside the block into a fresh frame, which is yielded."""
    frame: dict[str, str] = {}
    FRAMES.append(frame)
    try:
        yield frame
    finally:
        FRAMES.pop()


@contextlib.contextmanager
def unrecorded() -> Iterator[None]:
    """Read inside the block without noting anything in any frame (a value whose reads are summed up otherwise).

    The same as recording into a frame that is thrown away, without the cost of noting each read:
    a value worked out from every incident reads 10,000 of them.
    """
    saved = FRAMES[:]
    FRAMES.clear()
    try:
        yield
    finally:
        FRAMES[:] = saved


def digest(data: bytes | str) -> str:
    """Return a short fingerprint of data: BLAKE2b of a short value, SHA-256 (cut to as many digits) of a long one.

    Both are collision-resistant. Python's BLAKE2b costs less per call; SHA-256 runs in the
    processor's own instructions where it has them (x86 SHA extensions: 16 ms for the 29 MB
    database here, against 40 ms), so every page and download of a build is hashed faster.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if len(data) < LONG:
        return hashlib.blake2b(data, digest_size=16).hexdigest()
    return long_digest(hashlib.sha256(data))


def long_digest(hasher: hashlib._Hash) -> str:
    """Return digest()'s text for a long value from its SHA-256 (fed in blocks, by kcrecord/outputs/spooled.py)."""
    return hasher.hexdigest()[:32]


LONG = 1024  # bytes from which digest() uses SHA-256


def other_places(values: Sequence[object], before: Sequence[object]) -> list[int]:
    """Return the places where values (as long as before) holds another object than before does, found in C.

    After an edit, a list of 10,000 incidents (or the engine's records) differs from the last one
    at the few places that hold the edited incidents' new objects.
    """
    return list(compress(range(len(values)), map(is_not, values, before)))


PLAIN_VALUES = (dt.date, dt.time, dt.timedelta, decimal.Decimal, fractions.Fraction, complex, enum.Enum)
"""Values known by their repr, as numbers are: a derived value holding a date changes with it (datetime is a date)."""


def identity(value: object, depth: int = 0) -> str:
    """Return what value is, for a planned output: model objects by their file, containers item by item.

    A planned output's template and context are fingerprinted this way (key plan:<output>), so an
    output is made again when the planner hands it other incidents, another title or another
    template; what it then reads of those objects is recorded as it reads them.
    """
    if depth > 6:
        return "…"
    kind = type(value)
    if kind is str:  # the commonest, first
        return repr(value) if len(value) < 80 else "s:" + digest(value)
    key = getattr(kind, "identity_key", None)
    if key is not None:
        return key(value)
    if isinstance(value, str):
        return repr(value) if len(value) < 80 else "s:" + digest(value)
    if isinstance(value, bytes):
        return "b:" + digest(value)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    if isinstance(value, PLAIN_VALUES):  # a date from site.yaml or front matter: by value, as numbers are
        return repr(value)
    if (kind is list or kind is tuple) and value and depth < 6:  # the commonest: model objects of one kind
        first = type(value[0])
        key = getattr(first, "identity_key", None)
        if key is not None and all(type(item) is first for item in value):
            return "[" + ",".join([key(item) for item in value]) + "]"  # what identity() gives each of them
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return "[" + ",".join([identity(item, depth + 1) for item in items]) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{identity(k, depth + 1)}:{identity(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, functools.partial):
        parts = [identity(value.func, depth + 1), identity(value.args, depth + 1), identity(value.keywords, depth + 1)]
        return "partial(" + ",".join(parts) + ")"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [identity(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)]
        return f"{type(value).__qualname__}({','.join(fields)})"
    code = getattr(value, "__code__", None)
    if code is not None:  # a function: its name, and what its closure holds
        cells = [identity(cell.cell_contents, depth + 1) for cell in getattr(value, "__closure__", None) or ()]
        return f"{value.__module__}.{value.__qualname__}({','.join(cells)})"  # type: ignore[attr-defined]
    return type(value).__qualname__  # an engine object (the Jinja environment, the memos): what it gives is recorded


def plain_pickled(value: object) -> bytes:
    """Return value pickled without pickle's memo: the bytes depend only on what it holds (see value_fingerprint).

    Raises what pickling raises, and RecursionError for a value that refers to itself.
    """
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: shared objects are written out each time
    pickler.dump(value)
    return stream.getvalue()


def value_fingerprint(value: object) -> str:
    """Return a fingerprint of a kept value's content (a memo: data such as bytes, rows, the map's geography).

    The value is pickled without pickle's memo, so the bytes depend only on what it holds, not on
    which of its equal strings happen to be one object (which differs between a process that
    parsed the files and one that read them from the cache).
    """
    try:
        return digest(plain_pickled(value))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, KeyError):
        pass  # a value that refers to itself: pickled with the memo (the same bytes within one process)
    try:
        return digest(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return digest(identity(value))


READS_SEPARATOR = "\x1e"


def reads_fingerprint(frame: dict[str, str]) -> str:
    """Return a fingerprint of what a frame read: the same for the same reads in any process (memo(by_reads=True)).

    The sorted keys and fingerprints joined by a separator none of them holds (counted, in C), else
    their repr: a downloads memo reads 10,000 pieces, and repr() of them cost four times the sort.
    """
    items = sorted(frame.items())
    try:
        joined = READS_SEPARATOR.join(chain.from_iterable(items))
    except TypeError:  # a value that is not text
        joined = None
    if joined is None or joined.count(READS_SEPARATOR) != max(0, 2 * len(items) - 1):
        joined = repr(items)  # holds no separator: repr writes it escaped
    return digest(joined)
