"""A dict kept in parts (kcrecord/engine/parts.py): what loads is what was saved, and only changed parts are written."""

from __future__ import annotations

import random
import zlib
from pathlib import Path

import pytest

from kcrecord.engine.parts import load_parts, part_file, save_parts
from kcrecord.engine.state import keep_pickled

COUNT = 5


def part_of(key: str) -> int:
    return zlib.crc32(key.encode()) % COUNT


@pytest.mark.parametrize("seed", range(6))
def test_random_changes_load_as_saved_and_write_only_the_parts_they_change(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    entries: dict[str, object] = {f"k{n}": rng.random() for n in range(rng.randint(0, 30))}
    written: list[int] = []

    def keep(target: Path, value: object) -> None:
        written.append(int(target.stem))
        keep_pickled(target, value)

    saved = save_parts(tmp_path, "code", entries, {}, keep, part_of, COUNT)
    assert sorted(written) == list(range(COUNT))
    for step in range(30):
        before = dict(entries)
        lost: set[int] = set()
        if step % 7 == 3:  # a part lost: the next build loads the others and makes its entries again
            number = rng.randrange(COUNT)
            part_file(tmp_path, number).unlink()
            loaded, saved = load_parts(tmp_path, "code", COUNT)
            entries = loaded | {key: rng.random() for key in entries if part_of(key) == number}
            lost.add(number)
            before = {key: value for key, value in entries.items() if part_of(key) != number}
        for _ in range(rng.randint(0, 4)):
            key = f"k{rng.randint(0, 40)}"
            if rng.random() < 0.3:
                entries.pop(key, None)
            else:
                entries[key] = rng.random()  # new or replaced: another object
        changed = {part_of(key) for key in set(before) | set(entries) if before.get(key) is not entries.get(key)}
        written.clear()
        saved = save_parts(tmp_path, "code", entries, saved, keep, part_of, COUNT)
        assert sorted(written) == sorted(changed | lost)
        assert all(saved[part_of(key)][key] is value for key, value in entries.items())
        assert sum(len(part) for part in saved.values()) == len(entries)
        assert load_parts(tmp_path, "code", COUNT)[0] == entries


def test_an_unchanged_dict_writes_nothing_and_a_replaced_entry_writes_its_part_alone(tmp_path: Path) -> None:
    entries = {f"k{n}": n for n in range(20)}
    written: list[int] = []

    def keep(target: Path, value: object) -> None:
        written.append(int(target.stem))
        keep_pickled(target, value)

    saved = save_parts(tmp_path, "code", entries, {}, keep, part_of, COUNT)
    assert sorted(written) == list(range(COUNT))  # every part, empty ones too
    written.clear()
    _, loaded = load_parts(tmp_path, "code", COUNT)
    assert save_parts(tmp_path, "code", dict(entries), loaded, keep, part_of, COUNT) == loaded
    assert written == []
    changed = dict(entries, k3=1000)
    saved = save_parts(tmp_path, "code", changed, loaded, keep, part_of, COUNT)
    assert written == [part_of("k3")]
    written.clear()
    del changed["k4"]
    changed["new"] = 1
    save_parts(tmp_path, "code", changed, saved, keep, part_of, COUNT)
    assert sorted(written) == sorted({part_of("k4"), part_of("new")})
    assert load_parts(tmp_path, "code", COUNT)[0] == changed
