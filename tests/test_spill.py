"""make site's cold build moves the values the heavy memos read out of memory (kcrecord/engine/spill.py).

The claim is that nothing else changes: a piece spilled holds the same value when used again, the
save keeps exactly what it would have kept, and the site is the same. Seeded random sequences of
spills, uses, replacements, saves and loads check the first two; builds with and without spilling
check the third, on a generated project (spilling is forced for its few incidents: SPILL_FROM).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from kcrecord.engine import spill as spilling
from kcrecord.engine.engine import Engine
from kcrecord.engine.kept_pieces import Packed, load_pieces, save_pieces
from kcrecord.engine.state import keep_pickled, load_state
from kcrecord.engine.values_file import UNNAMED, unnamed_values
from kcrecord.outputs.kept import Kept
from tests.record_factory import generated_project
from tests.test_kept_pieces import CODE, NAMES, piece
from tests.test_worker_writes import COMMIT, tree


@pytest.mark.parametrize("seed", range(6))
def test_spilled_pieces_hold_their_values_and_are_saved_as_they_were(
    tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spilling, "SPILL_FROM", 0)
    rng = random.Random(seed)
    folder = tmp_path / "pieces"
    keys = [f"piece:{name}\0file:content/incidents/{n}.md" for name in NAMES for n in range(40)]
    pieces = {key: piece(rng, key) for key in keys}
    want = {key: (kept.value, kept.frame, kept.fingerprint) for key, kept in pieces.items()}
    saved: dict = {}
    for _ in range(12):
        if rng.random() < 0.5:  # a cold build's: values made in this process, then spilled
            chosen = rng.sample(sorted(pieces), rng.randint(0, len(pieces)))
            spilling.spill(folder if rng.random() < 0.5 else None, pieces, chosen)
        for key in rng.sample(sorted(pieces), rng.randint(0, 8)):
            action = rng.random()
            if action < 0.5:
                assert pieces[key].value == want[key][0]  # read back from the file (with the others of its group)
            elif action < 0.8:
                pieces[key] = piece(rng, key)
                want[key] = (pieces[key].value, pieces[key].frame, pieces[key].fingerprint)
            else:
                del pieces[key]
                del want[key]
        saved = save_pieces(folder, CODE, pieces, saved, keep_pickled)
        if rng.random() < 0.3:
            pieces, saved = load_pieces(folder, CODE)
    loaded, _parts = load_pieces(folder, CODE)
    assert {key: (kept.value, kept.frame, kept.fingerprint) for key, kept in loaded.items()} == want
    assert not list(folder.glob(".unnamed-*")) and not list(tmp_path.glob(".unnamed-*"))  # nothing left named


def test_a_spill_moves_whole_groups_only_and_leaves_values_when_it_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spilling, "SPILL_FROM", 0)
    rng = random.Random(1)
    keys = [f"piece:data\0file:content/incidents/{n}.md" for n in range(30)]
    pieces = {key: piece(rng, key) for key in keys}
    values = {key: kept.value for key, kept in pieces.items()}
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    assert spilling.spill(blocked / "pieces", pieces, keys) == 0
    assert all(kept.packed is None and kept.value == values[key] for key, kept in pieces.items())
    pieces[keys[0]] = Kept(None, {}, 0, "fp", dropped=True)  # a group holding a piece without a value stays as it is
    moved = spilling.spill(tmp_path, pieces, keys)
    assert 0 < moved < len(keys) - 1
    assert all(isinstance(kept.packed, Packed) or kept.dropped or kept.packed is None for kept in pieces.values())
    assert {key: kept.value for key, kept in pieces.items() if key != keys[0]} == {
        key: value for key, value in values.items() if key != keys[0]
    }
    monkeypatch.setattr(spilling, "SPILL_FROM", len(keys) + 1)  # fewer held than that: nothing moved
    again = {key: piece(rng, key) for key in keys}
    assert spilling.spill(tmp_path, again, keys) == 0


def test_a_cold_build_that_spills_builds_and_keeps_what_one_that_does_not_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = generated_project(tmp_path / "project", 40)

    def build(out: str, limit: int) -> Engine:
        monkeypatch.setattr(spilling, "SPILL_FROM", limit)
        engine = Engine(root, tmp_path / out, cache=tmp_path / f"cache-{out}", search=False, commit=COMMIT, workers=2)
        outcome = engine.run()
        assert outcome.ok and outcome.rendered > 0
        return engine

    spilled, held = build("spilled", 0), build("held", 10**9)
    moved = [key for key, kept in spilled.fragments.kept.items() if isinstance(kept.packed, Packed)]
    names = {key.partition("\0")[0] for key in moved}
    assert names == {"piece:data", "piece:rows"}  # what the downloads and database read
    assert spilled.site is not None and len(moved) == 2 * len(spilled.site.incidents)  # every incident's two
    assert not any(isinstance(kept.packed, Packed) for kept in held.fragments.kept.values())
    assert tree(tmp_path / "spilled") == tree(tmp_path / "held")
    kept = {
        out: load_state(tmp_path / f"cache-{out}", spilled.state.code, tmp_path / out).pieces
        for out in ("spilled", "held")
    }
    assert kept["spilled"].keys() == kept["held"].keys()
    for key, item in kept["spilled"].items():
        other = kept["held"][key]
        assert (item.value, item.frame, item.fingerprint) == (other.value, other.frame, other.fingerprint), key
    again = Engine(root, tmp_path / "spilled", cache=tmp_path / "cache-spilled", search=False, commit=COMMIT).run()
    assert again.ok and again.rendered == 0 and again.written == []  # the cache the spilling build saved: all current


def test_a_file_left_between_making_and_unlinking_is_removed_once_old(tmp_path: Path) -> None:
    old, new = tmp_path / f"{UNNAMED}old.values", tmp_path / f"{UNNAMED}new.values"
    for path in (old, new):
        path.write_bytes(b"left by a build killed")
    os.utime(old, (0, 0))
    written = unnamed_values(tmp_path, iter([("a", b"bytes")]))
    assert written is not None and written[0].read(written[1]["a"]) == b"bytes"
    assert not old.exists() and new.exists()  # one as young may be another build's, in that moment
    assert sorted(path.name for path in tmp_path.iterdir()) == [new.name]  # the file written has no name
