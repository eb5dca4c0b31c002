"""Hostile values in well-formed files: each is a `path:line: field: message` saying what to write instead.

Numbers too large to store, a site.yaml without its vocabularies, malformed addresses, half a
pair of coordinates. YAML that cannot be read is in
tests/test_hostile_values_yaml.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kcrecord import cli
from kcrecord.content.json_schema import document_schema
from kcrecord.content.load import load_content
from kcrecord.content.validate import validate

REPO = Path(__file__).resolve().parent.parent
INCIDENT = "content/incidents/2024-03-05-example-shooting.md"
AGENCY = "content/agencies/example-pd.md"
PAGE = "content/pages/about.md"
TOO_LARGE = "is too large to store; write a number between -9,007,199,254,740,992 and 9,007,199,254,740,992"


def problems_of(root: Path) -> list[str]:
    """Return every problem `check` reports for the project at root, as printed."""
    content, problems = load_content(root)
    return [str(problem) for problem in sorted(set(problems + validate(content)))]


def edit(root: Path, rel: str, old: str, new: str) -> None:
    """Replace the one occurrence of old in root/rel with new."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, (rel, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- 1. whole numbers too large to store ---------------------------------------------------------

LARGE_CASES = {
    "officers_fired 2**63": (
        INCIDENT,
        "officers_fired: 1",
        "officers_fired: 9223372036854775808",
        f"{INCIDENT}:31: officers_fired: 9223372036854775808 {TOO_LARGE}",
    ),
    "age 2**53": (
        INCIDENT,
        "    outcome: injured\n",
        "    outcome: injured\n    age: 9007199254740992\n",
        f"{INCIDENT}:25: people[0].age: 9007199254740992 {TOO_LARGE}",
    ),
    "negative nav": (
        PAGE,
        "nav: 1",
        "nav: -9007199254740993",
        f"{PAGE}:3: nav: -9007199254740993 is too far below zero",
    ),
    "a number of 60 digits": (
        INCIDENT,
        "officers_fired: 1",
        "officers_fired: " + "9" * 60,
        f"{INCIDENT}:31: officers_fired: 99999999999999999999… {TOO_LARGE}",
    ),
    "agency list item": (
        AGENCY,
        "state: MO\n",
        "state: MO\nori_codes: [12345678901234567890]\n",
        f"{AGENCY}:7: ori_codes[0]: 12345678901234567890 {TOO_LARGE}, or put it in quotes",
    ),
    "text field": (
        INCIDENT,
        "summary: A fictional incident used by the tests.",
        "summary: 99999999999999999999",
        f"{INCIDENT}:3: summary: 99999999999999999999 {TOO_LARGE}",
    ),
    "site.yaml": ("site.yaml", "language: en", "language: 18446744073709551616", "site.yaml:12: language: 1844"),
}


@pytest.mark.parametrize("case", sorted(LARGE_CASES))
def test_a_whole_number_too_large_to_store_is_one_problem_at_its_line(small_project: Path, case: str) -> None:
    rel, old, new, expected = LARGE_CASES[case]
    edit(small_project, rel, old, new)
    problems = problems_of(small_project)
    assert len(problems) == 1, problems  # no second message from the schema's maximum or the text check
    assert problems[0].startswith(expected), problems


def test_the_largest_safe_number_is_accepted(small_project: Path) -> None:
    edit(small_project, PAGE, "nav: 1", "nav: 9007199254740991")
    edit(small_project, AGENCY, "state: MO\n", "state: MO\nori_codes: ['12345678901234567890']\n")
    assert problems_of(small_project) == []


def test_officers_fired_has_a_maximum_in_the_check_and_the_json_schema(small_project: Path) -> None:
    edit(small_project, INCIDENT, "officers_fired: 1", "officers_fired: 101")
    assert problems_of(small_project) == [f"{INCIDENT}:31: officers_fired: expected at most 100, got 101"]
    assert document_schema("incident.schema.json", {})["properties"]["officers_fired"]["maximum"] == 100


