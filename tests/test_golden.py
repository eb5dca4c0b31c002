"""The small site's output, compared with the golden copy (regenerate with `make golden`)."""

from __future__ import annotations

import difflib
from pathlib import Path

from tests.golden import GOLDEN, build_small_site, files_of


def test_small_site_matches_golden(tmp_path: Path) -> None:
    built = files_of(build_small_site(tmp_path))
    golden = files_of(GOLDEN)
    assert sorted(built) == sorted(golden), "files differ from tests/golden/; run `make golden` if intended"
    diffs = []
    for rel in sorted(golden):
        if built[rel] != golden[rel]:
            diffs += difflib.unified_diff(
                golden[rel].decode(errors="replace").splitlines(),
                built[rel].decode(errors="replace").splitlines(),
                f"golden/{rel}",
                f"built/{rel}",
                lineterm="",
            )
    assert not diffs, "output differs from tests/golden/ (run `make golden` if intended):\n" + "\n".join(diffs[:200])


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_small_site(tmp_path / "a")
    second = build_small_site(tmp_path / "b")
    assert files_of(first) == files_of(second)
