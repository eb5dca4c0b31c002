"""The placeholder test: has_placeholder gives what the word-bounded search alone gives, on random text."""

from __future__ import annotations

import random

from kcrecord.content.placeholders import PLACEHOLDER, has_placeholder

PARTS = ["REPLACE", "replace", "REPLAC", "EPLACE", "REPLACED", "_", "-", ":", " ", "a", "É", "1", "\n", "REPLACE_"]


def test_has_placeholder_agrees_with_the_search_on_random_text() -> None:
    rng = random.Random(20261204)
    found = 0
    for _ in range(20_000):
        text = "".join(rng.choice(PARTS) for _ in range(rng.randrange(6)))
        want = PLACEHOLDER.search(text) is not None
        assert has_placeholder(text) is want, repr(text)
        found += want
    assert 0 < found < 20_000  # both answers were drawn


def test_only_text_holds_a_placeholder() -> None:
    assert has_placeholder("REPLACE: one or two sentences")
    assert not has_placeholder("REPLACEMENT officer")
    assert not has_placeholder(["REPLACE"])
    assert not has_placeholder(None)
