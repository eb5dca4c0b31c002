"""Front matter unpickled in the engine's process shares its field names, short texts and dates between documents
(kcrecord/content/document.py, shared): the values must stay exactly what was pickled, type for type."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import random
from typing import Any

from kcrecord.content import document
from kcrecord.content.document import shared
from kcrecord.content.yaml_strict import load

SEED = int(os.environ.get("KCRECORD_SHARED_SEED", "20261203"))


def atom(rng: random.Random) -> Any:
    """Return a random value of every kind YAML gives, with look-alikes (1, 1.0 and True; a date and a datetime)."""
    return rng.choice(
        [
            lambda: rng.choice(["killed", "title", "1", "", "True", "x" * rng.randint(35, 45), "é" * 3]),
            lambda: rng.choice([0, 1, 2, -1, 10**20]),
            lambda: rng.choice([0.0, 1.0, float("inf"), 2.5]),
            lambda: rng.choice([True, False, None]),
            lambda: dt.date(2020 + rng.randint(0, 2), 1, 1 + rng.randint(0, 1)),
            lambda: dt.datetime(2021, 1, 1, rng.randint(0, 1)),
        ]
    )()


def value(rng: random.Random, depth: int = 0) -> Any:
    """Return random nested values: mappings with keys of any kind YAML allows, lists, atoms."""
    roll = rng.random()
    if depth < 4 and roll < 0.3:
        return {
            atom(rng) if rng.random() < 0.5 else rng.choice(["date", "people", "1"]): value(rng, depth + 1)
            for _ in range(rng.randint(0, 5))
        }
    if depth < 4 and roll < 0.5:
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    return atom(rng)


def same(a: Any, b: Any) -> bool:
    """Return True when a and b are equal and of the same types all the way down (1 is not True here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)


def test_shared_values_are_the_values_pickled_type_for_type() -> None:
    rng = random.Random(SEED)
    for _ in range(3000):
        original = value(rng)
        made = shared(pickle.loads(pickle.dumps(original)))
        assert same(made, original), (original, made)


def test_documents_share_names_and_short_texts_but_not_long_ones() -> None:
    text = "title: A {}\nstatus: killed\ndate: 2024-01-0{}\nsummary: {}\n"
    long = "words " * 20
    docs = []
    for n in (1, 2):
        doc, problems = load(text.format(n, n, long), "x.md")
        assert problems == [] and doc is not None
        docs.append(pickle.loads(pickle.dumps(doc)))  # as the engine gets it from a worker or the cache
    first, second = (doc.data for doc in docs)
    assert isinstance(first, dict) and isinstance(second, dict)
    assert [a for a in first if a is not next(b for b in second if b == a)] == []  # every name one object
    assert first["status"] is second["status"]
    assert first["summary"] == second["summary"] and len(first["summary"]) > document.SHORT
    assert first["summary"] is not second["summary"]  # a long text is seldom met twice: not kept
    assert first["date"] != second["date"]
