"""A kept plan key is always the key the plan has now (kcrecord/engine/plan_keys.py)."""

from __future__ import annotations

import datetime
import functools
import pickle
import random
from types import SimpleNamespace

import pytest

from kcrecord.content.recorded import Recorded
from kcrecord.content.site_model import Site
from kcrecord.engine.plan_keys import PlanKeys, _collect, _common, plain_parts
from kcrecord.outputs.render import Job


class Model(Recorded):
    """A model object known by its file, as incidents, agencies and pages are."""

    def __init__(self, rel: str) -> None:
        object.__setattr__(self, "source", SimpleNamespace(rel=rel))


class Holder:
    """An object identity() knows by its type's name alone, as the planner's KeptJobs."""


def render_data(*args: object) -> bytes:
    return b""


def render_other(*args: object) -> bytes:
    return b"other"


def closure(value: list[str]):  # a function whose cells can change
    def render() -> bytes:
        return repr(value).encode()

    return render


def itself():  # a function whose closure holds the function
    def again() -> object:
        return again

    return again


class Valued(Recorded):
    """A model object that compares by value (as a dataclass with eq=True does): equal is not the same."""

    def __init__(self, rel: str) -> None:
        object.__setattr__(self, "source", SimpleNamespace(rel=rel))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Valued)

    __hash__ = None  # type: ignore[assignment]


def a_site() -> Site:
    """Return a Site object (each preview update has a new one; every one is known by the key "site")."""
    return object.__new__(Site)


def plan(rng: random.Random, models: list[Model], lists: list[list[object]], renders: list) -> tuple:
    """Return a random plan of the kinds the planner makes, some with lists or closures (never kept)."""
    kind = rng.randrange(6)
    title = rng.choice(["A title", "Another title", "x" * 90, "x" * 91])
    if kind == 0:
        return ("incident.html", "incidents/a/", {"incident": rng.choice(models), "title": title})
    if kind == 1:
        func = rng.choice([render_data, render_other])
        last = rng.choice([title, a_site()])
        return (functools.partial(func, rng.choice(models), rng.choice(models), last),)
    if kind == 5:  # objects equal to others that are not the same (never kept by their objects)
        return ("page.html", "about/", {"page": Valued(rng.choice(["a.md", "b.md"])), "title": title})
    if kind == 2:
        return ("timeline_year.html", "timeline/2020/", {"incidents": rng.choice(lists), "title": title})
    if kind == 3:  # closures over lists changed in place: kept by their objects only when they have no cells
        render = rng.choice(renders)  # the same function objects from plan to plan, their cells' lists changing
        held = rng.choice([render, functools.partial(render), render_data])
        return rng.choice([(render,), (functools.partial(held, rng.choice(models)),), ("t.html", "p/", {"rows": held})])
    return ("page.html", "about/", {"page": rng.choice(models), "title": title, "n": rng.choice([3, 10**6])})


@pytest.mark.parametrize("by_objects", [False, True])
@pytest.mark.parametrize("seed", range(20))
def test_a_kept_key_equals_the_plans_key_through_random_replans(seed: int, by_objects: bool) -> None:
    rng = random.Random(seed)
    models = [Model(f"content/incidents/{n}.md") for n in range(4)]
    lists: list[list[object]] = [[models[0]], [models[1], models[2]]]
    renders = [closure(held) for held in lists]  # type: ignore[arg-type]
    renders += [functools.partial(render) for render in renders]  # the same partial objects too
    keys = PlanKeys(by_objects=by_objects)
    for _step in range(200):
        change = rng.random()
        if change < 0.2:  # an edited incident: a new object for the same file, or another file
            models[rng.randrange(len(models))] = Model(f"content/incidents/{rng.randrange(6)}.md")
        elif change < 0.4:  # a list changed in place (the same object holds other incidents)
            chosen = rng.choice(lists)
            chosen.append(rng.choice(models)) if rng.random() < 0.5 or not chosen else chosen.pop()
        elif change < 0.45:  # make site: the kept keys went through the cache folder
            keys = PlanKeys(pickle.loads(pickle.dumps(keys.kept)), by_objects=by_objects)
        path = rng.choice(["a", "b", "c"])
        job = Job(path, lambda: b"", plan(rng, models, lists, renders))
        assert keys(job) == job.plan_key()
    keys.keep_only({"a"})
    assert set(keys.kept) <= {"a"}


def test_plans_are_summarised_by_what_identity_reads_and_builtins_are_not() -> None:
    model = Model("content/incidents/a.md")
    assert plain_parts(("file:content/incidents/a.md",)) != plain_parts((model,))  # a string is not a model
    assert plain_parts(("t.html", "p/", {"incident": model, "title": "T"})) is not None
    assert plain_parts((functools.partial(render_data, model, "x"),)) is not None
    assert plain_parts(("t.html", "p/", {"n": 1})) != plain_parts(("t.html", "p/", {"n": True}))
    assert plain_parts(("t.html", "p/", {"n": [0.0]})) != plain_parts(("t.html", "p/", {"n": [-0.0]}))
    cell = ["x"]
    render = closure(cell)
    before = plain_parts(("t.html", "p/", {"incidents": [model], "rows": functools.partial(render)}))
    assert before is not None  # lists and closures: their items and cells, walked at every planning
    cell.append("y")
    assert plain_parts(("t.html", "p/", {"incidents": [model], "rows": functools.partial(render)})) != before
    assert plain_parts((functools.partial(len, "x"),)) is None  # a builtin
    assert plain_parts((itself(),)) is None  # a closure that holds itself: too deep to walk


