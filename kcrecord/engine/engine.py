"""The one build engine: make site, make check and make serve all run these stages.

1. load: read site.yaml and every content file (kcrecord/content/load.py decides which files are
   content, for every command alike); a file not changed since the last update is not read again.
2. check: the whole-site checks, and each file's own checks, kept per file (and what they read).
3. assemble the site model (Markdown comes from the cache folder).
4. plan every output, then make only those new or stale: stale when a key it read last time
   (kcrecord/engine/deps.py; found through kcrecord/engine/read_index.py) has another fingerprint
   now, or its file is not the one written. Making an output records what it reads; large builds
   make outputs on every core (kcrecord/engine/parallel.py).
5. write only the files whose bytes changed (kcrecord/engine/output.py), then refresh the
   search index when an HTML page changed (kcrecord/engine/search.py).

What the engine keeps between runs lives in State (kcrecord/engine/state.py): in memory for
make serve, and in the cache folder for make site, so a build with nothing changed makes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kcrecord.content.assemble import Site, assemble, read_config
from kcrecord.content.citations import source_numbers
from kcrecord.content.gitinfo import git_commit
from kcrecord.content.history import read_history
from kcrecord.content.load import (
    KINDS,
    Content,
    SourceFile,
    content_entries,
    load_content,
    project_files,
    read_regular_file,
    read_source,
)
from kcrecord.content.problems import Problem
from kcrecord.content.record_coverage import record_spans
from kcrecord.content.validate import agency_ids_of, base_url_problem, check_file, check_site, vocabularies_of
from kcrecord.engine import parallel
from kcrecord.engine.build_cache import CachedReader, cached_renderer
from kcrecord.engine.collector import collector_paused
from kcrecord.engine.deps import digest
from kcrecord.engine.jinja_cache import bytecode_cache
from kcrecord.engine.output import OutputFolder
from kcrecord.engine.plan_keys import PlanKeys
from kcrecord.engine.progress import Progress, stage
from kcrecord.engine.read_index import ReadIndex, changed_reads
from kcrecord.engine.search import refresh_search
from kcrecord.engine.state import Now, Record, code_version, load_state, save_state, scratch_folder
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.render import Job, TemplateSnapshot, plan_site


@dataclass
class Outcome:
    """What one build or update did."""

    full: bool
    problems: list[Problem] = field(default_factory=list)  # content errors: nothing was written
    error: str = ""  # a template error, as `path:line: template: message`
    rendered_paths: list[str] = field(default_factory=list)  # outputs made (written only if they changed)
    written: list[str] = field(default_factory=list)  # output paths written or removed
    seconds: float = 0.0
    pending: int = 0  # affected outputs not written yet (the preview's quick first pass)
    site: Site | None = None

    @property
    def rendered(self) -> int:
        """Return how many outputs were made."""
        return len(self.rendered_paths)

    @property
    def ok(self) -> bool:
        """Return True when the output folder is up to date."""
        return not self.problems and not self.error


class Engine:
    """Build a project into an output folder, again and again, making only what changed."""

    def __init__(
        self,
        root: Path,
        out: Path,
        base_url: str | None = None,
        cache: Path | None = None,
        search: bool = True,
        progress: Progress | None = None,
        workers: int | None = None,
        commit: str | None = None,
        save_every_run: bool = True,
        inputs: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.out = out
        self.base_url = base_url
        self.cache = cache
        self.search = search
        self.progress = progress
        self.workers = workers
        self.state = load_state(cache, code_version(), out)
        self.fragments = Fragments(self.state.pieces)
        self.fragments.scratch = None if cache is None else scratch_folder(cache, out)
        self.read_index = ReadIndex()  # which outputs read each key (kcrecord/engine/read_index.py)
        self.plan_keys = PlanKeys(self.state.plan_keys)  # kept while what the planner hands each output is the same
        self.reader = CachedReader(cache)
        self.reader.known = dict(inputs or {})  # each file's hash as make site's fingerprint of the inputs read it
        self.renderer = None
        self.bytecode = bytecode_cache(cache)  # compiled templates, shared with worker processes through .cache/
        self.sources: dict[str, tuple[SourceFile, list[Problem]]] = {}
        self.site: Site | None = None
        self.commit: str | None = None
        self.fixed_commit = commit  # the commit to stamp instead of git's (tests)
        self.history: dict | None = None
        self._changed = False  # whether the state has anything new to save
        self._last_load: tuple[Content, list[Problem]] | None = None
        self._positions: dict[str, tuple[str, int]] = {}  # content file -> (kind, place) in the last load
        self.save_every_run = save_every_run  # False: only full runs save the state (the preview, between edits)

    # -- stages 1 and 2 --------------------------------------------------------------------

    def load(self, changed: Iterable[Path] | None = None) -> tuple[Content, list[Problem]]:
        """Read everything (changed None) or only the changed files again; return the content and its problems."""
        if changed is not None:
            changed = list(changed)
            edited = self._edited_in_place(changed)
            if edited is not None:
                return edited
        with collector_paused():  # the parsed files live to the end: the collector would walk them over and over
            loaded = self._load_all(changed)
        content = loaded[0]
        self._last_load = (content, list(loaded[1]))
        self._positions = {s.rel: (kind, n) for kind in KINDS for n, s in enumerate(content.files[kind])}
        return loaded

    def _edited_in_place(self, changed: list[Path]) -> tuple[Content, list[Problem]] | None:
        """Return the last load with the changed files read again, when each is a content file that load read.

        Anything else (a file added, removed or renamed, a folder, site.yaml, a template, a static
        file) returns None, and the whole loader runs: it alone decides which files are content.
        """
        if self._last_load is None:
            return None
        content, problems = self._last_load
        root = self.root.resolve()
        edited: dict[str, Path] = {}
        for path in changed:
            try:
                rel = path.resolve().relative_to(root).as_posix()
            except (ValueError, OSError):
                return None
            full = self.root / rel
            if rel not in self._positions or full.is_symlink() or not full.is_file():
                return None
            edited[rel] = full
        files = {kind: list(sources) for kind, sources in content.files.items()}
        found = [problem for problem in problems if problem.path not in edited]
        for rel, full in edited.items():
            kind, index = self._positions[rel]
            source, file_problems = self.sources[rel] = self.reader(full, self.root, kind)
            files[kind][index] = source
            found += file_problems
        content = Content(content.root, content.config, content.config_rel, files)
        self._last_load = (content, found)
        return content, list(found)

    def _load_all(self, changed: list[Path] | None) -> tuple[Content, list[Problem]]:
        if changed is None:
            self.sources = {}
        else:
            for path in changed:
                try:
                    self.sources.pop(path.resolve().relative_to(self.root.resolve()).as_posix(), None)
                except ValueError:
                    continue
        if changed is None:
            self._read_ahead()
        bar = self.progress is not None and self.progress.enabled  # counted only for a progress bar on a terminal
        total = sum(1 for kind in KINDS for _ in (self.root / "content" / kind).rglob("*.md")) if bar else None
        with stage(self.progress, "Reading content", total) as advance:

            def read(path: Path, root: Path, kind: str, rel: str) -> tuple[SourceFile, list[Problem]]:
                kept = self.sources.get(rel)
                if kept is None:
                    kept = self.sources[rel] = self.reader(path, root, kind, rel)
                advance()
                return kept

            return load_content(self.root, read)

    def _read_ahead(self) -> None:
        """Parse the content files the cache does not hold, on every core (a cold build's longest stage)."""
        wanted = [
            (rel, full, kind)
            for kind in KINDS
            for rel, full in content_entries(self.root, self.root / "content" / kind, [])
            if rel.endswith(".md") and rel not in self.sources
        ]
        found = self.reader.cached_many(wanted)
        self.sources.update(found)
        missing = [(Path(full), self.root, kind, rel) for rel, full, kind in wanted if rel not in found]
        with stage(self.progress, "Parsing", len(missing)):
            made = parallel.fork_map(self.workers)(_parse, missing)
        for request, result in zip(missing, made, strict=True):
            self.sources[request[3]] = result
        self.reader.store_many([(*request, result) for request, result in zip(missing, made, strict=True)])

    def check(self, content: Content) -> list[Problem]:
        """Return every problem: the whole-site checks, and each file's own (kept while what they read is unchanged)."""
        with stage(self.progress, "Checking"):
            problems = check_site(content)
            vocabularies = vocabularies_of(content)
            agency_ids = agency_ids_of(content)
            spans = record_spans(content)
            context = digest(repr((vocabularies, sorted(agency_ids), spans, time.strftime("%Y-%m-%d"))))
            checks = self.state.checks  # rel -> ((digest, context), problems), changed in place
            sources = [source for kind in KINDS for source in content.files[kind]]
            todo = [s for s in sources if checks.get(s.rel, _NOT_CHECKED)[0] != (s.digest, context)]
            found = parallel.fork_map(self.workers)(lambda s: check_file(s, vocabularies, agency_ids, spans), todo)
            checks.update((s.rel, ((s.digest, context), made)) for s, made in zip(todo, found, strict=True))
            if len(checks) != len(sources):  # files gone (each file now is in checks)
                self.state.checks = checks = {s.rel: checks[s.rel] for s in sources}
            self._changed = self._changed or bool(todo)
            problems += [problem for source in sources for problem in checks[source.rel][1]]
            return sorted(set(problems))

    # -- a whole run -----------------------------------------------------------------------

    def run(
        self,
        changed: Iterable[Path] | None = None,
        only: Collection[str] | None = None,
    ) -> Outcome:
        """Bring the output folder up to date; with only (incident slugs), make just their own pages for now.

        Content problems are returned in the outcome and nothing is written; a template error
        raises, with the output folder as it was.
        """
        started = time.perf_counter()
        folder = OutputFolder(self.out, self.state.written, self.root)
        folder.prepare()  # refuse an output folder the build may not replace, before anything else
        if self.base_url is not None:
            problem = base_url_problem(self.base_url.rstrip("/") + "/")
            if problem is not None:
                return Outcome(True, [Problem("command line", 1, "--base-url", problem)])
        content, problems = self.load(changed)
        problems += self.check(content)
        if problems:
            return Outcome(changed is None, sorted(set(problems)), seconds=time.perf_counter() - started)
        site = self._assemble(content)
        templates = TemplateSnapshot(self.root / "templates")
        static = self._static_files()
        plans: dict[str, str] = {}  # filled by _stale, once every output is planned
        now = Now(
            site,
            _file_digests(content),
            templates.fingerprints,
            {rel: fingerprint for rel, (fingerprint, _) in static.items()},
            plans,
            self.fragments.memo_fingerprint,
        )
        self.fragments.begin(now)  # before planning: a planner that uses kept pieces finds them current
        jobs = plan_site(site, templates, self.bytecode, only, self.fragments)
        stale, waiting = self._stale(jobs, folder, now, plans, check_disk=changed is None)
        rendered = self._make(stale, folder, [])
        for job in waiting:  # read only memos that changed: made again only if a memo's value did
            record = self.state.records.get(job.path)
            if record is None or not now.current(record.frame):
                rendered += self._make([job], folder, rendered)
        if only is not None:
            written = folder.commit(set(self.state.written) | set(rendered), scan=False)
            return Outcome(
                False,
                rendered_paths=rendered,
                written=written,
                pending=1,
                site=site,
                seconds=time.perf_counter() - started,
            )
        records = self.state.records
        for rel, (fingerprint, data) in static.items():
            known = records.get(f"static/{rel}")
            made = folder.put(f"static/{rel}", data(), known.digest if known else None)
            records[f"static/{rel}"] = Record(made, {f"static:{rel}": fingerprint})
        keep = {job.path for job in jobs} | {f"static/{rel}" for rel in static}
        with stage(self.progress, "Writing"):
            written = folder.commit(keep, scan=changed is None)
        self.state.records = {path: record for path, record in self.state.records.items() if path in keep}
        self.plan_keys.keep_only(keep)
        self.state.plan_keys = self.plan_keys.kept
        self.fragments.forget_gone(now.files)
        self.state.pieces = self.fragments.kept
        if self.search:
            with stage(self.progress, "Indexing for search"):
                refresh_search(self.out, self.state, written)
        if (self._changed or rendered or written) and (self.save_every_run or changed is None):
            save_state(self.cache, self.state, self.out)
        self._changed = False
        self.site = site
        return Outcome(
            changed is None, rendered_paths=rendered, written=written, site=site, seconds=time.perf_counter() - started
        )

    def _assemble(self, content: Content) -> Site:
        with stage(self.progress, "Assembling"):
            base_path = read_config(content, self.base_url).base_path
            if self.renderer is None or self.renderer.base_path != base_path:
                self.renderer = cached_renderer(self.cache, content, self.base_url)
            commit = self.fixed_commit or git_commit(self.root)
            if commit != self.commit or self.history is None:
                self.commit, self.history = commit, read_history(self.root)
            previous = self.site if self.site is not None and self.site.config.base_path == base_path else None
            bodies = (
                []
                if previous is not None
                else [
                    (source.body, source_numbers(source.meta["sources"]), {"shift_headings": 1})
                    for source in content.files["incidents"]
                    if not source.meta.get("draft")
                ]
            )
            self.renderer.prefetch(bodies, parallel.fork_map(self.workers))  # Markdown on every core
            return assemble(content, self.base_url, self.renderer, commit, previous, self.history)

    def _static_files(self) -> dict[str, tuple[str, Callable[[], bytes]]]:
        found = {}
        folder = self.root / "static"
        for path in project_files(self.root, "static", []):
            data, _refused = read_regular_file(path, path.relative_to(self.root).as_posix())
            if data is not None:  # the loader reports a file that is not one (a link, a pipe)
                found[path.relative_to(folder).as_posix()] = (digest(data), lambda data=data: data)
        return found

    def _stale(
        self, jobs: list[Job], folder: OutputFolder, now: Now, plans: dict[str, str], check_disk: bool
    ) -> tuple[list[Job], list[Job]]:
        """Return the jobs to make (missing, changed on disk, or read something that changed), and those waiting.

        A job whose only changed reads are memos waits: once the memos are made again from this
        revision's inputs, it is made only if one of their values changed (early cutoff).
        check_disk: also make the outputs whose file is not the one written (make site, and the
        preview's first build: its updates follow its own writes into its own folder).
        """
        stale, waiting = [], []
        records = self.state.records
        if check_disk:
            folder.scan()  # one look at every output file, for this check and for commit's clean-up
        for job in jobs:
            plans[job.path] = self.plan_keys(job)
        candidates = None  # a few jobs (the quick pass): their frames are read; else the index says which to read
        if len(jobs) > len(records) // 10:
            self.read_index.sync(records)
            candidates = self.read_index.changed(now)
        for job in jobs:
            record = records.get(job.path)
            if record is None or (check_disk and not folder.unchanged_on_disk(job.path, record.digest)):
                stale.append(job)
                continue
            if candidates is not None and job.path not in candidates:
                continue
            changed = changed_reads(record.frame, now)
            if changed == "memos":
                waiting.append(job)
            elif changed:
                stale.append(job)
        return stale, waiting

    def _make(self, jobs: list[Job], folder: OutputFolder, done: list[str]) -> list[str]:
        """Make each job, recording what it reads, and stage its bytes; all or nothing on a template error.

        done lists the outputs this run made before: on an error their records go too, as their
        staged files are dropped with the rest.
        """
        records = self.state.records
        with stage(self.progress, "Rendering", len(jobs)) as advance:
            try:
                for path, data, frame in parallel.make_all(jobs, self.fragments, self.workers, advance):
                    known = records.get(path)
                    made = folder.put(path, data, known.digest if known else None)
                    records[path] = Record(made, frame)
            except BaseException:
                folder.abandon()
                for path in done + [job.path for job in jobs]:
                    records.pop(path, None)  # made again next time, whatever was recorded
                raise
        return [job.path for job in jobs]


_NOT_CHECKED = ((), [])


def _parse(request: tuple[Path, Path, str]) -> tuple[SourceFile, list[Problem]]:
    return read_source(*request)


def _file_digests(content: Content) -> dict[str, str]:
    return {source.rel: source.digest for kind in KINDS for source in content.files[kind]}
