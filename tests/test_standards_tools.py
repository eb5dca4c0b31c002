"""Missing standards tools skip their tests with an install hint, except under CI=true, where they fail the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests import standards


@pytest.mark.parametrize(
    ("require", "attribute", "hint"),
    [
        (standards.require_chromium, "CHROMIUM", "install it with `apt-get install -y chromium`"),
        (standards.require_vnu, "VNU_JAR", "run `npm ci`"),
        (standards.require_axe, "AXE_JS", "run `npm ci`"),
    ],
)
def test_a_missing_tool_skips_locally_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, require: Callable[[], None], attribute: str, hint: str
) -> None:
    monkeypatch.setattr(standards, attribute, standards.REPO / "node_modules" / "no-such-tool" / "gone")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=hint.replace("`", ".").replace("(", ".")):
        require()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and .*" + hint.replace("`", ".")):
        require()


def test_missing_java_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(standards.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="java not found; install it with .apt-get install"):
        standards.require_vnu()


def test_page_types_group_pages_by_template() -> None:
    kinds = {
        rel: standards.page_type(rel)
        for rel in ["index.html", "404.html", "about/index.html", "incidents/x/index.html", "timeline/2024/index.html"]
    }
    assert kinds == {
        "index.html": "home",
        "404.html": "404",
        "about/index.html": "about",
        "incidents/x/index.html": "incidents/*",
        "timeline/2024/index.html": "timeline/*",
    }
