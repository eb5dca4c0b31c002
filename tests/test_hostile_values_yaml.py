"""YAML that cannot be read: each problem is one line at the right line, saying what to write instead.

No message may carry PyYAML's internals: a newline, `in "<unicode string>", position 74`, or
a parser token such as '<document start>' or '<block end>'.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from kcrecord.content import yaml_strict
from tests.test_hostile_values import INCIDENT, edit, problems_of

INTERNALS = re.compile(r"unicode string|<[a-z ]+>|position \d|\n")
CONTROL = "the text holds an invisible control character"


def messages(text: str, offset: int = 2) -> list[str]:
    """Return every problem yaml_strict reports for text, as printed."""
    _doc, problems = yaml_strict.load(text, "f.md", offset)
    return [str(problem) for problem in problems]


def test_a_control_character_is_named_at_its_line_with_no_parser_internals(small_project: Path) -> None:
    edit(small_project, INCIDENT, "summary: A fictional", "summary: A \x00fictional")
    assert problems_of(small_project) == [
        f"{INCIDENT}:3: front matter: {CONTROL} (U+0000) at character 12 of this line; delete it"
    ]


@pytest.mark.parametrize(
    ("char", "said"),
    [
        ("\x01", f"{CONTROL} (U+0001)"),
        ("\x1b", f"{CONTROL} (U+001B)"),
        ("\x7f", f"{CONTROL} (U+007F)"),
        ("\x9f", f"{CONTROL} (U+009F)"),
        ("\ufffe", "the text holds U+FFFE at character 5 of this line, which is not a character text may hold"),
    ],
)
def test_each_character_yaml_cannot_read_is_named(char: str, said: str) -> None:
    found = messages(f"a: 1\nb: x{char}y\n")
    assert len(found) == 1 and found[0].startswith(f"f.md:3: front matter: {said}"), found
    assert found[0].endswith("; delete it") and not INTERNALS.search(found[0])


def test_every_line_with_a_control_character_is_reported_up_to_a_limit() -> None:
    assert messages("a: \x00\nb: ok\nc: \x01\n") == [
        f"f.md:2: front matter: {CONTROL} (U+0000) at character 4 of this line; delete it",
        f"f.md:4: front matter: {CONTROL} (U+0001) at character 4 of this line; delete it",
    ]
    found = messages("".join(f"k{n}: \x00\n" for n in range(30)))
    assert len(found) == 21
    assert found[-1].startswith("f.md:22: front matter: this line and 9 more below hold invisible control characters")


ONE_BLOCK = (
    "front matter: YAML could not be read: the fields must be one block of 'name: value' lines (in a content "
    "file, between the two '---' lines at its top); YAML directives such as '%YAML 1.1' and further '---' "
    "or '...' lines are not used: delete this line"
)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("%YAML 1.1\ntitle: x\n", 2),
        ("title: x\n%YAML 1.1\n", 3),
        ("%TAG ! tag:example.org,2024:\ntitle: x\n", 2),
        ("title: x\n--- # more\nsummary: y\n", 3),
        ("title: x\n--- summary: y\n", 3),
        ("title: x\n...\nsummary: y\n", 3),
    ],
)
def test_a_directive_or_document_marker_says_the_fields_are_one_block(text: str, line: int) -> None:
    assert messages(text) == [f"f.md:{line}: {ONE_BLOCK}"]


def test_a_directive_in_a_content_file_is_reported_at_its_line(small_project: Path) -> None:
    edit(small_project, INCIDENT, "---\ntitle:", "---\n%YAML 1.1\ntitle:")
    assert problems_of(small_project) == [f"{INCIDENT}:2: {ONE_BLOCK}"]


def test_a_second_dashes_line_inside_the_fields_leaves_the_fields_after_it_missing(small_project: Path) -> None:
    """The fields end at the first '---' line (a body may start with 'word: text'): the rest are reported missing."""
    edit(small_project, INCIDENT, "date: 2024-03-05\n", "date: 2024-03-05\n---\n")
    problems = problems_of(small_project)
    assert problems and all(problem.startswith(f"{INCIDENT}:") for problem in problems), problems
    assert any("required field 'location' is missing in the front matter" in problem for problem in problems)


def test_a_body_that_starts_with_a_word_and_a_colon_is_not_taken_for_fields(small_project: Path) -> None:
    edit(small_project, INCIDENT, "---\nOfficers were called", "---\nNote: officers were called")
    edit(small_project, "content/pages/about.md", "---\nA small test site.", "---\ntitle: a word the page has")
    assert problems_of(small_project) == []


@pytest.mark.parametrize("count", [2, 3])
def test_leading_byte_order_marks_are_named(small_project: Path, count: int) -> None:
    path = small_project / INCIDENT
    path.write_bytes(b"\xef\xbb\xbf" * count + path.read_bytes())
    assert (
        f"{INCIDENT}:1: file: the file starts with {count} invisible byte-order marks (U+FEFF) before its first "
        "line; save the file as UTF-8 without a byte-order mark (the first line must then be only '---')"
    ) in problems_of(small_project)


def test_a_byte_order_mark_in_a_field_name_is_named() -> None:
    assert messages("a: 1\n\ufeff\ufeffb: 2\n", offset=1) == [
        "f.md:2: front matter: the field name holds an invisible byte-order mark (U+FEFF); delete it, and save "
        "the file as UTF-8 without a byte-order mark"
    ]


MALFORMED = [
    "a: [1, 2",
    "a: {b: 1",
    "a: [b: c: d]",
    "a:\n  - 1\n - 2",
    "- a\nb: 1",
    "a: 1\n]",
    "a: 1\n}",
    'a: "x"y',
    "a: 'x' y",
    "a: >\n  x\n b",
    "a: 1\n- b",
    "a: @x",
    "a: `x",
    "a: %x",
    'a: "\\q"',
    'a: "\\x4"',
    "a: -\t1",
    "a:\n\tb: 1",
    "a: |\n x\ny",
    "a: b: c",
    "a: 'x",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_no_yaml_message_shows_parser_internals(text: str) -> None:
    found = messages(text)
    assert len(found) == 1, found
    assert not INTERNALS.search(found[0]), found[0]
    assert "; " in found[0].split("YAML could not be read: ", 1)[-1], found[0]  # says what to do


def test_random_damage_to_front_matter_never_shows_parser_internals() -> None:
    """Seeded: characters YAML treats specially, put anywhere in a real file's fields."""
    text = (Path(__file__).parent / "fixtures/site" / INCIDENT).read_text(encoding="utf-8")
    front = text.split("---\n")[1]
    pieces = ["\x00", "\x1b", "\x7f", "\ufffe", "%", "---", "...", "[", "]", "{", "}", ":", "- ", "\t", '"', "'"]
    pieces += ["@", "`", "\\", "\n", "\n  ", "&a ", "*a", "!", "|", ">", "#", "? ", "\ufeff"]
    rng = random.Random(7)
    for _ in range(400):
        damaged = front
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(len(damaged) + 1)
            damaged = damaged[:where] + rng.choice(pieces) + damaged[where:]
        for message in messages(damaged):
            assert not INTERNALS.search(message), (damaged, message)
