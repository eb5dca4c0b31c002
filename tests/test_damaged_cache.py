"""A cache file whose bytes make pickle ask for gigabytes is damage like any other: the build goes on, correct.

Found by an outside audit: one byte changed in a part of the kept pieces made pickle raise
MemoryError (or OverflowError), which the loaders did not take as damage, and every make site
failed with an internal error until .cache/ was deleted by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile import run_cli, tree_digest

HUGE = b"\x80\x04\x8e" + (2**40).to_bytes(8, "little")  # BINBYTES8 of a terabyte: pickle raises MemoryError

CACHE_FILES = [
    "engine/*.pickle",  # the state, and the input hashes
    "engine/*.search",
    "engine/*.summary",
    "engine/*.records/00.pickle",
    "engine/*.pieces/00.pickle",
    "engine/*.work/*.blocks",
]


@pytest.mark.parametrize("pattern", CACHE_FILES)
def test_a_cache_file_that_asks_for_gigabytes_is_taken_as_damaged(small_project: Path, pattern: str) -> None:
    root = small_project
    run = run_cli(root, "build", "--quiet")
    assert run.code == 0, run.err
    found = sorted((root / ".cache").glob(pattern))
    assert found, f"no cache file {pattern}: the test damages nothing"
    for path in found:
        path.write_bytes(HUGE)
    incident = sorted((root / "content" / "incidents").glob("*.md"))[0]
    incident.write_text(incident.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    run = run_cli(root, "build", "--quiet")
    assert run.code == 0, run.err
    clean = run_cli(root, "build", "--no-cache", "--out", str(root / "clean"), "--quiet")
    assert clean.code == 0, clean.err
    assert tree_digest(root / "site") == tree_digest(root / "clean")
