"""The loader: front matter fences, line numbers from YAML marks, and strict scalars."""

from __future__ import annotations

import datetime as dt

from kcrecord.content.load import split_front_matter
from kcrecord.content.yaml_strict import Trap, load


def test_split_front_matter_gives_body_line() -> None:
    front, body, body_line, problems = split_front_matter("---\na: 1\nb: 2\n---\nHello\n", "x.md")
    assert (front, body, body_line, problems) == ("a: 1\nb: 2", "Hello\n", 5, [])


def test_missing_opening_fence_is_a_problem() -> None:
    _, _, _, problems = split_front_matter("title: x\n", "x.md")
    assert [(p.line, p.field) for p in problems] == [(1, "front matter")]


def test_line_numbers_are_file_lines() -> None:
    doc, problems = load(
        "title: x\nlocation:\n  city: Y\npeople:\n  - role: civilian\n    outcome: killed\n", "x.md", 2
    )
    assert problems == []
    assert doc is not None
    assert doc.line(("title",)) == 2
    assert doc.line(("location", "city")) == 4
    assert doc.line(("people", 0, "outcome")) == 7
    assert doc.line(("people", 0, "missing")) == 6  # falls back to the nearest ancestor


def test_scalars_are_read_strictly() -> None:
    doc, _ = load(
        'a: 13:50\nb: "13:50"\nc: NO\nd: false\ne: 2024-11-07\nf: 2024-02-30\ng: 0123\nh: 12\ni: 1.5\nj: ~\n', "x.md"
    )
    assert doc is not None
    data = doc.data
    assert isinstance(data, dict)
    assert data["a"] == Trap("13:50", "830", "sexagesimal")
    assert data["b"] == "13:50"
    assert data["c"] == Trap("NO", "false", "bool")
    assert data["d"] is False
    assert data["e"] == dt.date(2024, 11, 7)
    assert data["f"] == Trap("2024-02-30", "an impossible date", "bad-date")
    assert data["g"] == Trap("0123", "83", "octal")
    assert (data["h"], data["i"], data["j"]) == (12, 1.5, None)


def test_duplicate_keys_are_reported_with_both_lines() -> None:
    _, problems = load("a: 1\nb: 2\na: 3\n", "x.md", 2)
    assert [str(p) for p in problems] == [
        "x.md:4: a: duplicate key 'a' (first given on line 2); keep one and delete the other"
    ]
