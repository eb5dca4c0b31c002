"""Equal plan snapshots give equal identity() texts (kcrecord/engine/plan_snapshot.py), checked on generated plans."""

from __future__ import annotations

import dataclasses
import functools
import random
import types
from types import SimpleNamespace

import markupsafe
import pytest

from kcrecord.content.recorded import Recorded
from kcrecord.content.site_model import Site
from kcrecord.engine.deps import identity
from kcrecord.engine.plan_keys import PlanKeys
from kcrecord.engine.plan_snapshot import plan_snapshot
from kcrecord.outputs.render import Job


class Model(Recorded):
    """A model object known by its file (compared by identity), as incidents, agencies and pages are."""

    def __init__(self, rel: str) -> None:
        object.__setattr__(self, "source", SimpleNamespace(rel=rel))


class Other(Model):
    """Another model type, known by its file too."""


class Valued(Model):
    """A model that compares by value: equal is not the same object."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Valued)

    __hash__ = None  # type: ignore[assignment]


@dataclasses.dataclass(eq=False)
class Box:
    """A dataclass compared by identity whose field can change in place (identity() reads its fields)."""

    held: object


@dataclasses.dataclass(frozen=True)
class Pair:
    first: object
    second: object


class Engineish:
    """An engine object: identity() gives only its type's name."""


def render(*args: object) -> bytes:
    return b""


def render_other(*args: object) -> bytes:
    return b"x"


def closure_over(cell: list) -> object:
    def made() -> bytes:
        return repr(cell).encode()

    return made


def _holding() -> object:
    later = None

    def early() -> object:
        return later

    return early


def not_filled() -> object:
    """Return a function whose closure's cell is not filled yet (as a function defined before its name is)."""
    code = _holding().__code__  # type: ignore[attr-defined]
    return types.FunctionType(code, globals(), "early", None, (types.CellType(),))


class World:
    """What plans are made from, changed between plannings as edits change the site."""

    def __init__(self, rng: random.Random, unfilled: bool = True) -> None:
        self.rng = rng
        self.unfilled = unfilled  # whether plans may hold a closure whose cell is not filled yet
        self.models: list[Model] = [Model(f"content/incidents/{n}.md") for n in range(4)]
        self.models += [Other("content/agencies/a.md"), Valued("content/pages/p.md")]
        self.lists: list[list] = [[self.models[0], self.models[1]], [self.models[2]], ["a", "b"], []]
        self.cells: list[list] = [["x"], [self.models[0]]]
        self.closures = [closure_over(cell) for cell in self.cells]
        self.boxes = [Box("a"), Box([self.models[1]])]
        self.engine = Engineish()
        self.jobs = [Job(f"p{n}/", render) for n in range(3)]

    def change(self) -> None:
        """An edit: a model replaced, a list or a closure's cell or a box changed in place, ..."""
        rng = self.rng
        what = rng.randrange(6)
        if what == 0:
            place = rng.randrange(len(self.models))
            kind = type(self.models[place])
            self.models[place] = kind(rng.choice(["content/incidents/0.md", "content/incidents/9.md"]))
        elif what == 1:
            chosen = rng.choice(self.lists + self.cells)
            if chosen and rng.random() < 0.5:
                chosen.pop(rng.randrange(len(chosen)))
            else:
                chosen.insert(rng.randrange(len(chosen) + 1), rng.choice([*self.models, "a", "c"]))
        elif what == 2:
            rng.choice(self.boxes).held = rng.choice(["a", "b", self.models[0], [self.models[2]]])
        elif what == 3:
            self.jobs[rng.randrange(3)] = Job(rng.choice(["p0/", "p1/", "q/"]), render)
        elif what == 4:
            self.lists.append(list(rng.choice(self.lists)))

    def leaf(self, rng: random.Random) -> object:
        return rng.choice(
            [
                "text",
                "x" * 90,
                "y" * 90,
                markupsafe.Markup("text"),
                b"bytes",
                bytearray(b"b"),
                1,
                True,
                1.0,
                0.0,
                -0.0,
                float("nan"),
                None,
                object.__new__(Site),
                self.engine,
                Engineish,
                len,
                *self.models,
                *self.lists,
                *self.closures,
                *self.boxes,
                self.jobs,
                list(self.jobs),
                frozenset({"a"}),
                not_filled() if self.unfilled else "filled",
            ]
        )

    def value(self, rng: random.Random, depth: int = 0) -> object:
        """A random plan part, nested up to 9 levels (past identity()'s 6)."""
        if depth > 8 or rng.random() < 0.35:
            return self.leaf(rng)
        kind = rng.randrange(7)
        items = [self.value(rng, depth + 1) for _ in range(rng.randrange(4))]
        if kind == 0:
            return items
        if kind == 1:
            return tuple(items)
        if kind == 2:
            return {rng.choice(["a", "b", 3, True]): item for item in items}
        if kind == 3:
            return functools.partial(rng.choice([render, render_other]), *items)
        if kind == 4:
            return Pair(items[0] if items else None, self.value(rng, depth + 1))
        if kind == 5:
            return [rng.choice(self.models[:4]) for _ in range(rng.randrange(1, 5))]  # one model type
        return closure_over(items)


