"""Stage 5, write: bring the output folder up to date, writing only the files whose bytes changed.

Rendered files go first to a staging folder beside the output (`.<name>-stage-<pid>-*`); only
when every output of the update has rendered are they moved into place, each with one rename,
and the outputs no longer made are removed. A template error therefore leaves the output as it
was, and a file whose bytes did not change keeps its modification time, so deploy tools upload
only what changed. The folder must be missing, empty or one this tool wrote (kcrecord/engine/write.py
says which); a build killed part-way leaves a staging folder that the next build removes, and
the next build compares every file with what it should be.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from kcrecord.engine.ahead import Ahead
from kcrecord.engine.deps import digest
from kcrecord.engine.state import listing
from kcrecord.engine.write import (
    EARLIER_MARKER_TEXTS,
    MANIFEST,
    MARKER,
    MARKER_TEXT,
    OutputRefusedError,
    check_target,
    read_manifest,
    recover,
    write_manifest,
)
from kcrecord.outputs.spooled import Spooled

SEARCH_BUNDLE = "pagefind"  # written by the search index, beside the pages
Placed = tuple[bool, tuple[int, int]] | None
"""What OutputFolder.place did: nothing, or (staged, (size, mtime_ns)): staged, or the file there kept."""


class OutputFolder:
    """The output folder and the files the build wrote there."""

    def __init__(self, target: Path, written: dict[str, tuple[int, int]], root: Path | None = None) -> None:
        self.target = target.resolve()
        self.root = root
        self.written = written  # output path -> (size, mtime_ns) when the build last wrote it
        self._stage: Path | None = None
        self._staged: dict[str, tuple[int, int]] = {}  # rel -> (size, mtime_ns) of the staged file
        self._folders: set[str] = set()  # folders made in the staging folder
        self.changed: list[str] = []
        self._listing: dict[str, tuple[int, int]] | None = None  # every file's (size, mtime_ns), from scan()
        self._ahead: Ahead[dict[str, tuple[int, int]]] | None = None

    def scan(self) -> None:
        """Look at every file in the folder once: unchanged_on_disk and commit's clean-up then use what was seen.

        After use_ahead, the look listing_ahead took (nothing of the build is written in between).
        """
        ahead, self._ahead = self._ahead, None
        self._listing = listing(self.target, SEARCH_BUNDLE) if ahead is None else ahead.result()

    def use_ahead(self, ahead: Ahead[dict[str, tuple[int, int]]] | None) -> None:
        """Let scan() use the look at every file that listing_ahead started (None: closed if one was given before)."""
        self.close()
        self._ahead = ahead

    def close(self) -> None:
        """Stop a look started ahead and not used (the run ended early)."""
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None

    def prepare(self) -> None:
        """Clean up after killed builds and refuse a folder the build may not replace."""
        recover(self.target)
        check_target(self.target, self.root)

    def unchanged_on_disk(self, rel: str, known_digest: str | None = None) -> bool:
        """Return True when the file at rel is the one the build wrote: same size and time, or else same bytes.

        The bytes are compared (with known_digest, the hash of what was written) when only the time
        differs, as after a deploy cache restored the folder with coarser times.
        """
        kept = self.written.get(rel)
        if self._listing is not None:
            seen = self._listing.get(rel)
        else:
            try:
                info = os.stat(os.path.join(self.target, rel), follow_symlinks=False)
                seen = (info.st_size, info.st_mtime_ns)
            except OSError:
                seen = None
        if seen is None:
            return False
        if seen == kept:
            return True
        if known_digest is None or (kept is not None and seen[0] != kept[0]):
            return False
        try:
            same = digest((self.target / rel).read_bytes()) == known_digest
        except OSError:
            return False
        if same:
            self.written[rel] = seen
        return same

    def put(self, rel: str, data: bytes | Spooled, known_digest: str | None = None) -> str:
        """Stage data for rel unless the file there already holds it; return the digest of data."""
        made, placed = self.place(rel, data, known_digest)
        self.note(rel, placed)
        return made

    def place(self, rel: str, data: bytes | Spooled, known_digest: str | None = None) -> tuple[str, Placed]:
        """Do put's work on disk only, and return the digest and what note() must remember of it.

        It changes nothing in this object, so a worker process forked once the staging folder was
        made (staging()) can place the files it makes, and the engine's process notes them.
        """
        made = data.digest if isinstance(data, Spooled) else digest(data)
        if known_digest is not None and self.unchanged_on_disk(rel):  # no digest given: it changes nothing
            if known_digest == made:
                return made, None  # the file the build wrote holds it
        elif self._listing is None or rel in self._listing:  # a file scan() did not see is not there to keep
            try:
                with open(os.path.join(self.target, rel), "rb") as file:
                    same = data.same_as(file) if isinstance(data, Spooled) else file.read() == data
                if same:
                    info = os.stat(os.path.join(self.target, rel), follow_symlinks=False)
                    return made, (False, (info.st_size, info.st_mtime_ns))
            except OSError:
                pass
        stage = str(self.staging())
        path = os.path.join(stage, rel)
        folder = os.path.dirname(path)
        if folder not in self._folders:
            _make_below(stage, os.path.dirname(rel))
            self._folders.add(folder)  # this process's own: another process's only finds them made
        with open(path, "wb") as file:
            if isinstance(data, Spooled):
                data.write_to(file)  # never whole in memory (kcrecord/outputs/spooled.py)
            else:
                file.write(data)
            file.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(file.fileno(), 0o644)  # whatever the umask
            info = os.fstat(file.fileno())
        if not hasattr(os, "fchmod"):
            os.chmod(path, 0o644)
        return made, (True, (info.st_size, info.st_mtime_ns))  # a rename into place keeps both

    def note(self, rel: str, placed: Placed) -> None:
        """Remember what place() did for rel: a file staged, or the file there found to hold the bytes."""
        if placed is not None:
            staged, seen = placed
            if staged:
                self._staged[rel] = seen
            else:
                self.written[rel] = seen

    def commit(self, keep: Iterable[str], scan: bool = True) -> list[str]:
        """Remove the outputs not in keep, then move staged files into place; return what changed.

        Removed first: a file the last build wrote may stand where a folder of this build's goes
        (static/x made static/x/y), or a folder where a file goes.

        With scan, every file in the folder that the build wrote (its list, MANIFEST) but keep is
        removed, whatever the build remembers, and files someone else put there are left; without,
        only the files the build remembers writing.
        """
        keep = set(keep)
        self._refuse_links([*self._staged, *(() if scan else (rel for rel in self.written if rel not in keep))])
        self.target.mkdir(parents=True, exist_ok=True)
        marker = self.target / MARKER
        earlier = not marker.is_symlink() and marker.is_file() and marker.read_bytes() in EARLIER_MARKER_TEXTS
        if not marker.is_file() or marker.read_bytes() != MARKER_TEXT:
            marker.write_bytes(MARKER_TEXT)
        listed = read_manifest(self.target)
        if listed is not None:
            ours: set[str] | None = listed | self.written.keys()
        else:  # no list: an older tool's folder is all the build's (README); else only what the build remembers
            ours = None if earlier else set(self.written)
        if listed is None or not keep <= listed:  # listed before anything moves: a build killed now left only these
            listed = frozenset((listed or set()) | keep | self.written.keys())
            write_manifest(self.target, listed)
        changed = list(self._staged)
        if scan:  # first: an output gone may stand where a new one goes (a file that is now a folder, or the reverse)
            gone = self._remove_others(keep, ours)
        else:
            gone = sorted(rel for rel in self.written if rel not in keep)
            for rel in gone:
                (self.target / rel).unlink(missing_ok=True)
                self.written.pop(rel, None)
                _remove_empty_parents(self.target / rel, self.target)
        if self._stage is not None:
            self._move_staged(self._stage)
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
            self._folders = set()
        changed += gone
        if scan:
            if listed != keep:  # every other file of the build's is gone
                write_manifest(self.target, keep)
        elif gone:  # keep, listed above, may be a part (the preview's quick pass): all the rest stay listed
            write_manifest(self.target, listed - set(gone))
        self._staged = {}
        self._listing = None
        self.changed = changed
        return changed

    def _refuse_links(self, paths: list[str]) -> None:
        """Raise OutputRefusedError, with nothing written, when a folder on the way to one of paths is a link.

        The output folder is the tool's, but a link in it (site/static pointing elsewhere) is not: a
        file moved or removed there would be written or removed wherever the link points. A link
        where a file goes is replaced, as the file would be. The refused outputs' records are
        given with the error (`paths`), so the engine makes them again next time.
        """
        absent: set[str] = set()  # folders not there: nothing below them is either (a cold build's)
        checked: set[str] = set()
        for rel in paths:
            folder = ""
            for part in rel.split("/")[:-1]:  # from the top down
                folder = f"{folder}/{part}" if folder else part
                if folder in absent:
                    break
                if folder in checked:
                    continue
                checked.add(folder)
                try:
                    mode = os.lstat(os.path.join(self.target, folder)).st_mode
                except OSError:  # not there (or not a folder on the way): nothing to write through
                    absent.add(folder)
                    break
                if stat.S_ISLNK(mode):
                    refused = list(self._staged)
                    self.abandon()
                    error = OutputRefusedError(
                        f"{self.target / folder}: a link, where the build writes files; the build never writes "
                        "through a link: remove the link (what it points at is left as it is) and build again"
                    )
                    error.paths = refused
                    raise error

    def abandon(self) -> None:
        """Drop what was staged: the output folder stays as it was."""
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
        self._stage = None
        self._staged = {}
        self._folders = set()

    def _move_staged(self, stage: Path) -> None:
        """Move every staged file into place: a whole top-level folder the output lacks with one rename.

        A cold build (no output yet) so moves its 20,000 files with a handful of renames.
        """
        plain: dict[str, bool] = {}  # top-level folder: whether every staged path in it is plain (no "..")
        for rel in self._staged:
            top, slash, _rest = rel.partition("/")
            if slash:
                plain[top] = plain.get(top, True) and os.path.normpath(rel) == rel
        whole = {top for top, ok in plain.items() if ok and not os.path.lexists(os.path.join(self.target, top))}
        for top in whole:
            os.replace(os.path.join(stage, top), os.path.join(self.target, top))
        for rel, seen in self._staged.items():
            if rel.partition("/")[0] not in whole or "/" not in rel:
                destination = os.path.join(self.target, rel)
                os.makedirs(os.path.dirname(destination), exist_ok=True)
                os.replace(os.path.join(stage, rel), destination)
            self.written[rel] = seen

    def staging(self) -> Path:
        """Return the staging folder, made first if need be (before forking workers that place files)."""
        if self._stage is None:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._stage = Path(
                tempfile.mkdtemp(prefix=f".{self.target.name}-stage-{os.getpid()}-", dir=self.target.parent)
            )
            (self._stage / MARKER).write_bytes(MARKER_TEXT)  # so recover() knows the folder is ours
        return self._stage

    def _remove_others(self, keep: set[str], ours: set[str] | None) -> list[str]:
        """Remove the files the build wrote (ours; None: every file, in a folder an older tool wrote) but keep."""
        removed = []
        # seen by scan() at the start, when it ran: the build itself adds only files in keep
        present = self._listing if self._listing is not None else listing(self.target, SEARCH_BUNDLE)
        for rel in list(present):
            if rel in (MARKER, MANIFEST) or rel in keep:
                continue
            if ours is not None and rel not in ours and not _left_list(rel):
                continue  # not the build's: left as it is
            with contextlib.suppress(FileNotFoundError):  # gone since the scan
                os.unlink(os.path.join(self.target, rel))
            self.written.pop(rel, None)
            removed.append(rel)
        for rel in removed:
            _remove_empty_parents(self.target / rel, self.target)
        return sorted(removed)


def _make_below(top: str, below: str) -> None:
    """Make the folder below top (a path relative to it, each part made in turn, as written), never top itself.

    top is the staging folder, made before any worker was forked: if it is gone, the build gave
    it up (or the next build removed what a killed one left), and a worker must not make it again
    without its marker, where no later build would remove it.
    """
    current = top
    for part in below.split("/") if below else ():
        current = os.path.join(current, part)
        with contextlib.suppress(FileExistsError):
            os.mkdir(current)  # FileNotFoundError when top is gone
    if current == top and not os.path.isdir(top):
        raise FileNotFoundError(errno.ENOENT, "the staging folder is gone", top)


def _left_list(rel: str) -> bool:
    """Return True for a list a killed build was writing (MANIFEST-<pid>): the build's own, never listed."""
    number = rel[len(MANIFEST) + 1 :] if rel.startswith(MANIFEST + "-") else ""
    return number.isdigit() and int(number) != os.getpid()


def _remove_empty_parents(path: Path, top: Path) -> None:
    folder = path.parent
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def listing_ahead(target: Path) -> Ahead[dict[str, tuple[int, int]]]:
    """Start scan()'s look at every file of target in a forked process, after prepare()'s clean-up of killed builds.

    make site starts it before loading its state: a process forked while small costs little, and
    the child looks while the build loads and plans.
    """
    target = target.resolve()
    recover(target)
    return Ahead(partial(listing, target, SEARCH_BUNDLE))
