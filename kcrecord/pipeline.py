"""The pipeline, top to bottom: load, validate, assemble, render, write."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .assemble import Site, assemble
from .load import load_content
from .problems import ContentError
from .render import render_site
from .search_index import index_site
from .validate import validate
from .write import write_site


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


def check(project: Project) -> int:
    """Load and validate all content; raise ContentError listing every problem."""
    content, problems = load_content(project.root)
    problems += validate(content)
    if problems:
        raise ContentError(problems)
    return sum(len(files) for files in content.files.values())


def build(project: Project, base_url: str | None = None, commit: str = "unknown", search: bool = True) -> Site:
    """Build the whole site into project.out; nothing is written unless every file is valid."""
    content, problems = load_content(project.root)  # 1. load
    problems += validate(content)  # 2. validate
    if problems:
        raise ContentError(problems)
    site = assemble(content, base_url, commit=commit)  # 3. assemble
    outputs = render_site(site, project.templates)  # 4. render
    write_site(outputs, project.static, project.out, index_site if search else None)  # 5. write, then index
    return site