@pytest.mark.parametrize("command", ["check", "build"])
def test_a_number_too_large_stops_the_build_before_anything_is_written(
    small_project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    edit(small_project, INCIDENT, "officers_fired: 1", "officers_fired: 9223372036854775808")
    assert cli.main(["--root", str(small_project), command]) == 1
    captured = capsys.readouterr()
    assert f"{INCIDENT}:31: officers_fired: 9223372036854775808 {TOO_LARGE}" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not (small_project / "site").exists()


# -- 2. a site.yaml that cannot be read, or lacks a vocabulary -----------------------------------


def _truncate_states(root: Path) -> None:
    text = (root / "site.yaml").read_text(encoding="utf-8")
    (root / "site.yaml").write_text(text[: text.index("  states:\n")], encoding="utf-8")


def _site_yaml_pipe(root: Path) -> None:
    (root / "site.yaml").unlink()
    os.mkfifo(root / "site.yaml")


BROKEN_SITE = {
    "empty": (lambda root: (root / "site.yaml").write_bytes(b""), "site.yaml:1: vocabularies: required setting"),
    "not UTF-8": (lambda root: (root / "site.yaml").write_bytes(b"\xff\xfe"), "site.yaml:1: file: not UTF-8 text"),
    "a pipe": (_site_yaml_pipe, "site.yaml:1: file: not a regular file"),
    "a link": (
        lambda root: ((root / "site.yaml").unlink(), os.symlink(REPO / "site.yaml", root / "site.yaml")),
        "site.yaml:1: file: not a regular file",
    ),
    "vocabularies not groups": (
        lambda root: edit(root, "site.yaml", "vocabularies:\n", "vocabularies: [states]\nunused:\n"),
        "site.yaml:37: vocabularies: expected groups of 'value: Label' lines",
    ),
    "states a list": (
        lambda root: edit(root, "site.yaml", "  states:\n", "  states: [MO, KS]\n  unused:\n"),
        "site.yaml:114: vocabularies.states: expected 'value: Label' lines",
    ),
    "states empty": (
        lambda root: edit(root, "site.yaml", "  states:\n", "  states: {}\n  unused:\n"),
        "site.yaml:114: vocabularies.states: expected 'value: Label' lines",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_SITE))
def test_a_broken_site_yaml_is_reported_there_and_nowhere_else(small_project: Path, case: str) -> None:
    breaks, expected = BROKEN_SITE[case]
    breaks(small_project)
    problems = problems_of(small_project)
    assert any(problem.startswith(expected) for problem in problems), problems
    assert [p for p in problems if not p.startswith("site.yaml:")] == []
    assert not [p for p in problems if "expected one of ;" in p or "one of ," in p]


def test_a_vocabulary_site_yaml_leaves_out_is_reported_at_each_value_that_uses_it(small_project: Path) -> None:
    _truncate_states(small_project)
    problems = problems_of(small_project)
    assert problems and all("the vocabulary 'states' is missing from site.yaml" in p for p in problems), problems
    assert f"{AGENCY}:6: state: the vocabulary 'states' is missing from site.yaml" in "\n".join(problems)
    assert not [p for p in problems if "expected one of" in p]


def test_a_missing_vocabulary_no_file_uses_is_no_problem(small_project: Path) -> None:
    """The fixture's site.yaml has no threat_types: a project may leave out what it does not use."""
    assert "threat_types" not in (small_project / "site.yaml").read_text(encoding="utf-8")
    assert problems_of(small_project) == []


def test_without_a_vocabulary_a_missing_required_value_still_says_what_to_write(small_project: Path) -> None:
    _truncate_states(small_project)
    edit(small_project, AGENCY, "state: MO\n", "")
    problems = problems_of(small_project)
    assert (
        f"{AGENCY}:2: state: required field 'state' is missing in the front matter; write state: followed by "
        "a value listed under 'states' in site.yaml (see the field reference)"
    ) in problems


# -- 3. malformed addresses ------------------------------------------------------------------------

BAD_URLS = {
    "http://[::1/x": "the host name is malformed",
    "https://[zz]/": "the host name is malformed",
    "https://example.org]/": "the host name is malformed",
    "https://example.org:99999/": "the port after ':' must be a number from 1 to 65535",
    "https://example.org:0/": "the port after ':' must be a number from 1 to 65535",
    "https://example.org:http/": "the port after ':' must be a number from 1 to 65535",
    "https://exa mple.org/": "the address holds a space at character 12",
    "https://example.org/a\u200bb": "the address holds an invisible or blank character (U+200B) at character 22",
    "https://example.org/\u0085x": "the address holds an invisible or blank character (U+0085)",
    "https://:80/": "the address has no host name",
    "https://user@/x": "the address has no host name",
    "https://-bad-.org/": "'-bad-.org' is not a valid host name",
    "https://a..org/": "'a..org' is not a valid host name",
    "https://1.2.3.999/": "'1.2.3.999' is not a valid host name",
    "https://ex%41mple.org/": "'ex%41mple.org' is not a valid host name",
    "HTTPS://example.org/": "the address must start with https:// or http://",
}


@pytest.mark.parametrize("field", ["url", "archived_url"])
@pytest.mark.parametrize("value", sorted(BAD_URLS))
def test_a_malformed_address_in_a_field_says_what_a_valid_one_looks_like(
    small_project: Path, field: str, value: str
) -> None:
    quoted = json.dumps(value)  # a double-quoted YAML string: \u escapes give the invisible characters
    edit(small_project, INCIDENT, "    url: https://example.org/news/1", f"    {field}: {quoted}")
    problems = problems_of(small_project)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{INCIDENT}:40: sources[0].{field}: {BAD_URLS[value]}"), problems
    assert "https://example.org/page" in problems[0]


@pytest.mark.parametrize(
    "value",
    [
        "https://[::1]:8080/x",
        "http://127.0.0.1:8000/",
        "https://bücher.example/",
        "http://example.org:8080/path?q=a b".replace(" ", "%20") + "#part",
        "https://web.archive.org/web/2024/https://example.org/",
        "https://my_site.example.org./",
    ],
)
def test_a_well_formed_address_is_accepted(small_project: Path, value: str) -> None:
    edit(small_project, INCIDENT, "    url: https://example.org/news/1", f"    url: '{value}'")
    assert problems_of(small_project) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("repository: https://github.com/example/record", "repository: 'https://github.com:99999/x'", "site.yaml:10: "),
        ("base_url: https://example.org/record/", "base_url: 'https://example.org:99999/record/'", "site.yaml:9: "),
        ("    url: https://creativecommons.org/licenses/by/4.0/", "    url: 'http://[::1/x'", "site.yaml:16: "),
    ],
)
def test_a_malformed_address_in_site_yaml_is_refused(small_project: Path, old: str, new: str, expected: str) -> None:
    edit(small_project, "site.yaml", old, new)
    problems = problems_of(small_project)
    assert len(problems) == 1 and problems[0].startswith(expected), problems
    assert "write a full address such as https://" in problems[0]


