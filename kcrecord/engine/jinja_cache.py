"""Compiled templates kept across updates and builds; Jinja keys each by its name and its source's checksum."""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.bccache


class MemoryBytecodeCache(jinja2.BytecodeCache):
    """Keep compiled templates in memory, keyed by name and source checksum (Jinja's own key)."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


def bytecode_cache(cache: Path | None) -> jinja2.BytecodeCache:
    """Return a cache of compiled templates in cache/jinja/ (worker processes fill it too), or in memory."""
    if cache is None:
        return MemoryBytecodeCache()
    folder = cache / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return MemoryBytecodeCache()
    return jinja2.FileSystemBytecodeCache(str(folder))
