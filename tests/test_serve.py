"""The preview server (make serve), tested with real HTTP requests to a server on a random port."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import subprocess
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from tornado.websocket import websocket_connect

from kcrecord import cli
from kcrecord.engine.pipeline import Project
from kcrecord.preview.serve import RunningPreview, is_loopback, start_in_thread
from kcrecord.preview.site_files import content_type, inject_livereload, resolve
from tests.conftest import SMALL_SITE, copy_project

INCIDENT = "content/incidents/2024-03-05-example-shooting.md"
INCIDENT_PAGE = "/incidents/2024-03-05-example-shooting/"
PAGE_FILE = "incidents/2024-03-05-example-shooting/index.html"
PROTOCOL = "http://livereload.com/protocols/official-7"


def _serve(root: Path, search: bool = False) -> RunningPreview:
    (root.parent / "secret.txt").write_text("outside site/\n")
    (root / ".cache").mkdir(exist_ok=True)
    (root / ".cache" / "secret.txt").write_text("outside site/\n")
    return start_in_thread(Project(root, root / "site"), search=search)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPreview]:
    """Serve one copy of the small project, for the tests that only read."""
    running = _serve(copy_project(SMALL_SITE, tmp_path_factory.mktemp("serve") / "project"))
    yield running
    running.stop()


@pytest.fixture
def editable(small_project: Path) -> Iterator[RunningPreview]:
    """Serve a copy of the small project that the test edits."""
    running = _serve(small_project)
    yield running
    running.stop()


def get(server: RunningPreview, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Send one request with the path exactly as given; return status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(method, path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def wait_for(condition, seconds: float = 10.0) -> None:
    """Poll condition until it is true or fail after seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_serves_pages_with_the_livereload_client(server: RunningPreview) -> None:
    status, headers, body = get(server, INCIDENT_PAGE)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    soup = BeautifulSoup(body, "html.parser")
    assert soup.h1.get_text() == "Officer fires at man holding a knife outside a store"
    assert [s["src"] for s in soup.head.find_all("script", src=True) if "livereload" in s["src"]] == ["/livereload.js"]
    status, headers, body = get(server, "/livereload.js")
    assert status == 200 and b"LiveReload" in body


def test_links_work_at_the_root(server: RunningPreview) -> None:
    _, _, body = get(server, "/")
    soup = BeautifulSoup(body, "html.parser")
    assert soup.find("link", rel="stylesheet")["href"] == "/static/style.css"
    assert get(server, "/static/style.css")[0] == 200


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.html", "text/html; charset=utf-8"),
        ("a.css", "text/css; charset=utf-8"),
        ("a.js", "text/javascript; charset=utf-8"),
        ("a.json", "application/json; charset=utf-8"),
        ("a.xml", "application/xml; charset=utf-8"),
        ("a.csv", "text/csv; charset=utf-8"),
        ("a.geojson", "application/geo+json; charset=utf-8"),
        ("a.svg", "image/svg+xml"),
    ],
)
def test_content_types(server: RunningPreview, name: str, expected: str) -> None:
    assert content_type(Path(name)) == expected
    (server.preview.out / "types").mkdir(exist_ok=True)
    (server.preview.out / "types" / name).write_text("x")
    status, headers, _ = get(server, f"/types/{name}")
    assert (status, headers["content-type"]) == (200, expected)


def test_incident_json_is_served_as_json(server: RunningPreview) -> None:
    status, headers, body = get(server, INCIDENT_PAGE + "incident.json")
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["slug"] == "2024-03-05-example-shooting"


def test_missing_paths_get_the_site_404_page(server: RunningPreview) -> None:
    status, headers, body = get(server, "/no/such/page/")
    assert status == 404
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert BeautifulSoup(body, "html.parser").h1.get_text() == "Page not found"


def test_folders_without_a_slash_redirect(server: RunningPreview) -> None:
    status, headers, _ = get(server, INCIDENT_PAGE.rstrip("/"))
    assert status in (301, 302) and headers["location"] == INCIDENT_PAGE


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/static/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/static/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/..%2fsecret.txt",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/etc/passwd",
        "/..%5csecret.txt",
        "/%00",
    ],
)
def test_paths_cannot_leave_site(server: RunningPreview, path: str) -> None:
    status, _, body = get(server, path)
    assert status in (400, 404)
    assert b"outside site/" not in body and b"root:" not in body


