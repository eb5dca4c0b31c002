"""The cheap signs that decide whether front matter's events are read before composing miss nothing.

Reading every text's events first (to refuse anchors, aliases and deep nesting) doubled the cost
of parsing; now they are read only when a cheap search finds a sign of an anchor or alias, or
brackets or indentation deep enough to harm the composer. These tests drive both ways with
random YAML-like texts and require the same outcome.
"""

from __future__ import annotations

import random
import re

import pytest
import yaml

from kcrecord.content import yaml_strict

PIECES = ["&a", "*a", "&", "*", "a", "b: ", ": ", "- ", "? ", "[", "]", "{", "}", ", ", ",", " ", "  ", "\n", "\n  ",
          '"', "'", "#", "!t ", "AT&T", "x*y", "1", "2024-01-01", "--- ", "<<: ", "\t", "[&a", "{*a", ",&é",
          "&a-b", ":&a", '"a":', "-\t", "\ufeff", "\n\ufeff&a"]  # fmt: skip
# An anchor or alias in each place libyaml reads one.
PLACES = ["&a 1", "a: &a 1", "a:\t&a 1", "- &x\n  b: 1", "[&a 1]", "[1,&a 2]", "{&a a: 1}", "{a: *b}",
          "a: !t &a 1", "--- &a 1", "? &a k\n: v", '{"a":&x 1}', "a:\n  &b\n  c: 1", "- *a", "a: [*a]",
          "a:\n\ufeff&x 1", "a: 1\nb:\n\ufeff*x"]  # fmt: skip
DEEP = "[" * 17 + "1" + "]" * 17
# Nesting past MAX_DEPTH where the values are not built from libyaml's nodes alone: in a key, before
# an error or in a second document, and deep enough that composing again in pure Python (for an
# error's message) would recurse past Python's limit.
DEEP_PLACES = ["? " + DEEP + "\n: v", "{" + DEEP + ": 1}", "a: " + DEEP + "\nb: c: d", "a: 1\n--- " + DEEP,
               "a: " + DEEP + "\n--- 2", "title: " + "[" * 900 + "1" + "]" * 899, "a: " + "{b: " * 600]  # fmt: skip


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 40)))


def anchors_or_aliases(text: str) -> bool:
    """Return True when libyaml reads an anchor or an alias in text (before any error it finds)."""
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return True
    except yaml.YAMLError:
        return False
    return False


@pytest.mark.parametrize("text", PLACES)
def test_an_anchor_or_alias_is_found_wherever_libyaml_reads_one(text: str) -> None:
    assert anchors_or_aliases(text)
    assert yaml_strict._ANCHOR_OR_ALIAS.search(text)
    assert yaml_strict.load(text, "x.md")[1][0].message.startswith("YAML anchors and aliases")


@pytest.mark.parametrize("seed", range(4))
def test_every_anchor_and_alias_libyaml_reads_is_found_by_the_search(seed: int) -> None:
    rng = random.Random(seed)
    found = 0
    for _ in range(5000):
        text = random_text(rng)
        if anchors_or_aliases(text):
            found += 1
            assert yaml_strict._ANCHOR_OR_ALIAS.search(text), repr(text)
    assert found > 200  # the texts hold plenty of them


@pytest.mark.parametrize("seed", range(4))
def test_reading_events_only_on_a_sign_gives_what_reading_them_always_gives(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Values, problems and lines are the same whether or not the events were read first."""
    rng = random.Random(seed)
    texts = [random_text(rng) for _ in range(3000)]
    texts += ["a:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(rng.randrange(10, 25))) + " " * 30 + "v: 1"]
    texts += ["a: " + "[" * depth + "1" + "]" * depth for depth in (15, 16, 17, 40)]
    texts += ["a: " + "{b: " * depth + "1" + "}" * depth for depth in (15, 16, 17, 40)]
    texts += ["a:\n" + "  - " * depth + "x" for depth in (3, 15, 16, 17)]
    texts += DEEP_PLACES
    now = [_outcome(text) for text in texts]
    monkeypatch.setattr(yaml_strict, "_suspicious", lambda text: True)  # a sign everywhere: always read
    always = [_outcome(text) for text in texts]
    for text, got, want in zip(texts, now, always, strict=True):
        assert got == want, repr(text)


def _outcome(text: str) -> tuple:
    document, problems = yaml_strict.load(text, "x.md")
    if document is None:
        return None, problems
    return repr(document.data), document.lines, problems


@pytest.mark.parametrize("text", DEEP_PLACES)
def test_nesting_too_deep_is_refused_wherever_it_is(text: str) -> None:
    document, problems = yaml_strict.load(text, "x.md")
    assert document is None and [problem.message[:26] for problem in problems] == ["nested more than 16 levels"]


# The searches as first written, before each was preceded by a quick look and the last written out.
FIRST_SEARCHES = (
    re.compile(r"[&*](?<![^\s\[\]{},:\ufeff][&*])[^\s\[\]{},]"),
    re.compile(r"^[ \t]{48,}\S", re.MULTILINE),
    re.compile(r"(?:[-?:][ \t]+){4,}"),
)
# For each search, pieces that can make a sign for it alone.
SIGN_PIECES = {
    "anchor": ["&", "*", "a", "&a", "*b", " ", "\n", "[", ",", "x&y", "\ufeff"],
    "indent": ["\n", "a", " ", "\t", " " * 8, " " * 16, " " * 40, "\t" * 8],
    "compact": ["-", "?", ":", " ", "\t", "a", "\n", "- ", ": "],
}


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("kind", sorted(SIGN_PIECES))
def test_the_quick_looks_find_a_sign_in_every_text_the_first_searches_did(kind: str, seed: int) -> None:
    rng = random.Random(seed)
    signs = 0
    for _ in range(3000):
        text = "".join(rng.choice(SIGN_PIECES[kind]) for _ in range(rng.randrange(1, 40)))
        first = any(search.search(text) for search in FIRST_SEARCHES) or text.count("[") + text.count("{") > 1000
        signs += first
        assert yaml_strict._suspicious(text) == first, repr(text)
    assert 300 < signs < 2700  # both answers are met often
