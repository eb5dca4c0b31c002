"""A time limit on a block of work: a Markdown body, an output being made (a template that loops for ever).

The limit is a timer signal, so it holds only in a process's main thread (the engine's, and each
worker process's); elsewhere the block runs unlimited. Limits nest: an inner one leaves the outer
one's deadline as it was, and when the outer deadline comes first, the outer error is raised.
A class, not a generator: entered for each of 20,000 outputs, it costs about 10 µs a time (0.2 s of CPU in
a cold build at 10,000 incidents), not 17.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

_MAIN = threading.main_thread  # a forked worker's one thread is its main thread


class time_limit:  # noqa: N801 - used like a function: `with time_limit(4, SomeError):`
    """Raise error() inside the block once it has run for seconds (only in the main thread, where signals arrive)."""

    __slots__ = ("_seconds", "_error", "_outer", "_started", "_previous", "_own", "_on")

    def __init__(self, seconds: float, error: Callable[[], BaseException]) -> None:
        self._seconds, self._error = seconds, error

    def __enter__(self) -> None:
        self._on = threading.current_thread() is _MAIN() and hasattr(signal, "setitimer")
        if not self._on:
            return
        self._outer, _interval = signal.getitimer(signal.ITIMER_REAL)  # an enclosing limit's time left (0: none)
        self._started = time.monotonic()
        self._own = not self._outer or self._seconds < self._outer
        self._previous: Any = signal.signal(signal.SIGALRM, self._expire)
        signal.setitimer(signal.ITIMER_REAL, self._seconds if self._own else self._outer)

    def _expire(self, number: int, frame: FrameType | None) -> None:
        if self._own or not callable(self._previous):
            raise self._error()
        self._previous(number, frame)  # the enclosing limit's deadline came first

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if not self._on:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous)
        if self._outer:  # the enclosing limit goes on, with what it had left (at once if that has run out)
            signal.setitimer(signal.ITIMER_REAL, max(self._outer - (time.monotonic() - self._started), 1e-6))
