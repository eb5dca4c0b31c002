"""Import the Washington Post Fatal Force data (every row, or --area) into a scratch project and build it.

Prints the import time, the build time, the page count and the peak memory. Needs the dataset
(default: ../shared/data/wapo/, see --data-dir); never touches the working tree's content/ or site/.

    .venv/bin/python -m benchmarks.bench_wapo_import [--area] [--keep] [--profile] [--no-search]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import resource
import shutil
import tempfile
import time
from pathlib import Path

from kcrecord.engine.pipeline import Project, build
from kcrecord.importers.wapo import Options, run_import

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO.parent / "shared" / "data" / "wapo"


def peak_mb() -> float:
    """Return this process's peak resident memory in MB (ru_maxrss is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scratch_project(root: Path) -> Path:
    """Copy site.yaml, templates, static, pages and the agency map into an empty project."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    for folder in ("templates", "static", "imports"):
        shutil.copytree(REPO / folder, root / folder)
    shutil.copytree(REPO / "content" / "pages", root / "content" / "pages")
    return root


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--keep", action="store_true", help="keep the scratch project and print where it is")
    parser.add_argument("--profile", action="store_true", help="profile the build and print the top functions")
    parser.add_argument("--no-search", action="store_true", help="build without the search index")
    parser.add_argument("--area", action="store_true", help="import only the Kansas City area (default: every row)")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-wapo-"))
    try:
        root = scratch_project(scratch / "project")
        options = Options(
            data=args.data_dir / "fatal-police-shootings-data.csv",
            agencies=args.data_dir / "fatal-police-shootings-agencies.csv",
            content=root / "content",
            agency_map=root / "imports" / "wapo-agencies.csv",
            dataset_version=dt.date(2022, 12, 23),
            area=args.area,
        )
        started = time.perf_counter()
        report = run_import(options)
        import_seconds = time.perf_counter() - started
        import_peak = peak_mb()
        for line in report.problems:
            print(line)
        print(report.lines()[-2])
        print(report.lines()[-1])
        started = time.perf_counter()
        report_again = run_import(options)
        again_seconds = time.perf_counter() - started
        project = Project(root, root / "site")
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        site = build(project, search=not args.no_search).site
        if profiler:
            profiler.disable()
        build_seconds = time.perf_counter() - started
        pages = sum(1 for _ in project.out.rglob("*.html"))
        size = sum(p.stat().st_size for p in project.out.rglob("*") if p.is_file()) / 1e6
        print(f"import: {import_seconds:.2f} s for {report.rows} rows ({len(report.created)} incidents written)")
        print(
            f"second import: {again_seconds:.2f} s, {len(report_again.unchanged)} unchanged, "
            f"{len(report_again.created) + len(report_again.updated)} written"
        )
        print(
            f"build: {build_seconds:.2f} s, {len(site.incidents)} incidents, {len(site.agencies)} agencies, "
            f"{pages} HTML pages, {size:.0f} MB"
        )
        print(f"peak memory: {import_peak:.0f} MB after the import, {peak_mb():.0f} MB after the build")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    finally:
        if args.keep:
            print(f"scratch project kept in {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
