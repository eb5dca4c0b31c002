"""Compiled templates kept across updates and builds, keyed by the code version, each checked when read.

Jinja keys a compiled template by its name and its source's checksum, but the code it compiles to
also depends on the environment (render.make_environment's settings and extensions) and on Jinja's
version: the compiled templates are kept in a folder named by the code version (state.code_version,
which covers both), and the folders of other code versions are removed. Each file holds the hash
of its bytes before them, so a damaged file is compiled again, never run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

import jinja2
import jinja2.bccache

CHECK = 32  # the bytes of the hash (SHA-256) kept before a compiled template
VERSION_DIGITS = 16  # the digits of the code version naming the folder
JINJA_NAME = re.compile(r"__jinja2_[0-9a-f]{40}\.cache")  # Jinja's FileSystemBytecodeCache's names
VERSION_FOLDER = re.compile(rf"[0-9a-f]{{{VERSION_DIGITS}}}")  # bytecode_cache's folders


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


class CheckedBytecodeCache(jinja2.BytecodeCache):
    """Keep compiled templates in a folder, one file each, with the hash of the compiled bytes before them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            data = (self.folder / f"{bucket.key}.cache").read_bytes()
        except OSError:
            return
        if len(data) <= CHECK or hashlib.sha256(data[CHECK:]).digest() != data[:CHECK]:
            return  # damaged or cut short: compiled again
        try:
            bucket.bytecode_from_string(data[CHECK:])
        except Exception:  # noqa: BLE001 - whatever the bytes hold, the template is compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = bucket.bytecode_to_string()
        try:
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as stream:
                stream.write(hashlib.sha256(data).digest() + data)
            os.replace(temporary, self.folder / f"{bucket.key}.cache")
        except OSError:
            return  # not kept: compiled again next time


def bytecode_cache(cache: Path | None, code: str) -> jinja2.BytecodeCache:
    """Return a cache of compiled templates in cache/jinja/<code version>/ (worker processes fill it too).

    The folders of other code versions, and the files an earlier layout kept in cache/jinja/, are removed.
    Without a cache folder, or when it cannot be made, the compiled templates are kept in memory.
    """
    if cache is None:
        return MemoryBytecodeCache()
    top = cache / "jinja"
    folder = top / code[:VERSION_DIGITS]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for other in top.iterdir():
            if other.is_dir() and other.name != folder.name and VERSION_FOLDER.fullmatch(other.name):
                shutil.rmtree(other, ignore_errors=True)
            elif other.is_file() and JINJA_NAME.fullmatch(other.name):
                other.unlink(missing_ok=True)  # Jinja's own file cache, as earlier builds kept it
    except OSError:
        return MemoryBytecodeCache()
    return CheckedBytecodeCache(folder)
