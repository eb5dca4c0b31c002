"""Each content file as read and its incident as assembled, kept in the cache folder in parts.

A build after an edit to one incident needs the other 9,999 as they were: read from their
files (front matter and body), and assembled (the incident with its body turned into HTML).
Kept one entry per file in 32 parts, pickled together, they load in one pass instead of 10,000
lookups of parsed files and 10,000 of rendered bodies (build_cache.py), and the incidents are
not assembled again.

An entry is used only for the very bytes it was read from: its key is the parsed-file cache's
(the reader's code, the file's kind, path and bytes' hash). Its incident is used only when
assembled for the same base path, and the parts are written by one code version (every
kcrecord module and the libraries, state.code_version): anything else it depends on is what the
file holds. A part that cannot be read, or whose bytes are not those written (each part's file
holds a hash of them: a value read only later, such as a front matter still pickled, is checked
too), is left out; its files are read again. A part is written again only when one of its
entries changed (kcrecord/engine/parts.py).
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from kcrecord.content.load import KINDS, Content, SourceFile
from kcrecord.content.problems import Problem
from kcrecord.content.recorded import file_of
from kcrecord.content.site_model import Incident, Site
from kcrecord.engine.deps import digest
from kcrecord.engine.parts import Parts, load_parts, save_parts
from kcrecord.engine.state import STATE_FOLDER

FILE_PARTS = 32
FOLDER = "files"


class KeptFile(NamedTuple):
    """One content file as read (with its problems), and its incident as assembled for base_path (None if none)."""

    key: str
    source: SourceFile
    problems: list[Problem]
    incident: Incident | None
    base_path: str


def files_folder(cache: Path) -> Path:
    """Return the folder of the cache folder that keeps the files' entries (one for every output folder)."""
    return cache / STATE_FOLDER / FOLDER


def file_part(rel: str) -> int:
    """Return the part a file's entry is kept in."""
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % FILE_PARTS


class KeptFiles:
    """The entries kept in a cache folder's engine/files/ by one code version (none without a folder)."""

    def __init__(self, folder: Path | None, code: str) -> None:
        self.folder = folder
        self.code = code
        self.entries: dict[str, KeptFile] = {}
        self._saved: Parts = {}
        if folder is not None:
            loaded, self._saved = load_parts(folder, code, FILE_PARTS, _unpacked)
            self.entries = {rel: entry for rel, entry in loaded.items() if _well_formed(rel, entry)}

    def read(self, rel: str, key: str, full: str) -> tuple[SourceFile, list[Problem]] | None:
        """Return the file rel as kept when it was read from the bytes key names (its location set to full)."""
        entry = self.entries.get(rel)
        if entry is None or entry.key != key:
            return None
        entry.source.location = full  # the project may have moved: the path is the one read now
        return entry.source, entry.problems

    def incidents(self, content: Content, base_path: str) -> dict[int, Incident]:
        """Return the kept incidents of content's files, assembled from the very SourceFile, by id of that file."""
        found = {}
        for source in content.files["incidents"]:
            entry = self.entries.get(source.rel)
            if (
                entry is not None
                and entry.source is source
                and entry.incident is not None
                and entry.base_path == base_path
            ):
                found[id(source)] = entry.incident
        return found

    def keep(
        self,
        content: Content,
        site: Site,
        key_of: Callable[[SourceFile], str | None],
        problems: Callable[[str], list[Problem]],
        keep_file: Callable[[Path, object], None],
    ) -> None:
        """Keep each file of content as read and its incident in site; write the parts that changed.

        An entry loaded and still in use is kept as it is. A new one is keyed by key_of(source): the
        key of the file's bytes now, read again, or None when they are not the bytes it was parsed
        from (saved again while the build ran: what was read then is not kept).
        """
        if self.folder is None:
            return
        published = {file_of(incident): incident for incident in site.incidents}
        base_path = site.config.base_path
        entries: dict[str, KeptFile] = {}
        for kind in KINDS:
            for source in content.files[kind]:
                incident = published.get(source.rel)
                before = self.entries.get(source.rel)
                if (
                    before is not None
                    and before.source is source
                    and before.incident is incident
                    and before.base_path == base_path
                ):
                    entries[source.rel] = before  # the very entry: its part is not written again
                    continue
                key = before.key if before is not None and before.source is source else key_of(source)
                if key is not None:
                    entries[source.rel] = KeptFile(key, source, problems(source.rel), incident, base_path)
        self.entries = entries
        self._saved = save_parts(
            self.folder, self.code, entries, self._saved, keep_file, file_part, FILE_PARTS, _stored
        )


def _stored(_number: int, part: dict[str, KeptFile]) -> tuple[str, bytes]:
    """Return what a part's file holds: the part pickled, and a hash of those bytes."""
    data = pickle.dumps(part, pickle.HIGHEST_PROTOCOL)
    return digest(data), data


def _unpacked(stored: tuple[str, bytes]) -> dict[str, KeptFile]:
    """Return the part a file holds; bytes changed on disk (even inside a value read later) leave it out."""
    check, data = stored
    if not isinstance(data, bytes) or digest(data) != check:
        raise ValueError("a part of the kept files changed on disk")
    try:
        return pickle.loads(data)  # type: ignore[no-any-return]
    except Exception as error:  # noqa: BLE001 - whatever the bytes are, not a part
        raise ValueError("a part of the kept files that does not read") from error


def _well_formed(rel: str, entry: object) -> bool:
    return (
        isinstance(entry, KeptFile)
        and isinstance(entry.key, str)
        and isinstance(entry.source, SourceFile)
        and entry.source.rel == rel
        and isinstance(entry.problems, list)
        and (entry.incident is None or isinstance(entry.incident, Incident))
        and isinstance(entry.base_path, str)
    )