# -- 4. half a pair of coordinates -----------------------------------------------------------------


@pytest.mark.parametrize(("given", "missing"), [("latitude", "longitude"), ("longitude", "latitude")])
def test_a_coordinate_needs_its_pair(small_project: Path, given: str, missing: str) -> None:
    edit(small_project, INCIDENT, "  precision: address-block\n", f"  precision: address-block\n  {given}: 0.0\n")
    assert problems_of(small_project) == [
        f"{INCIDENT}:16: location.{missing}: required field '{missing}' is missing; it is required because "
        f"'{given}' is set; write {missing}: followed by a number"
    ]


def test_both_coordinates_or_neither_are_accepted_and_the_json_schema_says_so(small_project: Path) -> None:
    edit(small_project, INCIDENT, "  precision: address-block\n", "  precision: address-block\n  latitude: 0.0\n")
    edit(small_project, INCIDENT, "  latitude: 0.0\n", "  latitude: 0.0\n  longitude: 0.0\n")
    assert problems_of(small_project) == []
    location = document_schema("incident.schema.json", {})["properties"]["location"]
    assert location["dependentRequired"] == {"longitude": ["latitude"], "latitude": ["longitude"]}


def test_the_committed_content_passes_every_new_rule() -> None:
    content, problems = load_content(REPO)
    assert [str(problem) for problem in problems + validate(content)] == []
