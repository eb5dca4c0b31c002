"""Measure the incidents page at scale: page sizes and the filter data (a script, not a test).

    .venv/bin/python benchmarks/bench_incidents_page.py [--incidents 10000]

Generates N synthetic incidents with benchmarks/corpus.py, builds the site once, and
reports the bytes of /incidents/, of its largest numbered page, of the home page and of
incidents/index.json (the filter data static/incidents.js fetches only when a reader filters),
each also gzipped as a web server would send it, and how long the incidents outputs took.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.corpus import generate  # noqa: E402
from kcrecord.engine.pipeline import Project, build  # noqa: E402


def sizes(path: Path) -> str:
    """Return a file's size and its gzipped size in KB."""
    data = path.read_bytes()
    return f"{len(data) / 1000:8.1f} KB  ({len(gzip.compress(data, 6)) / 1000:6.1f} KB gzipped)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        generate(root, args.incidents)
        started = time.perf_counter()
        build(Project(root, root / "site"))
        seconds = time.perf_counter() - started
        site = root / "site"
        pages = sorted((site / "incidents" / "page").glob("*/index.html"), key=lambda p: p.stat().st_size)
        print(f"{args.incidents} incidents, full build {seconds:.1f} s, {len(pages) + 1} pages of incidents")
        print(f"/incidents/                 {sizes(site / 'incidents' / 'index.html')}")
        if pages:
            print(f"largest numbered page       {sizes(pages[-1])}  {pages[-1].parent.relative_to(site)}")
        print(f"home page                   {sizes(site / 'index.html')}")
        print(f"incidents/index.json (lazy) {sizes(site / 'incidents' / 'index.json')}")
        print(f"static/incidents.js         {sizes(site / 'static' / 'incidents.js')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
