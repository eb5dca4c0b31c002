"""Work begun ahead in a thread, used only if it turns out to be the work asked for later.

Before the engine makes the database again it plans and checks 20,000 outputs (about 0.25 s at
10,000 incidents, all in Python). The database's patch is mostly SQLite's own work (the
full-text index rebuilt, VACUUM INTO, the file hashed), which runs without Python's lock, so it
is begun in a thread (kcrecord/outputs/render.py start_ahead) and runs on the other core
meanwhile: in the preview once the browser is told to reload the page a quick pass wrote
(PreviewBuilder.start_ahead; then also in the pause before finish(), session.FINISH_DELAY); in
make site once the site is assembled, when only a few incidents were assembled again.

While such a thread runs, the interpreter is asked to switch threads every SWITCH seconds
instead of every 5 ms: the thread needs Python's lock for a moment between SQLite's steps (about
50 times), and at 5 ms a wait it took 0.3 s against 0.15 s alone, so the engine waited for it.
A process is never forked while one runs (wait_all): it would copy SQLite's locks as held.

What is begun is a guess: the blocks each table would hold if only those incidents changed
(database_build.database_head_start). The work is named by the blocks' tokens (each names its
rows), and the engine takes its result only when the blocks it asks for have the same tokens;
otherwise it waits for the thread (which holds the working copy) and patches from what the
thread left, as from any earlier build. Nothing is written outside the cache folder's working
copy, no dependency is recorded from the thread (deps.FRAMES belongs to the engine's thread),
and the thread reads only rows already in memory (database_build._unpickled_rows).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

Tokens = dict[str, list[str]]  # table -> the token of each block, in order


class HeadStart:
    """One piece of work begun in a thread, named by the tokens of what it was given."""

    def __init__(self, tokens: Tokens, work: Callable[[], Any]) -> None:
        self.tokens = tokens
        self.result: Any = None
        self._work = work
        self.thread = threading.Thread(target=self._run, name="kcrecord-head-start")

    def _run(self) -> None:
        try:
            self.result = self._work()  # the database as a Spooled: hashed here, off the engine's thread
        except Exception:  # noqa: BLE001 - the work is done again where it is asked for, and fails there
            self.result = None
        finally:
            _switch_back()

    def done(self) -> bool:
        """Return True once the thread has ended (or was never started)."""
        return not self.thread.is_alive()


_BEGUN: dict[Path, HeadStart] = {}  # by the working folder the work uses: one at a time in each
_LOCK = threading.Lock()
SWITCH = 0.0005  # seconds between thread switches while work runs ahead (Python's default: 0.005)
_running = {"threads": 0, "interval": 0.0}


def _switch_often() -> None:
    """Switch threads every SWITCH seconds from now until the last thread begun ends (call with _LOCK held)."""
    if _running["threads"] == 0:
        _running["interval"] = sys.getswitchinterval()
        sys.setswitchinterval(min(SWITCH, _running["interval"]))
    _running["threads"] += 1


def _switch_back() -> None:
    """Put the interpreter's switch interval back once no thread begun ahead runs."""
    with _LOCK:
        _one_less()


def _one_less() -> None:
    _running["threads"] -= 1
    if _running["threads"] == 0:
        sys.setswitchinterval(_running["interval"])


used = {"begun": 0, "claimed": 0, "missed": 0}  # counts, for tests and benchmarks


def begin(folder: Path, tokens: Tokens, work: Callable[[], Any]) -> bool:
    """Begin work() in a thread for folder, unless earlier work there is still running; return whether it began."""
    with _LOCK:
        earlier = _BEGUN.get(folder)
        if earlier is not None and not earlier.done():
            return False  # the working copy is in use: finish() waits for it, then patches as usual
        started = HeadStart(tokens, work)
        _switch_often()
        try:
            started.thread.start()
        except RuntimeError:  # no thread to be had: the work is done where it is asked for
            _one_less()
            return False
        _BEGUN[folder] = started
        used["begun"] += 1
        return True


def claim(folder: Path, tokens: Tokens) -> Any:
    """Wait for the work begun for folder, if any; return its result when it was begun with these tokens."""
    with _LOCK:
        begun = _BEGUN.pop(folder, None)
    if begun is None:
        return None
    begun.thread.join()
    if begun.result is not None and begun.tokens == tokens:
        used["claimed"] += 1
        return begun.result
    used["missed"] += 1
    return None


def drop_all() -> None:
    """Wait for every thread begun ahead and drop what none claimed (call once a run has made its outputs).

    Work whose output turned out current (rows made again with the same values) would otherwise
    run on at the end of make site, and its bytes be held until the next work begins.
    """
    with _LOCK:
        begun = list(_BEGUN.values())
        _BEGUN.clear()
    for work in begun:
        work.thread.join()


def wait_all() -> None:
    """Wait for every thread begun ahead to end, their results kept to be claimed (call before forking).

    A process forked while such a thread runs would copy SQLite's locks as the thread holds them.
    """
    with _LOCK:
        running = list(_BEGUN.values())
    for begun in running:
        begun.thread.join()
