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
from sys import intern
from typing import Any, TypeVar

from kcrecord.engine import head_start
from kcrecord.engine.deps import recording
from kcrecord.engine.forked import Forked
from kcrecord.engine.kept_records import own_output
from kcrecord.engine.template_errors import carried
from kcrecord.engine.time_limit import time_limit
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.kept import Kept
from kcrecord.outputs.render import Job
from kcrecord.outputs.spooled import Spooled

W = TypeVar("W")

PARALLEL_FROM = 400  # outputs: below this, starting workers costs more than it saves
CHUNK = 64

_JOBS: list[Job] = []
_FRAGMENTS: Fragments | None = None
_WRITE: Callable[[str, bytes | Spooled], Any] | None = None
_CALL: tuple[Callable[[Any], Any], list[Any]] | None = None


def worker_count(workers: int | None) -> int:
    """Return how many processes to use: workers, or one per core; 1 where processes cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return workers if workers is not None else (os.cpu_count() or 1)


def fork_map(workers: int | None) -> Callable[[Callable[[Any], Any], list[Any]], list[Any]]:
    """Return map(function, items) on worker processes forked for the call (in this process for few items)."""

    def mapped(function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        count = worker_count(workers)
        if count < 2 or len(items) < PARALLEL_FROM:
            return [function(item) for item in items]
        global _CALL
        _CALL = (function, items)
        chunks = [range(start, min(start + CHUNK, len(items))) for start in range(0, len(items), CHUNK)]
        head_start.wait_all()  # no thread of ours holds a lock the workers would copy
        try:
            forked = Forked(_call_chunk, chunks, count)
            try:
                return [result for part in forked.rest() for result in part]
            finally:
                forked.close()
        finally:
            _CALL = None

    return mapped


def _call_chunk(indexes: range) -> list[Any]:
    assert _CALL is not None
    function, items = _CALL
    return [function(items[index]) for index in indexes]


OUTPUT_SECONDS = 120.0
"""The longest one output may take to make, here or in a worker (KCRECORD_OUTPUT_SECONDS sets another). Past
it the build stops, naming the template line it had reached: a loop that never ends would otherwise leave it
waiting for ever. The slowest output, the database at 10,000 incidents, takes about 3 s."""


def output_seconds() -> float:
    """Return the time limit on one output: KCRECORD_OUTPUT_SECONDS when it is a number above 0, else OUTPUT_SECONDS."""
    value = os.environ.get("KCRECORD_OUTPUT_SECONDS")
    if not value:
        return OUTPUT_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        return OUTPUT_SECONDS
    return seconds if 0 < seconds < float("inf") else OUTPUT_SECONDS


class OutputTooSlowError(Exception):
    """An output took longer than OUTPUT_SECONDS to make."""

    def __init__(self, path: str, seconds: float) -> None:
        super().__init__(
            f"making {path} took longer than {seconds:g} s: does a loop there never end? Make it end, "
            "or make the page do less"
        )


def make_one(job: Job) -> tuple[bytes | Spooled, dict[str, str]]:
    """Make one output, recording what it reads; the frame includes what the planner handed it."""
    seconds = output_seconds()
    with recording() as frame, time_limit(seconds, lambda: OutputTooSlowError(job.path, seconds)):
        data = job.render()
    frame[intern(f"plan:{job.path}")] = job.plan_key()
    return data, frame


def as_made(path: str, data: bytes | Spooled) -> bytes | Spooled:
    """Return data as it is: make_all's write when the caller takes the bytes."""
    return data


def make_all(
    jobs: list[Job],
    fragments: Fragments,
    workers: int | None,
    advance: Callable[[], None],
    lasting: bool = True,
    write: Callable[[str, bytes | Spooled], W] = as_made,  # type: ignore[assignment] - W is bytes with as_made
) -> Iterator[tuple[str, W, dict[str, str]]]:
    """Yield (path, write(path, bytes), frame) for every job: incident pages on every core, the rest here meanwhile.

    The lists, downloads and feeds share each incident's pieces, so they are made in this process,
    while the workers make the incident pages (which make other pieces: their maps) and write
    them with write (which must work in a forked process: OutputFolder.place stages the file), so
    no page's bytes come back through a pipe. The pieces the workers send back are kept as if made
    here. A piece or memo made on both sides has the same value and frame either way (a piece is a
    function of what it reads), so which copy is kept does not matter. Not lasting (make site),
    when the workers are used, the heavy memos' values (the downloads) are let go as the outputs
    made here leave a folder: those that read them are all below data/, planned one after another
    (read again later, a memo is made again).
    """
    count = worker_count(workers)
    own = [job for job in jobs if own_output(job.path)]
    if count < 2 or len(own) < PARALLEL_FROM:
        for job in jobs:
            data, frame = make_one(job)
            advance()
            yield job.path, write(job.path, data), frame
        return
    rest = [job for job in jobs if not own_output(job.path)]
    yield from _in_workers(own, rest, fragments, count, advance, lasting, write)


