"""Progress on long work: each stage with its count done of total and rate, on a terminal only.

A build or an import of thousands of files says what it is doing while it works. Nothing is
shown when the output is not a terminal (CI logs, pipes) or when the user passes --quiet, and
code that is given no Progress shows nothing. The drawing is rich's (pinned in requirements.txt).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import ParamSpec, TextIO, TypeVar

import rich.console
import rich.progress
import rich.text

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Advance = Callable[..., None]  # advance(n=1): n more items done


class CountColumn(rich.progress.ProgressColumn):
    """Show 'done/total unit' and the rate, for a stage that counts its items."""

    def render(self, task: rich.progress.Task) -> rich.text.Text:
        """Return the count and rate of the task, or nothing for a stage that does not count."""
        if not task.fields.get("counted"):
            return rich.text.Text("")
        unit = task.fields["unit"]
        # A finished stage shows its average rate; rich's own estimate covers only its last seconds.
        speed = task.completed / task.elapsed if task.finished and task.elapsed else task.speed
        rate = f", {speed:,.0f} {unit}/s" if speed else ""
        total = f"/{task.total:,.0f}" if task.total is not None else ""
        return rich.text.Text(f"{task.completed:,.0f}{total} {unit}{rate}", style="progress.download")


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
            console = rich.console.Console(file=self._stream, stderr=self._stream is None)
            self._bars = rich.progress.Progress(
                rich.progress.TextColumn("{task.description:<22}"),
                rich.progress.BarColumn(),
                CountColumn(),
                rich.progress.TimeElapsedColumn(),
                console=console,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._bars.start()
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
