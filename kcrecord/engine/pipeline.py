"""The pipeline, top to bottom: load, validate, assemble, render, write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kcrecord.content.assemble import Site, assemble
from kcrecord.content.history import read_history
from kcrecord.content.load import KINDS, Content, load_content, read_source
from kcrecord.content.problems import ContentError, Problem
from kcrecord.content.validate import base_url_problem, validate
from kcrecord.engine.progress import Progress, counting, stage
from kcrecord.engine.write import check_target, write_site
from kcrecord.outputs.render import render_site
from kcrecord.outputs.search_index import index_site


@dataclass(frozen=True)
class Project:
    """Where a build reads from and writes to."""

    root: Path
    out: Path

    @property
    def templates(self) -> Path:
        """Return the templates folder."""
        return self.root / "templates"

    @property
    def static(self) -> Path:
        """Return the static files folder."""
        return self.root / "static"


def _load(project: Project, progress: Progress | None) -> tuple[Content, list[Problem]]:
    """Load all content, showing how many files are read on a terminal."""
    total = sum(1 for kind in KINDS for _ in (project.root / "content" / kind).rglob("*.md"))
    with stage(progress, "Reading content", total) as advance:
        return load_content(project.root, counting(read_source, advance))


def check(project: Project, progress: Progress | None = None) -> int:
    """Load and validate all content; raise ContentError listing every problem."""
    content, problems = _load(project, progress)
    with stage(progress, "Checking"):
        problems += validate(content)
    if problems:
        raise ContentError(problems)
    return sum(len(files) for files in content.files.values())


def build(
    project: Project,
    base_url: str | None = None,
    commit: str = "unknown",
    search: bool = True,
    progress: Progress | None = None,
) -> Site:
    """Build the whole site into project.out; nothing is written unless every file is valid.

    progress shows each stage on a terminal (kcrecord/engine/progress.py); without it the build shows nothing.
    """
    check_target(project.out, project.root)  # refuse an output folder the build may not replace, first
    if base_url is not None:  # configure-pages gives it without the final '/', which assemble adds
        problem = base_url_problem(base_url.rstrip("/") + "/")
        if problem is not None:
            raise ContentError([Problem("command line", 1, "--base-url", problem)])
    content, problems = _load(project, progress)  # 1. load
    with stage(progress, "Checking"):
        problems += validate(content)  # 2. validate
    if problems:
        raise ContentError(problems)
    with stage(progress, "Assembling"):
        site = assemble(content, base_url, commit=commit, history=read_history(project.root))  # 3. assemble
    outputs = render_site(site, project.templates, progress)  # 4. render
    with stage(progress, "Writing"):
        indexer = _indexer(progress) if search else None
        write_site(outputs, project.static, project.out, indexer, project.root)  # 5. write, then index
    return site


def _indexer(progress: Progress | None) -> Callable[[Path], None]:
    """Return index_site, shown as its own stage."""

    def index(folder: Path) -> None:
        with stage(progress, "Indexing for search"):
            index_site(folder)

    return index
