"""The commit a build is made from, for the provenance on the data page and in the downloads.

Asking git costs a process (7-13 ms in the preview's 1 GB process), twice an edit. In a plain
checkout (root/.git a folder, no GIT_DIR) the answer depends only on HEAD, the branch's own ref
file and packed-refs: while HEAD and the ref file hold the same bytes and packed-refs is the
same file, the last answer is given again. Anything else (a worktree, a submodule, a project
inside another repository, a symbolic ref, refs in the reftable format) asks git every time.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

UNKNOWN = "unknown"

_ANSWERED: dict[Path, tuple[tuple, str]] = {}  # root -> (what rev-parse read, its answer)


def git_commit(root: Path) -> str:
    """Return the full id of the commit checked out at root, or 'unknown' outside a git checkout."""
    read = _what_head_reads(root)
    if read is not None:
        answered = _ANSWERED.get(root)
        if answered is not None and answered[0] == read:
            return answered[1]
    commit = _rev_parse(root)
    if read is not None and commit != UNKNOWN and read == _what_head_reads(root):  # unchanged while git ran
        _ANSWERED[root] = (read, commit)  # not a failure, which may pass (a timeout, git not found for now)
    return commit


def _what_head_reads(root: Path) -> tuple | None:
    """Return HEAD's bytes, its branch's ref file's bytes and packed-refs' identity; None outside a plain checkout."""
    if "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ:
        return None
    folder = root / ".git"
    try:
        if not folder.is_dir() or folder.is_symlink() or (folder / "reftable").exists():
            return None  # the reftable format keeps refs in files of its own
        head = (folder / "HEAD").read_bytes()
        if not head.startswith(b"ref: "):
            return (head,)  # a detached HEAD names its commit
        ref = head[5:].strip().decode("utf-8")
        if not ref.startswith("refs/") or ".." in ref:
            return None
        try:
            loose = (folder / ref).read_bytes()
        except FileNotFoundError:
            loose = None
        if loose is not None and loose.startswith(b"ref:"):
            return None
        try:
            packed = os.stat(folder / "packed-refs")
            packed_id: tuple | None = (packed.st_ino, packed.st_size, packed.st_mtime_ns)
        except FileNotFoundError:
            packed_id = None
    except (OSError, UnicodeDecodeError):
        return None
    return (head, loose, packed_id)


def _rev_parse(root: Path) -> str:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    commit = result.stdout.strip()
    if result.returncode != 0 or len(commit) != 40:
        return UNKNOWN
    return commit
