"""Incremental rebuilds for `make serve`: re-read, re-check and re-render only what an edit affects.

A full build here is the ordinary pipeline (load, validate, assemble, render, write into a
fresh folder swapped into place), remembering what it read. An update is given the paths that
changed; it re-reads only those files, re-checks only them (plus site.yaml, agencies and pages,
which are few), assembles the site model again (Markdown comes from the cache), works out which
dependency keys changed (see render.Job) by comparing each changed file with its version in the
last good build, and re-renders only the jobs that read one of those keys or use a changed
template. Changed outputs are written one by one into site/, each to a temporary file that then
replaces the old one, so a reader never sees half a file; site/ as a whole is not swapped.

What always falls back to a full build: site.yaml, a file in content/ that is not a .md file,
and the first update after a build that never succeeded.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.bccache
import jinja2.meta

from kcrecord.content.assemble import Site, assemble, read_config
from kcrecord.content.load import KINDS, Content, SourceFile, load_content
from kcrecord.content.problems import Problem
from kcrecord.content.validate import validate
from kcrecord.engine import template_errors
from kcrecord.engine.build_cache import CachedReader, cached_renderer
from kcrecord.engine.pipeline import Project
from kcrecord.engine.write import write_site
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.render import ALWAYS, Job, plan_site

WATCHED = ("content", "templates", "static", "site.yaml")
DIRECT_KEYS = ("incident", "agency", "page")  # keys naming one changed file: its own pages come first


@dataclass
class Pending:
    """Outputs an update left for later, and the state to remember once they are written.

    After a quick first pass only some jobs were planned: the rest (jobs None) are planned in the
    first finish() step, leaving out the outputs already written (done).
    """

    jobs: list[Job] | None
    content: Content
    site: Site
    all_jobs: list[Job] | None
    templates: dict[str, str | None]
    keys: set[str] = field(default_factory=set)
    done: set[str] = field(default_factory=set)


@dataclass
class Outcome:
    """What one build or update did."""

    full: bool
    problems: list[Problem] = field(default_factory=list)  # content errors: nothing was written
    error: str = ""  # a template error, as `path:line: template: message`
    rendered_paths: list[str] = field(default_factory=list)  # outputs rendered (written only if they changed)
    written: list[str] = field(default_factory=list)  # output paths written or removed, below site/
    seconds: float = 0.0
    pending: int = 0  # affected outputs not written yet (see PreviewBuilder.finish)

    @property
    def rendered(self) -> int:
        """Return how many outputs were rendered."""
        return len(self.rendered_paths)

    @property
    def ok(self) -> bool:
        """Return True when the site in the output folder is up to date."""
        return not self.problems and not self.error


def snapshot(root: Path) -> dict[Path, tuple[int, int, int]]:
    """Return (mtime, size, inode) for every file under the watched folders and site.yaml."""
    found: dict[Path, tuple[int, int, int]] = {}

    def walk(folder: str) -> None:
        try:
            entries = os.scandir(folder)
        except OSError:
            return
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        walk(entry.path)
                    else:
                        info = entry.stat()
                        found[Path(entry.path)] = (info.st_mtime_ns, info.st_size, info.st_ino)
                except OSError:
                    continue

    for name in WATCHED:
        path = root / name
        if path.is_dir():
            walk(str(path))
        elif path.is_file():
            info = path.stat()
            found[path] = (info.st_mtime_ns, info.st_size, info.st_ino)
    return found


class Watcher:
    """Notice files added, changed or removed under content/, templates/, static/ and site.yaml."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._seen = snapshot(root)

    def poll(self) -> set[Path]:
        """Return the paths that changed since the last poll."""
        now = snapshot(self.root)
        changed = {path for path, sig in now.items() if self._seen.get(path) != sig}
        changed.update(path for path in self._seen if path not in now)
        self._seen = now
        return changed


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Keep compiled templates in memory; Jinja checks each against its source before using it."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an update renders, and resume it after.

    After the full build's gc.freeze() the collector would run a full collection every few thousand
    allocations, and an update allocates hundreds of thousands of objects (the plan of every output):
    collecting then cost more than the rendering. The garbage is collected after, between edits.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def template_closure(env: jinja2.Environment, name: str, seen: set[str] | None = None) -> set[str]:
    """Return name and every template it extends, includes or imports, recursively ('*' if dynamic)."""
    seen = set() if seen is None else seen
    if name in seen:
        return seen
    seen.add(name)
    assert env.loader is not None
    source, filename, _ = env.loader.get_source(env, name)
    for child in jinja2.meta.find_referenced_templates(env.parse(source, name, filename)):
        if child is None:
            seen.add(ALWAYS)  # a computed name: could be any template
        else:
            template_closure(env, child, seen)
    return seen


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _files_under(folder: Path) -> dict[str, str | None]:
    """Return every file below folder (relative posix path) with its content hash."""
    if not folder.is_dir():
        return {}
    return {
        p.relative_to(folder).as_posix(): _digest(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()  # links are refused by the loader; never read through one
    }


def write_file(target: Path, data: bytes) -> None:
    """Write data to target through a temporary file, so readers see the old or the new file whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_file(target: Path, top: Path) -> None:
    """Delete target and the folders it leaves empty, up to (not including) top."""
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            break
        folder = folder.parent


class PreviewBuilder:
    """Keep the output folder up to date with the project, rebuilding only what changes affect."""

    def __init__(self, project: Project, base_url: str | None = None, cache: Path | None = None) -> None:
        self.project = project
        self.base_url = base_url
        self.cache = cache
        self.renderer = None
        self.bytecode: jinja2.BytecodeCache = MemoryBytecodeCache()
        self.reader = CachedReader(cache)
        self.fragments = Fragments()  # each incident's list item and download rows, kept for the session
        self._needs_full = True
        self._files: dict[str, dict[Path, SourceFile]] = {kind: {} for kind in KINDS}
        self._content: Content | None = None
        self._load_problems: dict[str, list[Problem]] = {}
        self._incident_problems: dict[str, list[Problem]] = {}
        self._good: dict[str, SourceFile] = {}  # rel -> source, as of the last good build
        self._good_site: Site | None = None
        self._good_paths: set[str] = set()
        self._good_templates: dict[str, str | None] = {}
        self._dirty_rels: set[str] = set()
        self._dirty_static: set[str] = set()
        self._closures: dict[str, set[str]] = {}
        self._pending: Pending | None = None
        self._last_site: Site | None = None
        self._unsettled: set[str] = set()  # outputs written or removed since the last good build

    # -- full build ------------------------------------------------------------------------

    def build(self) -> Outcome:
        """Read and check everything, then build into a fresh folder swapped into place, as `make site` does."""
        started = time.perf_counter()
        self._pending = None
        content, problems = load_content(self.project.root, self.reader)
        self._content = content
        self._files = {kind: {s.path: s for s in content.files[kind]} for kind in KINDS}
        self._load_problems = {}
        for problem in problems:
            self._load_problems.setdefault(problem.path, []).append(problem)
        self._incident_problems = {}
        checked = validate(content)
        self._remember_incident_problems(checked, [s.rel for s in content.files["incidents"]])
        self._needs_full = False
        self._good_site = None
        if problems or checked:
            return Outcome(True, sorted(set(problems + checked)), seconds=time.perf_counter() - started)
        return self._render_all(content, started)

    def _render_all(self, content: Content, started: float) -> Outcome:
        """Render every job and swap a fresh output folder into place."""
        if self.renderer is None or self.renderer.base_path != self._base_path(content):
            self.renderer = cached_renderer(self.cache, content, self.base_url)
        templates = _files_under(self.project.templates)
        try:
            site = assemble(content, self.base_url, self.renderer)
            jobs = plan_site(site, self.project.templates, self.bytecode, fragments=self.fragments)
            outputs = {job.path: job.render() for job in jobs}
        except Exception as error:
            if not template_errors.raised_in_templates(error, self.project.templates):
                raise
            return Outcome(True, error=self.template_error(error), seconds=time.perf_counter() - started)
        write_site(outputs, self.project.static, self.project.out, root=self.project.root)
        self._remember_good(content, site, jobs, templates)
        self._last_site = site
        gc.freeze()  # what a full build leaves is long-lived: spare the collector rescanning it on every update
        return Outcome(
            True,
            rendered_paths=[job.path for job in jobs],
            written=sorted(outputs),
            seconds=time.perf_counter() - started,
        )

    def _base_path(self, content: Content) -> str:
        return read_config(content, self.base_url).base_path

    def template_error(self, error: Exception) -> str:
        """Return a template error as `path:line: template: message`, the path relative to the project."""
        return template_errors.describe(error, self.project.templates, self.project.root)

    def _remember_good(self, content: Content, site: Site, jobs: list[Job], templates: dict[str, str | None]) -> None:
        self._good = {s.rel: s for kind in KINDS for s in content.files[kind]}
        self._good_site = site
        self._good_paths = {job.path for job in jobs}
        self._good_templates = templates  # as read before rendering: a later edit is seen as a change
        self._dirty_rels.clear()
        self._dirty_static.clear()
        self._unsettled.clear()

    def _remember_incident_problems(self, problems: list[Problem], rels: Iterable[str]) -> None:
        for rel in rels:
            self._incident_problems[rel] = []
        for problem in problems:
            if problem.path in self._incident_problems:
                self._incident_problems[problem.path].append(problem)

    # -- updates ---------------------------------------------------------------------------

    def update(self, changed: Iterable[Path], first: Collection[str] | None = None) -> Outcome:
        """Bring the output up to date after the given files changed; render only what they affect.

        With first (output paths, e.g. the pages open in a browser), render those and the changed
        files' own pages now and leave the other affected outputs (lists, downloads) pending for
        finish(); without it, render everything affected before returning.
        """
        with collector_paused():
            return self._update(changed, first)

    def _update(self, changed: Iterable[Path], first: Collection[str] | None) -> Outcome:
        started = time.perf_counter()
        root = self.project.root
        changed_content: dict[str, list[Path]] = {kind: [] for kind in KINDS}
        for path in sorted(set(changed)):
            try:
                rel = path.relative_to(root)
            except ValueError:
                continue
            parts = rel.parts
            if not parts:
                continue
            if parts[0] == "site.yaml":
                self._needs_full = True
            elif parts[0] == "templates":
                continue  # templates are compared whole with the last good build's (see _changed_templates)
            elif parts[0] == "static" and len(parts) > 1:
                self._dirty_static.add(Path(*parts[1:]).as_posix())
            elif parts[0] == "content" and len(parts) > 2 and parts[1] in KINDS:
                if path.name.startswith(".") or any(p.startswith(".") for p in parts[2:-1]):
                    continue  # the loader skips hidden files (editor swap files)
                if path.suffix != ".md" or path.is_dir():
                    self._needs_full = True  # the full loader says what is wrong with it
                changed_content[parts[1]].append(path)
        if self._needs_full or self._content is None:
            return self.build()
        agencies_before = set(self._files["agencies"])
        for kind, paths in changed_content.items():
            self._reload(kind, paths)
        content = self._current_content()
        problems = self._check(content, changed_content["incidents"], agencies_before != set(self._files["agencies"]))
        self._pending = None
        if problems:
            return Outcome(False, problems, seconds=time.perf_counter() - started)
        if self._good_site is None:
            return self._render_all(content, started)  # nothing was rendered yet: render everything
        try:
            outcome = self._render_changes(content, first)
        except Exception as error:
            if not template_errors.raised_in_templates(error, self.project.templates):
                raise
            return Outcome(False, error=self.template_error(error), seconds=time.perf_counter() - started)
        outcome.seconds = time.perf_counter() - started
        return outcome

    def _reload(self, kind: str, paths: list[Path]) -> None:
        files = self._files[kind]
        added = False
        for path in paths:
            rel = path.relative_to(self.project.root).as_posix()
            self._dirty_rels.add(rel)
            if path.is_file():
                source, problems = self.reader(path, self.project.root, kind)
                added = added or path not in files
                files[path] = source
                self._load_problems[rel] = problems
            else:
                files.pop(path, None)
                self._load_problems.pop(rel, None)
                self._incident_problems.pop(rel, None)
        if added:
            self._files[kind] = dict(sorted(files.items()))

    def _current_content(self) -> Content:
        assert self._content is not None
        files = {kind: list(self._files[kind].values()) for kind in KINDS}
        return Content(self._content.root, self._content.config, self._content.config_rel, files)

    def _check(self, content: Content, changed_incidents: list[Path], agencies_changed: bool) -> list[Problem]:
        """Validate what changed; an incident's problems depend only on it, the agency ids and site.yaml."""
        load_problems = [p for problems in self._load_problems.values() for p in problems]
        slugs = [s.slug for s in content.files["incidents"]]
        if agencies_changed or len(set(slugs)) != len(slugs):
            checked = validate(content)  # the agency ids changed, or slugs clash: check every file
            self._incident_problems = {}
            self._remember_incident_problems(checked, [s.rel for s in content.files["incidents"]])
            return sorted(set(load_problems + checked))
        files = self._files["incidents"]
        fresh = [files[path] for path in changed_incidents if path in files]
        partial = Content(content.root, content.config, content.config_rel, dict(content.files, incidents=fresh))
        checked = validate(partial)
        fresh_rels = {s.rel for s in fresh}
        for rel in fresh_rels:
            self._incident_problems[rel] = []
        others = []
        for problem in checked:
            if problem.path in fresh_rels:
                self._incident_problems[problem.path].append(problem)
            else:
                others.append(problem)  # site.yaml, agencies and pages are checked every time
        incident_problems = [p for problems in self._incident_problems.values() for p in problems]
        return sorted(set(load_problems + others + incident_problems))

    def _render_changes(self, content: Content, first: Collection[str] | None) -> Outcome:
        assert self._good_site is not None
        site = assemble(content, self.base_url, self.renderer, previous=self._last_site)
        self._last_site = site
        keys = self._changed_keys(site)
        snapshot = _files_under(self.project.templates)
        templates = self._changed_templates(snapshot)
        direct = {key for key in keys if key.split(":")[0] in DIRECT_KEYS}
        if first is not None and not templates and not self._dirty_static and self._same_files() and ALWAYS not in keys:
            return self._quick_pass(content, site, keys, direct, first, snapshot)
        jobs = plan_site(site, self.project.templates, self.bytecode, fragments=self.fragments)
        selected = self._select(jobs, keys, templates)
        later: list[Job] = []
        if first is not None:
            now = [job for job in selected if job.path in first or job.deps & direct]
            later = [job for job in selected if not (job.path in first or job.deps & direct)]
            selected = now
        written = self._write_jobs(selected)
        written += self._remove_outputs(jobs)
        written += self._copy_static()
        self._pending = Pending(later, content, site, jobs, snapshot)
        rendered = [job.path for job in selected]
        if not later:
            self._finished()
        return Outcome(False, rendered_paths=rendered, written=written, pending=len(later))

    def _quick_pass(
        self,
        content: Content,
        site: Site,
        keys: set[str],
        direct: set[str],
        first: Collection[str],
        snapshot: dict[str, str | None],
    ) -> Outcome:
        """Plan and write only the edited files' own pages and the open HTML pages; leave the rest pending."""
        slugs = {key.split(":", 1)[1] for key in direct if key.startswith("incident:")}
        unsettled = {path.split("/")[1] for path in self._unsettled if path.startswith("incidents/")}
        slugs.update(path.split("/")[1] for path in first if path.startswith("incidents/") and path.count("/") == 2)
        jobs = plan_site(site, self.project.templates, self.bytecode, slugs | unsettled, self.fragments)
        open_pages = [job for job in jobs if job.path in first and job.path.endswith(".html")]
        now = [
            job
            for job in jobs
            if job.deps & direct
            or (job.path in self._unsettled and job.path.startswith("incidents/"))
            or (job in open_pages and (job.deps & keys or ALWAYS in job.deps or job.path in self._unsettled))
        ]
        written = self._write_jobs(now)
        done = {job.path for job in now}
        self._pending = Pending(None, content, site, None, snapshot, keys, done)
        return Outcome(False, rendered_paths=sorted(done), written=written, pending=1)

    def _remove_outputs(self, jobs: list[Job]) -> list[str]:
        """Delete the outputs of the last good build that no job makes any more; return their paths."""
        out = self.project.out
        made = {job.path for job in jobs}
        gone = sorted(path for path in self._good_paths | self._unsettled if path not in made and (out / path).exists())
        for rel in gone:
            remove_file(out / rel, out)
        self._unsettled.update(gone)
        return gone

    def _same_files(self) -> bool:
        """Return True when every file changed since the last good build existed then and exists now."""
        current = {s.rel for kind in KINDS for s in self._files[kind].values()}
        return all(rel in self._good and rel in current for rel in self._dirty_rels)

    def _select(self, jobs: list[Job], keys: set[str], templates: set[str]) -> list[Job]:
        """Return the jobs that read a changed key or use a changed template."""
        everything = ALWAYS in keys
        if templates:
            env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(self.project.templates)))
            self._closures = {}
            for name in {job.template for job in jobs if job.template}:
                self._closures[name] = template_closure(env, name)
            used = set().union(*self._closures.values()) if self._closures else set()
            if ALWAYS in used or templates - used:
                everything = True  # a template read from Python, or a computed name: re-render all
        selected = []
        for job in jobs:
            by_template = bool(templates and job.template and self._closures[job.template] & templates)
            if everything or by_template or ALWAYS in job.deps or job.deps & keys or job.path in self._unsettled:
                selected.append(job)
        return selected

    @property
    def pending(self) -> int:
        """Return how many affected outputs are not written yet."""
        if self._pending is None:
            return 0
        return 1 if self._pending.jobs is None else len(self._pending.jobs)

    def finish(self, seconds: float = 0.0) -> Outcome:
        """Render pending outputs for about the given time (at least one); the site is whole when none remain."""
        with collector_paused():
            return self._finish(seconds)

    def _finish(self, seconds: float) -> Outcome:
        started = time.perf_counter()
        pending = self._pending
        if pending is None:
            return Outcome(False)
        written: list[str] = []
        if pending.jobs is None:  # after a quick pass: plan everything now, less what is written
            pending.all_jobs = plan_site(pending.site, self.project.templates, self.bytecode, fragments=self.fragments)
            selected = self._select(pending.all_jobs, pending.keys, set())
            pending.jobs = [job for job in selected if job.path not in pending.done]
            written += self._remove_outputs(pending.all_jobs)
        batch: list[Job] = []
        while pending.jobs and (not batch or time.perf_counter() - started < seconds):
            job = pending.jobs.pop(0)
            batch.append(job)
            try:
                written += self._write_jobs([job])
            except Exception as error:
                if not template_errors.raised_in_templates(error, self.project.templates):
                    raise
                self._pending = None
                return Outcome(False, error=self.template_error(error), seconds=time.perf_counter() - started)
        outcome = Outcome(False, rendered_paths=[job.path for job in batch], written=written, pending=len(pending.jobs))
        if not pending.jobs:
            self._finished()
        outcome.seconds = time.perf_counter() - started
        return outcome

    def _finished(self) -> None:
        assert self._pending is not None and self._pending.all_jobs is not None
        pending = self._pending
        self._remember_good(pending.content, pending.site, pending.all_jobs, pending.templates)
        self._pending = None

    def _write_jobs(self, jobs: list[Job]) -> list[str]:
        """Render jobs, then write the outputs that differ from what is in site/; return their paths."""
        out = self.project.out
        outputs = [(job.path, job.render()) for job in jobs]  # a template error leaves site/ untouched
        written = []
        for rel, data in outputs:
            target = out / rel
            try:
                if target.stat().st_size == len(data) and target.read_bytes() == data:
                    continue
            except OSError:
                pass
            write_file(target, data)
            written.append(rel)
        self._unsettled.update(written)  # written from a state that may never become the good one
        return written

    def _changed_templates(self, now: dict[str, str | None]) -> set[str]:
        names = set(now) | set(self._good_templates)
        names = {name for name in names if not (name.rsplit("/", 1)[-1].startswith(".") or name.endswith("~"))}
        return {name for name in names if now.get(name) != self._good_templates.get(name)}

    def _copy_static(self) -> list[str]:
        written = []
        for rel in sorted(self._dirty_static):
            source = self.project.static / rel
            target = self.project.out / "static" / rel
            if source.is_file():
                data = source.read_bytes()
                if not target.is_file() or target.read_bytes() != data:
                    write_file(target, data)
                    written.append(f"static/{rel}")
            elif target.exists():
                remove_file(target, self.project.out)
                written.append(f"static/{rel}")
        return written

    def _changed_keys(self, site: Site) -> set[str]:
        """Return the dependency keys that differ between the last good build and now."""
        keys: set[str] = set()
        moved = False  # an incident added, removed, published, withdrawn or moved to another year
        current = {s.rel: s for kind in KINDS for s in self._files[kind].values() if s.rel in self._dirty_rels}
        for rel in self._dirty_rels:
            old, new = self._good.get(rel), current.get(rel)
            if old is None and new is None:
                continue  # added and removed again since the last good build: its outputs are unsettled
            if old is not None and new is not None and old.digest == new.digest:
                continue
            kind = (old or new).kind  # type: ignore[union-attr]
            if kind == "incidents":
                keys.update(_incident_keys(old))
                keys.update(_incident_keys(new))
                moved = moved or old is None or new is None or _year_and_draft(old) != _year_and_draft(new)
            elif kind == "agencies":
                if old is None or new is None:
                    keys.add(ALWAYS)
                keys.update({f"agency:{(old or new).slug}", "agencies"})  # type: ignore[union-attr]
            elif old is None or new is None or old.meta != new.meta:
                keys.add(ALWAYS)  # titles and the navigation appear on every page
            else:
                keys.add(f"page:{new.slug}")
        assert self._good_site is not None
        if moved and set(self._good_site.years) != set(site.years):
            keys.add("years")
        return keys


def _year_and_draft(source: SourceFile) -> tuple[int, bool]:
    return source.meta["date"].year, bool(source.meta.get("draft"))


def _incident_keys(source: SourceFile | None) -> set[str]:
    if source is None:
        return set()
    meta = source.meta
    keys = {f"incident:{source.slug}", "incidents", f"year:{meta['date'].year}"}
    keys.update(f"agency-incidents:{entry['id']}" for entry in meta.get("agencies") or [])
    return keys
