"""Benchmark the preview's rebuilds on a large synthetic site (a script, not a test).

    .venv/bin/python benchmarks/bench_incremental.py [--incidents 10000] [--profile]

Generates N synthetic incidents in a temporary folder with the repository's templates, static
files and site.yaml and a few agencies, then reports: a full build with a cold Markdown cache,
a full build with a warm one (a restart of `make serve`), and for single-incident edits the
time from the edit to rebuilt output (PreviewBuilder.update, what the server calls), with the
watcher's scan time and polling delay reported separately.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kcrecord.engine.incremental import PreviewBuilder, Watcher  # noqa: E402
from kcrecord.engine.pipeline import Project  # noqa: E402
from kcrecord.preview.serve import POLL_INTERVAL  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "site"
SAMPLE = FIXTURE / "content" / "incidents" / "2024-03-05-example-shooting.md"
DEPARTMENTS = ["example-pd", "north-pd", "south-pd", "east-pd", "west-pd"]
START = dt.date(2015, 1, 1)


def generate(root: Path, count: int) -> list[Path]:
    """Write a project with count incidents into root; return the incident files."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    shutil.copytree(FIXTURE / "content" / "pages", root / "content" / "pages")
    agencies = root / "content" / "agencies"
    shutil.copytree(FIXTURE / "content" / "agencies", agencies)
    department = (agencies / "example-pd.md").read_text(encoding="utf-8")
    for slug in DEPARTMENTS[1:]:
        name = slug.split("-")[0].capitalize()
        text = department.replace("Example Police Department", f"{name} Police Department").replace("EPD", "PD")
        (agencies / f"{slug}.md").write_text(text.replace("City of Example", f"City of {name}"), encoding="utf-8")
    sample = SAMPLE.read_text(encoding="utf-8")
    folder = root / "content" / "incidents"
    folder.mkdir(parents=True)
    paths = []
    for number in range(count):
        day = START + dt.timedelta(days=number * 3650 // count)
        text = sample
        for offset in (3, 2, 1, 0):  # later dates first, so one replacement does not feed the next
            old = (dt.date(2024, 3, 5) + dt.timedelta(days=offset)).isoformat()
            text = text.replace(old, (day + dt.timedelta(days=offset)).isoformat())
        agency = DEPARTMENTS[number % len(DEPARTMENTS)]
        text = text.replace("id: example-pd", f"id: {agency}").replace("lead: example-pd", f"lead: {agency}")
        text = text.replace("Officer fires at man", f"Officer fires at man ({number})")
        text = text.replace("Officers were called", f"In case {number}, officers were called")
        path = folder / f"{day.isoformat()}-synthetic-{number}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


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
    parser.add_argument("--profile", action="store_true", help="print a profile of one incremental update")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    try:
        root = work / "project"
        paths, _ = timed(f"generate {args.incidents:,} incidents", lambda: generate(root, args.incidents))
        project = Project(root, root / "site")
        cache = root / ".cache"
        base = "http://127.0.0.1:8000/"
        cold = PreviewBuilder(project, base, cache)
        outcome, _ = timed("full build, cold Markdown cache", cold.build)
        assert outcome.ok, outcome.problems[:5] or outcome.error
        print(f"  {outcome.rendered:,} files; Markdown renders: {cold.renderer.misses:,}")
        builder = PreviewBuilder(project, base, cache)
        outcome, _ = timed("full build, warm Markdown cache (a restart)", builder.build)
        print(f"  Markdown renders: {builder.renderer.misses:,}, cache hits: {builder.renderer.hits:,}")
        watcher, _ = timed("watcher: first scan", lambda: Watcher(root))
        scans, quick, whole, written, rendered = [], [], [], [], []
        for index in range(args.edits):
            path = paths[(index * 7919) % len(paths)]
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("Officer fires", "Officer shoots", 1), encoding="utf-8")
            started = time.perf_counter()
            changed = watcher.poll()
            scans.append(time.perf_counter() - started)
            assert changed == {path}, changed
            started = time.perf_counter()
            outcome = builder.update(changed, first=set())  # what the server calls, no page open
            quick.append(time.perf_counter() - started)
            assert outcome.ok and not outcome.full and outcome.written, outcome
            count = len(outcome.written)
            done = outcome.rendered
            while builder.pending:
                rest = builder.finish(10.0)
                count += len(rest.written)
                done += rest.rendered
            whole.append(time.perf_counter() - started)
            written.append(count)
            rendered.append(done)
        print(
            f"one incident edited, edit to its page rewritten (PreviewBuilder.update): median"
            f" {ms(statistics.median(quick))}, min {ms(min(quick))}, max {ms(max(quick))} over {args.edits} edits"
        )
        print(
            f"  then every affected output (lists, feed, downloads; PreviewBuilder.finish): median"
            f" {ms(statistics.median(whole))} from the edit; {statistics.median(rendered):.0f} outputs rendered,"
            f" {statistics.median(written):.0f} rewritten"
        )
        print(
            f"watcher (separate): a scan of {len(watcher._seen):,} files takes median {ms(statistics.median(scans))};"
            f" it polls every {ms(POLL_INTERVAL)}, so an edit waits {ms(POLL_INTERVAL / 2)} on average"
            f" (up to {ms(POLL_INTERVAL)}) plus the scan"
        )
        if args.profile:
            path = paths[1]
            path.write_text(path.read_text(encoding="utf-8").replace("Officer fires", "Officer shoots", 1))
            profile = cProfile.Profile()
            profile.runcall(builder.update, watcher.poll(), set())
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
