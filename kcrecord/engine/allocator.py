"""The C allocator's setting for a build: a large block the build lets go of goes back to the system.

glibc's malloc gives a request of 128 KB or more its own mapping, returned to the system when it
is freed, but each time such a mapping is freed it raises that threshold to the block's size (up
to 32 MB). Once a build has let go of one download (data/incidents.json is 27 MB at 10,000
incidents), blocks up to that size come from the heap, where one freed in the middle cannot be
given back, and the heap only grows. Fixed at 128 KB, the threshold no longer moves: a cold make
site at 10,000 incidents peaked at 420-425 MB resident instead of 457-467 MB (its workers at
403-407 MB instead of 439-451 MB; they are forked, so they share the setting).

Smaller blocks (a download piece's bytes, 1-5 KB each) come from the heap; once tens of MB of
them are let go, the pages they held stay resident, and the Python objects made next come from
pymalloc's own mappings, not from those pages. give_back (glibc's malloc_trim) hands the heap's
free pages back: make site calls it once it has moved the downloads' and the database's pieces
out of memory (kcrecord/engine/spill.py).

Elsewhere (another C library, another system) there is no mallopt or malloc_trim and nothing is changed.
"""

from __future__ import annotations

import ctypes

M_MMAP_THRESHOLD = -3  # glibc's malloc.h
THRESHOLD = 128 * 1024  # glibc's default, kept: only its moving is turned off


def give_back() -> bool:
    """Hand the heap's free pages back to the system (glibc's malloc_trim); False where that cannot be done."""
    trim = _c_function("malloc_trim", [ctypes.c_size_t])
    if trim is None:
        return False
    trim(0)
    return True


def fix_mmap_threshold(size: int = THRESHOLD) -> bool:
    """Fix the size from which malloc maps a block of its own; return False where that cannot be set."""
    mallopt = _c_function("mallopt", [ctypes.c_int, ctypes.c_int])
    return mallopt is not None and bool(mallopt(M_MMAP_THRESHOLD, size))


def _c_function(name: str, arguments: list[type]) -> ctypes._CFuncPtr | None:
    """Return the C library's function name, taking arguments and returning an int; None where there is none."""
    try:
        function = getattr(ctypes.CDLL(None), name)
    except (OSError, AttributeError, TypeError):  # not glibc, or no process symbols here
        return None
    function.argtypes = arguments
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]
