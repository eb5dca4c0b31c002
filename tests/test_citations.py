"""Numbered citations: numbers follow the sources list, and each source knows where it is cited."""

from __future__ import annotations

import random

import pytest

from kcrecord.content.citations import MAX_BACK_LINKS, SECTIONS, citations_of, source_numbers

SOURCES = [{"id": "paper-2024-01-02"}, {"id": "tv-2024-01-03"}, {"id": "unused-2024-01-04"}]


def test_numbers_follow_the_order_of_the_sources_list() -> None:
    assert source_numbers(SOURCES) == {"paper-2024-01-02": "1", "tv-2024-01-03": "2", "unused-2024-01-04": "3"}


def test_a_source_cited_everywhere_links_back_to_three_sections_and_names_the_rest() -> None:
    meta = {
        "sources": SOURCES,
        "people": [{"sources": ["paper-2024-01-02"]}, {"role": "civilian"}],
        "timeline": [{"sources": ["paper-2024-01-02", "tv-2024-01-03"]}],
        "disputed": [{"claims": [{"sources": ["paper-2024-01-02"]}, {"sources": ["tv-2024-01-03"]}]}],
    }
    cites = citations_of(meta, "Text.[^paper-2024-01-02] More.[^tv-2024-01-03]")
    assert [key for key, _ in cites.back_links("paper-2024-01-02")] == ["facts", "narrative", "timeline"]
    assert cites.also_in("paper-2024-01-02") == ("Where sources disagree",)
    names = [name for _, name in cites.back_links("tv-2024-01-03")]
    assert names == ["What happened", "Timeline", "Where sources disagree"]
    assert cites.also_in("tv-2024-01-03") == ()
    assert cites.back_links("unused-2024-01-04") == ()


@pytest.mark.parametrize("seed", range(30))
def test_generated_pages_never_give_a_source_more_than_three_back_links(seed: int) -> None:
    rng = random.Random(seed)
    ids = [f"s{n}" for n in range(rng.randint(1, 8))]

    def some() -> list[str]:
        return rng.sample(ids, rng.randint(1, len(ids)))

    meta = {
        "sources": [{"id": sid} for sid in ids],
        "people": [{"sources": some()} for _ in range(rng.randint(0, 3))],
        "timeline": [{"sources": some()} for _ in range(rng.randint(0, 3))],
        "disputed": [{"claims": [{"sources": some()}]} for _ in range(rng.randint(0, 2))],
    }
    body = " ".join(f"[^{sid}]" for sid in some()) if rng.random() < 0.8 else "No citations."
    cites = citations_of(meta, body)
    order = [key for key, _ in SECTIONS]
    for sid in ids:
        linked = [key for key, _ in cites.back_links(sid)]
        named = list(cites.also_in(sid))
        assert len(linked) <= MAX_BACK_LINKS
        assert linked == sorted(linked, key=order.index)
        everywhere = [key for key, _ in cites.cited_in[sid]]
        assert linked + [key for key, name in SECTIONS if name in named] == everywhere
        in_body = f"[^{sid}]" in body
        assert ("narrative" in everywhere) is in_body
