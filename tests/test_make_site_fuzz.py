"""make site's cache on a project of 40 incidents, driven with random edits: each build gives a clean build's bytes.

tests/test_engine_fuzz.py drives the same edits on the two-incident fixture; here the kept
files, pieces and records fill many parts (kcrecord/engine/kept_files.py, kept_pieces.py), so
kept incidents sit beside ones assembled again, and the base URL changes now and then (a kept
incident is for one base path), and the values the heavy memos read are spilled in every build
however few. KCRECORD_FUZZ_SEED and KCRECORD_FUZZ_STEPS run other sequences.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from kcrecord.engine import spill as spilling
from kcrecord.engine.engine import Engine
from tests.engine_edits import EDITS
from tests.record_factory import generated_project
from tests.test_engine_fuzz import COMMIT, attempt, differences, tree

SEED = int(os.environ.get("KCRECORD_FUZZ_SEED", "3"))  # 3: a base URL change after a link was added, among others
STEPS = int(os.environ.get("KCRECORD_FUZZ_STEPS", "30"))
BASES = [None, "https://example.net/elsewhere/"]  # make site's default (site.yaml's), and another


def link_edit(root: Path, rng: random.Random) -> tuple[list[Path], None]:
    """Add a link to the about page to an incident's narrative: its HTML then depends on the base path."""
    path = rng.choice(sorted((root / "content" / "incidents").glob("*.md")))
    path.write_text(path.read_text(encoding="utf-8") + "\nSee [how the record is made](/about/).\n", encoding="utf-8")
    return [path], None


def test_random_edits_to_a_larger_project_give_a_clean_builds_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spilling, "SPILL_FROM", 0)  # each build spills what the heavy memos read (engine/spill.py)
    rng = random.Random(SEED)
    root = generated_project(tmp_path / "project", 40, SEED)
    undo = None
    base = None
    for step in range(STEPS):
        if undo is not None:
            changed, undo, what = undo(), None, "undo"
        elif rng.random() < 0.15:
            base, changed, what = BASES[1] if base is None else None, [], "base URL"
        else:
            edit = rng.choice([*EDITS, link_edit, link_edit])
            changed, undo = edit(root, rng)
            what = edit.__name__
        where = f"seed {SEED}, step {step}: {what} {[p.relative_to(root).as_posix() for p in changed]}, base {base}"
        clean = tmp_path / "clean"
        want = attempt(root, Engine(root, clean, base_url=base, search=False, commit=COMMIT, workers=1).run)
        got = attempt(
            root,
            Engine(
                root, tmp_path / "site", base_url=base, cache=tmp_path / "cache", search=False, commit=COMMIT, workers=2
            ).run,
        )
        if isinstance(want, str) or isinstance(got, str):  # a template broken: both stop at a template error
            assert isinstance(want, str) and isinstance(got, str), (where, want, got)
        elif want.problems:
            assert sorted(got.problems) == sorted(want.problems), where
        else:
            assert got.ok, (where, got.problems)
            assert differences(tree(tmp_path / "site"), tree(clean)) == [], where
        shutil.rmtree(clean, ignore_errors=True)
