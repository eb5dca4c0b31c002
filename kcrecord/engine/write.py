"""Which output folder the build may write, and cleaning up after a build that was killed.

The build only ever writes a folder this tool wrote (it holds MARKER), an empty folder or a
missing one: `--out content` or `--out .` is refused before anything is touched
(kcrecord/engine/output.py does the writing). A build killed part-way leaves its staging folder
`.site-stage-<pid>-*` beside the output (and an older version of the tool `.site-new-*` or
`.site-old-*`); the next build removes them once their process has ended, and puts an old site
back in place if a swap of the older tool never finished.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

MARKER = ".kcrecord-site"
MARKER_TEXT = b"Written by build.py (kcrecord). The next build replaces the files listed in .kcrecord-files.\n"
EARLIER_MARKER_TEXTS = (b"Written by build.py (kcrecord). The next build replaces this whole folder.\n",)
"""What the marker said before the build kept its list (MANIFEST): such a folder is one this tool wrote too."""
MANIFEST = ".kcrecord-files"
"""Beside the marker: every file the build wrote in the folder, one path a line. The next build removes
only those it no longer makes; a file someone else put there (a CNAME, .well-known/) is left as it is.
A folder with the marker and no list was written by the tool before it kept one, under the marker's
rule (the whole folder is the build's)."""


class OutputRefusedError(Exception):
    """The output folder is not one the build may replace (or write into as it is); nothing was touched."""

    paths: list[str] = []  # the outputs made but not written, when refused after making them


SOURCE_FOLDERS = ("content", "templates", "static", "kcrecord", "imports", "tests", ".git")


def check_target(target: Path, root: Path | None = None) -> None:
    """Raise OutputRefusedError unless target is missing, empty, or a site this tool built.

    With root (the project folder), target may also not be root, hold root, or lie inside
    one of root's source folders.
    """
    target = target.resolve()
    if root is not None:
        root = root.resolve()
        if target == root or target in root.parents:
            raise OutputRefusedError(f"{target}: refusing to write the site there: it would replace the project {root}")
        for name in SOURCE_FOLDERS:
            folder = root / name
            if target == folder or folder in target.parents:
                raise OutputRefusedError(f"{target}: refusing to write the site into {name}/; choose another --out")
    if not target.exists() and not target.is_symlink():
        return
    if target.is_symlink() or not target.is_dir():
        raise OutputRefusedError(f"{target}: not a folder; choose a new or empty folder for --out")
    if is_our_build(target) or not any(target.iterdir()):
        return
    raise OutputRefusedError(
        f"{target}: this folder holds files the build did not write (it has no {MARKER} file), "
        "so it will not be replaced; choose a new or empty folder for --out (a site this project built "
        "before the marker existed: delete it yourself first)"
    )


def is_our_build(folder: Path) -> bool:
    """Return True when folder holds the marker this tool writes: a regular file with the marker text."""
    marker = folder / MARKER
    try:
        ours = (MARKER_TEXT, *EARLIER_MARKER_TEXTS)
        return not marker.is_symlink() and marker.is_file() and marker.read_bytes() in ours
    except OSError:
        return False


def recover(target: Path) -> None:
    """Clean up after killed builds: restore a site left aside, remove their unfinished folders."""
    pattern = re.compile(rf"^\.{re.escape(target.name)}-(new|old|stage)-(\d+)-")
    if not target.parent.is_dir():
        return
    leftovers = []
    for entry in target.parent.iterdir():
        match = pattern.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink() or _alive(int(match.group(2))):
            continue
        if not is_our_build(entry) and any(entry.iterdir()):
            continue  # not ours: never delete what the tool did not create
        leftovers.append((match.group(1), entry))
    olds = sorted((entry for kind, entry in leftovers if kind == "old"), key=lambda p: p.stat().st_mtime)
    if olds and not target.exists() and not target.is_symlink():
        olds.pop().rename(target)  # the newest site put aside, back in place
    for _kind, entry in leftovers:
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a folder of an earlier process that had this pid
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_manifest(folder: Path) -> frozenset[str] | None:
    """Return the paths the build wrote in folder, as its list says; None when there is no list to trust.

    The list read last is kept while the file is the same (its size, time and inode): the preview
    commits after every edit, and reading 20,000 lines each time cost 10 ms.
    """
    path = folder / MANIFEST
    try:
        status = os.stat(path, follow_symlinks=False)
        if not stat.S_ISREG(status.st_mode):
            return None
        seen = (status.st_ino, status.st_size, status.st_mtime_ns)
        kept = _READ.get(str(path))
        if kept is not None and kept[0] == seen:
            return kept[1]
        listed = frozenset(path.read_text(encoding="utf-8").split("\n")) - {""}
    except (OSError, UnicodeDecodeError):
        return None
    _READ[str(path)] = (seen, listed)
    return listed


_READ: dict[str, tuple[tuple[int, int, int], frozenset[str]]] = {}


def write_manifest(folder: Path, paths: set[str] | frozenset[str]) -> None:
    """Write the list of the files the build wrote in folder (whole or not at all: a new file renamed into place).

    One path a line ("\n" only: a name holding another line break is refused by the loader).
    """
    temporary = folder / f"{MANIFEST}-{os.getpid()}"
    temporary.write_text("".join(f"{path}\n" for path in sorted(paths)), encoding="utf-8")
    os.replace(temporary, folder / MANIFEST)
