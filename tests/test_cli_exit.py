"""How build.py ends: at once after a build, quietly when its output is closed, as usual under a profiler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kcrecord.cli import CLOSED_OUTPUT

BUILD = Path(__file__).resolve().parents[1] / "build.py"


def _run(args: list[str], unbuffered: bool, close_output: bool = False) -> tuple[int, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    if close_output:
        process.stdout.close()  # whoever read the output went away
    errors = process.stderr.read().decode()
    return process.wait(), errors


@pytest.mark.parametrize("unbuffered", [False, True])
def test_a_build_whose_output_is_closed_is_built_and_says_nothing_false(small_project: Path, unbuffered: bool) -> None:
    status, errors = _run(
        [sys.executable, str(BUILD), "--root", str(small_project), "build", "--no-search", "--quiet"],
        unbuffered,
        close_output=True,
    )
    assert status == CLOSED_OUTPUT and "could not" not in errors and "Traceback" not in errors, errors
    assert (small_project / "site" / "index.html").is_file()


def test_a_build_under_a_profiler_ends_as_usual_and_the_profile_is_written(small_project: Path) -> None:
    profile = small_project / "build.prof"
    args = [sys.executable, "-m", "cProfile", "-o", str(profile), str(BUILD), "--root", str(small_project)]
    status, errors = _run([*args, "build", "--no-search", "--quiet"], unbuffered=False)
    assert status == 0, errors
    assert profile.is_file() and profile.stat().st_size > 0
