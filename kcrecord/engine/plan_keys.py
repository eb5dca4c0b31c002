"""Each planned output's plan key (plan:<output>), worked out again only when what the planner handed it did.

A plan key is the fingerprint of `identity(plan)` (kcrecord/engine/deps.py): model objects by
their key (their file), strings by value, functions by name, containers item by item. The
preview plans all 20,000 outputs at every update, and working out 20,000 identities took
0.3-0.4 s at 10,000 incidents. Most plans hold only strings, model objects and partials of plain
functions: an incident page's (template, path, {incident, title}), its data file's
partial(incident_json, incident, site). identity() of such a plan depends on nothing but the
strings, the model objects' keys and which functions are there (a function without a closure is
known by its name), so while those parts are equal, the key kept is the key identity() would
give, without building its text and hashing it again. A plan holding anything else (a list,
which can change in place) is worked out every time. The parts are plain data, so make site
keeps them in its state: a build after an edit compares 20,000 tuples instead.

The preview, one process from update to update, goes one step further (by_objects): it keeps
each plan's objects themselves (with their types), and a plan holding the very same model objects
and equal strings has the key kept, found by one comparison made in C, without asking each model
for its key. A plan holding a list or a closure is compared by its snapshot instead
(kcrecord/engine/plan_snapshot.py: the list copied in C, its models compared by identity).
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Iterable
from operator import attrgetter
from typing import Protocol

from kcrecord.content.recorded import Recorded
from kcrecord.content.site_model import Site
from kcrecord.engine.deps import PLAIN_VALUES, other_places
from kcrecord.engine.plan_snapshot import Seen, plan_snapshot

LISTS_KEPT = 4
"""Lists of jobs kept by fill (one for each length: the quick pass's and the update's)."""
_path = attrgetter("path")


class Planned(Protocol):
    """An output as the planner gives it (kcrecord/outputs/render.py's Job)."""

    path: str
    plan: tuple

    def plan_key(self) -> str:
        """Return the fingerprint of what the planner handed this output."""
        ...


class PlanKeys:
    """Plan keys kept by output path with the plan's parts, reused while the parts are equal.

    kept maps each output to (parts, key); it holds only strings, numbers and tuples of them, so
    make site keeps it in the cache folder with the rest of the state.
    """

    def __init__(self, kept: dict[str, tuple[tuple, str]] | None = None, by_objects: bool = False) -> None:
        self.kept: dict[str, tuple[tuple, str]] = kept if kept is not None else {}
        self.objects: dict[str, tuple[tuple, str]] | None = {} if by_objects else None  # path -> (objects, key)
        self.snapshots: dict[str, tuple[tuple, str]] = {}  # by_objects: the other plans' (snapshot, key) by path
        self.jobs: dict[str, tuple[Planned, str]] = {}  # by_objects: (job, key) by path, as last filled
        self.lists: dict[int, tuple[list[Planned], list[str]]] = {}  # by_objects: the jobs last filled, by length

    def __call__(self, job: Planned, functions: Seen | None = None) -> str:
        """Return job.plan_key(), from the kept key when its plan's parts equal those it was worked out from.

        functions: what plan_snapshot found of the functions in this planning's plans so far.
        """
        objects = snapshot = None
        if self.objects is not None:
            objects = plan_objects(job.plan)
            if objects is not None:
                seen = self.objects.get(job.path)
                if seen is not None and seen[0] == objects:  # the very models (eq=False: by identity), equal strings
                    return seen[1]
                if not _by_identity(job.plan):
                    objects = None
            if objects is None:  # a list, a closure: compared by the plan's snapshot (kcrecord/engine/plan_snapshot.py)
                snapshot = plan_snapshot(job.plan, functions)
                if snapshot is not None:
                    seen = self.snapshots.get(job.path)
                    if seen is not None and seen[0] == snapshot:
                        return seen[1]
        parts = plain_parts(job.plan)
        if parts is None:
            self.kept.pop(job.path, None)
            key = job.plan_key()
        else:
            kept = self.kept.get(job.path)
            if kept is not None and kept[0] == parts:
                key = kept[1]
            else:
                key = job.plan_key()
                self.kept[job.path] = (parts, key)
        if snapshot is not None:
            self.snapshots[job.path] = (snapshot, key)
        elif objects is not None and parts is not None:  # by identity, its parts plain (see _by_identity)
            self.objects[job.path] = (objects, key)  # type: ignore[index]
        return key

    def fill(self, jobs: Iterable[Planned], plans: dict[str, str]) -> None:
        """Set plans[job.path] to each job's plan key: self(job), with its commonest case written out in the loop.

        The preview plans 20,000 outputs at each update, nearly all of the very job objects of the
        last update (KeptJobs in kcrecord/outputs/render.py): a list as long as the last one filled
        is compared with it object by object in C, and only the places holding another job are
        looked at (a job's plan never changes, so a job's key is as it was).
        """
        if self.objects is None:
            for job in jobs:
                plans[job.path] = self(job)
            return
        jobs = list(jobs)
        last = self.lists.get(len(jobs))
        places = None if last is None else other_places(jobs, last[0])
        if last is None or places is None or len(places) > len(jobs) // 8:
            keys = self._fill_each(jobs)
        else:
            keys = last[1][:]
            functions: Seen = {}
            for place in places:
                keys[place] = self._key_of(jobs[place], functions)
        plans.update(zip(map(_path, jobs), keys, strict=True))
        if len(self.lists) >= LISTS_KEPT:
            self.lists.clear()
        self.lists[len(jobs)] = (jobs, keys)

    def _fill_each(self, jobs: list[Planned]) -> list[str]:
        """Return each job's key, the job looked up by path (the very job of the last update: its key as it was)."""
        last_get, functions, keys = self.jobs.get, {}, []
        for job in jobs:
            seen = last_get(job.path)
            keys.append(seen[1] if seen is not None and seen[0] is job else self._key_of(job, functions))
        return keys

    def _key_of(self, job: Planned, functions: Seen) -> str:
        """Return a job's key as self(job) does, and keep the job with it."""
        assert self.objects is not None
        kept = self.objects.get(job.path)
        same = kept is not None and kept[0] == plan_objects(job.plan)  # as in __call__
        key = kept[1] if same else self(job, functions)  # type: ignore[index]
        self.jobs[job.path] = (job, key)
        return key

    def keep_only(self, paths: set[str]) -> None:
        """Forget the outputs no longer planned (nothing is copied when none was dropped: the commonest)."""
        if not self.kept.keys() <= paths:
            self.kept = {path: kept for path, kept in self.kept.items() if path in paths}
        if self.objects is not None and not self.objects.keys() <= paths:
            self.objects = {path: seen for path, seen in self.objects.items() if path in paths}
        if not self.snapshots.keys() <= paths:
            self.snapshots = {path: seen for path, seen in self.snapshots.items() if path in paths}
        if not self.jobs.keys() <= paths:
            self.jobs = {path: seen for path, seen in self.jobs.items() if path in paths}
            self.lists.clear()


def plan_objects(plan: object) -> tuple | None:
    """Return the objects of one of the two commonest plans (see _common), to compare with ==; else None."""
    if type(plan) is not tuple:
        return None
    if len(plan) == 3 and type(plan[2]) is dict:  # with each value's type: a Markup title equals its text
        return (plan[0], plan[1], tuple(plan[2].items()), type(plan[0]), type(plan[1]), *map(type, plan[2].values()))
    if len(plan) == 1 and type(plan[0]) is functools.partial:
        args, keywords = plan[0].args, plan[0].keywords
        kinds = tuple(map(type, args))
        if Site in kinds:  # each update's site is a new object, known by the same key ("site")
            args = tuple(_SITE if type(item) is Site else item for item in args)
        return (plan[0].func, args, tuple(keywords.items()), kinds, *map(type, keywords.values()))
    return None


_SITE = ("model", "site")
"""What stands for the site among a plan's objects: every Site has the identity key "site"."""


def _by_identity(plan: tuple) -> bool:
    """Return True when plan (plain_parts of it is not None) holds no object that == could find equal to another.

    Its strings are equal only to equal strings, its functions and model objects (dataclasses with
    eq=False) only to themselves: a plan whose objects equal these has the same parts.
    """
    if len(plan) == 1 and (plan[0].keywords or not _fixed(plan[0].func)):
        return False
    leaves = plan[2].values() if len(plan) == 3 else plan[0].args
    return all(map(_fixed, leaves))


def _fixed(item: object) -> bool:
    """Return True when item is equal only to itself and holds nothing that can change in place (or a string).

    A closure is the same object with other values in its cells, and a partial the same object
    around such a function or a list: their parts are walked each time instead.
    """
    kind = type(item)
    if kind is str:
        return True
    if kind.__eq__ is not object.__eq__:
        return False
    if kind is types.FunctionType:
        return not item.__closure__  # type: ignore[attr-defined]
    if kind is functools.partial:
        parts = (item.func, *item.args, *item.keywords.values())  # type: ignore[attr-defined]
        return all(map(_fixed, parts))
    return True


def plain_parts(value: object) -> tuple | None:
    """Return what identity() reads of value, in order: strings, model objects' keys, functions' names.

    None when value holds anything else. Model keys and functions are tagged, so a string never
    equals a model object whose key has the same text.
    """
    common = _common(value)
    if common is not None:
        return common
    found: list[object] = []
    return tuple(found) if _collect(value, found) else None


def _common(plan: object) -> tuple | None:
    """Return _collect's parts of the two commonest plans without its recursion (20,000 at each update); else None.

    A page's (template, path, {name: text or model object}) and partial(function, model objects...).
    """
    if type(plan) is not tuple:
        return None
    if len(plan) == 3 and type(plan[0]) is str and type(plan[1]) is str and type(plan[2]) is dict:
        found: list[object] = [3, plan[0], plan[1], ("dict", len(plan[2]))]
        for name, item in plan[2].items():
            if type(name) is not str or not _leaf(item, found, name):
                return None
        return tuple(found)
    if len(plan) == 1 and type(plan[0]) is functools.partial:
        func, args, keywords = plan[0].func, plan[0].args, plan[0].keywords
        if keywords or type(func) is not types.FunctionType or func.__closure__ is not None:
            return None
        found = [1, ("function", func.__module__, func.__qualname__), ("cells", 0), len(args)]
        for item in args:
            if not _leaf(item, found):
                return None
        found.append(("dict", 0))
        return tuple(found)
    return None


def _leaf(item: object, found: list[object], name: str | None = None) -> bool:
    """Append name (when given) and a string, model or engine object as _collect does; False for anything else."""
    if name is not None:
        found.append(name)
    if type(item) is str:
        found.append(item)
        return True
    if isinstance(item, Recorded):
        found.append(("model", type(item).identity_key(item)))
        return True
    if _engine_object(item):  # an incident's data file: partial(_incident_data, KeptJobs, incident)
        found.append(("object", type(item).__qualname__))
        return True
    return False


def _collect(value: object, found: list[object], depth: int = 0) -> bool:
    """Append what identity() reads of value to found, tagged by kind; False for a value it cannot summarise.

    The parts may say more than identity() reads (it stops 6 levels down; lists and tuples are
    told apart here), never less: equal parts give equal keys.
    """
    if depth > MAX_DEPTH:
        return False  # a function whose closure holds itself, or a value nested that deep: worked out each time
    kind = type(value)
    if kind is str:
        found.append(value)
        return True
    if isinstance(value, Recorded):
        found.append(("model", kind.identity_key(value)))  # what identity() gives it: its file (or the site's)
        return True
    if kind is int or kind is bool or kind is float or value is None or isinstance(value, PLAIN_VALUES):
        found.append((kind.__name__, repr(value)))  # as identity() gives it: True is not 1, -0.0 is not 0.0
        return True
    if kind is tuple or kind is list:  # a list is walked at every planning: its items now are what count
        found.append(len(value) if kind is tuple else ("list", len(value)))  # type: ignore[arg-type]
        return all(_collect(item, found, depth + 1) for item in value)  # type: ignore[attr-defined]
    if kind is dict:
        found.append(("dict", len(value)))  # type: ignore[arg-type]
        return all(
            _collect(key, found, depth + 1) and _collect(item, found, depth + 1)
            for key, item in value.items()  # type: ignore[attr-defined]
        )
    if kind is functools.partial:
        return _function(value.func, found, depth) and (  # type: ignore[attr-defined]
            _collect(value.args, found, depth + 1) and _collect(value.keywords, found, depth + 1)  # type: ignore[attr-defined]
        )
    if kind is types.FunctionType:
        return _function(value, found, depth)
    if _engine_object(value):
        found.append(("object", kind.__qualname__))  # identity() gives only its type: what it gives is recorded
        return True
    return False


MAX_DEPTH = 12


def _function(func: object, found: list[object], depth: int) -> bool:
    """Append a plain function's name and what its closure's cells hold, as identity() reads them."""
    if type(func) is not types.FunctionType:
        return False  # a builtin or callable object is not looked into
    found.append(("function", func.__module__, func.__qualname__))  # as identity() names it
    cells = func.__closure__ or ()
    found.append(("cells", len(cells)))
    try:
        return all(_collect(cell.cell_contents, found, depth + 1) for cell in cells)
    except ValueError:  # a cell not filled yet
        return False


def _engine_object(value: object) -> bool:
    """Return True for what identity() knows by its type's name alone (the Jinja environment, the memos)."""
    kind = type(value)
    if isinstance(value, PLAIN_VALUES):  # a date: known by its value
        return False
    return not (
        getattr(kind, "identity_key", None) is not None
        or isinstance(value, (str, bytes, int, float, list, tuple, set, frozenset, dict, functools.partial, type))
        or value is None
        or dataclasses.is_dataclass(value)
        or getattr(value, "__code__", None) is not None
    )
