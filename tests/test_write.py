"""The write stage: the output folder brought up to date in place; failures leave site/ as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.engine.output import OutputFolder
from kcrecord.engine.write import MARKER, MARKER_TEXT


def test_write_replaces_the_folder_whole(tmp_path: Path) -> None:
    target = tmp_path / "site"
    (target / "stale").mkdir(parents=True)
    (target / "stale" / "old.html").write_text("old")
    (target / MARKER).write_bytes(MARKER_TEXT)  # a site this tool built
    folder = OutputFolder(target, {})
    folder.prepare()
    folder.put("index.html", b"new")
    assert folder.commit({"index.html"}) == ["index.html", "stale/old.html"]
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [MARKER, "index.html"]
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging folders left behind


def test_template_error_leaves_site_untouched(small_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--root", str(small_project)]) == 0
    before = (small_project / "site" / "index.html").read_bytes()
    template = small_project / "templates" / "home.html"
    template.write_text(template.read_text().replace("{{ config.description }}", "{{ config.no_such_setting }}"))
    assert cli.main(["--root", str(small_project)]) == 1
    err = capsys.readouterr().err
    assert "no_such_setting" in err and "Traceback" not in err
    assert (small_project / "site" / "index.html").read_bytes() == before
    assert sorted(p.name for p in small_project.iterdir() if p.name.startswith(".site")) == []
