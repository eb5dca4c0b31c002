"""Each planned output's plan key (plan:<output>), worked out again only when what the planner handed it did.

A plan key is the fingerprint of `identity(plan)` (kcrecord/engine/deps.py): model objects by
their key (their file), strings by value, functions by name, containers item by item. The
preview plans all 20,000 outputs at every update, and working out 20,000 identities took
0.3-0.4 s at 10,000 incidents. Most plans hold only strings, model objects and partials of plain
functions: an incident page's (template, path, {incident, title}), its data file's
partial(incident_json, incident, site). identity() of such a plan depends on nothing but the
strings, the model objects' keys and which functions are there (a function without a closure is
known by its name), so while those parts are the same, the key kept is the key identity() would
give, without building its text and hashing it again. A plan holding anything else (a list,
which can change in place) is worked out every time.
"""

from __future__ import annotations

import functools
from typing import Any, Protocol

from kcrecord.content.recorded import Recorded


class Planned(Protocol):
    """An output as the planner gives it (kcrecord/outputs/render.py's Job)."""

    path: str
    plan: tuple

    def plan_key(self) -> str:
        """Return the fingerprint of what the planner handed this output."""
        ...


class PlanKeys:
    """Plan keys kept by output path with the plan's parts, reused while the parts are the same."""

    def __init__(self) -> None:
        self._kept: dict[str, tuple[list[Any], str]] = {}

    def __call__(self, job: Planned) -> str:
        """Return job.plan_key(), from the kept key when its plan's parts are the very ones it was worked out from."""
        parts = plain_parts(job.plan)
        if parts is None:
            self._kept.pop(job.path, None)
            return job.plan_key()
        kept = self._kept.get(job.path)
        if kept is not None and _same(kept[0], parts):
            return kept[1]
        key = job.plan_key()
        self._kept[job.path] = (parts, key)
        return key

    def keep_only(self, paths: set[str]) -> None:
        """Forget the outputs no longer planned (their parts would otherwise stay in memory)."""
        self._kept = {path: kept for path, kept in self._kept.items() if path in paths}


def _same(before: list[Any], now: list[Any]) -> bool:
    if len(before) != len(now):
        return False
    for old, new in zip(before, now, strict=True):
        if old is not new and not (type(old) in (str, int) and type(new) is type(old) and old == new):
            return False
    return True


def plain_parts(value: object) -> list[Any] | None:
    """Return the strings, model objects' keys and functions value is made of, in order; None if it holds more."""
    found: list[Any] = []
    return found if _collect(value, found) else None


def _collect(value: object, found: list[Any]) -> bool:
    kind = type(value)
    if kind is str:
        found.append(value)
        return True
    if isinstance(value, Recorded):
        found.append(kind.identity_key(value))  # what identity() gives it: its file (or a constant: the site)
        return True
    if kind is tuple:
        found.append(len(value))  # type: ignore[arg-type]
        return all(_collect(item, found) for item in value)  # type: ignore[attr-defined]
    if kind is dict:
        found.append(len(value))  # type: ignore[arg-type]
        return all(_collect(key, found) and _collect(item, found) for key, item in value.items())  # type: ignore[attr-defined]
    if kind is functools.partial:
        func = value.func  # type: ignore[attr-defined]
        if getattr(func, "__closure__", True) is not None:
            return False  # a closure's cells can change; a builtin or callable object is not looked into
        found.append(func)
        return _collect(value.args, found) and _collect(value.keywords, found)  # type: ignore[attr-defined]
    return False
