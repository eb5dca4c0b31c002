"""Stage 1, load: read site.yaml and every content file, or after an edit only the files that changed.

kcrecord/content/load.py decides which files are content, for every command alike; the parsed
files come from the cache folder when it holds them (kcrecord/engine/build_cache.py), and a
cold build parses the rest on every core. A file changed in place (an edit in the preview) is
read again alone, into a copy of the last load; what each load read again is logged
(kcrecord/engine/edit_log.py) for the stages that redo only those files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from kcrecord.content.load import (
    KINDS,
    Content,
    SourceFile,
    content_entries,
    load_content,
    parse_source,
    read_regular_file,
)
from kcrecord.content.problems import Problem
from kcrecord.engine import parallel
from kcrecord.engine.build_cache import CachedReader, ParsePacker, unpacked
from kcrecord.engine.collector import collector_paused
from kcrecord.engine.edit_log import EditLog
from kcrecord.engine.progress import Progress, stage


class Loader:
    """Load a project's content, keeping each file read (as parsed) and the last load for the next."""

    def __init__(self, root: Path, reader: CachedReader, workers: int | None, progress: Progress | None) -> None:
        self.root = root
        self.reader = reader
        self.workers = workers
        self.progress = progress
        self.sources: dict[str, tuple[SourceFile, list[Problem]]] = {}
        self.edits = EditLog()
        self.positions: dict[str, tuple[str, int]] = {}  # content file -> (kind, place) in the last load
        self._last_load: tuple[Content, list[Problem]] | None = None

    def source(self, content: Content, rel: str) -> SourceFile:
        """Return the content file rel of content (the last load, or one made from it in place)."""
        kind, index = self.positions[rel]
        return content.files[kind][index]

    def load(self, changed: Iterable[Path] | None = None) -> tuple[Content, list[Problem]]:
        """Read everything (changed None) or only the changed files again; return the content and its problems."""
        if changed is not None:
            changed = list(changed)
            edited = self._edited_in_place(changed)
            if edited is not None:
                return edited
        self.edits.whole()
        with collector_paused():  # the parsed files live to the end: the collector would walk them over and over
            loaded = self._load_all(changed)
        content = loaded[0]
        self._last_load = (content, list(loaded[1]))
        self.positions = {s.rel: (kind, n) for kind in KINDS for n, s in enumerate(content.files[kind])}
        return loaded

    def _edited_in_place(self, changed: list[Path]) -> tuple[Content, list[Problem]] | None:
        """Return the last load with the changed files read again, when each is a content file that load read.

        Anything else (a file added, removed or renamed, a folder, site.yaml, a template, a static
        file) returns None, and the whole loader runs: it alone decides which files are content.
        """
        if self._last_load is None:
            return None
        content, problems = self._last_load
        edited: dict[str, Path] = {}
        for path in changed:
            rel = project_rel(path, self.root)
            if rel is None:
                return None
            full = self.root / rel
            if rel not in self.positions or full.is_symlink() or not full.is_file():
                return None
            edited[rel] = full
        files = {kind: list(sources) for kind, sources in content.files.items()}
        found = [problem for problem in problems if problem.path not in edited]
        for rel, full in edited.items():
            kind, index = self.positions[rel]
            source, file_problems = self.sources[rel] = self.reader(full, self.root, kind)
            files[kind][index] = source
            found += file_problems
        content = Content(content.root, content.config, content.config_rel, files)
        self._last_load = (content, found)
        self.edits.edited(edited)
        return content, list(found)

    def _load_all(self, changed: list[Path] | None) -> tuple[Content, list[Problem]]:
        if changed is None:
            self.sources = {}
        else:
            self._forget(changed)
        if changed is None:
            self._read_ahead()
        bar = self.progress is not None and self.progress.enabled  # counted only for a progress bar on a terminal
        total = sum(1 for kind in KINDS for _ in (self.root / "content" / kind).rglob("*.md")) if bar else None
        with stage(self.progress, "Reading content", total) as advance:

            def read(path: str, root: Path, kind: str, rel: str) -> tuple[SourceFile, list[Problem]]:
                kept = self.sources.get(rel)
                if kept is None:
                    kept = self.sources[rel] = self.reader(path, root, kind, rel)
                advance()
                return kept

            return load_content(self.root, read)

    def _forget(self, changed: list[Path]) -> None:
        """Drop the kept parse of each changed path, and of every file below a changed folder.

        A path is taken as named, a link in it not followed: a content file replaced by a link is
        read again (and refused), not mistaken for the file the link points at. A folder renamed
        and back, or removed and made again, may be reported alone: what was below it is read again.
        """
        rels = [rel for rel in (project_rel(path, self.root) for path in changed) if rel is not None]
        if "" in rels:  # the project folder itself
            self.sources = {}
            return
        for rel in rels:
            self.sources.pop(rel, None)
        below = tuple(rel + "/" for rel in rels)
        for rel in [rel for rel in self.sources if rel.startswith(below)]:
            del self.sources[rel]

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
        pack = self.reader.parse_packer()  # each file packed for the cache by the worker that parsed it
        with stage(self.progress, "Parsing", len(missing)):
            made = parallel.fork_map(self.workers)(partial(_parse, pack), missing)
        stored = []
        for (path, _root, _kind, rel), (result, packed) in zip(missing, made, strict=True):
            if result is None:
                assert packed is not None
                result = unpacked(packed[1], str(path))
            self.sources[rel] = result
            stored.append((result[0], packed))
        self.reader.store_packed(stored)


def project_rel(path: Path, root: Path) -> str | None:
    """Return path below root as text ('' for root), a link in it not followed; None outside root.

    Only root is resolved (the watcher may report it by another name): path's own parts are taken
    as they are, so a content file that is now a link names itself, not what it points at.
    """
    named = Path(os.path.abspath(path))
    for base in (root, root.resolve()):
        try:
            rel = named.relative_to(os.path.abspath(base)).as_posix()
        except ValueError:
            continue
        return "" if rel == "." else rel
    try:  # a path below another name of a folder above root
        rel = (named.parent.resolve() / named.name).relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return None
    return "" if rel == "." else rel


def _parse(
    pack: ParsePacker | None, request: tuple[Path, Path, str, str]
) -> tuple[tuple[SourceFile, list[Problem]] | None, tuple[str, bytes] | None]:
    """Parse one file and pack it for the cache: (None, pack) when packed (the parse is read from the pack).

    The file is read once: its parse and its pack are of the same bytes.
    """
    path, _root, kind, rel = request
    raw, refused = read_regular_file(path, rel)
    result = parse_source(raw, refused, path, kind, rel)
    if pack is None or raw is None:
        return result, None
    return None, pack(kind, rel, raw, result)
