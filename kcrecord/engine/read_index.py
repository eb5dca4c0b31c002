"""Which outputs read each key, with which fingerprint: the stale outputs found without reading every frame.

An output is up to date while every key in its frame still has the fingerprint recorded there
(kcrecord/engine/state.py). Asking that of each of 20,000 frames costs 400,000 look-ups at
10,000 incidents; but those frames hold only about 40,000 distinct keys, each almost always
with one fingerprint. The index maps key -> fingerprint -> the outputs that recorded it, so
finding the outputs with a changed read costs one look-up per distinct key and fingerprint.
The answer is the same as reading every frame: an output is a candidate exactly when some key
in its frame has another fingerprint now.

The index follows the engine's records by identity: a record replaced, added or removed since
the last look is indexed again (a Record and its frame are never changed once made).
"""

from __future__ import annotations

from collections.abc import Callable

from kcrecord.engine.state import Record


class ReadIndex:
    """Key -> fingerprint -> output paths, kept in step with a dict of records."""

    def __init__(self) -> None:
        self._by_key: dict[str, dict[str, set[str]]] = {}
        self._indexed: dict[str, Record] = {}

    def sync(self, records: dict[str, Record]) -> None:
        """Index the records added or replaced since the last call, and forget the ones removed."""
        indexed = self._indexed
        for path in [path for path in indexed if path not in records]:
            self._remove(path, indexed.pop(path).frame)
        by_key = self._by_key
        for path, record in records.items():
            known = indexed.get(path)
            if known is record:
                continue
            if known is not None:
                self._replace(path, known.frame, record.frame)
                indexed[path] = record
                continue
            for key, fingerprint in record.frame.items():  # one loop: a first sync indexes 20,000 frames
                by_fingerprint = by_key.get(key)
                if by_fingerprint is None:
                    by_key[key] = {fingerprint: {path}}
                    continue
                paths = by_fingerprint.get(fingerprint)
                if paths is None:
                    by_fingerprint[fingerprint] = {path}
                else:
                    paths.add(path)
            indexed[path] = record

    def changed(self, now: Callable[[str], str]) -> set[str]:
        """Return the output paths that recorded some key with another fingerprint than now(key)."""
        found: set[str] = set()
        for key, by_fingerprint in self._by_key.items():
            current = now(key)
            if len(by_fingerprint) == 1 and current in by_fingerprint:
                continue  # the commonest: every reader saw what the key is now
            for fingerprint, paths in by_fingerprint.items():
                if fingerprint != current:
                    found |= paths
        return found

    def _replace(self, path: str, old: dict[str, str], new: dict[str, str]) -> None:
        """Index path's new frame in place of its old one, touching only the reads that differ.

        An output made again after one edit (a list of 10,000 incidents) reads what it read
        before but for a key or two.
        """
        self._remove(path, {key: fingerprint for key, fingerprint in old.items() if new.get(key) != fingerprint})
        by_key = self._by_key
        for key, fingerprint in new.items():
            if old.get(key) == fingerprint:
                continue
            by_fingerprint = by_key.setdefault(key, {})
            paths = by_fingerprint.get(fingerprint)
            if paths is None:
                by_fingerprint[fingerprint] = {path}
            else:
                paths.add(path)

    def _remove(self, path: str, frame: dict[str, str]) -> None:
        by_key = self._by_key
        for key, fingerprint in frame.items():
            by_fingerprint = by_key[key]
            paths = by_fingerprint[fingerprint]
            paths.discard(path)
            if not paths:
                del by_fingerprint[fingerprint]
                if not by_fingerprint:
                    del by_key[key]


def changed_reads(frame: dict[str, str], now: Callable[[str], str]) -> str:
    """Return "" when every read in frame is unchanged, "memos" when only memos changed, else "other"."""
    found = ""
    for key, fingerprint in frame.items():
        if now(key) != fingerprint:
            if not key.startswith("memo:"):
                return "other"
            found = "memos"
    return found
