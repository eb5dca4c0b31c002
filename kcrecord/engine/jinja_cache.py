"""Compiled templates kept in memory across updates; Jinja checks each against its source before use."""

from __future__ import annotations

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
