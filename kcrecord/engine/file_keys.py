"""Each content file's fingerprints as the engine's keys say them (file:<path>, front:<path>), kept from run to run.

Every revision's Now (kcrecord/engine/state.py) starts knowing what file:<path> and front:<path>
are for every content file: 20,000 keys at 10,000 incidents. Built again at each of the
preview's updates they cost 20-25 ms; kept here, an update after an edit changes the edited
files' entries alone (the edit log says which, kcrecord/engine/edit_log.py), and a whole load
builds them all again.
"""

from __future__ import annotations

from collections.abc import Callable

from kcrecord.content.load import KINDS, Content, SourceFile
from kcrecord.content.recorded import file_key
from kcrecord.engine.edit_log import EditLog


class FileKeys:
    """Each content file's hash and its front matter's by path, and the keys file:<path> and front:<path>."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.fronts: dict[str, str] = {}
        self.keys: dict[str, str] = {}  # file:<path> and front:<path> -> fingerprint
        self._at: int | None = None  # the load they were last brought up to date with

    def update(self, content: Content, edits: EditLog, source_of: Callable[[Content, str], SourceFile]) -> None:
        """Bring them up to date with content (after in-place edits, only the files read again)."""
        edited = edits.since(self._at)
        if edited is None:
            every = [source for kind in KINDS for source in content.files[kind]]
            self.files = {source.rel: source.digest for source in every}
            self.fronts = {source.rel: source.front_digest for source in every}
            self.keys = {file_key(rel): digest for rel, digest in self.files.items()}  # the model's very keys
            self.keys.update({file_key(rel, "front:"): digest for rel, digest in self.fronts.items()})
        else:  # new dicts: a Now made before keeps the ones it was given
            self.files, self.fronts, self.keys = dict(self.files), dict(self.fronts), dict(self.keys)
            for rel in edited:
                found = source_of(content, rel)
                self.files[rel], self.fronts[rel] = found.digest, found.front_digest
                self.keys[file_key(rel)], self.keys[file_key(rel, "front:")] = found.digest, found.front_digest
        self._at = edits.version
