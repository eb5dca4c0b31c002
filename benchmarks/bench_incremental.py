"""Benchmark the preview's rebuilds on a large synthetic site (a script, not a test).

    .venv/bin/python benchmarks/bench_incremental.py [--incidents 10000] [--edits 5] [--profile]

Generates N synthetic incidents (benchmarks/corpus.py) in a temporary folder, then reports: the
preview's first build with a cold cache, the same with the cache that build left (a restart of
`make serve`), and for single-incident edits the time from the edit to the edited page rewritten
(PreviewBuilder.update, the quick pass) and to every affected output rewritten (then
PreviewBuilder.start_ahead, which begins the database's patch in a thread, and PreviewBuilder.finish,
run at once: the server waits session.FINISH_DELAY between the two, which the thread uses; the
cycle collector resumes after each edit is timed, as the server resumes it once idle). The
watcher's file events (kcrecord/preview/watch.py) add about watch.STEP_MS after an edit, reported
separately; the search index is refreshed in the background afterwards and is not timed here.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import generate, keep_or_remove  # noqa: E402
from kcrecord.preview import watch  # noqa: E402
from kcrecord.preview.builder import PreviewBuilder  # noqa: E402

BASE = "http://127.0.0.1:8000/"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def timed(label: str, action):  # noqa: ANN001, ANN201 - a benchmark helper
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds * 1000:,.0f} ms")
    return result, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument(
        "--edit",
        choices=["title", "body"],
        default="title",
        help="what each edit changes: the title (every list shows it) or a word of the narrative (no list does)",
    )
    parser.add_argument("--profile", action="store_true", help="print a profile of one edit, both passes")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    try:
        root = work / "project"
        paths, _ = timed(f"generate {args.incidents:,} incidents", lambda: generate(root, args.incidents))
        cold = PreviewBuilder(root, BASE)
        outcome, _ = timed("preview's first build, cold cache", cold.build)
        assert outcome.ok, outcome.problems[:5] or outcome.error
        renderer = cold.engine.renderer
        print(f"  {outcome.rendered:,} outputs; Markdown renders: {renderer.misses if renderer else 0:,}")
        builder = PreviewBuilder(root, BASE)
        outcome, _ = timed("preview's first build, warm cache (a restart)", builder.build)
        assert outcome.ok
        print(f"  {outcome.rendered:,} outputs made, {len(outcome.written):,} written")
        quick, whole, written, rendered = [], [], [], []
        for index in range(args.edits):
            path = paths[(index * 7919) % len(paths)]
            text = path.read_text(encoding="utf-8")
            old, new = ("Officer fires", "Officer shoots") if args.edit == "title" else ("afternoon", "evening")
            assert old in text, (path, old)
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            started = time.perf_counter()
            outcome = builder.update({path})  # what the server calls: the edited incident's pages first
            quick.append(time.perf_counter() - started)
            assert outcome.ok and not outcome.full and outcome.written and builder.pending, outcome
            builder.start_ahead()  # as the server does once the edited page has reloaded: the database's patch begins
            rest = builder.finish()
            assert rest.ok and not builder.pending, rest
            whole.append(time.perf_counter() - started)
            builder.collect()  # as the server does once the reloads are sent (PreviewBuilder.collect)
            written.append(len(outcome.written) + len(rest.written))
            rendered.append(outcome.rendered + rest.rendered)
        print(
            f"one incident edited, edit to its page rewritten (PreviewBuilder.update): median"
            f" {ms(statistics.median(quick))}, min {ms(min(quick))}, max {ms(max(quick))} over {args.edits} edits"
        )
        print(
            f"  then every affected output (lists, feed, downloads; PreviewBuilder.finish): median"
            f" {ms(statistics.median(whole))} from the edit; {statistics.median(rendered):.0f} outputs made,"
            f" {statistics.median(written):.0f} rewritten"
        )
        print(
            f"watcher (separate): file events arrive once no other came for {watch.STEP_MS} ms"
            f" (at most {watch.DEBOUNCE_MS} ms of gathering)"
        )
        if args.profile:
            path = paths[1]
            path.write_text(path.read_text(encoding="utf-8").replace("Officer fires", "Officer shoots", 1))
            profile = cProfile.Profile()
            profile.runcall(lambda: (builder.update({path}), builder.start_ahead(), builder.finish()))
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    finally:
        keep_or_remove(work, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