def test_symlinks_pointing_outside_are_not_followed(server: RunningPreview) -> None:
    out = server.preview.out
    os.symlink(out.parent.parent / "secret.txt", out / "leak.txt")  # .cache/secret.txt
    os.symlink(out.parent.parent, out / "up")
    for path in ("/leak.txt", "/up/secret.txt"):
        status, _, body = get(server, path)
        assert status == 404 and b"outside site/" not in body


def test_resolve_keeps_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "site" / "a").mkdir(parents=True)
    assert resolve(tmp_path / "site", "/a/") == (tmp_path / "site" / "a").resolve()
    assert resolve(tmp_path / "site", "/a/%2e%2e/%2e%2e/") is None
    assert resolve(tmp_path / "site", "/%2e%2e") is None


def test_an_edit_is_rebuilt_and_served(editable: RunningPreview, small_project: Path) -> None:
    path = small_project / INCIDENT
    path.write_text(path.read_text().replace("Officer fires at man", "Officer shoots at man"), encoding="utf-8")

    def changed() -> bool:
        return b"Officer shoots at man" in get(editable, INCIDENT_PAGE)[2]

    wait_for(changed)
    wait_for(lambda: b"Officer shoots at man" in get(editable, "/timeline/")[2])  # lists follow the page itself
    wait_for(lambda: editable.preview.builder.pending == 0)


def test_invalid_content_shows_the_problems_until_fixed(editable: RunningPreview, small_project: Path) -> None:
    path = small_project / INCIDENT
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace('time: "13:50"', "time: 13:50", 1), encoding="utf-8")
    wait_for(lambda: get(editable, INCIDENT_PAGE)[0] == 500)
    status, headers, body = get(editable, "/agencies/")
    assert status == 500 and headers["content-type"] == "text/html; charset=utf-8"
    soup = BeautifulSoup(body, "html.parser")
    rows = [[cell.get_text() for cell in row.find_all("td")] for row in soup.select("tr.problem")]
    assert len(rows) == 1
    assert rows[0][:3] == [INCIDENT, "6", "time"]
    assert "write the time in quotes" in rows[0][3]
    assert soup.find("script", src="/livereload.js") is not None
    assert get(editable, "/static/style.css")[0] == 200  # non-HTML files are still served
    assert editable.thread.is_alive()
    path.write_text(good, encoding="utf-8")
    wait_for(lambda: get(editable, INCIDENT_PAGE)[0] == 200)


def test_a_template_error_is_shown_not_raised(editable: RunningPreview, small_project: Path) -> None:
    path = small_project / "templates" / "page.html"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("{{ page.meta.title }}", "{{ page.meta.title "), encoding="utf-8")
    wait_for(lambda: get(editable, "/about/")[0] == 500)
    soup = BeautifulSoup(get(editable, "/about/")[2], "html.parser")
    assert soup.select_one("pre.template-error").get_text().startswith("templates/page.html:")
    path.write_text(good, encoding="utf-8")
    wait_for(lambda: get(editable, "/about/")[0] == 200)


