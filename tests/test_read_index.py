"""The read index finds exactly the outputs a scan of every frame finds (kcrecord/engine/read_index.py)."""

from __future__ import annotations

import random

import pytest

from kcrecord.engine.read_index import ReadIndex
from kcrecord.engine.state import Record

KEYS = [f"file:{n}.md" for n in range(12)] + ["coll:incidents", "memo:totals\0()", "plan:index.html", "config:title"]


def scan(records: dict[str, Record], now: dict[str, str]) -> set[str]:
    """What the engine asked of every frame before the index: some key has another fingerprint now."""
    return {path for path, record in records.items() if any(now.get(k, "") != v for k, v in record.frame.items())}


def frame(rng: random.Random) -> dict[str, str]:
    return {key: rng.choice("abc") for key in rng.sample(KEYS, rng.randint(0, 6))}


@pytest.mark.parametrize("seed", range(30))
def test_changed_equals_a_scan_of_every_frame_through_random_updates(seed: int) -> None:
    rng = random.Random(seed)
    records: dict[str, Record] = {}
    index = ReadIndex()
    for _step in range(60):
        for _ in range(rng.randint(1, 5)):
            path = f"out/{rng.randrange(15)}.html"
            action = rng.random()
            if action < 0.6:
                records[path] = Record("digest", frame(rng))  # made (again)
            elif action < 0.8:
                records.pop(path, None)  # no longer planned
            elif records:
                records = dict(records)  # the engine's final filter: a new dict, the same records
        index.sync(records)
        now = {key: rng.choice("abc") for key in KEYS if rng.random() < 0.9}
        assert index.changed(lambda key, now=now: now.get(key, "")) == scan(records, now)
        fresh = ReadIndex()
        fresh.sync(records)
        assert index._by_key == fresh._by_key  # nothing left behind by records replaced in place


def test_a_record_made_again_with_fewer_reads_is_found_by_its_new_frame_only() -> None:
    index = ReadIndex()
    records = {"a.html": Record("1", {"file:x.md": "1", "file:y.md": "1"})}
    index.sync(records)
    records["a.html"] = Record("2", {"file:x.md": "2"})
    index.sync(records)
    assert index.changed(lambda key: {"file:x.md": "2", "file:y.md": "9"}.get(key, "")) == set()
    assert index.changed(lambda key: {"file:x.md": "3"}.get(key, "")) == {"a.html"}
