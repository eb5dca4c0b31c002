"""The commit a build is made from, for the provenance on the data page and in the downloads."""

from __future__ import annotations

import subprocess
from pathlib import Path

UNKNOWN = "unknown"


def git_commit(root: Path) -> str:
    """Return the full id of the commit checked out at root, or 'unknown' outside a git checkout."""
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
