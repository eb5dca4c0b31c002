"""A heavy memo's fingerprint names what it read (kcrecord/engine/deps.py, reads_fingerprint).

Two frames get one fingerprint exactly when they hold the same reads, whatever their order, even
when keys and values hold the separator the fast form joins them with.
"""

from __future__ import annotations

import random

import pytest

from kcrecord.engine.deps import READS_SEPARATOR, reads_fingerprint

PARTS = ["a", "b", READS_SEPARATOR, "a" + READS_SEPARATOR, READS_SEPARATOR + "b", "", "piece:x\0file:y"]


def a_frame(rng: random.Random) -> dict[str, str]:
    return {rng.choice(PARTS) + rng.choice(PARTS): rng.choice(PARTS) for _ in range(rng.randint(0, 3))}


@pytest.mark.parametrize("seed", range(20))
def test_frames_share_a_fingerprint_exactly_when_they_hold_the_same_reads(seed: int) -> None:
    rng = random.Random(seed)
    named: dict[str, frozenset] = {}
    for _ in range(400):
        frame = a_frame(rng)
        reads = frozenset(frame.items())
        fingerprint = reads_fingerprint(frame)
        assert named.setdefault(fingerprint, reads) == reads, (frame, named[fingerprint])
        shuffled = list(frame.items())
        rng.shuffle(shuffled)
        assert reads_fingerprint(dict(shuffled)) == fingerprint


def test_a_downloads_frame_is_joined_and_one_changed_read_changes_it() -> None:
    frame = {f"piece:data\0file:content/incidents/{n}.md": f"{n:032x}" for n in range(10_000)}
    first = reads_fingerprint(frame)
    frame["piece:data\0file:content/incidents/77.md"] = "another"
    assert reads_fingerprint(frame) != first
