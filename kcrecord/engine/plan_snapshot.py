"""A plan's snapshot: what identity() reads of it, with model objects themselves and lists copied, compared in C.

The preview plans every output at each update. A plan that holds a list of models (a timeline
year's 1,000 incidents, a table page's 100 rows) had its identity worked out item by item at each
planning: about 2 µs an incident, 40-50 ms an update at 10,000 incidents. A snapshot copies such
a list whole (`tuple(items)`, in C) once every item is found to be of one model type (`set(map(type,
items))`, in C too), and two snapshots are compared with `==`, which compares the models by
identity, in C.

The claim, which tests/test_plan_snapshot.py checks on generated plans: **two equal snapshots give
equal identity() texts**, so a plan key kept with one snapshot is the key of any plan whose
snapshot equals it. Each branch below follows identity() in kcrecord/engine/deps.py, in its order,
and is as strict as it or stricter:
- a model whose key is its file (Recorded.identity_key, compared by identity) is kept itself:
  the same object names the same file (a model's source is never replaced);
- other objects with an identity key (the site, its settings, a planned output) by their key;
- a plain string by its value; a string of a subclass, bytes and numbers by identity()'s own
  text of them (a subclass's repr, True against 1, -0.0 against 0.0); functions by module, name
  and what their closure holds, partials and containers part by part, each tagged with its kind;
  types by name, as identity() gives them (never compared with ==, which a metaclass could change);
- past identity()'s depth, nothing (identity() writes "…" there too).
None when a plan holds what a snapshot cannot stand for (a set, a closure's cell not filled yet):
its key is worked out as before.
"""

from __future__ import annotations

import dataclasses
import functools
from operator import attrgetter
from typing import Any

from kcrecord.content.recorded import Recorded
from kcrecord.engine.deps import PLAIN_VALUES, identity

MAX_DEPTH = 6
"""identity()'s depth: past it, any value reads as "…"."""

_FAR = ("…",)
_BY_OBJECT: dict[type, bool] = {}  # each type met: whether its objects stand for themselves


class UnsnappedError(Exception):
    """The plan holds something a snapshot cannot stand for."""


Seen = dict[tuple[int, int], tuple[object, Any]]
"""Functions' snapshots by (id, depth), each with the function (alive meanwhile): for one planning's plans."""


def plan_snapshot(plan: object, seen: Seen | None = None) -> tuple | None:
    """Return plan's snapshot (equal snapshots: equal identity() texts), or None.

    seen: the snapshots of the functions met so far in plans of this very planning (the table's
    100 pages hand over the same closures), taken again from there; nothing changes meanwhile.
    """
    try:
        return ("plan", _snap(plan, 0, {} if seen is None else seen))
    except (UnsnappedError, RecursionError):
        return None


def _by_object(kind: type) -> bool:
    """Return True for a model type whose objects name their file by themselves (compared by identity)."""
    known = _BY_OBJECT.get(kind)
    if known is None:
        known = _BY_OBJECT[kind] = (
            issubclass(kind, Recorded)
            and getattr(kind, "identity_key", None) is Recorded.identity_key
            and kind.__eq__ is object.__eq__
        )
    return known


def _snap(value: object, depth: int, seen: Seen) -> Any:
    if depth > MAX_DEPTH:
        return _FAR
    kind = type(value)
    if kind is str:
        return value
    key = getattr(kind, "identity_key", None)
    if key is not None:
        return value if _by_object(kind) else ("key", key(value))
    if isinstance(value, (str, bytes)) or value is None or isinstance(value, (bool, int, float, *PLAIN_VALUES)):
        return ("text", identity(value, depth))  # a subclass's repr, -0.0, True: identity()'s own text
    if isinstance(value, (list, tuple)):
        if (kind is list or kind is tuple) and value and depth < MAX_DEPTH:
            kinds = set(map(type, value))  # type: ignore[call-overload]
            if len(kinds) == 1:
                (first,) = kinds
                if _by_object(first):  # identity() gives each item's key: the same objects, the same keys
                    return ("models", tuple(value))  # type: ignore[arg-type]
                if first is str:  # identity() gives each its text (or its digest)
                    return ("texts", tuple(value))  # type: ignore[arg-type]
                key = getattr(first, "identity_key", None)
                if key is not None:  # identity() gives each item's key (the planned outputs, for the sitemap)
                    named = getattr(first, "identity_attribute", None)  # what identity_key returns, read in C
                    return ("keys", tuple(map(attrgetter(named) if named else key, value)))  # type: ignore[call-overload]
        return ("seq", tuple([_snap(item, depth + 1, seen) for item in value]))  # type: ignore[attr-defined]
    if isinstance(value, (set, frozenset)):
        raise UnsnappedError  # identity() sorts a set by repr: left to it
    if isinstance(value, dict):
        return ("dict", tuple([(_snap(k, depth + 1, seen), _snap(v, depth + 1, seen)) for k, v in value.items()]))
    if isinstance(value, functools.partial):
        parts = [_snap(part, depth + 1, seen) for part in (value.func, value.args, value.keywords)]
        return ("partial", tuple(parts))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = tuple([_snap(getattr(value, f.name), depth + 1, seen) for f in dataclasses.fields(value)])
        return ("dataclass", kind.__qualname__, fields)
    if getattr(value, "__code__", None) is not None:
        found = seen.get((id(value), depth))
        if found is not None and found[0] is value:
            return found[1]
        try:
            closure = getattr(value, "__closure__", None) or ()
            cells = tuple([_snap(cell.cell_contents, depth + 1, seen) for cell in closure])
        except ValueError:  # a cell not filled yet (identity() would fail on it too)
            raise UnsnappedError from None
        made = ("code", value.__module__, value.__qualname__, cells)  # type: ignore[attr-defined]
        seen[(id(value), depth)] = (value, made)
        return made
    return ("object", kind.__qualname__)
