"""A list's pieces found again are those a look-up of every key finds (kcrecord/outputs/found_lists.py)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kcrecord.outputs.found_lists import FoundLists
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.kept import Kept
from tests import test_engine_fuzz

KEYS = [f"piece:item\0file:content/incidents/{n}.md" for n in range(40)]


def looked_up(fragments: Fragments, keys: list[str]) -> tuple[list[Kept | None], list[str]]:
    found = [fragments.kept.get(key) for key in keys]
    return found, [item.fingerprint if item is not None else "" for item in found]


@pytest.mark.parametrize("seed", range(40))
def test_found_again_equals_looking_every_key_up_through_random_changes(seed: int) -> None:
    """Pieces made again, dropped (as forget_gone drops them), memos kept and let go, lists changed: always equal."""
    rng = random.Random(seed)
    present = {key.partition("\0file:")[2] for key in KEYS}
    fragments = Fragments({key: Kept(key, {}, 0, f"f{rng.random()}") for key in KEYS}, set(present))
    lists = {name: rng.sample(KEYS, rng.randint(1, 30)) for name in ("item", "row", "card")}
    checked = 0
    for _step in range(200):
        action = rng.random()
        if action < 0.4:
            key = rng.choice(KEYS)
            fragments.adopt(key, Kept(key, {}, 0, f"f{rng.random()}"))
            present.add(key.partition("\0file:")[2])
        elif action < 0.45 and present:  # a file gone: its pieces dropped
            present.discard(rng.choice(sorted(present)))
            fragments.forget_gone(present)
        elif action < 0.5:
            fragments.memo(f"totals{rng.randint(0, 2)}", (), lambda: rng.random())
        elif action < 0.55:
            fragments.let_go_heavy()
        elif action < 0.6:
            name = rng.choice(sorted(lists))
            lists[name] = rng.sample(KEYS, rng.randint(1, 30)) if rng.random() < 0.5 else lists[name][::-1]
        name = rng.choice(sorted(lists))
        keys = list(lists[name])  # another list object, as each revision's _keys gives
        again = fragments.found_again(name, keys)
        found, fingerprints = looked_up(fragments, keys)
        if again is not None:
            assert (again[0], again[1]) == (found, fingerprints), (seed, _step)
            assert again[2] == {key: place for place, key in enumerate(keys)}
            checked += 1
        elif None not in found:
            fragments.keep_found(name, keys, found, fingerprints, None)  # type: ignore[arg-type]
    assert checked > 5  # the found lists were asked for, not only kept


def test_a_list_with_a_key_twice_is_not_kept_found() -> None:
    fragments = Fragments({key: Kept(key, {}, 0, "f") for key in KEYS})
    keys = [KEYS[0], KEYS[1], KEYS[0]]
    found, fingerprints = looked_up(fragments, keys)
    fragments.keep_found("item", keys, found, fingerprints, None)  # type: ignore[arg-type]
    assert fragments.found_again("item", keys) is None


def test_the_preview_fuzz_with_every_list_found_again_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine fuzz, each found_again answer compared with a look-up of every key as it is made."""
    asked = []
    found_again = FoundLists.found_again

    def checked(self: Fragments, name: str, keys: list[str]) -> tuple[list[Kept], list[str], dict[str, int]] | None:
        again = found_again(self, name, keys)
        if again is not None:
            assert (again[0], again[1]) == looked_up(self, keys)
            asked.append(name)
        return again

    monkeypatch.setattr(FoundLists, "found_again", checked)
    test_engine_fuzz.test_random_edit_sequences_give_the_bytes_of_a_clean_build(tmp_path, monkeypatch)
    assert asked  # the preview's updates found lists again
