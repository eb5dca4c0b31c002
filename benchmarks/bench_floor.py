"""How close can a cold build come to Hugo's? The CPU time of the work no engine can skip (a script, not a test).

    .venv/bin/python benchmarks/bench_floor.py [--incidents 10000] [--tmpfs] [--keep]

A cold build must parse every front matter (PyYAML's libyaml parser, then our strict values), turn
every narrative into HTML (Python-Markdown) and render every incident page (Jinja2, with the pieces
the page shows). This script builds the generated corpus (benchmarks/corpus.py) cold in this one
process (no worker processes, no cache, no search index) and measures the CPU time spent in each of
the three, each counted once (a Markdown render made while a page renders counts as Markdown),
and in everything else. Hugo builds the same files (benchmarks/hugo/) twice in the same run.

The floor is those three divided by the machine's cores, as if they ran on every core with nothing
else: a cold build cannot be faster than that with these packages and these templates. It is
printed against Hugo's cold build, beside the whole build's CPU time divided by the cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import HUGO_PROJECT, hugo_binary, remove, work_folder  # noqa: E402
from corpus import generate, keep_or_remove  # noqa: E402

from kcrecord.content import markdown_render, yaml_strict  # noqa: E402
from kcrecord.engine.collector import collector_paused  # noqa: E402
from kcrecord.engine.engine import Engine  # noqa: E402
from kcrecord.outputs import render  # noqa: E402


class Clock:
    """CPU time by kind of work, each moment counted for the innermost kind measured."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._stack: list[list[Any]] = []  # [kind, started, time of nested kinds]

    def wrap(self, kind: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def measured(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([kind, time.process_time(), 0.0])
            try:
                return function(*args, **kwargs)
            finally:
                _, started, nested = self._stack.pop()
                total = time.process_time() - started
                self.spent[kind] = self.spent.get(kind, 0.0) + total - nested
                if self._stack:
                    self._stack[-1][2] += total

        return measured


def our_cold_build(root: Path) -> tuple[float, float, dict[str, float]]:
    """Build root cold in this process; return (wall seconds, CPU seconds, CPU seconds by kind)."""
    clock = Clock()
    yaml_strict.load = clock.wrap("front matter (PyYAML + strict values)", yaml_strict.load)
    renderer = markdown_render.MarkdownRenderer
    renderer.render = clock.wrap("narratives (Python-Markdown)", renderer.render)  # type: ignore[method-assign]
    render._incident_page = clock.wrap("incident pages (Jinja2, with their pieces)", render._incident_page)
    out = root / "site"
    remove(out)
    started, cpu = time.perf_counter(), time.process_time()
    with collector_paused():  # as build.py runs it
        outcome = Engine(root, out, search=False, workers=1).run()
    if not outcome.ok:
        sys.exit(f"the build failed: {outcome.problems[:3]} {outcome.error}")
    return time.perf_counter() - started, time.process_time() - cpu, clock.spent


def hugo_cold(root: Path) -> float:
    hugo = hugo_binary()
    target, cache = root / "hugo-site", root / "hugo" / ".hugo-cache"
    remove(target, cache, root / "hugo" / "resources")
    command = [str(hugo), "--source", str(root / "hugo"), "--destination", str(target), "--cacheDir", str(cache)]
    started = time.perf_counter()
    subprocess.run([*command, "--quiet"], check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--tmpfs", action="store_true", help="put the corpus and outputs under /dev/shm")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    work = work_folder(args.tmpfs)
    root = work / "project"
    try:
        generate(root, args.incidents)
        shutil.copytree(HUGO_PROJECT, root / "hugo")
        hugo = [hugo_cold(root)]
        wall, cpu, spent = our_cold_build(root)
        hugo.append(hugo_cold(root))
        hugo_wall = statistics.median(hugo)
        floor = sum(spent.values())
        runs = " and ".join(f"{seconds:.2f}" for seconds in hugo)
        print(f"{args.incidents:,} incidents, {cores} cores; Hugo's cold build {runs} s")
        print()
        print("| work, one process | CPU s | ÷ cores | ÷ cores, against Hugo |")
        print("| --- | ---: | ---: | ---: |")

        def row(name: str, seconds: float) -> None:
            print(f"| {name} | {seconds:.2f} | {seconds / cores:.2f} | {seconds / cores / hugo_wall:.2f}× |")

        for kind, seconds in sorted(spent.items(), key=lambda item: -item[1]):
            row(kind, seconds)
        row("the three: the floor", floor)
        row("everything else", cpu - floor)
        row(f"the whole build (wall {wall:.2f} s in one process)", cpu)
    finally:
        keep_or_remove(work, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
