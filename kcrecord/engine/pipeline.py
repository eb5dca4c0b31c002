"""The commands' entry points into the one engine (kcrecord/engine/engine.py): check and build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kcrecord.content.assemble import Site
from kcrecord.content.problems import ContentError
from kcrecord.engine.engine import Engine, raise_problems
from kcrecord.engine.progress import Progress
from kcrecord.engine.write import check_target


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

    @property
    def cache(self) -> Path:
        """Return the cache folder (gitignored): parsed files, rendered Markdown, what each output read."""
        return self.root / ".cache"


def check(project: Project, progress: Progress | None = None) -> int:
    """Load and validate all content; raise ContentError listing every problem; return the number of files."""
    engine = Engine(project.root, project.out, progress=progress)  # writes nothing, not even the cache
    content, problems = engine.load()
    problems += engine.check(content)
    if problems:
        raise ContentError(sorted(set(problems)))
    return sum(len(files) for files in content.files.values())


def build(
    project: Project,
    base_url: str | None = None,
    search: bool = True,
    progress: Progress | None = None,
    cache: bool = False,
    workers: int | None = None,
    commit: str | None = None,
) -> Site:
    """Bring project.out up to date; nothing is written unless every file is valid.

    With cache (build.py build, unless --no-cache), what the build made is kept in the project's .cache/
    folder and the next build makes only what changed; without, the build starts cold and keeps nothing.
    """
    check_target(project.out, project.root)  # refuse an output folder the build may not replace, first
    engine = Engine(
        project.root,
        project.out,
        base_url,
        project.cache if cache else None,
        search=search,
        progress=progress,
        workers=workers,
        commit=commit,
    )
    outcome = raise_problems(engine.run())
    assert outcome.site is not None
    return outcome.site
