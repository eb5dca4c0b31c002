"""The one build engine: make site, make check and make serve all run these stages.

1. load (kcrecord/engine/loading.py): read site.yaml and every content file (kcrecord/content/load.py
   decides which files are content, for every command alike); a file not changed since the last
   update is not read again, and the files read again in place are logged for the stages below.
2. check (kcrecord/engine/checks.py): the whole-site checks, and each file's own checks, kept per
   file (and what they read); after in-place edits only the edited files are looked at.
3. assemble the site model (Markdown comes from the cache folder).
4. plan every output, then make only those new or stale: stale when a key it read last time
   (kcrecord/engine/deps.py; found through kcrecord/engine/read_index.py) has another fingerprint
   now, or its file is not the one written. Making an output records what it reads, on every core.
5. write only the files whose bytes changed (kcrecord/engine/output.py), then refresh the
   search index when an HTML page changed (kcrecord/engine/search.py).

What the engine keeps between runs lives in State (kcrecord/engine/state.py): in memory for
make serve, and in the cache folder for make site, so a build with nothing changed makes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from kcrecord.content.assemble import Site, assemble, incidents_named, made_from, read_config
from kcrecord.content.citations import source_numbers
from kcrecord.content.gitinfo import git_commit
from kcrecord.content.history import read_history
from kcrecord.content.load import Content, SourceFile, project_files, read_regular_file
from kcrecord.content.problems import Problem
from kcrecord.content.validate import base_url_problem
from kcrecord.engine import head_start, parallel
from kcrecord.engine.build_cache import CachedReader, cached_renderer
from kcrecord.engine.checks import Checker
from kcrecord.engine.deps import digest
from kcrecord.engine.file_keys import FileKeys
from kcrecord.engine.jinja_cache import bytecode_cache
from kcrecord.engine.kept_files import KeptFiles, files_folder
from kcrecord.engine.kept_pieces import frame_groups
from kcrecord.engine.kept_records import Record, current_records
from kcrecord.engine.loading import Loader
from kcrecord.engine.output import OutputFolder, Placed, listing_ahead
from kcrecord.engine.plan_keys import PlanKeys
from kcrecord.engine.progress import Progress, stage
from kcrecord.engine.read_index import ReadIndex, changed_reads, worth_a_look
from kcrecord.engine.search import Search, searched_while
from kcrecord.engine.spill import spill
from kcrecord.engine.state import Now, State, code_version, keep_pickled, load_state, pieces_folder, scratch_folder
from kcrecord.engine.write import OutputRefusedError
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.kept import CacheDamagedError
from kcrecord.outputs.render import Job, KeptJobs, TemplateSnapshot, plan_site, start_ahead
from kcrecord.outputs.spooled import Spooled


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
        lasting: bool = False,
        scan_ahead: bool = False,
    ) -> None:
        self.root = root
        self.out = out
        self.base_url = base_url
        self.cache = cache
        self.search = search
        self.progress = progress
        self.workers = workers
        self.lasting = lasting  # one process runs update after update (the preview): the read index keeps the units
        code = code_version()
        self._ahead = listing_ahead(out) if scan_ahead and parallel.worker_count(workers) > 1 else None  # make site
        self._start_from(load_state(cache, code, out))
        self.reader = CachedReader(cache)
        self.reader.kept = KeptFiles(None if cache is None else files_folder(cache), code)
        self.reader.known = dict(inputs or {})  # each file's hash as make site's fingerprint of the inputs read it
        self.loader = Loader(root, self.reader, workers, progress)  # stage 1 (kcrecord/engine/loading.py)
        self.edits = self.loader.edits  # which files each load read again in place (kcrecord/engine/edit_log.py)
        self.renderer = None
        self.bytecode = bytecode_cache(cache, code)  # compiled templates, shared with worker processes (forked)
        self.site: Site | None = None
        self.commit: str | None = None
        self.fixed_commit = commit  # the commit to stamp instead of git's (tests)
        self.history: dict | None = None
        self._changed = False  # whether the state has anything new to save
        self.save_every_run = save_every_run  # False: only full runs save the state (the preview, between edits)
        self.checker = Checker()
        self._checked_at: int | None = None  # the load each stage last worked from (EditLog numbers)
        self.file_keys = FileKeys()  # each content file's fingerprints, as keys (kcrecord/engine/file_keys.py)
        self._site_at: int | None = None
        self._jobs: list[Job] = []  # the run's plan
        self.kept_jobs = KeptJobs()  # each incident's jobs, planned again only for an incident assembled again
        self._ahead_of: tuple[Site, list] | None = None  # a quick pass's site and incidents, for start_ahead
        self._fresh: list | None = None  # make site: the incidents assembled, not kept (for start_ahead)

    # -- stages 1 and 2 --------------------------------------------------------------------

    def load(self, changed: Iterable[Path] | None = None) -> tuple[Content, list[Problem]]:
        """Read everything (changed None) or only the changed files again; return the content and its problems."""
        return self.loader.load(changed)

    def check(self, content: Content) -> list[Problem]:
        """Return every problem: the whole-site checks, and each file's own (kept while what they read is unchanged)."""
        with stage(self.progress, "Checking"):
            edited = self.edits.since(self._checked_at)
            sources = None if edited is None else [self.loader.source(content, rel) for rel in sorted(edited)]
            mapper = parallel.fork_map(self.workers)
            problems, self.state.checks, made = self.checker.check(content, self.state.checks, sources, mapper)
            self._changed = self._changed or made
            self._checked_at = self.edits.version
            return problems

    @property
    def sources(self) -> dict[str, tuple[SourceFile, list[Problem]]]:
        """Return each content file read, parsed, with its problems, by its path below the project."""
        return self.loader.sources

    def _start_from(self, state: State) -> None:
        """Take state as what the builds before left (loaded from the cache folder, or empty)."""
        self.state = state
        self.fragments = Fragments(state.pieces, state.piece_files)
        self.fragments.scratch = None if self.cache is None else scratch_folder(self.cache, self.out)
        spill_to = self.cache and pieces_folder(self.cache, self.out)  # make site's: kcrecord/engine/spill.py
        self.fragments.spill = None if self.lasting else partial(spill, spill_to)
        self.read_index = ReadIndex()  # which outputs read each key (kcrecord/engine/read_index.py)
        self.plan_keys = PlanKeys(state.plan_keys, by_objects=self.lasting)  # kept while the plans are the same
        self._plan_names: dict[str, str] | None = {} if self.lasting else None  # output -> its plan key's name

    # -- a whole run -----------------------------------------------------------------------

    def run(
        self,
        changed: Iterable[Path] | None = None,
        only: Collection[str] | None = None,
    ) -> Outcome:
        """Bring the output folder up to date; with only (incident slugs), make just their own pages for now.

        Content problems are returned in the outcome and nothing is written; a template error
        raises, with the output folder as it was. A value kept in the cache folder that cannot be
        read (CacheDamagedError: bytes changed inside a file that still reads) makes the run start
        again from nothing kept but the list of files it wrote.
        """
        try:
            return self._run(changed, only)
        except CacheDamagedError:
            self._start_from(State(code=self.state.code, written=self.state.written))
            self.site = None
            return self._run(None, only)
        except OutputRefusedError as error:  # a link in the output folder: what was made is made again next time
            for path in error.paths:
                self.state.records.pop(path, None)
            raise

    def start_ahead(self) -> None:
        """After a quick pass, begin in threads what the next run will likely make (kcrecord/engine/head_start.py)."""
        if self._ahead_of is not None:  # from the quick pass's site, in its revision
            start_ahead(self._ahead_of[0], self.fragments, self._ahead_of[1])
            self._ahead_of = None

    def _run(self, changed: Iterable[Path] | None, only: Collection[str] | None) -> Outcome:
        started = time.perf_counter()
        self._ahead_of = None  # work begun ahead must be of the last run's site
        folder = OutputFolder(self.out, self.state.written, self.root)
        folder.prepare()  # refuse an output folder the build may not replace, before anything else
        folder.use_ahead(self._ahead)  # scan() takes its answer; closed with the folder at the end of the run
        self._ahead = None
        self.read_index.since.begin()
        try:
            return self._run_in(folder, changed, only, started)
        finally:
            folder.close()
            if only is None:  # work begun ahead and not claimed is not wanted (the quick pass's is, by finish)
                head_start.drop_all()
            if self.lasting:  # the plan's closures hold the list of jobs: freed now, not by the cycle collector
                self._jobs.clear()  # (120,000 objects at 10,000 incidents, 40-160 ms of its time at each update)

    def _run_in(
        self, folder: OutputFolder, changed: Iterable[Path] | None, only: Collection[str] | None, started: float
    ) -> Outcome:
        if self.base_url is not None:
            problem = base_url_problem(self.base_url.rstrip("/") + "/")
            if problem is not None:
                return Outcome(True, [Problem("command line", 1, "--base-url", problem)])
        content, problems = self.load(changed)
        problems += self.check(content)
        if problems:
            return Outcome(changed is None, sorted(set(problems)), seconds=time.perf_counter() - started)
        site = self._assemble(content)
        if self.save_every_run or changed is None:  # each file as read and its incident, for the next build
            self.reader.kept.keep(content, site, self.reader.verified_key, self._file_problems, keep_pickled)
        templates = TemplateSnapshot(self.root / "templates")
        static = self._static_files()
        plans: dict[str, str] = {}  # filled by _stale, once every output is planned
        self.file_keys.update(content, self.edits, self.loader.source)
        now = Now(
            site,
            self.file_keys.files,
            templates.fingerprints,
            {rel: fingerprint for rel, (fingerprint, _) in static.items()},
            plans,
            self.fragments.memo_fingerprint,
            self.fragments.piece_fingerprint,
            self.file_keys.fronts,
            self.file_keys.keys,
        )
        self.fragments.begin(now, now.known)  # before planning: a planner that uses kept pieces finds them current
        if not self.lasting:  # make site: the pieces of each part found current at once (the planners use some)
            self.fragments.settle_groups(frame_groups(self.state.saved_parts))
            if self._fresh and len(self._fresh) <= max(8, len(site.incidents) // 8):  # a few assembled again
                start_ahead(site, self.fragments, self._fresh)  # the database's patch, in a thread while planning
        jobs = self._jobs = plan_site(site, templates, self.bytecode, only, self.fragments, self.kept_jobs)
        stale, waiting = self._stale(jobs, folder, now, plans, check_disk=changed is None)
        rendered = self._make(stale, folder, [])
        for job in waiting:  # read only memos that changed: made again only if a memo's value did
            record = self.state.records.get(job.path)
            if record is None or not now.current(record.frame):
                rendered += self._make([job], folder, rendered)
        if only is not None:
            written = folder.commit(set(self.state.written) | set(rendered), scan=False)
            self.site, self._site_at = site, self.edits.version  # finish() takes it as it is when no file changed
            self._ahead_of = (site, incidents_named(site, only))  # looked up: a loop here cost 15 ms
            seconds = time.perf_counter() - started
            return Outcome(False, rendered_paths=rendered, written=written, pending=1, site=site, seconds=seconds)
        records = self.state.records
        for rel, (fingerprint, data) in static.items():
            known = records.get(f"static/{rel}")
            made = folder.put(f"static/{rel}", data(), known.digest if known else None)
            frame = {f"static:{rel}": fingerprint}
            if known is None or known.digest != made or known.frame != frame:  # kept as is: its part is not saved again
                records[f"static/{rel}"] = Record(made, frame)
        keep = {job.path for job in jobs} | {f"static/{rel}" for rel in static}
        with stage(self.progress, "Writing"):
            written = folder.commit(keep, scan=changed is None)
        if not self.state.records.keys() <= keep:  # an output no longer planned (the commonest: none)
            self.state.records = {path: record for path, record in self.state.records.items() if path in keep}
        self.plan_keys.keep_only(keep)
        self.state.plan_keys = self.plan_keys.kept
        self.fragments.forget_gone(now.files)
        self.state.pieces, self.state.piece_files = self.fragments.kept, self.fragments.files
        if not self.lasting:  # make site: no list asks for its keys again (let go before the save)
            self.fragments.let_go_keys()
        saving = bool(self._changed or rendered or written) and (self.save_every_run or changed is None)
        searched_while(Search(self.out, self.state, self.cache), self.search, written, saving, self.progress)
        self._changed = False
        self.site, self._site_at = site, self.edits.version
        if self.lasting and changed is None:  # the preview's whole build: its outputs indexed now, not at an edit
            self.read_index.sync(self.state.records, self.fragments.kept)
        self.read_index.since.completed()
        seconds = time.perf_counter() - started
        return Outcome(changed is None, rendered_paths=rendered, written=written, site=site, seconds=seconds)

    def _assemble(self, content: Content) -> Site:
        with stage(self.progress, "Assembling"):
            base_path = read_config(content, self.base_url).base_path
            if self.renderer is None or self.renderer.base_path != base_path:
                self.renderer = cached_renderer(self.cache, content, self.base_url)
            commit = self.fixed_commit or git_commit(self.root)
            if commit != self.commit or self.history is None:
                self.commit, self.history = commit, read_history(self.root)
            previous = self.site if self.site is not None and self.site.config.base_path == base_path else None
            edited = None if previous is None else self.edits.since(self._site_at)  # read again since previous
            if edited == set() and previous is not None and made_from(previous, commit, self.history):
                return previous  # no file read again since it was assembled (finish() after a quick pass)
            kept = {} if previous is not None else self.reader.kept.incidents(content, base_path)
            chosen = [rel for rel in sorted(edited or ()) if self.loader.positions[rel][0] == "incidents"]
            incidents = None if edited is None else [self.loader.source(content, rel) for rel in chosen]
            bodies = [
                (source.body, source_numbers(source.meta["sources"]), {"shift_headings": 1})
                for source in ([] if previous is not None else content.files["incidents"])
                if id(source) not in kept and not source.meta.get("draft")
            ]
            self.renderer.prefetch(bodies, parallel.fork_map(self.workers))  # Markdown on every core
            site = assemble(content, self.base_url, self.renderer, commit, previous, self.history, incidents, kept)
            reused = set(map(id, kept.values()))  # the incidents kept, by identity (no attribute read: 1 µs each)
            self._fresh = [i for i in site.incidents if id(i) not in reused] if previous is None else None
            return site

    def _file_problems(self, rel: str) -> list[Problem]:
        """Return the problems found while reading the content file rel (its own: not the whole site's)."""
        return self.loader.sources[rel][1]

    def _static_files(self) -> dict[str, tuple[str, Callable[[], bytes]]]:
        found, folder = {}, self.root / "static"
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
        self.plan_keys.fill(jobs, plans)
        now.prime("plan:", plans, self._plan_names)
        candidates = None  # make site and the preview's quick pass read every frame; its updates ask the read index
        current: set[str] = set()  # outputs of a part of the records found current as a whole
        if self.lasting and len(jobs) > len(records) // 10:
            self.read_index.sync(records, self.fragments.kept)
            asked = (self.edits.version, plans, object.__getattribute__(now.site, "history"))
            named = self.read_index.since.keys(self.edits.since, *asked[1:])  # after an edit: its file's, plans'
            candidates = self.read_index.changed(now, self.fragments.suspect, now.known, named)
            self.read_index.since.asked(*asked)
            jobs = jobs if check_disk else worth_a_look(jobs, candidates, records)
        elif not self.lasting:  # make site: each current piece noted first, in one pass; then each part of
            # the records found current by its summary, and the other frames read one by one
            now.prime("history:", object.__getattribute__(now.site, "history").fingerprints(now.files))
            self.fragments.settle()
            current = current_records(
                records, self.state.saved_records, lambda frame: changed_reads(frame, now, now.known)
            )
        for job in jobs:
            record = records.get(job.path)
            if record is None or (check_disk and not folder.unchanged_on_disk(job.path, record.digest)):
                stale.append(job)
                continue
            if candidates is not None and job.path not in candidates or job.path in current:
                continue
            if candidates is not None and job.path in self.read_index.hard:
                stale.append(job)  # found through a changed read that is not a memo's (ReadIndex.changed)
                continue
            changed = changed_reads(record.frame, now, now.known)
            if changed == "memos":
                waiting.append(job)
            elif changed:
                stale.append(job)
        return stale, waiting

    def _make(self, jobs: list[Job], folder: OutputFolder, done: list[str]) -> list[str]:
        """Make each job, recording what it reads, and stage its bytes; all or nothing on a template error.

        done: the outputs this run made before, whose records go too on an error (their files are staged).
        """
        records = self.state.records

        def place(path: str, data: bytes | Spooled) -> tuple[str, Placed]:  # in worker processes too
            return folder.place(path, data, records[path].digest if path in records else None)

        with stage(self.progress, "Rendering", len(jobs)) as advance:
            try:
                if jobs:
                    folder.staging()  # made before the workers fork: they stage the pages they make
                made = parallel.make_all(jobs, self.fragments, self.workers, advance, self.lasting, place)
                for path, (digest_made, placed), frame in made:
                    folder.note(path, placed)
                    records[path] = Record(digest_made, frame)
            except BaseException:
                folder.abandon()
                for path in done + [job.path for job in jobs]:
                    records.pop(path, None)  # made again next time, whatever was recorded
                raise
        return [job.path for job in jobs]
