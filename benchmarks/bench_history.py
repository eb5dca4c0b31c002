"""Benchmark reading every record's history from git at scale (a script, not a test).

    .venv/bin/python benchmarks/bench_history.py [--incidents 10000] [--commits 5000]

Writes a git repository with `git fast-import` (fast: no work tree): one commit adding N
incident files, then C commits each changing a few of them (every 50th renames one), dated a
day apart. Then times kcrecord.content.history.read_history on it, the one `git log` a build runs, and
reports the files and changes it found.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kcrecord.content.history import read_history  # noqa: E402

START = 1_700_000_000  # seconds since 1970, the first commit's date


def _data(text: str) -> str:
    raw = text.encode()
    return f"data {len(raw)}\n{text}"


def fast_import_stream(incidents: int, commits: int, seed: int = 1) -> str:
    """Return a fast-import stream: N files added, then C commits changing 1-4 files each."""
    rng = random.Random(seed)
    names = [f"content/incidents/2020-01-01-place-{n}.md" for n in range(incidents)]
    out = []

    def commit(number: int, message: str, changes: list[str]) -> None:
        when = START + number * 86_400
        out.append("commit refs/heads/main")
        out.append(f"committer Bench <bench@example.org> {when} +0000")
        out.append(_data(message))
        out.extend(changes)

    commit(0, "Add the records\n", [f"M 100644 inline {name}\n" + _data(f"record {name}\n") for name in names])
    for number in range(1, commits + 1):
        changes = []
        if number % 50 == 0:
            index = rng.randrange(incidents)
            new = names[index].replace(".md", f"-r{number}.md")
            changes.append(f"R {names[index]} {new}")
            names[index] = new
        else:
            for name in rng.sample(names, rng.randint(1, 4)):
                changes.append(f"M 100644 inline {name}\n" + _data(f"{name} changed in {number}\n"))
        commit(number, f"Change {number}: corrections to a few records\n", changes)
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
        started = time.perf_counter()
        stream = fast_import_stream(args.incidents, args.commits)
        subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input=stream.encode(), check=True)
        subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard", "main"], check=True)  # a checkout
        seconds = time.perf_counter() - started
        print(f"wrote {args.incidents:,} files and {args.commits + 1:,} commits in {seconds:.1f} s")
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            history = read_history(root)
            timings.append(time.perf_counter() - started)
        changes = sum(len(found) for found in history.values())
        print(f"read_history: {len(history):,} files, {changes:,} changes; best of 3: {min(timings):.2f} s")


if __name__ == "__main__":
    main()
