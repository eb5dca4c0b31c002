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

from kcrecord.content.load import ignored, plain_name, read_regular_file
from kcrecord.engine.deps import digest
from kcrecord.engine.input_hashes import KnownHashes, Status, status_of
from kcrecord.engine.state import STATE_FOLDER, keep_pickled, listing
from kcrecord.engine.write import read_manifest
from kcrecord.outputs.kept import UNREADABLE
from kcrecord.outputs.search_index import BUNDLE

FOLDERS = ("content", "templates", "static")


@dataclass
class Summary:
    """What the last build of an output folder was made from, wrote, and counted."""

    inputs: str
    written: dict[str, tuple[int, int]]
    counts: tuple[int, int]  # incidents, agencies


def input_fingerprint(
    root: Path,
    settings: str,
    code: str,
    commit: str,
    digests: dict[str, str] | None = None,
    known: KnownHashes | None = None,
) -> str | None:
    """Return the fingerprint of everything a build reads, or None when a file is not one the build reads plainly.

    The files are those the loader reads (hidden names left out), each read as a regular file
    without following links; a link, a device, a pipe or a file over the size limit anywhere
    returns None, and the build, which says what is wrong, runs instead. digests, when given,
    gets the hash of each file's bytes by its path below root: the build that follows looks its
    parsed files up by them instead of reading every file a second time (build_cache.CachedReader).
    known: the hashes the last build took; a file whose status is unchanged is not read again
    (kcrecord/engine/input_hashes.py), and known gets this build's.
    """
    known = KnownHashes(None) if known is None else known
    parts = [settings, code, commit]
    found: list[tuple[str, str, Status | None]] = []
    for folder in FOLDERS:
        files = _plain_files(os.path.join(root, folder), folder + "/")
        if files is None:
            return None
        found += files
    site_yaml = os.path.join(root, "site.yaml")
    try:
        found.append(("site.yaml", site_yaml, status_of(os.lstat(site_yaml))))
    except OSError:
        return None
    for rel, path, status in found:
        hashed = known.get(rel, status)
        if hashed is None:
            data, refused = read_regular_file(path, rel)  # as the loader reads it: a refusal is the build's to report
            if data is None or refused is not None:
                return None
            hashed = digest(data)
            known.put(rel, status, hashed)
        parts.append(f"{rel}\0{hashed}")
        if digests is not None:
            digests[rel] = hashed
    return digest("\n".join(parts))


def _plain_files(top: str, prefix: str) -> list[tuple[str, str, Status | None]] | None:
    """Return (path below the project, full path, status) of each file below top, sorted; None for a link, a pipe..."""
    if os.path.islink(top):
        return None
    found = []
    folders = [(top, prefix)]
    while folders:
        here, rel = folders.pop()
        try:
            entries = list(os.scandir(here))
        except FileNotFoundError:
            continue  # no static/ folder, say
        except OSError:
            return None  # a folder that cannot be read (permissions, a path too long): the build says so
        for entry in entries:
            if ignored(entry.name):
                continue
            if entry.is_symlink() or not plain_name(entry.name):
                return None
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, rel + entry.name + "/"))
            elif entry.is_file(follow_symlinks=False):
                try:
                    status = status_of(entry.stat(follow_symlinks=False))
                except FileNotFoundError:
                    status = None  # gone since the folder was listed: read_regular_file says so
                found.append((rel + entry.name, entry.path, status))
            else:
                return None
    return sorted(found)


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
    except UNREADABLE:
        return None
    if not isinstance(summary, Summary) or summary.inputs != inputs:
        return None
    seen = 0
    listed = read_manifest(out)  # what builds wrote there, as the folder's list says
    if listed is None or not summary.written.keys() <= listed:
        return None  # the list gone or cut short: the build writes it again
    for rel, found in listing(out, BUNDLE).items():  # (size, mtime_ns) of each file
        kept = summary.written.get(rel)
        if kept is None:
            if rel in listed:
                return None  # written by a build this summary does not know (--no-cache): the build removes it
            continue  # the marker, the list itself, a file someone else put there: left alone
        if found != kept:
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
