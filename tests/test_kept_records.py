"""The engine's records in the cache folder (kcrecord/engine/kept_records.py): what is loaded is what was saved.

A part's frames stay pickled until one is read, and make site finds a part as loaded current as
a whole when its summary is: seeded random records, inputs changed and records replaced check
that a part found current holds only current records, and that every frame survives saves.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kcrecord.engine.kept_records import Record, current_records, load_records, record_part, save_records
from kcrecord.engine.read_index import changed_reads
from kcrecord.engine.state import keep_pickled

CODE = "code"


def _records(rng: random.Random, inputs: dict[str, str]) -> dict[str, Record]:
    keys = sorted(inputs)
    paths = [f"incidents/{n}/index.html" for n in range(60)] + [f"incidents/{n}/data.json" for n in range(60)]
    paths += ["index.html", "timeline/index.html", "data/incidents.db", "data/incidents.csv"]
    records = {}
    for path in paths:
        frame = {key: inputs[key] for key in rng.sample(keys, rng.randint(1, 5))}
        if rng.random() < 0.05:
            frame[rng.choice(sorted(frame))] = "old"  # kept, not made again since that read changed
        records[path] = Record(f"digest-{path}", frame)
    return records


@pytest.mark.parametrize("seed", range(30))
def test_a_part_found_current_holds_only_current_records(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    inputs = {f"config:{n}": f"c{n}" for n in range(5)} | {f"file:{n}.md": f"f{n}" for n in range(60)}
    records = _records(rng, inputs)
    want = {path: (record.digest, dict(record.frame)) for path, record in records.items()}
    saved = save_records(tmp_path, CODE, records, {}, keep_pickled)
    for _ in range(6):
        loaded, saved = load_records(tmp_path, CODE)
        assert all(record._frame is None for record in loaded.values())  # nothing unpickled yet
        for read in rng.sample(sorted(inputs), rng.randint(0, 3)):
            inputs[read] = f"new-{rng.random()}"
        for path in rng.sample(sorted(loaded), rng.randint(0, 2)):  # made again: no longer as loaded
            loaded[path] = Record(f"digest-{rng.random()}", {rng.choice(sorted(inputs)): "x"})
            want[path] = (loaded[path].digest, dict(loaded[path].frame))
        now = dict(inputs)
        for path in current_records(loaded, saved, lambda frame, now=now: changed_reads(frame, now.__getitem__, now)):
            assert changed_reads(want[path][1], now.__getitem__) == "", path
        saved = save_records(tmp_path, CODE, loaded, saved, keep_pickled)
    loaded, _ = load_records(tmp_path, CODE)
    assert {path: (record.digest, record.frame) for path, record in loaded.items()} == want


def test_a_part_whose_records_read_one_key_two_ways_has_no_summary(tmp_path: Path) -> None:
    one, other = "incidents/a/index.html", "incidents/a/data.json"
    assert record_part(one) == record_part(other)
    records = {one: Record("1", {"file:a.md": "1"}), other: Record("2", {"file:a.md": "0"})}
    saved = save_records(tmp_path, CODE, records, {}, keep_pickled)
    loaded, saved = load_records(tmp_path, CODE)
    assert current_records(loaded, saved, lambda frame: "") == set()
