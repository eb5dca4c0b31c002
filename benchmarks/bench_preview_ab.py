"""The preview's edit-to-every-output time, this checkout against another commit, alternated (a script, not a test).

    .venv/bin/python benchmarks/bench_preview_ab.py --against <commit> [--incidents 10000] [--edits 12]
        [--rounds 3] [--edit title|body] [--tmpfs]

This machine's timings drift by 10-20 % within an hour, more than most changes to the preview
move them, so a figure is only worth comparing with one taken beside it. This generates one
corpus (benchmarks/corpus.py) and a copy of it, checks the other commit out in a git worktree, and
then, round after round, runs each checkout in a process of its own on its own copy: the
preview's first build (its cache folder is the copy's own, kept between rounds), then `--edits`
single-incident edits, each timed as bench_incremental.py times it (PreviewBuilder.update, then
start_ahead and finish; the cycle collector's pass after each edit is not timed). Each run prints
the median of its edits but the first (the first edit after a build fills what later ones reuse);
the last lines give each checkout's medians side by side.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000/"
EDITS = {"title": ("Officer fires", "Officer shoots"), "body": ("afternoon", "evening")}


def child(checkout: str, root: str, edits: int, edit: str) -> None:
    """Time the preview in this process with the kcrecord of checkout; print one JSON line."""
    sys.path.insert(0, checkout)
    from kcrecord.engine.allocator import fix_mmap_threshold  # noqa: PLC0415 - the checkout's own, once on the path
    from kcrecord.preview.builder import PreviewBuilder  # noqa: PLC0415

    fix_mmap_threshold()  # as make serve does (kcrecord/cli.py)
    project = Path(root)
    builder = PreviewBuilder(project, BASE)
    built = builder.build()
    assert built.ok, getattr(built, "problems", None)
    paths = sorted((project / "content" / "incidents").glob("*.md"))
    old, new = EDITS[edit]
    times, made = [], []
    for index in range(edits):
        path = paths[(index * 7919) % len(paths)]
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(old, new, 1) if old in text else text.replace(new, old, 1), encoding="utf-8")
        started = time.perf_counter()
        quick = builder.update({path})
        builder.start_ahead()
        rest = builder.finish()
        times.append(time.perf_counter() - started)
        assert quick.ok and rest.ok and not builder.pending, (quick, rest)
        made.append(quick.rendered + rest.rendered)
        builder.collect()
    print(json.dumps({"times": times, "made": made}))


def run(checkout: Path, root: Path, edits: int, edit: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(checkout), str(root), str(edits), edit],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{checkout} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", required=True, help="the commit to compare with (any git revision)")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--edit", choices=sorted(EDITS), default="title")
    parser.add_argument("--tmpfs", action="store_true", help="work under /dev/shm (no disk noise)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from benchmarks.corpus import generate  # noqa: PLC0415 - after the path is set

    work = Path(tempfile.mkdtemp(prefix="bench-preview-ab-", dir="/dev/shm" if args.tmpfs else None))
    other = work / "against"
    try:
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(other), args.against], check=True)
        generate(work / "this", args.incidents)
        shutil.copytree(work / "this", work / "other")
        checkouts = {"this": (REPO, work / "this"), args.against: (other, work / "other")}
        medians: dict[str, list[float]] = {label: [] for label in checkouts}
        for round_number in range(1, args.rounds + 1):
            for label in sorted(checkouts, key=lambda name: name == "this"):  # the other commit first
                checkout, root = checkouts[label]
                found = run(checkout, root, args.edits, args.edit)
                median = statistics.median(found["times"][1:]) * 1000
                medians[label].append(median)
                each = " ".join(f"{seconds * 1000:.0f}" for seconds in found["times"])
                print(f"round {round_number}, {label}: median {median:.0f} ms ({each}; outputs made {found['made']})")
        for label, found in medians.items():
            print(f"{label}: medians {', '.join(f'{m:.0f}' for m in found)} ms")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(other)], check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
