"""Pausing Python's cycle collector while a build makes many objects that live to its end.

Loading the state and the parsed files makes about a million objects at 10,000 incidents, none
of them garbage; the cycle collector walks every tracked object again at each of its full
passes, which tripled the time those loads took. make site and make check pause it for the
whole command (kcrecord/cli.py): 3 s of 14 s after one edit at 10,000 incidents, with the same
peak memory; the preview pauses it for each update (and collects after). Garbage without cycles is still freed at
once while the collector is paused, and a collection runs as usual once it is resumed.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused(freeze_after: bool = False) -> Iterator[None]:
    """Pause the cycle collector inside the block (nested blocks resume it only at the outermost end).

    freeze_after: for a command that ends with the block. The objects made while the collector
    was paused all count as new to it, so the first collection after it resumes walks every one
    (0.8 s after a one-edit build at 10,000 incidents); frozen (gc.freeze), they are left out of
    every later collection. Never for a process that goes on (the preview): their garbage would stay.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze_after:
            gc.freeze()
        if was_enabled:
            gc.enable()
