"""make serve in a real browser: an edit shows up without a manual reload, broken YAML shows the file and
line, and the fixed page comes back (Playwright driving Debian's Chromium, the session's shared browser)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kcrecord.engine.pipeline import Project
from kcrecord.preview.serve import RunningPreview, start_in_thread

INCIDENT = "content/incidents/2024-03-05-example-shooting.md"
PAGE = "incidents/2024-03-05-example-shooting/"
WAIT_MS = 20_000
HEADING_SAYS = "(text) => (document.querySelector('h1') || {}).textContent?.startsWith(text)"


@pytest.fixture
def server(small_project: Path) -> Iterator[RunningPreview]:
    """Serve a copy of the small project that the test edits."""
    running = start_in_thread(Project(small_project, small_project / "site"), search=False)
    yield running
    running.stop()


def test_edit_break_and_fix_in_the_browser(browser: Any, server: RunningPreview, small_project: Path) -> None:
    path = small_project / INCIDENT
    good = path.read_text(encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(server.url + PAGE)
        assert page.locator("h1").inner_text() == "Officer fires at man holding a knife outside a store"
        _wait_connected(server)
        page.evaluate("window.notReloaded = true")

        path.write_text(good.replace("Officer fires at man", "Officer shoots at man", 1), encoding="utf-8")
        page.wait_for_function(HEADING_SAYS, arg="Officer shoots", timeout=WAIT_MS)
        assert page.evaluate("window.notReloaded === undefined")  # the page reloaded by itself

        path.write_text(good.replace('time: "13:50"', "time: 13:50", 1), encoding="utf-8")
        page.wait_for_selector("tr.problem", timeout=WAIT_MS)
        cells = page.locator("tr.problem").first.locator("td").all_inner_texts()
        assert cells[:3] == [INCIDENT, "6", "time"]
        assert "write the time in quotes" in cells[3]

        path.write_text(good, encoding="utf-8")
        page.wait_for_function(HEADING_SAYS, arg="Officer fires", timeout=WAIT_MS)
        assert page.locator("tr.problem").count() == 0
    finally:
        page.close()


def _wait_connected(server: RunningPreview) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while not server.preview.sockets:
        assert time.monotonic() < deadline, "the page never connected to the livereload socket"
        time.sleep(0.05)
