"""Regenerate the golden copy of the small test site: `make golden` (on purpose only)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from kcrecord.engine.pipeline import Project, build
from tests.conftest import SMALL_SITE, copy_project

GOLDEN = Path(__file__).parent / "golden"
# Generated per build with content that is not ours to pin (search index binaries), and the SQLite
# database, whose bytes also depend on the SQLite library (tests/test_database.py pins it per machine).
IGNORED_PREFIXES = ("pagefind/", "data/incidents.db")


def build_small_site(work: Path) -> Path:
    """Build the small fixture site in work and return its output folder."""
    root = copy_project(SMALL_SITE, work / "project")
    out = work / "site"
    build(Project(root, out))
    return out


def files_of(folder: Path) -> dict[str, bytes]:
    """Return the compared files of a built site, by relative path."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).as_posix().startswith(IGNORED_PREFIXES)
    }


def main() -> None:
    """Rebuild tests/golden/ from the small fixture site."""
    with tempfile.TemporaryDirectory() as tmp:
        out = build_small_site(Path(tmp))
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in files_of(out).items():
            target = GOLDEN / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    print(f"Wrote {GOLDEN}")


if __name__ == "__main__":
    main()
