"""The bars a Progress draws on a terminal, with rich (loaded only when they are shown)."""

from __future__ import annotations

from typing import TextIO

import rich.console
import rich.progress
import rich.text


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


def started(stream: TextIO | None) -> rich.progress.Progress:
    """Return rich's bars, started on stream (standard error when None): each stage's name, bar, count and time."""
    console = rich.console.Console(file=stream, stderr=stream is None)
    bars = rich.progress.Progress(
        rich.progress.TextColumn("{task.description:<22}"),
        rich.progress.BarColumn(),
        CountColumn(),
        rich.progress.TimeElapsedColumn(),
        console=console,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    bars.start()
    return bars