@pytest.mark.parametrize("seed", range(30))
def test_equal_snapshots_give_equal_identities(seed: int) -> None:
    rng = random.Random(seed)
    world = World(rng)
    taken: list[tuple[tuple, str]] = []  # (snapshot, identity) when taken
    equal = 0
    for _ in range(300):
        shape = rng.randrange(10**9)  # the same shape from the same number: plans made again after an edit
        value = world.value(random.Random(shape))
        snapshot = plan_snapshot(value)
        try:
            text = identity(value)
        except ValueError:  # a closure's cell not filled yet: identity() cannot read it, nor a snapshot
            assert snapshot is None
            continue
        if snapshot is not None:
            for before, before_text in taken:
                if before == snapshot:
                    equal += 1
                    assert before_text == text, (before, snapshot)
            taken.append((snapshot, text))
            taken = taken[-40:]
        if rng.random() < 0.5:
            world.change()
        if rng.random() < 0.3:  # the same shape again soon: most snapshots then compare equal
            again = world.value(random.Random(shape))
            snap_again = plan_snapshot(again)
            if snapshot is not None and snap_again == snapshot:
                equal += 1
                assert identity(again) == text
    assert equal > 20  # equal snapshots were met often enough for the claim to be tested


def test_what_a_snapshot_tells_apart() -> None:
    model, same_file = Model("content/incidents/a.md"), Model("content/incidents/a.md")
    assert plan_snapshot(([model],)) == plan_snapshot(([model],))
    assert plan_snapshot(([model],)) != plan_snapshot(([same_file],))  # stricter than identity(): walked then
    assert plan_snapshot((1,)) != plan_snapshot((True,))
    assert plan_snapshot((0.0,)) != plan_snapshot((-0.0,))
    assert plan_snapshot(("text",)) != plan_snapshot((markupsafe.Markup("text"),))
    assert plan_snapshot(({"a"},)) is None  # a set: left to identity()
    assert plan_snapshot((not_filled(),)) is None
    held = ["x"]
    made = closure_over(held)
    before = plan_snapshot((made,))
    held.append("y")  # the same function, another value in its cell
    assert plan_snapshot((made,)) != before
    deep: list = ["bottom"]
    for _ in range(10):
        deep = [deep]
    other: list = ["elsewhere"]
    for _ in range(10):
        other = [other]
    assert plan_snapshot(deep) == plan_snapshot(other) and identity(deep) == identity(other)  # past the depth


def test_the_preview_keeps_a_timeline_years_key_by_its_snapshot() -> None:
    models = [Model(f"content/incidents/{n}.md") for n in range(1000)]
    keys = PlanKeys(by_objects=True)

    def job(incidents: list) -> Job:
        return Job(
            "timeline/2020/index.html", render, ("t.html", "timeline/2020/", {"year": 2020, "incidents": incidents})
        )

    first = keys(job(list(models)))
    assert "timeline/2020/index.html" in keys.snapshots
    asked: list[Model] = []
    original = Model.identity_key

    def counting(self: Model) -> str:
        asked.append(self)
        return original(self)

    Model.identity_key = counting  # type: ignore[method-assign]
    try:
        assert keys(job(list(models))) == first
        assert asked == []  # found by the snapshot: no model asked for its key
    finally:
        Model.identity_key = original  # type: ignore[method-assign]
    models[500] = Model("content/incidents/new.md")
    changed = job(list(models))
    assert keys(changed) == changed.plan_key() != first


