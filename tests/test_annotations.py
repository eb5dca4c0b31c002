"""`check --format github`: each problem as a workflow command GitHub shows on its line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.annotations import escape_data, escape_property, github_annotation, github_report
from kcrecord.content.problems import Problem


def test_message_escapes_percent_carriage_return_and_newline_only() -> None:
    assert escape_data("100% sure, a: b\r\nnext") == "100%25 sure, a: b%0D%0Anext"


def test_property_also_escapes_colon_and_comma() -> None:
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"


def test_percent_is_escaped_first_so_escapes_are_not_doubled() -> None:
    assert escape_property("%3A") == "%253A"
    assert escape_data("%0A") == "%250A"


def test_annotation_with_commas_colons_and_newlines() -> None:
    problem = Problem(
        "content/incidents/2024-11-07-a,b.md",
        14,
        "location.precision",
        "expected one of place, road; got 'plac'\nsee: site.yaml, 100%",
    )
    assert github_annotation(problem) == (
        "::error file=content/incidents/2024-11-07-a%2Cb.md,line=14,title=location.precision::"
        "expected one of place, road; got 'plac'%0Asee: site.yaml, 100%25"
    )


def test_field_with_brackets_and_colon_in_title() -> None:
    problem = Problem("f.md", 3, "people[0].name: odd", "m")
    assert github_annotation(problem) == "::error file=f.md,line=3,title=people[0].name%3A odd::m"


def test_report_sorts_and_ends_with_the_summary() -> None:
    problems = [Problem("b.md", 1, "x", "two"), Problem("a.md", 9, "y", "one")]
    assert github_report(problems, "2 problems in 2 files").split("\n") == [
        "::error file=a.md,line=9,title=y::one",
        "::error file=b.md,line=1,title=x::two",
        "2 problems in 2 files",
    ]


def test_check_format_github_end_to_end(
    small_project: Path, write_file, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    write_file(
        small_project,
        "content/incidents/2024-05-01-parking-lot.md",
        """
        ---
        title: Officer fires in a parking lot
        date: 2024-05-01
        time: 13:50
        location: {city: Example, state: MO, precision: plac}
        types: [police-shooting]
        agencies: [{id: example-pd, role: involved}]
        sources: [{id: s-1, title: "A headline", published: 2024-05-02}]
        updated: 2024-05-02
        time_of: shooting
        ---
        Text.[^s-1]
        """,
    )
    assert cli.main(["--root", str(small_project), "check", "--format", "github"]) == 1
    captured = capsys.readouterr()
    f = "content/incidents/2024-05-01-parking-lot.md"
    assert captured.out.splitlines() == [
        f"::error file={f},line=4,title=time::"
        'write the time in quotes, "13:50"; unquoted, YAML reads 13:50 as the number 830',
        f"::error file={f},line=5,title=location.precision::"
        "expected one of address-block, intersection, place, road, city, unknown; got 'plac'; "
        "did you mean 'place'? (vocabulary 'location_precision' in site.yaml)",
        "2 problems in 1 file; check again after fixing.",
    ]
    assert captured.err == ""


def test_check_format_github_when_all_is_well(small_project: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["--root", str(small_project), "check", "--format", "github"]) == 0
    assert capsys.readouterr().out.endswith("files checked, no problems found.\n")
