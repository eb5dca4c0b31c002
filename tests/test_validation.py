"""Every validation case: the exact message and line, exit 1, and an untouched site/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.content.load import load_content
from kcrecord.content.validate import validate

BAD = Path(__file__).parent / "fixtures" / "bad"
F = "content/incidents/2024-05-01-parking-lot.md"

# fixture -> (where it is installed in the project, the exact problems expected)
CASES = {
    "incident_yaml_malformed.md": (
        None,
        [
            f"{F}:2: front matter: YAML could not be read: mapping values are not allowed here; "
            "a value that contains ': ' must be put in quotes"
        ],
    ),
    "incident_front_matter_unclosed.md": (
        None,
        [
            f"{F}:1: front matter: the opening '---' on line 1 is never closed; "
            "add a line containing only '---' after the last field"
        ],
    ),
    "incident_missing_required.md": (
        None,
        [
            f"{F}:2: title: required field 'title' is missing in the front matter; write title: followed by text",
            f"{F}:3: location.precision: required field 'precision' is missing under 'location'; "
            "write precision: followed by one of address-block, intersection, place, road, city, unknown",
        ],
    ),
    "incident_unknown_field.md": (
        None,
        [
            f"{F}:4: location.city: required field 'city' is missing under 'location'; write city: followed by text",
            f"{F}:5: location.citty: unknown field 'citty'; did you mean 'city'?",
        ],
    ),
    "incident_wrong_type.md": (None, [f"{F}:16: officers_fired: expected a whole number, got 'three'"]),
    "incident_impossible_date.md": (
        None,
        [f"{F}:16: updated: 2024-02-30 is not a real date; check the month and day (expected YYYY-MM-DD)"],
    ),
    "incident_time_unquoted.md": (
        None,
        [f'{F}:4: time: write the time in quotes, "13:50"; unquoted, YAML reads 13:50 as the number 830'],
    ),
    "incident_time_without_time_of.md": (
        None,
        [
            f"{F}:4: time_of: required field 'time_of' is missing; it is required because 'time' is set; "
            "write time_of: followed by one of shooting, call, first-report"
        ],
    ),
    "incident_yaml11_boolean.md": (
        None,
        [f"{F}:18: people[0].description: YAML reads 'NO' as false; put it in quotes (\"NO\") if you meant the text"],
    ),
    "incident_duplicate_key.md": (
        None,
        [f"{F}:17: types: duplicate key 'types' (first given on line 8); keep one and delete the other"],
    ),
    "incident_vocab_typo.md": (
        None,
        [
            f"{F}:7: location.precision: expected one of address-block, intersection, place, road, city, unknown; "
            "got 'plac'; did you mean 'place'? (vocabulary 'location_precision' in site.yaml)"
        ],
    ),
    "incident_unknown_agency.md": (
        None,
        [f"{F}:10: agencies[0].id: unknown agency 'exampel-pd'; did you mean 'example-pd'?"],
    ),
    "incident_unknown_source.md": (
        None,
        [
            f"{F}:18: body: cites source 'gazette-2024-05-03', which is not in this file's sources "
            "(gazette-2024-05-02); did you mean 'gazette-2024-05-02'?"
        ],
    ),
    "incident_filename_date_mismatch.md": (
        "2024-05-03-parking-lot.md",
        [
            "content/incidents/2024-05-03-parking-lot.md:3: date: the file name says 2024-05-03 but date is "
            "2024-05-01; rename the file to 2024-05-01-parking-lot.md or correct the date"
        ],
    ),
    "incident_duplicate_slug.md": (
        "2024/2024-03-05-example-shooting.md",
        [
            "content/incidents/2024-03-05-example-shooting.md:1: file: slug '2024-03-05-example-shooting' is also "
            "used by content/incidents/2024/2024-03-05-example-shooting.md; give one of the files another name"
        ],
    ),
    "incident_minor_named.md": (
        None,
        [
            f"{F}:18: people[0].name: a person marked minor: true is never named; remove the name and describe "
            "them instead (e.g. 'infant daughter, about four months old')"
        ],
    ),
    "incident_house_number.md": (
        None,
        [
            f"{F}:5: location.near: '4512 North Elm Avenue' looks like a house number; give the block instead "
            "(e.g. '4500 block of ...') or the nearest intersection"
        ],
    ),
}


def install(project: Path, fixture: str, target: str | None) -> None:
    """Copy a bad-input fixture into the project's incidents folder."""
    path = project / "content" / "incidents" / (target or "2024-05-01-parking-lot.md")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(BAD / fixture, path)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under folder with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in BAD.glob("*.md")) == sorted(CASES)


def test_small_site_is_valid(small_project: Path) -> None:
    content, problems = load_content(small_project)
    assert problems + validate(content) == []


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_bad_input_gives_exact_messages(small_project: Path, fixture: str) -> None:
    target, expected = CASES[fixture]
    install(small_project, fixture, target)
    content, problems = load_content(small_project)
    problems += validate(content)
    assert [str(p) for p in sorted(problems)] == expected


@pytest.mark.parametrize("fixture", sorted(CASES))
def test_bad_input_exits_1_and_leaves_site_untouched(
    small_project: Path, fixture: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--root", str(small_project), "build"]) == 0
    before = snapshot(small_project / "site")
    capsys.readouterr()
    target, expected = CASES[fixture]
    install(small_project, fixture, target)
    assert cli.main(["--root", str(small_project), "build"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[:-1] == expected
    count = len(expected)
    assert err[-1] == (f"{count} problem{'s' if count > 1 else ''} in 1 file; nothing was built, site/ is unchanged.")
    assert snapshot(small_project / "site") == before


def test_every_problem_in_every_file_is_reported_sorted(
    small_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(small_project, "incident_time_unquoted.md", "2024-05-01-b.md")
    install(small_project, "incident_vocab_typo.md", "2024-05-01-a.md")
    assert cli.main(["--root", str(small_project), "check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0:2] for line in err[:-1]] == [
        ["content/incidents/2024-05-01-a.md", "7"],
        ["content/incidents/2024-05-01-b.md", "4"],
    ]
    assert err[-1] == "2 problems in 2 files; check again after fixing."


def test_check_reports_no_problems_for_valid_content(small_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--root", str(small_project), "check"]) == 0
    assert "no problems found" in capsys.readouterr().out
    assert not (small_project / "site").exists()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("officers_fired: 0123", "officers_fired: YAML reads '0123' as the number 83; put it in quotes"),
        ("draft: yes", "draft: write true or false, not 'yes'"),
        ("summary: 2024-01-01", "summary: expected text, got the date 2024-01-01; put it in quotes"),
        ("updated: 11/7/2024", "updated: expected a date as YYYY-MM-DD, got '11/7/2024'"),
        ('time: "25:00"\ntime_of: shooting', "time: expected a 24-hour time in quotes, like \"13:50\", got '25:00'"),
    ],
)
def test_more_yaml_traps(small_project: Path, write_file, line: str, expected: str) -> None:
    text = (BAD / "incident_filename_date_mismatch.md").read_text()
    key = line.split(":")[0]
    lines = [row for row in text.splitlines() if not row.startswith(key + ":")]
    lines.insert(2, line)
    write_file(small_project, "content/incidents/2024-05-01-traps.md", "\n".join(lines) + "\n")
    content, problems = load_content(small_project)
    messages = [f"{p.field}: {p.message}" for p in problems + validate(content)]
    assert len(messages) == 1
    assert messages[0].startswith(expected)
