"""Stage 5, write: put the rendered site in a fresh folder, then swap it into place.

The swap only ever replaces a folder this tool wrote (it holds MARKER), an empty folder or
a missing one: `--out content` or `--out .` is refused before anything is touched. A build
killed part-way leaves `.site-new-<pid>-*` (and, between the two renames, `.site-old-<pid>-*`)
beside the output; the next build removes them once their process has ended, and puts an old
site back in place if the new one never arrived.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

MARKER = ".kcrecord-site"
MARKER_TEXT = b"Written by build.py (kcrecord). The next build replaces this whole folder.\n"


class OutputRefusedError(Exception):
    """The output folder is not one the build may replace; nothing was touched."""


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
        return not marker.is_symlink() and marker.is_file() and marker.read_bytes() == MARKER_TEXT
    except OSError:
        return False


def write_site(
    outputs: dict[str, bytes],
    static: Path,
    target: Path,
    before_swap: Callable[[Path], None] | None = None,
    root: Path | None = None,
) -> None:
    """Write outputs and static files to a new folder next to target, run before_swap on it, then replace target."""
    target = target.resolve()
    recover(target)
    check_target(target, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-{os.getpid()}-", dir=target.parent))
    try:
        (fresh / MARKER).write_bytes(MARKER_TEXT)
        for rel, data in sorted(outputs.items()):
            path = fresh / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if static.is_dir():
            shutil.copytree(static, fresh / "static", dirs_exist_ok=True)
        fresh.chmod(0o755)
        if before_swap is not None:
            before_swap(fresh)  # e.g. the search index, which reads the written pages
        swap_into_place(fresh, target)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise


def swap_into_place(fresh: Path, target: Path) -> None:
    """Replace target with fresh: rename the old folder aside, rename the new one in, delete the old.

    Killed between the renames, the old site waits in `.<name>-old-<pid>-*`; recover() puts
    it back at the next start.
    """
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-{os.getpid()}-", dir=target.parent))
        old.rmdir()
        target.rename(old)
    fresh.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


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
