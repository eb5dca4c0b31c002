"""Make outputs on every core: a large batch is split among worker processes forked from the engine.

Each worker inherits the assembled site, the templates and the kept pieces (fork copies them
for free), makes its share of the outputs while recording what each reads, and sends back the
bytes, the frames and the pieces it made, so the engine keeps them as if it had made them
itself. Small batches (an edit in the preview) are made in the engine's own process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator

from kcrecord.engine.deps import recording
from kcrecord.outputs.fragments import Fragments, Kept
from kcrecord.outputs.render import Job

PARALLEL_FROM = 400  # outputs: below this, starting workers costs more than it saves
CHUNK = 64

_JOBS: list[Job] = []
_FRAGMENTS: Fragments | None = None


def make_one(job: Job) -> tuple[bytes, dict[str, str]]:
    """Make one output, recording what it reads; the frame includes what the planner handed it."""
    with recording() as frame:
        data = job.render()
    frame[f"plan:{job.path}"] = job.plan_key()
    return data, frame


def make_all(
    jobs: list[Job], fragments: Fragments, workers: int | None, advance: Callable[[], None]
) -> Iterator[tuple[str, bytes, dict[str, str]]]:
    """Yield (path, bytes, frame) for every job, in the jobs' order."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 2 or len(jobs) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        for job in jobs:
            data, frame = make_one(job)
            advance()
            yield job.path, data, frame
        return
    global _JOBS, _FRAGMENTS
    _JOBS, _FRAGMENTS = jobs, fragments
    chunks = [range(start, min(start + CHUNK, len(jobs))) for start in range(0, len(jobs), CHUNK)]
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(count) as pool:
            for made, pieces in pool.imap(_make_chunk, chunks):
                for key, kept in pieces.items():
                    kept.checked = fragments.revision
                    fragments.kept.setdefault(key, kept)
                for path, data, frame in made:
                    advance()
                    yield path, data, frame
    finally:
        _JOBS, _FRAGMENTS = [], None


def _make_chunk(indexes: range) -> tuple[list[tuple[str, bytes, dict[str, str]]], dict[str, Kept]]:
    fragments = _FRAGMENTS
    assert fragments is not None
    before = {key for key, kept in fragments.kept.items() if kept.checked == fragments.revision}
    made = []
    for index in indexes:
        job = _JOBS[index]
        data, frame = make_one(job)
        made.append((job.path, data, frame))
    new = {
        key: kept for key, kept in fragments.kept.items() if kept.checked == fragments.revision and key not in before
    }
    for key in new:
        before.add(key)
    return made, new
