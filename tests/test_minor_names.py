"""No file in the repository names a person the data marks as a minor; this test stores no names itself.

imports/minor-name-hashes.txt holds salted hashes of the names of everyone The Washington Post's
data gives an age under 18 (written by the importer). The fixtures' own minors carry invented
names, read from the fixture files at test time and checked the same way everywhere else.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest

from kcrecord.importers.wapo import Options, run_import
from kcrecord.importers.wapo_privacy import (
    digest,
    find_names,
    name_hashes,
    read_allowed,
    read_hashes,
    surname_counts,
    update_hashes,
    words,
)

REPO = Path(__file__).resolve().parent.parent
HASHES = REPO / "imports" / "minor-name-hashes.txt"
ALLOWED = REPO / "imports" / "minor-name-allowed.txt"
WAPO = REPO / "tests" / "fixtures" / "wapo"
FIXTURE_DATA = sorted(WAPO.glob("*.csv"))


def tracked_text_files() -> list[str]:
    """Return every file git tracks that reads as text."""
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    found = []
    for rel in listing.decode("utf-8").split("\0"):
        path = REPO / rel
        if rel and path.is_file() and b"\0" not in path.read_bytes()[:8192]:
            found.append(rel)
    return found


def scan(files: list[str], hashes: set[tuple[str, str]]) -> list[str]:
    """Return 'path:line: kind hash' for every match not reviewed in the allowed list."""
    allowed = read_allowed(ALLOWED)
    hits = []
    for rel in files:
        text = (REPO / rel).read_bytes().decode("utf-8", errors="replace")
        for line, kind, value in find_names(text, hashes):
            if (rel, kind, value) not in allowed:
                hits.append(f"{rel}:{line}: {kind} {value}")
    return hits


def fixture_minor_names() -> list[str]:
    """Return the (invented) names of the rows under 18 in the WaPo fixtures."""
    names = []
    for path in FIXTURE_DATA:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                age = row.get("age") or ""
                if row.get("name") and age.isascii() and age.isdigit() and int(age) < 18:
                    names.append(row["name"])
    return names


def test_no_tracked_file_holds_the_name_of_a_minor_in_the_data() -> None:
    hashes = read_hashes(HASHES)
    assert len(hashes) > 200  # the 2022 data marks well over a hundred people as under 18
    files = [rel for rel in tracked_text_files() if rel != "imports/minor-name-hashes.txt"]
    assert "tests/fixtures/wapo/fatal-police-shootings-data.csv" in files
    hits = scan(files, hashes)
    assert hits == [], (
        "These lines hold the name (or rare surname) of someone the data marks as a minor. Remove it; "
        "if it is someone else's name, review it and add 'path kind hash' to imports/minor-name-allowed.txt:\n"
        + "\n".join(hits)
    )


def test_the_fixtures_minors_are_named_nowhere_else() -> None:
    names = fixture_minor_names()
    assert names  # the fixture keeps a row marked as a minor, with an invented name
    hashes = set().union(*(name_hashes(name) for name in names))
    files = [rel for rel in tracked_text_files() if REPO / rel not in FIXTURE_DATA]
    assert scan(files, hashes) == []


def test_the_checker_finds_a_name_however_it_is_written(tmp_path: Path) -> None:
    hashes = name_hashes("Zephyrine Oakhollow-Brandt Jr.")
    assert ("surname", digest(["brandt"])) in hashes
    found = [
        "She was Zephyrine Oakhollow-Brandt.",
        "ZEPHYRINE\nOAKHOLLOW BRANDT",  # across a line break: the line of the first word
        "Zéphyrine Oakhollow Brandt",  # accents folded
        "name: zephyrine brandt",  # first and last name
        "the Brandt family",  # a rare surname alone
        "Zephyrine O’akhollow-Brandt",  # apostrophes dropped
    ]
    for text in found:
        assert find_names(text, hashes), text
    assert find_names("x\ny\nZEPHYRINE\nOAKHOLLOW BRANDT", hashes)[0][0] == 3
    for text in ["Zephyrine Oakhollow", "Brand", "Zephyrine", "Oakhollow Zephyrine"]:
        assert not find_names(text, hashes), text


def test_common_and_short_surnames_are_not_checked_alone() -> None:
    counts = surname_counts(["A Smith", "B Smith", "C Smith", "D Quorvane"])
    assert ("surname", digest(["smith"])) not in name_hashes("Pat Smith", counts)
    assert ("surname", digest(["quorvane"])) in name_hashes("Pat Quorvane", counts)
    assert ("surname", digest(["li"])) not in name_hashes("Pat Li", counts)
    assert words("O'Neal-Ruiz, Jr.") == ["oneal", "ruiz", "jr"]


def test_the_importer_records_the_hashes_of_minors_and_keeps_old_ones(small_project: Path, tmp_path: Path) -> None:
    shutil.copy(REPO / "site.yaml", small_project / "site.yaml")
    target = tmp_path / "hashes.txt"
    assert update_hashes(target, {("name", digest(["older", "entry"]))}) == 1
    run_import(
        Options(
            data=WAPO / "fatal-police-shootings-data.csv",
            agencies=WAPO / "fatal-police-shootings-agencies.csv",
            content=small_project / "content",
            dataset_version=dt.date(2022, 12, 23),
            minor_hashes=target,
        )
    )
    stored = read_hashes(target)
    assert ("name", digest(["older", "entry"])) in stored
    for name in fixture_minor_names():
        assert name_hashes(name) & stored
    assert not any(
        word in target.read_text(encoding="utf-8").lower() for name in fixture_minor_names() for word in words(name)
    )
    before = target.read_bytes()
    assert update_hashes(target, stored) == 0 and target.read_bytes() == before
