"""Shared fixtures: a tiny project written into tmp_path, and the real site built once."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from kcrecord.pipeline import Project, build

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
