"""What the engine remembers between updates and between builds, and what each recorded key is now.

`State` is kept in memory by make serve and in the cache folder (.cache/engine/) by make site:
for each output, the hash of its bytes and the frame of reads that made it; the kept pieces
(kcrecord/outputs/fragments.py); each file's own problems; and the size and time of each file
the build wrote. The whole state is keyed by the code version (every module of kcrecord, the
area files and the library versions): a state from other code is never used. A state file that
cannot be read is a cold build, never an error.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from sys import intern

from kcrecord.content.area import AREA_DIR
from kcrecord.content.assemble import Site
from kcrecord.content.problems import Problem
from kcrecord.engine.code_closure import runtime_fingerprint
from kcrecord.engine.collector import collector_paused
from kcrecord.engine.deps import digest, unrecorded
from kcrecord.engine.kept_pieces import load_pieces, save_pieces
from kcrecord.engine.kept_records import Record, load_records, save_records
from kcrecord.engine.parts import Parts
from kcrecord.engine.values_file import LEFT_AFTER  # a temporary file older than this was left by a build killed
from kcrecord.outputs.kept import UNREADABLE, Kept

PACKAGE = Path(__file__).resolve().parents[1]
STATE_FOLDER = "engine"  # one state file per output folder: make site and make serve keep their own


@dataclass
class State:
    """Everything kept from one build for the next."""

    code: str = ""
    settings: str = ""  # the base URL and whatever else changes every output
    records: dict[str, Record] = field(default_factory=dict)
    written: dict[str, tuple[int, int]] = field(default_factory=dict)  # output path -> (size, mtime_ns)
    pieces: dict[str, Kept] = field(default_factory=dict)
    checks: dict[str, tuple[tuple[str, str], list[Problem]]] = field(default_factory=dict)  # rel -> (key, problems)
    search: str = ""  # the pages the search index was made from (search.pages_mark; kept in its own file)
    plan_keys: dict[str, tuple[tuple, str]] = field(default_factory=dict)  # kcrecord/engine/plan_keys.py
    piece_files: set[str] | None = None  # every content file when the pieces were kept (Fragments.forget_gone)
    saved_parts: Parts = field(default_factory=dict, repr=False, compare=False)
    """The pieces' parts as loaded or last saved (kcrecord/engine/kept_pieces.py); never pickled."""
    saved_records: Parts = field(default_factory=dict, repr=False, compare=False)
    """The records' parts as loaded or last saved (record_part); never pickled."""


