"""Shared fixtures: a tiny project written into tmp_path, and the real site built once."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kcrecord.engine.pipeline import Project, build

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL_SITE = FIXTURES / "site"


def copy_project(source: Path, target: Path) -> Path:
    """Copy a project (site.yaml, content/) plus the repository's templates and static files."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "site.yaml", target / "site.yaml")
    if (source / "content").is_dir():
        shutil.copytree(source / "content", target / "content", dirs_exist_ok=True)
    shutil.copytree(REPO / "templates", target / "templates", dirs_exist_ok=True)
    shutil.copytree(REPO / "static", target / "static", dirs_exist_ok=True)
    return target


@pytest.fixture
def small_project(tmp_path: Path) -> Path:
    """Return a copy of the small fixture site in tmp_path."""
    return copy_project(SMALL_SITE, tmp_path / "project")


@pytest.fixture
def write_file() -> Callable[[Path, str, str], Path]:
    """Return a helper that writes dedented text to root/rel."""

    def write(root: Path, rel: str, text: str) -> Path:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the repository's real content once into a temporary folder."""
    out = tmp_path_factory.mktemp("real") / "site"
    build(Project(REPO, out))
    return out


@pytest.fixture(scope="session")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the small fixture site once into a temporary folder."""
    root = copy_project(SMALL_SITE, tmp_path_factory.mktemp("small") / "project")
    out = root / "site"
    build(Project(root, out))
    return out


@pytest.fixture(scope="session")
def real_base_url() -> str:
    """Return the base URL the real site is built with (site.yaml's base_url)."""
    import yaml

    data = yaml.safe_load((REPO / "site.yaml").read_text(encoding="utf-8"))
    return data["base_url"].rstrip("/") + "/"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Launch Debian's Chromium once; skip with an install hint when missing (fail under CI=true)."""
    from tests.standards import chromium, require_chromium

    require_chromium()
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def real_site_url(real_site: Path, real_base_url: str) -> Iterator[str]:
    """Serve the real site under its base path on 127.0.0.1 at a random port; yield its root URL."""
    from urllib.parse import urlsplit

    from tests.standards import serve

    with serve(real_site, urlsplit(real_base_url).path) as root_url:
        yield root_url


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """Open a fresh desktop-sized tab in the session's browser (a test module may define its own)."""
    from tests.standards import DESKTOP

    context = browser.new_context(viewport=DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()
