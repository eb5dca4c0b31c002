"""The kept pieces in the cache folder (kcrecord/engine/kept_pieces.py): what is loaded is what was saved.

The values of a part's pieces of one name stay pickled until one of them is used, and are written
again as they were read while none of them was used or replaced; seeded random sequences of
edits, uses, saves and loads check that every piece loaded holds the value and frame it was saved with.
make site finds whole groups of loaded pieces current by their summaries (Fragments.settle_groups):
seeded random pieces check that it finds current exactly the pieces asking for each would.
"""

from __future__ import annotations

import gc
import random
import sys
from pathlib import Path

import pytest

from kcrecord.engine.kept_pieces import Frames, Packed, frame_groups, load_pieces, part_of, save_pieces
from kcrecord.engine.state import keep_pickled
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.kept import CacheDamagedError, Kept
from tests.test_fragments import _asker

CODE = "code"
NAMES = ["data", "rows", "item"]


def piece(rng: random.Random, key: str) -> Kept:
    value = {"rows": [(rng.randrange(100), f"text {rng.random()}")], "token": rng.random()}
    return Kept(value, {f"file:{key.partition(chr(0))[2]}": str(rng.random())}, 0, f"fp{rng.random()}")


@pytest.mark.parametrize("seed", range(8))
def test_pieces_loaded_hold_what_was_saved_whatever_was_used_or_replaced(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "pieces"
    keys = [f"piece:{name}\0file:content/incidents/{n}.md" for name in NAMES for n in range(40)]
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
    pieces = {f"piece:{name}\0file:a.md": piece(rng, f"piece:{name}\0file:a.md") for name in NAMES}
    save_pieces(folder, CODE, pieces, {}, keep_pickled)
    loaded, saved = load_pieces(folder, CODE)
    packed = {key: kept.packed for key, kept in loaded.items()}
    loaded["piece:rows\0file:a.md"] = piece(rng, "piece:rows\0file:a.md")  # the part changes: written again
    written: list[object] = []
    save_pieces(folder, CODE, loaded, saved, lambda target, value: written.append(value))
    ((_code, (_meta, _summary, (name, index))),) = written
    data = (folder / name).read_bytes()
    bytes_of = lambda where: data[where[0] : where[0] + where[1]]  # noqa: E731
    assert bytes_of(index["piece:data"]) == packed["piece:data\0file:a.md"].data  # the bytes read, written as they were
    assert bytes_of(index["piece:item"]) == packed["piece:item\0file:a.md"].data
    assert bytes_of(index["piece:rows"]) != packed["piece:rows\0file:a.md"].data
    assert loaded["piece:data\0file:a.md"].packed is not None  # and not unpickled to write them


def _settle_corpus(rng: random.Random) -> tuple[dict[str, Kept], dict[str, str]]:
    """Return pieces and memos reading inputs, each other and each other's fingerprints (a few out of date).

    96 files in 32 parts: a part's group of one name holds three pieces, which read the same
    settings and, for items, each other. One piece in ten recorded one read's fingerprint
    before it changed (kept, not made again since: nothing asked for it).
    """
    files = range(96)
    inputs = {f"config:{n}": f"c{n}" for n in range(4)} | {f"file:{n}.md": f"f{n}" for n in files}
    kept: dict[str, Kept] = {}

    def add(key: str, frame: dict[str, str]) -> None:
        for read in rng.sample(sorted(k for k in inputs if k.startswith("config:")), rng.randint(0, 2)):
            frame[read] = inputs[read]
        if rng.random() < 0.1:
            frame[rng.choice(sorted(frame))] = "old"
        kept[key] = Kept(key, frame, 0, "" if rng.random() < 0.01 else f"fp-{key}")

    for n in files:  # spot reads its file; the geography memo reads every spot; located reads both
        add(f"piece:spot\0file:{n}.md", {f"file:{n}.md": f"f{n}"})
    add("memo:geo\0()", {f"piece:spot\0file:{n}.md": f"fp-spot\0file:{n}.md" for n in files})
    for n in files:
        add(
            f"piece:located\0file:{n}.md",
            {"memo:geo\0()": "fp-memo:geo\0()", f"piece:spot\0file:{n}.md": f"fp-spot\0file:{n}.md"},
        )
    for n in files:  # items read an earlier item (a piece reads what was made before it), often of their part
        frame = {f"file:{n}.md": f"f{n}"}
        mine = [m for m in range(n) if part_of(f"item\0file:{m}.md") == part_of(f"item\0file:{n}.md")]
        other = rng.choice(mine) if mine and rng.random() < 0.7 else rng.randrange(n + 1)
        if other != n:
            frame[f"piece:item\0file:{other}.md"] = f"fp-item\0file:{other}.md"
        add(f"piece:item\0file:{n}.md", frame)
    return kept, inputs


@pytest.mark.parametrize("seed", range(60))
def test_settle_by_groups_finds_current_the_pieces_asking_for_each_would(tmp_path: Path, seed: int) -> None:
    """make site settles the loaded parts by their summaries: the same pieces current as asking each, seeded.

    Pieces read inputs, each other (in their group or not, with the fingerprint current or not),
    and a memo that reads pieces; then inputs change, and a loaded piece may be replaced.
    """
    rng = random.Random(seed)
    kept, inputs = _settle_corpus(rng)
    folder = tmp_path / "pieces"
    save_pieces(folder, CODE, kept, {}, keep_pickled)
    loaded, parts = load_pieces(folder, CODE)
    for read in rng.sample(sorted(inputs), rng.randint(0, 3)):
        inputs[read] = "new"
    if rng.random() < 0.5:  # made again in this revision (by a planner) before settle: its group is not as loaded
        read = [r for item in kept.values() for r in item.frame if r.startswith("piece:item")]
        key = rng.choice(sorted(read))  # an item another reads, most often one of its group
        kept[key] = loaded[key] = Kept(key, {"file:0.md": inputs["file:0.md"]}, 0, "fp-new")
    reference = Fragments({key: Kept(item.value, dict(item.frame), 0, item.fingerprint) for key, item in kept.items()})
    reference.begin(_asker(reference, inputs, {}))
    settled = Fragments(loaded)
    known: dict[str, str] = {}
    settled.begin(_asker(settled, inputs, known), known)
    if rng.random() < 0.3:  # some pieces asked about first: those found out of date are marked so
        for key in rng.sample(sorted(k for k in loaded if not k.startswith("memo:")), 3):
            settled.piece_fingerprint(key)
    settled.settle_groups(frame_groups(parts))
    settled.settle()
    for key in kept:
        if not key.startswith("memo:"):
            assert known.get(key, "") == reference.piece_fingerprint(key), key
    assert not any(key.startswith("memo:") for key in known)


def test_settle_by_groups_leaves_the_frames_of_current_parts_pickled(tmp_path: Path) -> None:
    """Nothing changed: every piece is found current from the summaries, and no part's frames are unpickled."""
    keys = [(f"piece:{name}\0file:{n}.md", n) for name in NAMES for n in range(50)]
    kept = {key: Kept(n, {f"file:{n}.md": "f"}, 0, f"fp{n}") for key, n in keys}
    save_pieces(tmp_path, CODE, kept, {}, keep_pickled)
    loaded, parts = load_pieces(tmp_path, CODE)
    fragments = Fragments(loaded)
    known: dict[str, str] = {}
    fragments.begin(_asker(fragments, {f"file:{n}.md": "f" for n in range(50)}, known), known)
    fragments.settle_groups(frame_groups(parts))
    assert {key: known[key] for key in kept} == {key: item.fingerprint for key, item in kept.items()}
    assert all(isinstance(item.frames, Frames) and item.frames.pending for item in loaded.values())


def test_values_still_packed_read_as_loaded_after_another_build_replaced_their_file(tmp_path: Path) -> None:
    """A build loads a part, another saves the part anew (its old values file removed): the first still
    reads the values it loaded (its values file is open), and a values file cut short is refused."""
    rng = random.Random(3)
    folder = tmp_path / "pieces"
    first = {f"piece:{name}\0file:a.md": piece(rng, f"piece:{name}\0file:a.md") for name in NAMES}
    save_pieces(folder, CODE, first, {}, keep_pickled)
    loaded, _ = load_pieces(folder, CODE)
    other = {key: piece(rng, key) for key in first}
    save_pieces(folder, CODE, other, {}, keep_pickled)
    number = part_of("x\0file:a.md")
    assert len(list(folder.glob(f"{number:02d}-*.values"))) == 1  # the first build's values file is gone
    assert {key: kept.value for key, kept in loaded.items()} == {key: kept.value for key, kept in first.items()}
    again, _ = load_pieces(folder, CODE)
    (values,) = folder.glob(f"{number:02d}-*.values")
    values.write_bytes(values.read_bytes()[:10])  # cut short: the values (and the frames after them) are not whole
    with pytest.raises(CacheDamagedError):
        [kept.value for kept in again.values()]  # noqa: B018 - reading is what is tested


def test_a_values_file_missing_or_damaged_leaves_its_part_out_and_is_written_whole_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(4)
    folder = tmp_path / "pieces"
    pieces = {f"piece:{name}\0file:a.md": piece(rng, f"piece:{name}\0file:a.md") for name in NAMES}
    save_pieces(folder, CODE, pieces, {}, keep_pickled)
    number = part_of("x\0file:a.md")
    (values,) = folder.glob(f"{number:02d}-*.values")
    whole = values.read_bytes()
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    values.unlink()
    loaded, _ = load_pieces(folder, CODE)
    gc.collect()
    assert not any(key.endswith("a.md") for key in loaded) and unraisable == []  # left out, and nothing printed
    values.write_bytes(b"!" * len(whole))  # the same name, damaged
    save_pieces(folder, CODE, pieces, {}, keep_pickled)
    assert values.read_bytes() == whole
