"""The commands' entry points into the one engine (kcrecord/engine/engine.py): check and build."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kcrecord.content.assemble import Site
from kcrecord.content.gitinfo import git_commit
from kcrecord.content.problems import ContentError
from kcrecord.engine.engine import Engine, Outcome
from kcrecord.engine.input_hashes import INPUT_HASHES, KnownHashes
from kcrecord.engine.progress import Progress
from kcrecord.engine.search import remove_bundle
from kcrecord.engine.state import STATE_FOLDER, code_version
from kcrecord.engine.unchanged import Summary, forget, input_fingerprint, remember, unchanged
from kcrecord.engine.write import OutputRefusedError, check_target
from kcrecord.outputs.search_index import BUNDLE


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


@dataclass(frozen=True)
class Built:
    """What a build made: the counts the command prints, and the site model when it was assembled."""

    incidents: int
    agencies: int
    site: Site | None = None  # None when nothing had changed and nothing was loaded
    pages: int = 0  # HTML files in the output folder


def html_pages(written: Iterable[str]) -> int:
    """Return how many of the files a build wrote (its output folder, which is the tool's) are HTML pages."""
    return sum(1 for path in written if path.endswith(".html"))


def build(
    project: Project,
    base_url: str | None = None,
    search: bool = True,
    progress: Progress | None = None,
    cache: bool = False,
    workers: int | None = None,
    commit: str | None = None,
) -> Built:
    """Bring project.out up to date; nothing is written unless every file is valid.

    With cache (build.py build, unless --no-cache), what the build made is kept in the project's .cache/
    folder and the next build makes only what changed; without, the build starts cold and keeps nothing.
    """
    check_target(project.out, project.root)  # refuse an output folder the build may not replace, first
    if (project.out / BUNDLE).is_symlink():
        raise OutputRefusedError(f"{project.out / BUNDLE}: a link, where the build writes its search index; remove it")
    folder = project.cache if cache else None
    inputs = None
    digests: dict[str, str] = {}  # each input file's hash, as the fingerprint read it (the engine reads none again)
    if folder is not None:
        stamp = commit or git_commit(project.root)
        known = KnownHashes(folder / STATE_FOLDER / INPUT_HASHES)  # files not written since are not read again
        inputs = input_fingerprint(project.root, repr((base_url, search)), code_version(), stamp, digests, known)
        known.save()
        kept = unchanged(folder, project.out, inputs)
        if kept is not None and (not search or (project.out / BUNDLE).is_dir()):
            if not search:
                remove_bundle(project.out)
            return Built(*kept.counts, pages=html_pages(kept.written))
        forget(folder, project.out)
    else:
        forget(project.cache, project.out)  # what this build writes is not what a kept summary says
    engine = Engine(
        project.root,
        project.out,
        base_url,
        folder,
        search=search,
        progress=progress,
        workers=workers,
        commit=commit,
        inputs=digests if inputs is not None else None,
        scan_ahead=True,
    )
    outcome = raise_problems(engine.run())
    if not search:
        remove_bundle(project.out)
    site = outcome.site
    assert site is not None
    counts = (len(site.incidents), len(site.agencies))
    if folder is not None and inputs is not None:
        remember(folder, project.out, Summary(inputs, dict(engine.state.written), counts))
    return Built(*counts, site, pages=html_pages(engine.state.written))


def raise_problems(outcome: Outcome) -> Outcome:
    """Raise ContentError when the outcome has content problems; otherwise return it."""
    if outcome.problems:
        raise ContentError(outcome.problems)
    return outcome
