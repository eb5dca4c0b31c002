"""Stage 5, write: put the rendered site in a fresh folder, then swap it into place."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path


def write_site(outputs: dict[str, bytes], static: Path, target: Path) -> None:
    """Write outputs and static files to a new folder next to target, then replace target."""
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