def _in_workers(
    jobs: list[Job],
    rest: list[Job],
    fragments: Fragments,
    count: int,
    advance: Callable[[], None],
    lasting: bool,
    write: Callable[[str, bytes | Spooled], W],
) -> Iterator[tuple[str, W, dict[str, str]]]:
    """Yield what the workers made, each worker taking chunks of jobs in turn, and rest made here meanwhile.

    The workers are kcrecord/engine/forked.py's, each on a pipe of its own. When this ends early
    (an error here or in a worker, a worker killed, or the caller stops taking outputs), no more
    chunks are handed out, the chunks under way are waited for, and the workers are ended.
    """
    global _JOBS, _FRAGMENTS, _WRITE
    _JOBS, _FRAGMENTS, _WRITE = jobs, fragments, write
    common = Common()  # the texts of the frames sent back, one object each (see Common)
    chunks = [range(start, min(start + CHUNK, len(jobs))) for start in range(0, len(jobs), CHUNK)]
    head_start.wait_all()  # no thread of ours holds a lock the workers would copy
    try:
        workers = Forked(_make_chunk, chunks, count)
        last = ""
        try:
            for job in rest:
                folder = job.path.partition("/")[0]
                if not lasting and folder != last:  # the outputs that read a heavy memo share a folder (data/)
                    fragments.let_go_heavy()
                    fragments.let_go_lists()
                last = folder
                data, frame = make_one(job)
                advance()
                yield job.path, write(job.path, data), frame
                for chunk in workers.ready():  # take what has come back as it comes
                    yield from _adopted(chunk, fragments, advance, common)
            for chunk in workers.rest():
                yield from _adopted(chunk, fragments, advance, common)
        finally:
            workers.close()
    finally:
        _JOBS, _FRAGMENTS, _WRITE = [], None, None


def _adopted(
    chunk: tuple[list[tuple[str, W, dict[str, str]]], dict[str, Kept]],
    fragments: Fragments,
    advance: Callable[[], None],
    common: Common,
) -> Iterator[tuple[str, W, dict[str, str]]]:
    """Keep the pieces a worker sent back as if made here, and yield the outputs it made (frames shared)."""
    made, pieces = chunk
    for key, kept in pieces.items():
        kept.checked = fragments.revision  # made from this revision's inputs
        kept.fingerprint = common.text(kept.fingerprint)  # the one its readers' frames hold
        kept.fill_frame(common.frame(kept.frame))
        fragments.adopt(intern(key), kept)  # the one object for its key (Fragments._keys)
    for path, written, frame in made:
        advance()
        yield path, written, common.frame(frame)


class Common:
    """One object for each key and fingerprint in the frames that came back from the workers.

    Unpickled, each chunk's frames bring their own copy of every text the pages share (the
    templates and settings every incident page reads): at 10,000 incidents, what came back from
    the workers held 72 MB of the engine's memory at the save, 63 MB shared (tracemalloc). The
    keys are interned, as the pieces' keys are (Fragments._keys): a piece's key read by a page
    made in a worker is the very object the lists made here hold.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}

    def text(self, text: str) -> str:
        """Return the object kept for text."""
        return self._texts.setdefault(text, text)

    def frame(self, frame: dict[str, str]) -> dict[str, str]:
        """Return frame with each key interned and each fingerprint the object kept for that text."""
        common = self._texts.setdefault
        return {intern(key): common(value, value) for key, value in frame.items()}


def _make_chunk(indexes: range) -> tuple[list[tuple[str, Any, dict[str, str]]], dict[str, Kept]]:
    fragments, write = _FRAGMENTS, _WRITE
    assert fragments is not None and write is not None
    start = len(fragments.made)
    made = []
    for index in indexes:
        job = _JOBS[index]
        try:
            data, frame = make_one(job)
        except Exception as error:
            raise carried(error) from None  # with its template frames, which pickling back would lose
        made.append((job.path, write(job.path, data), frame))
    return made, {key: fragments.kept[key] for key in fragments.made[start:] if key in fragments.kept}