@pytest.mark.parametrize("seed", range(15))
def test_fill_gives_each_plans_key_through_random_replans(seed: int) -> None:
    """The preview's loop over every planned output, with the functions' snapshots shared within a planning."""
    rng = random.Random(seed)
    world = World(rng, unfilled=False)
    shapes = [rng.randrange(10**9) for _ in range(8)]
    keys = PlanKeys(by_objects=True)
    hits = 0
    for _ in range(40):
        shared = world.value(rng)  # one value in several plans of one planning, as the table's closures are
        jobs = []
        for number, shape in enumerate(shapes):
            value = world.value(random.Random(shape))
            plan = rng.choice([(value,), ("t.html", f"p{number}/", {"v": value, "shared": shared})])
            jobs.append(Job(f"p{number}/index.html", render, plan))
        plans: dict[str, str] = {}
        before = dict(keys.snapshots)
        keys.fill(jobs, plans)
        assert plans == {job.path: job.plan_key() for job in jobs}
        hits += sum(keys.snapshots.get(path) is kept for path, kept in before.items())
        if rng.random() < 0.6:
            world.change()
    assert hits > 10  # keys were found by their snapshots often enough for the claim to be tested


def test_a_function_met_deep_and_shallow_in_one_planning_is_snapped_at_each_depth() -> None:
    held = ["before"]
    made = closure_over(held)
    deep: object = made
    for _ in range(4):
        deep = [deep]  # the function 6 levels down: its cell, past identity()'s depth, reads as "…"
    keys = PlanKeys(by_objects=True)

    def planned() -> list[Job]:
        return [
            Job("deep", render, ("t.html", "d/", {"v": deep})),
            Job("shallow", render, ("t.html", "s/", {"v": made})),
        ]

    keys.fill(planned(), {})
    held[0] = "after"
    plans: dict[str, str] = {}
    keys.fill(planned(), plans)
    assert plans == {job.path: job.plan_key() for job in planned()}


class Localized(str):
    """A string whose repr (what identity() reads of it) holds more than its text."""

    lang = ""

    def __new__(cls, text: str, lang: str) -> Localized:
        made = super().__new__(cls, text)
        made.lang = lang
        return made

    def __repr__(self) -> str:
        return f"Localized({str(self)!r}, {self.lang!r})"


class Blob(bytes):
    """Bytes whose bytes() is not their buffer (identity() digests the buffer)."""

    def __bytes__(self) -> bytes:
        return b"blob"


class Lenient(type):
    """A metaclass that finds every class of its kind equal: types must not be compared with ==."""

    def __eq__(cls, other: object) -> bool:
        return isinstance(other, Lenient)

    __hash__ = type.__hash__


class First(metaclass=Lenient):
    pass


class Second(metaclass=Lenient):
    pass


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (Localized("Hello", "en"), Localized("Hello", "fr")),
        (Blob(b"one"), Blob(b"two")),
        ("Text", markupsafe.Markup("Text")),
        ([First()], [Second()]),
        (First(), Second()),
    ],
    ids=["str subclass", "bytes subclass", "markup title", "metaclass in a list", "metaclass"],
)
def test_values_equal_by_eq_but_not_by_identity_get_their_own_key(before: object, after: object) -> None:
    """Found by a review: values that == finds equal, or types a metaclass finds equal, while identity() differs."""
    held = [before]

    def plans() -> list[Job]:
        return [
            Job("page/index.html", render, ("t.html", "page/", {"title": held[0]})),
            Job("list/index.html", render, ("t.html", "list/", {"title": held[0], "rows": []})),
            Job("data.json", render, (functools.partial(render, held[0], []),)),
            Job("call.json", render, (functools.partial(render, held[0]),)),
        ]

    for keys in (PlanKeys(by_objects=True), PlanKeys(by_objects=True)):
        keys.fill(plans(), {})
        held[0] = after
        found: dict[str, str] = {}
        keys.fill(plans(), found)
        assert found == {job.path: job.plan_key() for job in plans()}
        assert all(keys(job) == job.plan_key() for job in plans())
        held[0] = before


def test_a_job_snapped_in_a_list_by_its_attribute_gives_its_identity_key() -> None:
    """Job.identity_attribute names what identity_key returns: the sitemap's 20,000 jobs are snapped by it, in C."""
    jobs = [Job(f"p{n}/index.html", render, ("t", n)) for n in range(5)]
    assert [getattr(job, Job.identity_attribute) for job in jobs] == [job.identity_key() for job in jobs]
    assert plan_snapshot((jobs,)) == plan_snapshot((list(jobs),))
    assert plan_snapshot((jobs,)) != plan_snapshot(([*jobs[:4], Job("q/index.html", render)],))
