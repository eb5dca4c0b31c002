"""Progress on long work: stages, counts and rates on a terminal; nothing off a terminal or with --quiet."""

from __future__ import annotations

import csv
import io
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.engine.progress import Progress, counting, stage, tracked
from tests.conftest import REPO, SMALL_SITE, copy_project
from tests.record_factory import generated_project

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_a_terminal(args: list[str], status: int | None = 0) -> str:
    """Run build.py with standard output and error on a pseudo-terminal; return what it showed, without colours."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    command = [sys.executable, str(REPO / "build.py"), *args]
    process = subprocess.Popen(command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, cwd=REPO)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    returned = process.wait(timeout=120)
    assert status is None or returned == status, shown.decode(errors="replace")
    return ESCAPES.sub("", shown.decode("utf-8", errors="replace")).replace("\r", "\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a project with the small site plus 40 generated incidents (45 content files)."""
    return generated_project(tmp_path_factory.mktemp("progress") / "project", 40)


def content_files(root: Path) -> int:
    """Return how many Markdown files the project's content has."""
    return sum(1 for _ in (root / "content").rglob("*.md"))


def test_a_build_on_a_terminal_shows_each_stage_with_its_count_and_rate(project: Path, tmp_path: Path) -> None:
    shown = on_a_terminal(["--root", str(project), "build", "--out", str(tmp_path / "site")])
    total = content_files(project)
    for name in ("Reading content", "Checking", "Assembling", "Rendering", "Writing", "Indexing for search"):
        assert name in shown, name
    assert re.search(rf"Reading content .* {total}/{total} files, [\d,]+ files/s", shown), shown
    done, of = re.findall(r"Rendering .* (\d+)/(\d+) files, [\d,]+ files/s", shown)[-1]  # the last frame drawn
    assert done == of and int(done) > 2 * total
    assert shown.strip().splitlines()[-1].startswith("Built 42 incidents")


def test_quiet_on_a_terminal_shows_only_the_result(project: Path, tmp_path: Path) -> None:
    shown = on_a_terminal(["--root", str(project), "build", "--quiet", "--out", str(tmp_path / "site")])
    assert shown.strip().startswith("Built 42 incidents") and len(shown.strip().splitlines()) == 1, shown
    shown = on_a_terminal(["--root", str(project), "check", "--quiet"])
    assert shown.strip() == f"{content_files(project)} files checked, no problems found."


def test_off_a_terminal_a_build_prints_only_its_result(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--root", str(project), "build", "--out", str(tmp_path / "site")]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("Built 42 incidents") and out.count("\n") == 1
    assert cli.main(["--root", str(project), "check"]) == 0
    assert capsys.readouterr() == (f"{content_files(project)} files checked, no problems found.\n", "")


def test_a_disabled_progress_counts_nothing_and_a_counted_function_still_returns() -> None:
    calls = []
    with stage(None, "Anything", 3) as advance:
        double = counting(lambda n: 2 * n, advance)
        assert [double(n) for n in range(3)] == [0, 2, 4]
    with Progress(False).stage("Anything") as advance:
        counting(calls.append, advance)(1)
    assert calls == [1]
    assert not Progress.for_terminal(stream=io.StringIO()).enabled  # not a terminal


def wapo_project(root: Path) -> Path:
    """Return a copy of the small project ready for `import wapo` (the repository's site.yaml, an agency map)."""
    project = copy_project(SMALL_SITE, root)
    shutil.copy(REPO / "site.yaml", project / "site.yaml")
    (project / "imports").mkdir()
    (project / "imports" / "wapo-agencies.csv").write_text("wapo_id,agency,wapo_name\n", encoding="utf-8")
    return project


def test_an_import_on_a_terminal_counts_its_rows_and_off_one_prints_only_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wapo = REPO / "tests" / "fixtures" / "wapo"
    command = ["import", "wapo", str(wapo / "fatal-police-shootings-data.csv")]
    command += ["--agencies", str(wapo / "fatal-police-shootings-agencies.csv"), "--city", "Kansas City"]
    rows = sum(1 for _ in csv.DictReader((wapo / "fatal-police-shootings-data.csv").open(encoding="utf-8")))
    shown = on_a_terminal(["--root", str(wapo_project(tmp_path / "a")), *command], status=None)
    assert "Reading the record" in shown
    assert re.findall(r"Importing rows .* (\d+)/(\d+) rows, [\d,]+ rows/s", shown)[-1] == (str(rows), str(rows))
    quiet = on_a_terminal(["--root", str(wapo_project(tmp_path / "b")), *command, "--quiet"], status=None)
    cli.main(["--root", str(wapo_project(tmp_path / "c")), *command])
    out, err = capsys.readouterr()
    assert err == "" and "rows/s" not in out and "━" not in out
    assert quiet.replace("\n\n", "\n").replace(str(tmp_path / "b"), "") == out.replace(str(tmp_path / "c"), "")


def test_tracked_yields_every_item_and_counts_each_even_when_the_loop_skips_ahead() -> None:
    seen = []
    for n in tracked(None, "Anything", [1, 2, 3, 4]):
        if n % 2:
            continue
        seen.append(n)
    assert seen == [2, 4]
    progress = Progress(True, io.StringIO())
    with progress:
        items = list(tracked(progress, "Counting", ["a", "b", "c"], "rows"))
        task = progress._started().tasks[0]
        assert items == ["a", "b", "c"] and (task.completed, task.total, task.finished) == (3, 3, True)
