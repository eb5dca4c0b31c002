"""Refresh the search index after a build, only when an indexed page changed.

Pagefind reads the HTML pages of the output folder and writes its bundle into a staging folder
beside it; the bundle's files are then copied into <output>/pagefind/ only where their bytes
differ, and files of the old bundle that are gone are removed. A failed run leaves the old
bundle whole.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from kcrecord.engine.state import State
from kcrecord.outputs.search_index import BUNDLE, index_site


def refresh_search(out: Path, state: State, changed: list[str]) -> bool:
    """Index out again when an HTML page changed or the bundle is missing; return True when it ran."""
    bundle = out / BUNDLE
    if bundle.is_dir() and state.search == "done" and not any(rel.endswith(".html") for rel in changed):
        return False
    state.search = ""
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-search-", dir=out.parent))
    try:
        index_site(out, staging / BUNDLE)
        sync_folder(staging / BUNDLE, bundle)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    state.search = "done"
    return True


def sync_folder(source: Path, target: Path) -> None:
    """Make target hold exactly source's files, writing only those whose bytes differ."""
    wanted = {path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()}
    for rel in sorted(wanted):
        data = (source / rel).read_bytes()
        destination = target / rel
        try:
            if destination.read_bytes() == data:
                continue
        except OSError:
            pass
        destination.parent.mkdir(parents=True, exist_ok=True)
        (source / rel).replace(destination)
    if target.is_dir():
        for path in sorted(target.rglob("*"), reverse=True):
            rel = path.relative_to(target).as_posix()
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
