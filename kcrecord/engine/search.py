"""Refresh the search index after a build, only when a page changed since the index was made.

Pagefind reads the HTML pages of the output folder and writes its bundle into a staging folder
beside it; the bundle's files are then copied into <output>/pagefind/ only where their bytes
differ, and files of the old bundle that are gone are removed. A failed run leaves the old
bundle whole. make site starts Pagefind before it saves its state and waits for it after
(Search.start, Search.finish): the two overlap on the machine's cores.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from kcrecord.engine.deps import digest
from kcrecord.engine.kept_records import Record
from kcrecord.engine.progress import Progress, stage
from kcrecord.engine.state import LEFT_AFTER, State, save_search_mark, save_state
from kcrecord.outputs.search_index import BUNDLE, PAGES, Indexing

try:
    import fcntl
except ImportError:  # no advisory locks here (Windows): a left staging folder is known by its age alone
    fcntl = None  # type: ignore[assignment]


class Search:
    """One refresh of the search index, from start to finish (or stop)."""

    def __init__(self, out: Path, state: State, cache: Path | None = None) -> None:
        """cache: the cache folder that keeps the state (make site), if any."""
        self.out = out
        self.state = state
        self.cache = cache
        self._staging: Path | None = None
        self._held: int | None = None  # the staging folder's lock (see staging_folder)
        self._indexing: Indexing | None = None
        self._pages = ""  # pages_mark of the pages being indexed

    def start(self, changed: list[str]) -> bool:
        """Start Pagefind unless the bundle there was made from the very pages written; return True when it started.

        changed: what this run wrote (an HTML page among them: the index is made again at once).
        """
        bundle = self.out / BUNDLE
        self._pages = pages_mark(self.state.records)
        if bundle.is_dir() and self.state.search == self._pages and not any(rel.endswith(".html") for rel in changed):
            return False
        self.state.search = ""  # saved so while Pagefind runs: a build stopped meanwhile indexes again
        _remove_left(self.out.parent, staging_prefix(self.out))
        self._staging, self._held = staging_folder(self.out)
        try:
            self._indexing = Indexing(self.out, self._staging / BUNDLE, self._staging / PAGES)
        except BaseException:
            self.stop()
            raise
        return True

    def finish(self) -> None:
        """Wait for Pagefind and put its bundle in place (raises SearchIndexError when it failed)."""
        assert self._indexing is not None and self._staging is not None
        try:
            self._indexing.finish()
            self._indexing = None
            sync_folder(self._staging / BUNDLE, self.out / BUNDLE)
            self.state.search = self._pages
        finally:
            self.stop()

    def stop(self) -> None:
        """End Pagefind if it still runs and remove the staging folder."""
        if self._indexing is not None:
            self._indexing.stop()
            self._indexing = None
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        _release(self._held)
        self._held = None


def remove_bundle(out: Path) -> None:
    """Remove the search index a build left in out (the tool's folder), at once: it is whole or gone, never a part.

    The bundle is first moved into a staging folder beside out (one rename), then removed from
    there; a build killed meanwhile leaves that folder, which the next build removes.
    """
    _remove_left(out.parent, staging_prefix(out))
    bundle = out / BUNDLE
    if bundle.is_symlink() or not bundle.is_dir():
        return
    try:
        gone, held = staging_folder(out)
    except OSError:  # a folder beside out cannot be made (out's parent is not writable): removed in place
        shutil.rmtree(bundle)
        return
    try:
        os.replace(bundle, gone / BUNDLE)
    finally:
        shutil.rmtree(gone, ignore_errors=True)
        _release(held)


def staging_prefix(out: Path) -> str:
    """Return how the names of the staging folders beside out begin (`.site-search-` for site/)."""
    return f".{out.name}-search-"


def staging_folder(out: Path) -> tuple[Path, int | None]:
    """Make a staging folder beside out, locked while this process uses it; return it and the lock to release.

    The lock (flock on the folder) ends with the process however it ends, SIGKILL included, so the
    next build tells a folder a killed build left (no lock) from one another build is using.
    """
    folder = Path(tempfile.mkdtemp(prefix=staging_prefix(out), dir=out.parent))
    return folder, _lock(folder)


def _lock(folder: Path) -> int | None:
    """Return a descriptor holding folder's lock, or None when another process holds it (or locks are not had)."""
    if fcntl is None:
        return None
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(handle)
        return None
    return handle


def _release(held: int | None) -> None:
    if held is not None:
        os.close(held)


def _unlink_links(folder: Path) -> None:
    """Remove every link in folder (not what it points at), without following any."""
    for top, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            path = os.path.join(top, name)
            if os.path.islink(path):
                os.unlink(path)


STAGING_TAIL = re.compile(r"[a-z0-9_]{8}")  # what tempfile.mkdtemp puts after a staging folder's prefix


FRESH = 60.0
"""Seconds for which an empty staging folder no process has locked yet is left: the build that made it may be
about to lock it (tempfile.mkdtemp, then flock)."""


def _remove_left(folder: Path, prefix: str) -> None:
    """Remove the staging folders builds killed while indexing (or removing an index) left beside the output.

    A folder is removed only when this tool names so, it holds nothing but Pagefind's bundle and
    pages folders, and no process holds its lock (staging_folder): at once, however young, since a
    build that uses its folder holds the lock until it is done. Where locks are not had, a folder is
    removed once LEFT_AFTER seconds old (no build takes that long).
    """
    now = time.time()
    for found in folder.glob(glob.escape(prefix) + "*"):
        if not STAGING_TAIL.fullmatch(found.name.removeprefix(prefix)):
            continue  # not a name this tool makes (a user's folder named like one)
        held = None
        try:
            if found.is_symlink() or not found.is_dir():
                continue
            inside = [path.name for path in found.iterdir()]
            if not set(inside) <= {BUNDLE, PAGES}:
                continue  # something else was put there: not the tool's to remove
            age = now - found.stat().st_mtime
            if fcntl is None:
                if age > LEFT_AFTER:
                    shutil.rmtree(found)
                continue
            held = _lock(found)
            if held is not None and (inside or age > FRESH):
                shutil.rmtree(found)
        except OSError:
            continue
        finally:
            _release(held)


def searched_while(search: Search, wanted: bool, changed: list[str], saving: bool, progress: Progress | None) -> None:
    """Start the search index's refresh when wanted, save the state meanwhile when saving, then wait for it.

    Once the index is made, that it was is kept apart (state.save_search_mark); a failure stops
    Pagefind and removes its staging folder.
    """
    try:
        searching = wanted and search.start(changed)
        if saving:
            save_state(search.cache, search.state, search.out)
        if searching:
            with stage(progress, "Indexing for search"):
                search.finish()
            save_search_mark(search.cache, search.state, search.out)
    finally:
        search.stop()


def pages_mark(records: dict[str, Record]) -> str:
    """Return a fingerprint of the HTML pages written (each path with its bytes' digest): what an index is made from.

    The search mark kept with the state is this, for the pages the bundle was made from. A mark
    that only said "done" outlived the pages it was made from: a build with --no-search or
    --no-cache, or one stopped after its pages moved in and before its state was saved, wrote
    pages the next build found already written, and the next build kept the old index.
    """
    pages = sorted((path, record.digest) for path, record in records.items() if path.endswith(".html"))
    return digest("\n".join(f"{path}\0{made}" for path, made in pages))


def refresh_search(out: Path, state: State, changed: list[str]) -> bool:
    """Index out again when an HTML page changed or the bundle is missing; return True when it ran."""
    search = Search(out, state)
    if not search.start(changed):
        return False
    search.finish()
    return True


def sync_folder(source: Path, target: Path) -> None:
    """Make target hold exactly source's files, writing only those whose bytes differ.

    A link inside target (the tool's folder) is removed first, never written through: a link to a
    folder elsewhere would have the bundle's files written there, and one to a file would be kept
    as the file when its bytes are the same.
    """
    _unlink_links(target)
    wanted = {path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()}
    for rel in sorted(wanted):
        data = (source / rel).read_bytes()
        destination = target / rel
        try:
            if destination.read_bytes() == data:
                continue
        except OSError:
            pass
        destination.parent.mkdir(parents=True, exist_ok=True)
        (source / rel).replace(destination)
    if target.is_dir():
        for path in sorted(target.rglob("*"), reverse=True):
            rel = path.relative_to(target).as_posix()
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
