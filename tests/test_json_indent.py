"""The fast indented JSON writer gives json.dumps's characters for every value (kcrecord/outputs/json_indent.py)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import random

import pytest

from kcrecord.outputs.database import sql_value
from kcrecord.outputs.json_indent import indented

TEXTS = ["", "a", "Kansas City, Mo.", 'quote " and \\ slash', "line\nbreak\ttab"]
TEXTS += ["é ñ 😀", "\x00\x1f", "\u2028", "\ud800"]


class Colour(enum.IntEnum):
    RED = 1


class Label(str):
    def __repr__(self) -> str:
        return "not json"


def random_value(rng: random.Random, depth: int = 0) -> object:
    """A random value of the plain JSON types, now and then one json.dumps writes by rules of its own."""
    roll = rng.random()
    if depth < 4 and roll < 0.2:
        return {
            rng.choice(TEXTS) + str(rng.randrange(5)): random_value(rng, depth + 1) for _ in range(rng.randrange(5))
        }
    if depth < 4 and roll < 0.35:
        items = [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
        return tuple(items) if rng.random() < 0.2 else items
    unusual: list[object] = [
        float("nan"),
        float("-inf"),
        Colour.RED,
        Label("label"),
        {1: "number key"},
        {True: "bool key", None: "none key"},
        {2.5: "float key"},
    ]
    plain: list[object] = [
        rng.choice(TEXTS),
        rng.randrange(-(10**20), 10**20),
        rng.uniform(-1e6, 1e6),
        1e300,
        -0.0,
        True,
        False,
        None,
        0,
    ]
    return rng.choice(unusual) if rng.random() < 0.03 else rng.choice(plain)


@pytest.mark.parametrize("seed", range(40))
def test_random_values_match_json_dumps(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        value = random_value(rng)
        for indent in (1, 2, 4):
            for depth in (0, 1, 3):
                expected = json.dumps(value, indent=indent, ensure_ascii=False).replace("\n", "\n" + " " * depth)
                assert indented(value, indent, depth) == expected


def test_empty_and_nested_containers() -> None:
    value = {"a": [], "b": {}, "c": [[], [{}], {"d": ()}], "e": [1, [2, [3]]]}
    assert indented(value, 2) == json.dumps(value, indent=2, ensure_ascii=False)
    assert indented([], 2) == "[]" and indented({}, 1, 5) == "{}"


def test_values_json_refuses_are_refused_alike() -> None:
    with pytest.raises(TypeError):
        indented({"date": dt.date(2020, 1, 2)}, 2)
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        indented(loop, 2)


@pytest.mark.parametrize("seed", range(10))
def test_a_database_list_cell_is_json_dumps_text(seed: int) -> None:
    """kcrecord/outputs/database.py writes a list of texts itself, and anything else with json.dumps."""
    rng = random.Random(seed)
    for _ in range(200):
        items: list[object] = [rng.choice(TEXTS) for _ in range(rng.randrange(5))]
        if rng.random() < 0.2:
            items.append(rng.choice([1, 2.5, None, True, Label("label"), ["nested"]]))
        for value in (items, tuple(items), items or None):
            assert sql_value(value, "list") == json.dumps(list(value or []), ensure_ascii=False)
