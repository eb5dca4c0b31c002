"""Progress on long work: each stage with its count done of total and rate, on a terminal only.

A build or an import of thousands of files says what it is doing while it works. Nothing is
shown when the output is not a terminal (CI logs, pipes) or when the user passes --quiet, and
code that is given no Progress shows nothing. The drawing is rich's (pinned in requirements.txt),
loaded only when a stage is shown (kcrecord/engine/progress_bars.py).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, ParamSpec, TextIO, TypeVar

if TYPE_CHECKING:
    import rich.progress

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Advance = Callable[..., None]  # advance(n=1): n more items done


class Progress:
    """Show the stages of long work on a terminal; do nothing when disabled."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self._bars: rich.progress.Progress | None = None
        self._stream = stream

    @classmethod
    def for_terminal(cls, quiet: bool = False, stream: TextIO | None = None) -> Progress:
        """Return a Progress shown on stream (standard error) when it is a terminal and quiet is not asked."""
        stream = sys.stderr if stream is None else stream
        return cls(not quiet and stream.isatty(), stream)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop drawing; the finished stages' lines stay on the terminal."""
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    def _started(self) -> rich.progress.Progress:
        if self._bars is None:
            from kcrecord.engine import progress_bars  # rich is loaded only when bars are drawn

            self._bars = progress_bars.started(self._stream)
        return self._bars

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None, unit: str = "files") -> Iterator[Advance]:
        """Show a stage while the block runs; yield advance(n=1) to count items done (of total, when known)."""
        if not self.enabled:
            yield _nothing
            return
        bars = self._started()
        task = bars.add_task(name, total=total, unit=unit, counted=total is not None)

        def advance(n: int = 1) -> None:
            bars.advance(task, n)

        try:
            yield advance
        finally:
            done = bars.tasks[task].completed
            bars.update(task, total=total if total is not None else 1, completed=done if total is not None else 1)
            bars.stop_task(task)


def _nothing(n: int = 1) -> None:
    """Count nothing: the advance of a Progress that shows nothing."""


def stage(
    progress: Progress | None, name: str, total: int | None = None, unit: str = "files"
) -> contextlib.AbstractContextManager[Advance]:
    """Return progress.stage(...), or a stage that shows nothing when progress is None."""
    return (progress or Progress(False)).stage(name, total, unit)


def tracked(progress: Progress | None, name: str, items: Sequence[T], unit: str = "files") -> Iterator[T]:
    """Yield each of items, showing a stage that counts one done as the loop moves on to the next."""
    with stage(progress, name, len(items), unit) as advance:
        for item in items:
            yield item
            advance()


def counting(function: Callable[P, R], advance: Advance) -> Callable[P, R]:
    """Return function that also counts one item done after each call."""

    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        result = function(*args, **kwargs)
        advance()
        return result

    return counted