def test_head_requests_send_no_body(server: RunningPreview) -> None:
    status, headers, body = get(server, "/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0


def test_loopback_hosts() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0")


def _in_thread(coroutine: Coroutine) -> Any:
    """Run a coroutine on its own event loop in another thread (Playwright may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _livereload_client(port: int, page_url: str, wait: float) -> tuple[dict, dict | None]:
    """Say hello and info like livereload.js; return the server's hello and the next message, if any."""
    connection = await websocket_connect(f"ws://127.0.0.1:{port}/livereload")
    await connection.write_message(json.dumps({"command": "hello", "protocols": [PROTOCOL]}))
    hello = json.loads(await connection.read_message())
    await connection.write_message(json.dumps({"command": "info", "url": page_url, "plugins": {}}))
    try:
        message = json.loads(await asyncio.wait_for(connection.read_message(), wait))
    except TimeoutError:
        message = None
    connection.close()
    return hello, message


def test_a_page_that_connects_late_catches_up(editable: RunningPreview, small_project: Path) -> None:
    get(editable, INCIDENT_PAGE)  # served before the edit; its socket is not open yet
    path = small_project / INCIDENT
    path.write_text(path.read_text().replace("Officer fires at man", "Officer shoots at man"), encoding="utf-8")
    wait_for(lambda: b"Officer shoots at man" in (editable.preview.out / PAGE_FILE).read_bytes())
    hello, message = _in_thread(_livereload_client(editable.port, editable.url + INCIDENT_PAGE[1:], 5))
    assert hello["protocols"] == [PROTOCOL]
    assert message is not None and message["command"] == "reload"
    get(editable, INCIDENT_PAGE)  # now up to date: no reload
    _, message = _in_thread(_livereload_client(editable.port, editable.url + INCIDENT_PAGE[1:], 0.5))
    assert message is None


def test_a_deleted_incident_is_removed_from_the_preview(editable: RunningPreview, small_project: Path) -> None:
    other = "/incidents/2023-07-01-example-vehicle/"
    assert get(editable, other)[0] == 200
    (small_project / "content/incidents/2023-07-01-example-vehicle.md").unlink()
    wait_for(lambda: get(editable, other)[0] == 404)
    wait_for(lambda: editable.preview.builder.pending == 0)
    assert b"2023-07-01-example-vehicle" not in get(editable, "/timeline/")[2]


def test_the_preview_serves_its_own_folder_not_site(editable: RunningPreview, small_project: Path) -> None:
    assert editable.preview.out == small_project / ".cache" / "preview" / "site"
    assert not (small_project / "site").exists()
    assert get(editable, INCIDENT_PAGE)[0] == 200


def _git(root: Path, *args: str) -> None:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run([*command, *args], cwd=root, check=True, capture_output=True)


def test_preview_stamps_the_same_commit_as_make_site(small_project: Path) -> None:
    _git(small_project, "init", "-q")
    _git(small_project, "add", "-A")
    _git(small_project, "commit", "-q", "-m", "fixture")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=small_project, capture_output=True, text=True)
    commit = head.stdout.strip()
    running = start_in_thread(Project(small_project, small_project / "site"), search=False)
    try:
        # make site, for the address the preview is served at (the pages' links depend on it)
        assert (
            cli.main(["--root", str(small_project), "build", "--quiet", "--no-search", "--base-url", running.url]) == 0
        )
        made = (small_project / "site" / "data" / "index.html").read_bytes()
        assert commit.encode() in made
        status, _, body = get(running, "/data/")
        assert status == 200
        assert inject_livereload(made) == body
    finally:
        running.stop()


def test_preview_never_replaces_site(small_project: Path) -> None:
    assert cli.main(["--root", str(small_project), "build", "--quiet"]) == 0
    site = small_project / "site"
    assert (site / "pagefind").is_dir()
    before = {
        p.relative_to(site).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in site.rglob("*") if p.is_file()
    }
    running = start_in_thread(Project(small_project, site), search=True)
    try:
        assert running.preview.search is not None and running.preview.search.wait(60)
        assert running.preview.search.error == ""
        assert (running.preview.out / "pagefind" / "pagefind.js").is_file()
        assert get(running, "/pagefind/pagefind.js")[0] == 200  # the preview's /search/ has its own index
        path = small_project / INCIDENT
        path.write_text(path.read_text().replace("Officer fires at man", "Officer shoots at man"), encoding="utf-8")
        wait_for(lambda: b"Officer shoots at man" in get(running, "/timeline/")[2])
        wait_for(lambda: running.preview.builder.pending == 0)
        # The refresh is asked for once the update is shown, a moment after pending drops to 0: wait for it.
        wait_for(lambda: running.preview.search.runs >= 2, seconds=60)  # indexed again after the edit
        assert running.preview.search.wait(60)
    finally:
        running.stop()
    after = {
        p.relative_to(site).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in site.rglob("*") if p.is_file()
    }
    assert after == before
