"""The allocator's setting: once fixed, large blocks a build lets go of go back to the system."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kcrecord.engine.allocator import fix_mmap_threshold

ROOT = Path(__file__).resolve().parent.parent

# In a fresh process: let go of one 20 MB block (as a build lets go of a download), then make thirty
# blocks of 1 MB, keep the last and let go of the others. Prints how many MB more are resident.
SCRIPT = """
import os, sys
from kcrecord.engine.allocator import fix_mmap_threshold

def resident():
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

if sys.argv[1] == "fixed":
    assert fix_mmap_threshold()
big = b"x" * 20_000_000
del big
before = resident()
blocks = [b"y" * 1_000_000 for _ in range(30)]
last = blocks[-1]
del blocks
print(resident() - before)
"""


def _grown(mode: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    return float(done.stdout)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the resident size from /proc")
def test_freed_large_blocks_go_back_to_the_system() -> None:
    if not fix_mmap_threshold():
        pytest.skip("this C library has no mallopt: nothing is set")
    assert _grown("moving") > 20  # glibc's own rule: after the 20 MB block, 1 MB blocks stay on the heap
    assert _grown("fixed") < 5  # each 1 MB block had its own mapping, given back when let go


# In a fresh process: make 60 MB of 2 KB blocks (a download piece's size: each from the heap), keep
# the last, let go of the others. Prints the MB resident then, and after give_back (or -1 without it).
GIVE_BACK = """
import os
from kcrecord.engine.allocator import give_back

def resident():
    with open("/proc/self/statm") as stream:
        return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

blocks = [bytes(2000) + index.to_bytes(4, "big") for index in range(30_000)]
last = blocks[-1]
del blocks
before = resident()
print(before, resident() if give_back() else -1)
"""


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads the resident size from /proc")
def test_give_back_returns_the_heaps_free_pages() -> None:
    done = subprocess.run(
        [sys.executable, "-c", GIVE_BACK], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    before, after = map(float, done.stdout.split())
    if after < 0:
        pytest.skip("this C library has no malloc_trim: nothing is given back")
    assert before - after > 40  # the 60 MB let go stayed resident until given back