@cache
def code_version() -> str:
    """Return a hash of the code that makes the site: every kcrecord module, the area files, the runtime.

    The runtime (code_closure.runtime_fingerprint): Python, libyaml, the libraries and their files.
    Worked out once a process (make site asked twice: its fingerprint of the inputs, the engine), as
    the code a process runs is the code it loaded.
    """
    digest = hashlib.sha256()
    for folder in (PACKAGE, AREA_DIR):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".geojson", ".csv", ".json"}:
                digest.update(path.relative_to(folder.parent).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(runtime_fingerprint().encode())
    return digest.hexdigest()


def state_file(cache: Path, out: Path) -> Path:
    """Return the file that keeps the state of builds into out."""
    return cache / STATE_FOLDER / f"{out.resolve().name}-{digest(str(out.resolve()))[:12]}.pickle"


def scratch_folder(cache: Path, out: Path) -> Path:
    """Return the folder where builds into out keep working files (the database's working copy)."""
    return state_file(cache, out).with_suffix(".work")


def load_state(cache: Path | None, code: str, out: Path) -> State:
    """Return the state kept in the cache folder for builds into out with this code version, or an empty one."""
    if cache is None:
        return State(code=code)
    try:
        with open(state_file(cache, out), "rb") as stream, collector_paused():
            state = pickle.load(stream)
    except UNREADABLE:
        return State(code=code)
    if not isinstance(state, State) or state.code != code:
        return State(code=code)
    state.pieces, state.saved_parts = load_pieces(pieces_folder(cache, out), code)
    state.records, state.saved_records = load_records(records_folder(cache, out), code)
    state.search = _search_mark(cache, out, code)
    return state


def save_state(cache: Path | None, state: State, out: Path) -> None:
    """Write the state to the cache folder through temporary files (a cache that cannot be written is skipped).

    The pieces and the records go into their parts, of which only those that changed are written.
    """
    if cache is None:
        return
    state.saved_parts = save_pieces(
        pieces_folder(cache, out), state.code, state.pieces, state.saved_parts, keep_pickled
    )
    state.saved_records = save_records(
        records_folder(cache, out), state.code, state.records, state.saved_records, keep_pickled
    )
    rest = dataclasses.replace(state, records={}, pieces={}, saved_parts={}, saved_records={}, search="")
    keep_pickled(state_file(cache, out), rest)
    save_search_mark(cache, state, out)


def save_search_mark(cache: Path | None, state: State, out: Path) -> None:
    """Write which pages the search index was made from (search.pages_mark; "": none), apart from the rest.

    make site saves its state while Pagefind runs (kcrecord/engine/search.py) and only this
    small file once Pagefind is done: a build stopped meanwhile finds "" and indexes again.
    """
    if cache is not None:
        keep_pickled(state_file(cache, out).with_suffix(".search"), (state.code, state.search))


def _search_mark(cache: Path, out: Path, code: str) -> str:
    try:
        with open(state_file(cache, out).with_suffix(".search"), "rb") as stream:
            kept = pickle.load(stream)
    except UNREADABLE:
        return ""
    ok = isinstance(kept, tuple) and len(kept) == 2 and kept[0] == code and isinstance(kept[1], str)
    return kept[1] if ok else ""


def pieces_folder(cache: Path, out: Path) -> Path:
    """Return the folder that keeps the pieces of builds into out, in parts."""
    return state_file(cache, out).with_suffix(".pieces")


def records_folder(cache: Path, out: Path) -> Path:
    """Return the folder that keeps the records of builds into out, in parts (kcrecord/engine/kept_records.py)."""
    return state_file(cache, out).with_suffix(".records")


def keep_pickled(target: Path, value: object) -> None:
    """Pickle value into target through a temporary file; a cache folder that cannot be written is skipped.

    A temporary file left by a build that was killed while writing it is removed by the next
    write of the same target, once it is LEFT_AFTER seconds old (no write takes that long).
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
        with os.fdopen(handle, "wb") as stream, collector_paused():
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, target)
        left = time.time() - LEFT_AFTER
        for other in target.parent.glob(f".{glob.escape(target.name)}-*"):
            if other.stat().st_mtime < left:
                other.unlink()
    except OSError:
        return


def listing(top: Path, skip: str) -> dict[str, tuple[int, int]]:
    """Return (size, mtime_ns) of every file below top by its path there, leaving out the top-level folder skip."""
    found: dict[str, tuple[int, int]] = {}
    folders = [(str(top), "")]
    while folders:
        here, prefix = folders.pop()
        try:
            entries = list(os.scandir(here))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if prefix or entry.name != skip:
                    folders.append((entry.path, prefix + entry.name + "/"))
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            found[prefix + entry.name] = (info.st_size, info.st_mtime_ns)
    return found


class Now:
    """What each recorded key is in the current revision (kcrecord/engine/deps.py lists the keys)."""

    def __init__(
        self,
        site: Site,
        files: dict[str, str],
        templates: dict[str, str],
        static: dict[str, str],
        plans: dict[str, str],
        memos: Callable[[str], str],
        pieces: Callable[[str], str] | None = None,
        fronts: dict[str, str] | None = None,
        file_keys: dict[str, str] | None = None,
    ) -> None:
        """file_keys: file:<path> and front:<path> for files and fronts, as kept (kcrecord/engine/file_keys.py)."""
        self.site = site
        self.files = files
        self.templates = templates
        self.static = static
        self.plans = plans
        self.memos = memos
        self.pieces = pieces
        self.fronts = fronts or {}
        self.known: dict[str, str] = {}  # what each key asked for is now, but memos (pieces once found)
        if file_keys is None:
            self.prime("file:", files)
            self.prime("front:", self.fronts)
        else:
            self.known.update(file_keys)
        self.prime("template:", templates)
        self.prime("static:", static)

    def prime(self, kind: str, fingerprints: dict[str, str], names: dict[str, str] | None = None) -> None:
        """Note what the keys kind+name are now, from fingerprints by name (as _work_out would find them).

        Each key interned: the object the frames that read it hold (kcrecord/engine/parallel.py).
        names: each name's key as made before (kept by the caller from one run to the next), so a
        run of the preview looks up 20,000 plan keys instead of joining and interning them again.
        """
        if names is None:
            self.known.update({intern(kind + name): fingerprint for name, fingerprint in fingerprints.items()})
            return
        try:
            keys = list(map(names.__getitem__, fingerprints))
        except KeyError:
            if len(names) > 2 * len(fingerprints) + 64:  # many names gone since they were kept
                names.clear()
            names.update({name: intern(kind + name) for name in fingerprints if name not in names})
            keys = list(map(names.__getitem__, fingerprints))
        self.known.update(zip(keys, fingerprints.values(), strict=True))

    def __call__(self, key: str) -> str:
        """Return key's fingerprint now ('' when it names nothing that exists).

        A memo's is asked each time: it changes within a revision once the memo is made again.
        A piece's is kept once known: a piece current in a revision is not made again in it (a
        worker process may make it again, with the same fingerprint); one that could not be made
        ahead ('') is asked again, as its reader may have made it since.
        """
        found = self.known.get(key)
        if found is None:
            if key.startswith("piece:"):  # ten for each incident: kept once known (a current piece stays current)
                found = self.pieces(key) if self.pieces is not None else ""
                if found:
                    self.known[key] = found
                return found
            found = self._work_out(key)
            if not key.startswith("memo:"):
                self.known[key] = found
        return found

    def _work_out(self, key: str) -> str:
        kind, _, name = key.partition(":")
        site = self.site
        if kind == "file":
            return self.files.get(name, "")
        if kind == "front":
            return self.fronts.get(name, "")
        if kind == "plan":
            return self.plans.get(name, "")
        if kind == "history":  # looked up without a read of the site (10,000 keys: no recording frame each)
            return object.__getattribute__(site, "history").fingerprint(name)  # type: ignore[no-any-return]
        if kind in ("coll", "commit", "derived"):
            with unrecorded():  # working a derived value out again is not a read of whatever is being made
                return site.fingerprint(key)
        if kind == "memo":
            return self.memos(key)  # notes nothing: the kept memo's fingerprint, or "" when not current
        if kind == "config":
            reads = object.__getattribute__(site.config, "_reads")
            return reads.get(name, {}).get(key, "")
        if kind == "agency-incidents":
            agency = object.__getattribute__(site, "agencies").get(name)
            return "" if agency is None else object.__getattribute__(agency, "_reads")["count"][key]
        if kind == "template":
            return self.templates.get(name, "")
        if kind == "static":
            return self.static.get(name, "")
        return "\0unknown key"

    def current(self, frame: dict[str, str]) -> bool:
        """Return True when every key in frame still has the fingerprint recorded there."""
        if frame.items() <= self.known.items():  # every read known, as recorded
            return True
        return all(self(key) == fingerprint for key, fingerprint in frame.items())
