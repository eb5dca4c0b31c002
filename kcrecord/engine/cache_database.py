"""The cache database (.cache/markdown-<code>.sqlite3): rendered Markdown and parsed files, each entry checked.

The database is named by the fingerprints of the code its keys depend on (the renderer and the
reader, with every kcrecord module they import: code_closure.py), so a change to that code starts
a new database and the old one is removed. Each entry keeps a hash of its key and its value before
the value (entry_check): a damaged or misplaced entry is made again, never used.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from functools import cache
from pathlib import Path

from kcrecord.content import document, line_table, load, markdown_render, problems, yaml_strict
from kcrecord.engine.code_closure import closure_fingerprint, module_file

CACHE_VERSION = "3"
DATABASE = "markdown"  # the database's stem: database_path names it after the code it was kept by
CHECK = 32  # the hex digits of an entry's check (entry_check), kept before its value


def renderer_fingerprint() -> str:
    """Return a hash of the code the HTML depends on: the renderer, every kcrecord module it imports, the libraries."""
    return _fingerprint(markdown_render.__name__)


def reader_fingerprint() -> str:
    """Return a hash of the code that turns a file's bytes into a SourceFile and its problems, with its imports."""
    return _fingerprint(*(module.__name__ for module in (load, yaml_strict, document, line_table, problems)))


@cache
def _fingerprint(*modules: str) -> str:
    """Return a hash of CACHE_VERSION, this module, and the code of modules (code_closure.closure_fingerprint)."""
    digest = hashlib.sha256(CACHE_VERSION.encode() + b"\0")
    for name in (__name__, "kcrecord.engine.build_cache"):  # how keys are made and entries packed
        path = module_file(name)
        digest.update(path.read_bytes() if path is not None else name.encode())
    digest.update(closure_fingerprint(*modules).encode())
    return digest.hexdigest()


def entry_check(key: str, data: bytes) -> str:
    """Return the check kept before a cache entry's value: CHECK hex digits of the SHA-256 of its key and its bytes.

    It covers the key, so a value kept under another entry's key is found out, not used.
    """
    hasher = hashlib.sha256(key.encode() + b"\0")
    hasher.update(data)
    return hasher.hexdigest()[:CHECK]


def with_check(key: str, html: str) -> str:
    """Return html as the cache keeps it under key: its entry_check, then the text."""
    return entry_check(key, html.encode()) + html


def checked_html(key: str, kept: object) -> str | None:
    """Return the HTML a cache row keeps under key (with_check's), None when the row is damaged or misplaced."""
    if not isinstance(kept, str) or len(kept) < CHECK:
        return None
    html = kept[CHECK:]
    return html if entry_check(key, html.encode()) == kept[:CHECK] else None


_PRUNED: set[Path] = set()  # the cache folders whose databases of other code this process removed


def database_path(folder: Path) -> Path:
    """Return the cache database for this code, named by the fingerprints of its keys.

    Entries kept by other code can never be found (their keys differ), so the databases of
    other code are removed (once per process), and the folder does not grow with each change.
    """
    tag = hashlib.sha256(f"{renderer_fingerprint()}\0{reader_fingerprint()}".encode()).hexdigest()[:16]
    path = folder / f"{DATABASE}-{tag}.sqlite3"
    if folder not in _PRUNED:
        _PRUNED.add(folder)
        for other in folder.glob(f"{DATABASE}*.sqlite3*"):
            if OURS.fullmatch(other.name) and not other.name.startswith(path.name):
                other.unlink(missing_ok=True)
    return path


OURS = re.compile(DATABASE + r"(-[0-9a-f]{16})?\.sqlite3(-wal|-shm|-journal)?")
"""The names of the databases (and SQLite's files beside them) this module makes; no other file is removed."""


def open_database(path: Path) -> sqlite3.Connection | None:
    """Open (or create) the cache database; return None when it cannot be used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=10, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS rendered (key TEXT PRIMARY KEY, html TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS parsed (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        return db
    except (OSError, sqlite3.Error):
        return None
