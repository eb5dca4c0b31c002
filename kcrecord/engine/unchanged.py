"""make site with nothing changed: one pass over the inputs' bytes decides, before anything is loaded.

A build is a function of its inputs: every file the loader reads (content/, templates/, static/,
site.yaml, by the loader's own rule), the code version, the settings (base URL, search index on
or off) and the commit. After each build the cache folder keeps the fingerprint of those inputs,
the size and time of every file written, and the counts the command prints. When the inputs
have the same fingerprint and the output folder holds exactly the files written, each as
written, it is already what a build would make, and nothing else is read.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

from kcrecord.content.load import project_files, read_regular_file
from kcrecord.engine.deps import digest
from kcrecord.engine.state import STATE_FOLDER, keep_pickled, output_files
from kcrecord.engine.write import MARKER
from kcrecord.outputs.search_index import BUNDLE

FOLDERS = ("content", "templates", "static")


@dataclass
class Summary:
    """What the last build of an output folder was made from, wrote, and counted."""

    inputs: str
    written: dict[str, tuple[int, int]]
    counts: tuple[int, int]  # incidents, agencies


def input_fingerprint(root: Path, settings: str, code: str, commit: str) -> str | None:
    """Return the fingerprint of everything a build reads, or None when a file is not one the build reads plainly.

    Files are read as the loader reads them (regular files only, no links, within the size limit),
    so a hostile file falls through to the build, which says what is wrong with it.
    """
    problems: list = []
    parts = [settings, code, commit]
    paths = [path for folder in FOLDERS for path in project_files(root, folder, problems)] + [root / "site.yaml"]
    for path in paths:
        rel = path.relative_to(root).as_posix()
        data, refused = read_regular_file(path, rel)
        if data is None or refused is not None:
            return None
        parts.append(f"{rel}\0{digest(data)}")
    return None if problems else digest("\n".join(parts))


def _file(cache: Path, out: Path) -> Path:
    out = out.resolve()
    return cache / STATE_FOLDER / f"{out.name}-{digest(str(out))[:12]}.summary"


def unchanged(cache: Path, out: Path, inputs: str | None) -> Summary | None:
    """Return the last build's summary when out is already what a build from these inputs makes."""
    if inputs is None:
        return None
    try:
        with open(_file(cache, out), "rb") as stream:
            summary = pickle.load(stream)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(summary, Summary) or summary.inputs != inputs:
        return None
    seen = 0
    for rel, path in output_files(out, BUNDLE):
        if rel == MARKER:
            continue
        kept = summary.written.get(rel)
        if kept is None:
            return None  # a file the build did not write: the build removes it
        info = os.stat(path, follow_symlinks=False)
        if (info.st_size, info.st_mtime_ns) != kept:
            return None
        seen += 1
    return summary if seen == len(summary.written) else None


def remember(cache: Path, out: Path, summary: Summary) -> None:
    """Keep the summary of a build that succeeded (a cache folder that cannot be written is skipped)."""
    keep_pickled(_file(cache, out), summary)


def forget(cache: Path, out: Path) -> None:
    """Drop the summary: the next build looks at everything."""
    try:
        _file(cache, out).unlink()
    except OSError:
        return
