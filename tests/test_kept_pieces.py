"""The kept pieces in the cache folder (kcrecord/engine/kept_pieces.py): what is loaded is what was saved.

The values of a part's pieces of one name stay pickled until one of them is used, and are written
again as they were read while none of them was used or replaced; seeded random sequences of
edits, uses, saves and loads check that every piece loaded holds the value and frame it was saved with.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kcrecord.engine.kept_pieces import Packed, load_pieces, save_pieces
from kcrecord.engine.state import keep_pickled
from kcrecord.outputs.fragments import Kept

CODE = "code"
NAMES = ["data", "rows", "item"]


def piece(rng: random.Random, key: str) -> Kept:
    value = {"rows": [(rng.randrange(100), f"text {rng.random()}")], "token": rng.random()}
    return Kept(value, {f"file:{key.partition(chr(0))[2]}": str(rng.random())}, 0, f"fp{rng.random()}")


@pytest.mark.parametrize("seed", range(8))
def test_pieces_loaded_hold_what_was_saved_whatever_was_used_or_replaced(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "pieces"
    keys = [f"{name}\0file:content/incidents/{n}.md" for name in NAMES for n in range(40)]
    keys.append("memo:record-totals\0()")
    pieces = {key: piece(rng, key) for key in keys}
    want = {key: (kept.value, kept.frame, kept.fingerprint) for key, kept in pieces.items()}
    saved = save_pieces(folder, CODE, pieces, {}, keep_pickled)
    for _ in range(30):
        pieces, saved = load_pieces(folder, CODE)
        assert all(isinstance(kept.packed, Packed) for kept in pieces.values())  # nothing unpickled yet
        for key in rng.sample(sorted(pieces), min(len(pieces), rng.randint(0, 10))):
            action = rng.random()
            if action < 0.4:
                assert pieces[key].value == want[key][0]  # used: its name's values in its part unpickled
            elif action < 0.8:
                pieces[key] = piece(rng, key)  # made again
                want[key] = (pieces[key].value, pieces[key].frame, pieces[key].fingerprint)
            else:
                del pieces[key]  # its file gone
                del want[key]
        saved = save_pieces(folder, CODE, pieces, saved, keep_pickled)
    loaded, _parts = load_pieces(folder, CODE)
    assert {key: (kept.value, kept.frame, kept.fingerprint) for key, kept in loaded.items()} == want


def test_a_name_not_used_is_written_again_as_it_was_read(tmp_path: Path) -> None:
    rng = random.Random(1)
    folder = tmp_path / "pieces"
    pieces = {f"{name}\0file:a.md": piece(rng, f"{name}\0file:a.md") for name in NAMES}
    save_pieces(folder, CODE, pieces, {}, keep_pickled)
    loaded, saved = load_pieces(folder, CODE)
    packed = {key: kept.packed for key, kept in loaded.items()}
    loaded["rows\0file:a.md"] = piece(rng, "rows\0file:a.md")  # the part changes: written again
    written: list[object] = []
    save_pieces(folder, CODE, loaded, saved, lambda target, value: written.append(value))
    ((_code, (_frames, values)),) = written
    assert values["data"] is packed["data\0file:a.md"].data  # the bytes read, not pickled again
    assert values["item"] is packed["item\0file:a.md"].data
    assert values["rows"] is not packed["rows\0file:a.md"].data
    assert loaded["data\0file:a.md"].packed is not None  # and not unpickled to write them
