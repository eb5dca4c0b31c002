"""make serve's builds: the one engine (kcrecord/engine/engine.py), kept alive, building into the preview's own folder.

The preview never writes site/: it builds into .cache/preview/site/ (PREVIEW_FOLDER below the
cache folder) with the address it is served at as base URL, so `make site` output stays as
`make site` left it. The engine keeps what it read and made in memory between updates: an update
re-reads only the changed files, and makes and writes only the outputs they affect.

When incident files changed, an update first makes just those incidents' own pages (the quick
pass, so the page being edited reloads at once) and leaves the rest pending; finish() then
makes everything else (the lists, feeds and downloads). Content problems come back in the
outcome; a template error is turned into one too (`path:line: template: message`), with the
preview folder left as it was but for the quick pass's pages: those of the edited incidents,
written before the rest was made (the README says so).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterable
from pathlib import Path

from kcrecord.content.load import ignored
from kcrecord.engine.collector import collector_paused
from kcrecord.engine.engine import Engine, Outcome
from kcrecord.engine.template_errors import describe, raised_in_templates

PREVIEW_FOLDER = Path("preview") / "site"
COLLECT_AFTER = 0.3
"""Seconds after an update before the cycle collector resumes: the server has sent its reloads and is idle."""


def preview_folder(cache: Path) -> Path:
    """Return the folder the preview builds into and serves from, below the cache folder."""
    return cache / PREVIEW_FOLDER


def incident_slug(root: Path, path: Path) -> str | None:
    """Return the slug of the incident file at path (content/incidents/**.md), or None for any other path."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return None
    if len(parts) < 3 or parts[:2] != ("content", "incidents") or path.suffix != ".md":
        return None
    if any(ignored(part) for part in parts):
        return None
    return path.stem


class PreviewBuilder:
    """Keep the preview folder up to date with the project, with one long-lived engine."""

    def __init__(
        self,
        root: Path,
        base_url: str | None = None,
        cache: Path | None = None,
        commit: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.root = root
        self.cache = cache if cache is not None else root / ".cache"
        self.out = preview_folder(self.cache)
        self.engine = Engine(
            root,
            self.out,
            base_url,
            self.cache,
            search=False,
            workers=workers,
            commit=commit,
            save_every_run=False,
            lasting=True,
        )  # the state is saved after full builds only: an edit's update does not write 100s of MB
        self._pending = False
        self._read_everything = True  # until a run completes: the first build, or after an unexpected error
        self._collector_paused = False  # paused by a run, until collect()
        self._running = False
        self._resume: threading.Timer | None = None  # the collect() to come after the last update

    @property
    def pending(self) -> int:
        """Return 1 while a quick pass left outputs to finish(), else 0."""
        return 1 if self._pending else 0

    def build(self) -> Outcome:
        """Read every file and bring the preview folder up to date."""
        self._read_everything = True
        return self._run(None, None)

    def update(self, changed: Iterable[Path], quick: bool = True) -> Outcome:
        """Bring the preview up to date after the given files changed.

        With quick, when existing incident files are among them, make only those incidents' own
        pages now and leave the rest for finish(); otherwise make everything affected.
        """
        changed = sorted(set(changed))
        slugs = set()
        if quick:
            slugs = {slug for path in changed if (slug := incident_slug(self.root, path)) and path.is_file()}
        if slugs:
            return self._run(changed, slugs)
        return self._run(changed, None)

    def start_ahead(self) -> None:
        """After a quick pass, begin in a thread what finish() will need (the database's patch), if anything."""
        if self._pending:
            with collector_paused():  # as for updates: a full pass of the collector here took 1.7 s
                self.engine.start_ahead()

    def finish(self) -> Outcome:
        """Make every output a quick pass left pending (nothing to do when none is)."""
        if not self._pending:
            return Outcome(False)
        return self._run([], None)

    def _run(self, changed: list[Path] | None, only: set[str] | None) -> Outcome:
        if self._read_everything:
            changed = None
        # a folder among changed (moved or removed as a whole): the loader reads again what was below it
        if self._resume is not None:
            self._resume.cancel()
        if gc.isenabled():  # its passes would walk the engine's million objects: resumed by collect()
            gc.disable()
            self._collector_paused = True
        self._running = True
        try:
            outcome = self.engine.run(changed, only)
        except Exception as error:
            self._running = False
            self.collect()
            self._pending = False
            if not raised_in_templates(error, self.root / "templates"):
                self._read_everything = True  # what the engine kept may be half updated: read it all again
                raise
            self._read_everything = False
            return Outcome(changed is None, error=describe(error, self.root / "templates", self.root))
        self._running = False
        if changed is None:
            self.collect()  # a whole build: its garbage is collected at once
        elif self._collector_paused:  # an update: once no other has begun for a moment
            self._resume = threading.Timer(COLLECT_AFTER, self.collect)
            self._resume.daemon = True
            self._resume.start()
        self._read_everything = False
        self._pending = only is not None and outcome.ok
        return outcome

    def collect(self) -> None:
        """Resume the cycle collector an update paused, unless a run is under way.

        An update makes its objects with the collector paused, and the collector's first pass once
        resumed walked them all: 35-60 ms after each edit at 10,000 incidents, spent before the
        browser was told to reload. Now it is resumed COLLECT_AFTER seconds after the last update
        (in a timer thread: the pass runs at the next allocation, the server idle by then), or at
        once by a caller that knows it is idle.
        """
        if self._collector_paused and not self._running:
            self._collector_paused = False
            gc.enable()
