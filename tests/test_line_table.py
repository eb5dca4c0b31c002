"""Parsed documents pickled with their lines packed (kcrecord/content/line_table.py) give every line back.

The cache folder and the worker processes hand parsed files over pickled; the lines of their
values are packed into an array and unpacked when a message asks for one. Driven with seeded
random YAML (nested groups and lists, flow and block style, duplicate keys, empty values) and
with every content file of the fixtures, good and bad.
"""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import pytest

from kcrecord.content import line_table, yaml_strict
from kcrecord.content.load import read_source
from tests.conftest import REPO

WORDS = ("title", "people", "role", "sources", "date", "id", "minor", "x", "y")


def random_value(rng: random.Random, depth: int, indent: int) -> str:
    """Return the YAML text of a random value (after 'key:' or '- ')."""
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return " " + rng.choice(["plain text", "'quoted'", "12", "2020-01-02", "NO", "", "[a, b]", "{a: 1}", "null"])
    pad = " " * indent
    if roll < 0.7:
        keys = [rng.choice(WORDS) for _ in range(rng.randrange(1, 4))]  # sometimes the same key twice
        return "\n" + "".join(f"{pad}{key}:{random_value(rng, depth + 1, indent + 2)}\n" for key in keys).rstrip("\n")
    items = [random_value(rng, depth + 1, indent + 2) for _ in range(rng.randrange(1, 4))]
    return "\n" + "".join(f"{pad}-{item}\n" for item in items).rstrip("\n")


def assert_round_trip(doc: yaml_strict.Document) -> None:
    assert line_table.pack(doc.data, doc.lines) is not None  # a parsed document always packs
    again = pickle.loads(pickle.dumps(doc))
    assert again == doc
    assert again.lines == doc.lines
    for path in [*doc.lines, ("no", "such", "path")]:
        assert again.line(path) == doc.line(path)
    twice = pickle.loads(pickle.dumps(pickle.loads(pickle.dumps(doc))))  # packed, never unpacked, packed again
    assert twice.lines == doc.lines


@pytest.mark.parametrize("seed", range(40))
def test_random_documents_keep_every_line_through_pickling(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(f"{rng.choice(WORDS)}:{random_value(rng, 0, 2)}\n" for _ in range(rng.randrange(1, 8)))
    doc, _problems = yaml_strict.load(text, "random.md", offset=2)
    if doc is None:
        pytest.skip("not YAML")  # some random texts are not; the seeds that are still cover the packing
    assert_round_trip(doc)


def test_every_fixture_file_keeps_every_line_through_pickling() -> None:
    files = sorted((REPO / "tests" / "fixtures").rglob("*.md"))
    assert len(files) > 20
    for path in files:
        source, _problems = read_source(path, REPO, "incidents")
        if source.doc is not None:
            assert_round_trip(source.doc)


def test_lines_that_do_not_follow_the_values_are_kept_as_they_are() -> None:
    doc = yaml_strict.Document({"a": [1]}, {(): 1, ("a",): 2, ("a", 0): 3, ("elsewhere",): 9})
    assert line_table.pack(doc.data, doc.lines) is None
    assert pickle.loads(pickle.dumps(doc)).lines == doc.lines


def test_the_packed_form_is_smaller(tmp_path: Path) -> None:
    source, _problems = read_source(next((REPO / "content" / "incidents").glob("*.md")), REPO, "incidents")
    assert source.doc is not None
    packed = pickle.dumps(source.doc)
    unpacked = pickle.dumps((source.doc.data, source.doc.lines))
    assert len(packed) < len(unpacked)
