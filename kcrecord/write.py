"""Stage 5, write: put the rendered site in a fresh folder, then swap it into place."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_site(
    outputs: dict[str, bytes], static: Path, target: Path, before_swap: Callable[[Path], None] | None = None
) -> None:
    """Write outputs and static files to a new folder next to target, run before_swap on it, then replace target."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    try:
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
    """Replace target with fresh: rename the old folder aside, rename the new one in, delete the old."""
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        old.rmdir()
        target.rename(old)
    fresh.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