@pytest.mark.parametrize("seed", range(10))
def test_the_common_plans_shortcut_gives_the_parts_the_general_walk_gives(seed: int) -> None:
    rng = random.Random(seed)
    models = [Model(f"content/incidents/{n}.md") for n in range(3)]
    leaves: list[object] = [*models, "text", "x" * 90, 3, None, [models[0]], ("a", models[1]), {"k": "v"}]
    leaves += [Holder(), a_site(), datetime.date(2020, 1, 2), True, 2.5, render_data, Holder]  # engine objects, ...
    shortcut = 0
    for _ in range(300):
        items = {rng.choice(["incident", "title", "page", 7]): rng.choice(leaves) for _ in range(rng.randrange(4))}
        args = tuple(rng.choice(leaves) for _ in range(rng.randrange(4)))
        func = rng.choice([render_data, render_other, closure(["x"]), len])
        value = rng.choice(
            [
                (rng.choice(["t.html", models[0]]), "p/", items),
                (functools.partial(func, *args, **({"key": "v"} if rng.random() < 0.2 else {})),),
                ("t.html", "p/", items, "more"),
                [*args],
            ]
        )
        found: list[object] = []
        general = tuple(found) if _collect(value, found) else None
        shortcut += _common(value) is not None
        assert plain_parts(value) == general, value
        assert _common(value) in (None, general)
    assert shortcut > 10  # the shortcut was taken often enough to be tested
    data_file = (functools.partial(render_data, Holder(), models[0]),)  # an incident's incident.json
    found = []
    assert _collect(data_file, found) and _common(data_file) == tuple(found)  # taken for the commonest plan


def test_the_preview_finds_a_plan_of_the_same_objects_without_asking_the_models() -> None:
    keys = PlanKeys(by_objects=True)
    model = Model("content/incidents/a.md")
    job = Job("a", lambda: b"", (functools.partial(render_data, model, a_site()),))
    key = keys(job)
    object.__setattr__(model, "source", SimpleNamespace(rel="content/incidents/b.md"))  # seen only if asked
    again = Job("a", lambda: b"", (functools.partial(render_data, model, a_site()),))
    assert keys(again) == key != again.plan_key()
    other = Job("a", lambda: b"", (functools.partial(render_data, Model("content/incidents/b.md"), a_site()),))
    assert keys(other) == other.plan_key() == again.plan_key()


@pytest.mark.parametrize("wrapped", ["closure", "partial plan", "partial in the context"])
def test_the_preview_walks_a_closure_again_when_its_cells_changed_in_place(wrapped: str) -> None:
    models = [Model(f"content/incidents/{n}.md") for n in range(2)]
    held = [models[0]]
    render = closure(held)  # type: ignore[arg-type]
    keys = PlanKeys(by_objects=True)

    rows = functools.partial(render)  # one partial object, kept from plan to plan

    def job() -> Job:
        plan = {
            "closure": ("t.html", "p/", {"rows": render}),
            "partial plan": (functools.partial(render, models[1]),),
            "partial in the context": ("t.html", "p/", {"rows": rows}),
        }[wrapped]
        return Job("p/index.html", lambda: b"", plan)

    first = keys(job())
    held.append(models[1])  # the same function object, another list in its cell
    assert keys(job()) == job().plan_key() != first


@pytest.mark.parametrize("seed", range(30))
def test_fill_gives_each_jobs_key_through_random_lists_of_kept_and_new_jobs(seed: int) -> None:
    """The preview's fill compares a list with the last one of its length in C (PlanKeys.lists): each key as planned.

    Jobs are kept from update to update (KeptJobs) and a few made anew (an edited incident, a
    list page); lists come in two lengths (the quick pass's and the update's), reordered, with
    outputs added and dropped.
    """
    rng = random.Random(seed)
    models = [Model(f"content/incidents/{n}.md") for n in range(6)]

    def new_job(path: str) -> Job:
        model, title = rng.choice(models), rng.choice(["A", "B", "x" * 90])
        kind = rng.randrange(3)
        if kind == 0:
            return Job(path, lambda: b"", ("incident.html", path, {"incident": model, "title": title}))
        if kind == 1:
            return Job(path, lambda: b"", (functools.partial(render_data, model, a_site()),))
        return Job(path, lambda: b"", ("list.html", path, {"incidents": [rng.choice(models) for _ in range(3)]}))

    jobs = [new_job(f"out/{n}") for n in range(40)]
    keys = PlanKeys(by_objects=True)
    for _step in range(150):
        change = rng.random()
        if change < 0.3:  # an edit: a model or two anew, their jobs anew
            models[rng.randrange(len(models))] = Model(f"content/incidents/{rng.randrange(8)}.md")
            for place in rng.sample(range(len(jobs)), rng.randint(1, 3)):
                jobs[place] = new_job(jobs[place].path)
        elif change < 0.4:
            rng.shuffle(jobs)
        elif change < 0.5:  # an output added or dropped
            if rng.random() < 0.5 and len(jobs) > 10:
                jobs.pop(rng.randrange(len(jobs)))
            else:
                jobs.append(new_job(f"out/{rng.randrange(10**6)}"))
        elif change < 0.55:
            keys.keep_only({job.path for job in jobs})
        elif change < 0.6:  # every job anew (a template edit)
            jobs = [new_job(job.path) for job in jobs]
        asked = jobs if rng.random() < 0.7 else rng.sample(jobs, 5)  # the update's list, or a quick pass's
        plans: dict[str, str] = {}
        keys.fill(asked, plans)
        assert plans == {job.path: job.plan_key() for job in asked}
