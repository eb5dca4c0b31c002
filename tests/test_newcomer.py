"""The small stumbles of someone new: the README's commands, make help, and messages that say what happened."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.content.problems import Problem
from kcrecord.engine.engine import Outcome
from kcrecord.engine.pipeline import Project
from kcrecord.preview.session import Preview
from tests.conftest import REPO

BAD_PRECISION = """---
title: Officer fires at a car
date: 2024-05-01
location: {city: Example, state: MO, precision: plac}
types: [police-shooting]
agencies:
  - {id: example-pd, role: involved}
sources:
  - {id: gazette-2024-05-02, publisher: Example Gazette, title: Shots fired, published: 2024-05-02}
updated: 2024-05-02
---
Police say an officer fired.[^gazette-2024-05-02]
"""


def test_the_readme_installs_the_checkers_as_ci_does() -> None:
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    [npm] = [shlex.split(line)[:3] for line in run.splitlines() if line.startswith("npm ci")]
    assert npm == ["npm", "ci", "--ignore-scripts"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"`(npm ci[^`]*)`", readme) == ["npm ci --ignore-scripts"]


def make_targets() -> list[str]:
    """Return the Makefile's targets in order, not counting the venv stamp."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return re.findall(r"^([a-z][a-z0-9-]*):", text, flags=re.MULTILINE)


def test_make_help_lists_every_target_with_one_line_each() -> None:
    shown = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    listed = [line.split()[1] for line in lines]
    assert listed == make_targets()
    assert all(line.startswith("make ") and len(line.split(None, 2)) == 3 for line in lines), lines
    assert make_targets()[0] == "site"  # a bare `make` builds the site, as the README's first command does


def test_check_does_not_claim_to_have_skipped_a_build(small_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (small_project / "content" / "incidents" / "2024-05-01-car.md").write_text(BAD_PRECISION, encoding="utf-8")
    assert cli.main(["--root", str(small_project), "check"]) == 1
    checked = capsys.readouterr().err.splitlines()
    assert checked[-1] == "1 problem in 1 file; check again after fixing."
    assert cli.main(["--root", str(small_project), "build"]) == 1
    built = capsys.readouterr().err.splitlines()
    assert built[:-1] == checked[:-1]
    assert built[-1] == "1 problem in 1 file; nothing was built, site/ is unchanged."


@pytest.mark.parametrize(
    ("written", "said"), [(1, "wrote 1 file in"), (2, "wrote 2 files in"), (0, "wrote 0 files in")]
)
def test_the_preview_counts_files_in_words_that_agree(small_project: Path, written: int, said: str) -> None:
    lines: list[str] = []
    preview = Preview(Project(small_project, small_project / "site"), "http://127.0.0.1:8000/", None, lines.append)
    outcome = Outcome(False, rendered_paths=["a", "b"], written=[f"page-{n}.html" for n in range(written)])
    preview._report(outcome, {small_project / "content" / "incidents" / "x.md"})
    assert lines == [f"content/incidents/x.md: rendered 2, {said} 0.000 s."]


def test_the_preview_says_where_problems_are_shown(small_project: Path) -> None:
    lines: list[str] = []
    preview = Preview(Project(small_project, small_project / "site"), "http://127.0.0.1:8000/", None, lines.append)
    problem = Problem("content/incidents/x.md", 3, "date", "expected YYYY-MM-DD")
    preview._report(Outcome(False, problems=[problem]), set())
    assert lines == [f"{problem}\n1 problem in 1 file; the browser shows them until they are fixed."]
