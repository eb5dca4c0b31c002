"""Rendered Markdown and parsed content files, cached by content in .cache/ so a second build is fast.

The key of an entry is a hash of everything the HTML depends on: the Markdown text, the
source numbers of its citations, the render options (such as heading shifts), the base path
links are pointed at, the source of the renderer and of every kcrecord module it imports, the
runtime (Python and the libraries) and CACHE_VERSION (kcrecord/engine/cache_database.py). Change any of them
and the entry is simply not found, so the cache can never hand back HTML that a fresh render
would not produce. Parsed files (front matter with its line numbers, and the problems found
while reading) are kept the same way, keyed by the file's bytes, its path and the source of the
modules that read it, with their imports.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from kcrecord.content.assemble import read_config
from kcrecord.content.load import Content, SourceFile, read_regular_file, read_source
from kcrecord.content.markdown_render import MarkdownRenderer
from kcrecord.content.problems import Problem
from kcrecord.engine.cache_database import (
    CHECK,
    checked_html,
    database_path,
    entry_check,
    open_database,
    reader_fingerprint,
    renderer_fingerprint,
    with_check,
)
from kcrecord.engine.deps import digest
from kcrecord.engine.kept_files import KeptFiles

Packer = Callable[[Path | str, str, str, tuple[SourceFile, list[Problem]]], tuple[str, bytes] | None]
"""pack(path, kind, rel, parsed): what CachedReader.packer returns."""
ParsePacker = Callable[[str, str, bytes, tuple[SourceFile, list[Problem]]], tuple[str, bytes]]
"""pack(kind, rel, raw, parsed), for a parse of the bytes raw: what CachedReader.parse_packer returns."""


class CachedMarkdownRenderer:
    """Render Markdown like MarkdownRenderer, reusing HTML kept in memory and in a cache folder."""

    def __init__(self, folder: Path | None, base_path: str = "/") -> None:
        self.base_path = base_path
        self._salt = (renderer_fingerprint() + "\0" + base_path + "\0").encode()
        self._renderer: MarkdownRenderer | None = None
        self._memory: dict[tuple, str] = {}
        self._db: sqlite3.Connection | None = None
        self.hits = self.misses = 0
        if folder is not None:
            self._db = open_database(database_path(folder))

    def render(self, text: str, footnotes: dict[str, str] | None = None, **options: object) -> str:
        """Render text with its source numbers and options, from the cache when it holds them."""
        notes = tuple((footnotes or {}).items())
        settings = tuple(sorted(options.items()))
        memo = (text, notes, settings)
        html = self._memory.get(memo)
        if html is not None:
            self.hits += 1
            return html
        key = hashlib.sha256(
            self._salt + json.dumps([text, notes, repr(settings)], ensure_ascii=False).encode()
        ).hexdigest()
        html = self._lookup(key)
        if html is None:
            self.misses += 1
            if self._renderer is None:
                self._renderer = MarkdownRenderer(self.base_path)
            html = self._renderer.render(text, footnotes, **options)
            self._store(key, html)
        else:
            self.hits += 1
        self._memory[memo] = html
        return html

    def prefetch(self, requests: list[tuple[str, dict[str, str] | None, dict[str, object]]], mapper: Mapper) -> None:
        """Render the requests (text, source numbers, options) not yet cached, with mapper (on every core).

        A request that fails is left out: render() makes it again and reports the failure.
        """
        wanted: dict[str, tuple[tuple, tuple]] = {}  # key -> (memo, request)
        for text, footnotes, options in requests:
            notes = tuple((footnotes or {}).items())
            settings = tuple(sorted(options.items()))
            memo = (text, notes, settings)
            if memo in self._memory:
                continue
            key = hashlib.sha256(
                self._salt + json.dumps([text, notes, repr(settings)], ensure_ascii=False).encode()
            ).hexdigest()
            wanted[key] = (memo, (self.base_path, text, footnotes, options))
        found = self._lookup_many(list(wanted))
        missing = []
        for key, (memo, request) in wanted.items():
            html = found.get(key)
            if html is not None:
                self._memory[memo] = html
            else:
                missing.append((memo, key, request))
        made = mapper(_render_request, [request for _memo, _key, request in missing])
        rows = []
        for (memo, key, _request), html in zip(missing, made, strict=True):
            if html is not None:
                self._memory[memo] = html
                rows.append((key, with_check(key, html)))
        if self._db is not None and rows:
            try:
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO rendered (key, html) VALUES (?, ?)", rows)
            except sqlite3.Error:
                self.close()

    def close(self) -> None:
        """Close the cache database."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def _lookup_many(self, keys: list[str]) -> dict[str, str]:
        """Return the HTML the cache holds for each of keys (in statements of 500 keys)."""
        found: dict[str, str] = {}
        if self._db is None:
            return found
        try:
            for start in range(0, len(keys), 500):  # SQLite takes at most 999 parameters in a statement
                chunk = keys[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for key, kept in self._db.execute(f"SELECT key, html FROM rendered WHERE key IN ({marks})", chunk):
                    html = checked_html(key, kept)
                    if html is not None:
                        found[key] = html
        except sqlite3.Error:
            self.close()  # an unreadable cache is only slower, never wrong
            return {}
        return found

    def _lookup(self, key: str) -> str | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT html FROM rendered WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            self.close()  # an unreadable cache is only slower, never wrong
            return None
        return checked_html(key, row[0]) if row else None

    def _store(self, key: str, html: str) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                row = (key, with_check(key, html))
                self._db.execute("INSERT OR REPLACE INTO rendered (key, html) VALUES (?, ?)", row)
        except sqlite3.Error:
            self.close()


Mapper = Callable[[Callable[[Any], Any], list[Any]], list[Any]]


_RENDERERS: dict[str, MarkdownRenderer] = {}  # one per base path, in each worker process


def _render_request(request: tuple[str, str, dict[str, str] | None, dict[str, object]]) -> str | None:
    base_path, text, footnotes, options = request
    try:
        renderer = _RENDERERS.get(base_path) or _RENDERERS.setdefault(base_path, MarkdownRenderer(base_path))
        return renderer.render(text, footnotes, **options)
    except Exception:  # noqa: BLE001 - rendered again in the build, which reports it
        return None


def cached_renderer(folder: Path | None, content: Content, base_url: str | None = None) -> CachedMarkdownRenderer:
    """Return a caching renderer for this content's base path (memory only when folder is None)."""
    return CachedMarkdownRenderer(folder, read_config(content, base_url).base_path)


class CachedReader:
    """Read content files like load.read_source, reusing parsed files kept in the cache folder."""

    def __init__(self, folder: Path | None) -> None:
        self._salt = reader_fingerprint().encode()
        self._db = open_database(database_path(folder)) if folder is not None else None
        self.hits = self.misses = 0
        self.known: dict[str, str] = {}  # rel -> digest(bytes), as make site's look at the inputs read them, used once
        self.kept: KeptFiles | None = None  # the files as read by the last builds, looked at first (kept_files.py)
        self._stored: dict[str, tuple[SourceFile, str]] = {}  # rel -> a file store_many kept, with its key

    def __call__(
        self, path: Path | str, root: Path, kind: str, rel: str | None = None
    ) -> tuple[SourceFile, list[Problem]]:
        """Return the file's SourceFile and problems, parsing it only if its bytes are new."""
        rel = Path(path).relative_to(root).as_posix() if rel is None else rel
        found = self.cached_many([(rel, str(path), kind)]).get(rel)
        if found is not None:
            return found
        made = read_source(path, root, kind, rel)
        self.store_many([(path, root, kind, rel, made)])
        return made

    def _key(self, rel: str, full: str, kind: str) -> str | None:
        hashed = self.known.pop(rel, None)  # read a moment ago, for the inputs' fingerprint: the same snapshot
        if hashed is None:
            raw, _refused = read_regular_file(full, rel)
            if raw is None:
                return None  # read_source reports why the file is refused
            hashed = digest(raw)
        return self._entry(kind, rel, hashed)

    def verified_key(self, source: SourceFile) -> str | None:
        """Return the key of source's parse from the file's bytes now, when they are the bytes it was parsed from.

        None when the file changed since (saved while the build ran): what was read then is not kept.
        A file store_many kept a moment ago was checked so then: its key is not worked out again.
        """
        stored = self._stored.pop(source.rel, None)
        if stored is not None and stored[0] is source:
            return stored[1]
        raw, _refused = read_regular_file(source.path, source.rel)
        if raw is None or hashlib.sha256(raw).hexdigest() != source.digest:
            return None
        return self._entry(source.kind, source.rel, digest(raw))

    def _entry(self, kind: str, rel: str, hashed: str) -> str:
        """Return the key of the file's parse: the reader's code, its kind and path, and the hash of its bytes."""
        return _entry(self._salt, kind, rel, hashed)

    def cached_many(self, files: list[tuple[str, str, str]]) -> dict[str, tuple[SourceFile, list[Problem]]]:
        """Return the files (rel, full path, kind) read before from the same bytes, by rel (the others left out).

        The files kept by the last builds (self.kept) are looked at first, then the parsed files.
        """
        keys: dict[str, tuple[str, str]] = {}
        found: dict[str, tuple[SourceFile, list[Problem]]] = {}
        for rel, full, kind in files:
            key = self._key(rel, full, kind)
            if key is None:
                continue
            kept = None if self.kept is None else self.kept.read(rel, key, full)
            if kept is not None:
                found[rel] = kept
            else:
                keys[key] = (rel, full)
        self.hits += len(found)
        parsed = self._parsed(keys)
        self.hits += len(parsed)
        self.misses += len(keys) - len(parsed)
        return found | parsed

    def _parsed(self, keys: dict[str, tuple[str, str]]) -> dict[str, tuple[SourceFile, list[Problem]]]:
        """Return the parsed files kept under keys (key -> (rel, full path)), by rel."""
        found: dict[str, tuple[SourceFile, list[Problem]]] = {}
        if self._db is None:
            return found
        wanted = list(keys)
        try:
            for start in range(0, len(wanted), 500):  # SQLite takes at most 999 parameters in a statement
                chunk = wanted[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                for key, data in self._db.execute(f"SELECT key, data FROM parsed WHERE key IN ({marks})", chunk):
                    if not isinstance(data, bytes) or entry_check(key, data[CHECK:]).encode() != data[:CHECK]:
                        continue  # bytes changed on disk, even inside a value read later: parsed again
                    rel, full = keys[key]
                    found[rel] = unpacked(data, full)
        except (sqlite3.Error, pickle.PickleError, EOFError, AttributeError):
            return {}
        return found

    def store_many(self, items: list[tuple[Path, Path, str, str, tuple[SourceFile, list[Problem]]]]) -> None:
        """Keep parsed files (path, root, kind, rel, result) for the next build, in one transaction.

        A file changed since it was parsed is not kept.
        """
        if self._db is None or not items:
            return
        pack = self.packer()
        self.store_packed([(made[0], pack(path, kind, rel, made)) for path, _root, kind, rel, made in items])

    def packer(self) -> Packer:
        """Return pack(path, kind, rel, parsed): (key, what the cache keeps), None if the file changed since.

        It needs nothing but the file and the parse, so a cold build's workers pack the files they
        parse, and this process only stores them (store_packed). Without a cache, it packs nothing.
        """
        return partial(_pack, self._salt) if self._db is not None else _no_pack

    def parse_packer(self) -> ParsePacker | None:
        """Return pack(kind, rel, raw, parsed) for a file parsed from raw a moment ago; None without a cache.

        The workers of a cold build read each file once: what they parse is what they pack.
        """
        return partial(_pack_read, self._salt) if self._db is not None else None

    def store_packed(self, packed: list[tuple[SourceFile, tuple[str, bytes] | None]]) -> None:
        """Keep each parsed file's pack (packer()'s; None: not kept) in one transaction."""
        if self._db is None:
            return
        rows = []
        for source, pack in packed:
            if pack is not None:
                self._stored[source.rel] = (source, pack[0])
                rows.append(pack)
        if not rows:
            return
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO parsed (key, data) VALUES (?, ?)", rows)
        except sqlite3.Error:
            self.close()

    def close(self) -> None:
        """Close the cache database."""
        if self._db is not None:
            self._db.close()
            self._db = None


def _entry(salt: bytes, kind: str, rel: str, hashed: str) -> str:
    return hashlib.sha256(salt + f"\0{kind}\0{rel}\0{hashed}".encode()).hexdigest()


def _no_pack(path: Path | str, kind: str, rel: str, made: tuple[SourceFile, list[Problem]]) -> None:
    return None


def _pack(
    salt: bytes, path: Path | str, kind: str, rel: str, made: tuple[SourceFile, list[Problem]]
) -> tuple[str, bytes] | None:
    raw, _refused = read_regular_file(path, rel)
    if raw is None or made[0].digest != hashlib.sha256(raw).hexdigest():
        return None  # changed since it was parsed: not kept
    return _pack_read(salt, kind, rel, raw, made)


def _pack_read(
    salt: bytes, kind: str, rel: str, raw: bytes, made: tuple[SourceFile, list[Problem]]
) -> tuple[str, bytes]:
    data = pickle.dumps((dataclasses.replace(made[0], location=None), made[1]))
    key = _entry(salt, kind, rel, digest(raw))
    return key, entry_check(key, data).encode() + data


def unpacked(data: bytes, full: str) -> tuple[SourceFile, list[Problem]]:
    """Return the parsed file a pack holds (packer()'s bytes, checked), its location the file's full path.

    A worker that parsed a file for a cold build sends back only its pack (kcrecord/engine/loading.py):
    the parse pickled once, not once for the cache and again for the pipe.
    """
    source, problems_found = pickle.loads(data[CHECK:])
    source.location = full  # kept without it; made a Path only if asked for (SourceFile.path)
    return source, problems_found
