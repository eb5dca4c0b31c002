"""Time every hostile input of tests/hostile_corpus.py, and the worst inputs the limits still accept.

Each case runs `build.py build` on a copy of the small fixture project in a child process;
the table gives the wall time, the child's peak memory and the exit status. The issue asks
for every bad input to end in under 10 s and 300 MB. The "at the limit" rows are accepted
inputs shaped like the slow ones, as large as the limits in kcrecord/content/body_limits.py allow:
they show what the limits buy.

    .venv/bin/python -m benchmarks.bench_hostile
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kcrecord.content.body_limits import (
    MAX_BRACKETS_PER_FILE,
    MAX_BRACKETS_PER_PARAGRAPH,
    MAX_LINES_PER_FILE,
    MAX_LINES_PER_PARAGRAPH,
    MAX_PUNCTUATION_PER_FILE,
    MAX_PUNCTUATION_PER_PARAGRAPH,
)
from kcrecord.content.load import MAX_FILE_BYTES
from tests.conftest import SMALL_SITE, copy_project
from tests.hostile_corpus import CASES, INCIDENT, Case

REPO = Path(__file__).resolve().parent.parent
# The child's own peak (VmHWM): ru_maxrss would carry over the benchmark's own peak through exec.
MEASURE = (
    "import sys\n"
    "from kcrecord.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
    "print('peak', hwm.split()[1], file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _body(text: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        path = root / INCIDENT
        path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")

    return make


def _spread(unit: str, per_paragraph: int, total: int) -> str:
    """Paragraphs of unit, each with per_paragraph copies, as many as total allows."""
    return ("\n\n".join([unit * per_paragraph] * max(1, total // per_paragraph))) + "\n"


PARAGRAPHS = MAX_PUNCTUATION_PER_FILE // MAX_PUNCTUATION_PER_PARAGRAPH
AT_THE_LIMIT = [
    Case("at the limit: '[^' in one paragraph", _body("[^" * MAX_BRACKETS_PER_PARAGRAPH), ()),
    Case("at the limit: '[a](' in paragraphs", _body(_spread("[a](", 600, MAX_BRACKETS_PER_FILE)), ()),
    Case("at the limit: '[a][' in one paragraph", _body("[a][" * (MAX_BRACKETS_PER_PARAGRAPH // 2)), ()),
    Case("at the limit: '*a' in paragraphs", _body(_spread("*a", 2_300, MAX_PUNCTUATION_PER_FILE - 1_000)), ()),
    Case("at the limit: smart quotes", _body(_spread("\"'", 1_150, (MAX_PUNCTUATION_PER_FILE - 1_000) // 2)), ()),
    Case("at the limit: '&amp;' runs", _body(_spread("&amp;", 1_150, (MAX_PUNCTUATION_PER_FILE - 1_000) // 2)), ()),
    Case("at the limit: backslashes", _body(_spread("\\", 2_300, MAX_PUNCTUATION_PER_FILE - 1_000)), ()),
    Case(
        "at the limit: hard line breaks",
        _body(_spread("a  \n", MAX_LINES_PER_PARAGRAPH - 1, MAX_LINES_PER_FILE - 20)),
        (),
    ),
    Case("at the limit: setext headings", _body(_spread("a\n=\n", 120, (MAX_LINES_PER_FILE - 40) // 2)), ()),
    Case("at the limit: headings", _body(_spread("# h\n", MAX_LINES_PER_PARAGRAPH - 1, MAX_LINES_PER_FILE - 20)), ()),
    Case("at the limit: flat list", _body(_spread("- a\n", MAX_LINES_PER_PARAGRAPH - 1, MAX_LINES_PER_FILE - 20)), ()),
    Case("at the limit: table", _body(_spread("|a|b|c|d|e|\n", 200, MAX_LINES_PER_FILE - 20)), ()),
    Case("at the limit: 12 nested quotes", _body(">" * 12 + " text"), ()),
    Case("at the limit: a file of plain text", _body("word " * ((MAX_FILE_BYTES - 4096) // 5)), ()),
]


def run(case: Case, work: Path) -> tuple[float, float, int]:
    """Return (seconds, peak MB, exit status) of one build of the case."""
    root = copy_project(SMALL_SITE, work / "project")
    case.make(root)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-c", MEASURE, "--root", str(root), "build", "--out", str(work / "site")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    peak = next((int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak ")), 0)
    return seconds, peak / 1024, done.returncode


def main() -> None:
    """Print one row per case."""
    print(f"{'case':55} {'seconds':>8} {'peak MB':>8} {'exit':>5}")
    worst_time = worst_memory = 0.0
    for case in CASES + AT_THE_LIMIT:
        work = Path(tempfile.mkdtemp(prefix="bench-hostile-"))
        try:
            seconds, peak, code = run(case, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        worst_time, worst_memory = max(worst_time, seconds), max(worst_memory, peak)
        print(f"{case.name:55} {seconds:8.2f} {peak:8.0f} {code:5}", flush=True)
    print(f"worst: {worst_time:.2f} s, {worst_memory:.0f} MB")


if __name__ == "__main__":
    main()
