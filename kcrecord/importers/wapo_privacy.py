"""Keep the names of minors out of the repository without storing them: salted hashes of names.

The importer adds to imports/minor-name-hashes.txt a salted SHA-256 hash of the name (all its
words, and first and last word) of every person the dataset gives an age under 18, and of the
surname alone where it is rare in the dataset. A test hashes every run of words in every
tracked file and fails on a match, unless imports/minor-name-allowed.txt lists that match in
that file as reviewed (an adult who shares a name with a minor, a place called like a surname).
Hashes from earlier datasets are kept.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

SALT = "kc-police-record/minor-names/1"
SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}
MIN_SURNAME = 4  # letters; shorter surnames alone are too common to tell anything
COMMON_SURNAME = 3  # a surname shared by this many people in the dataset is not checked alone
MAX_WORDS = 5
_WORD = re.compile(r"[^\W\d_]+")
HEADER = (
    "# Salted SHA-256 hashes of the names of people The Washington Post's Fatal Force data gives an age\n"
    "# under 18 (full name, first and last name, and rare surnames alone), written by `build.py import wapo`.\n"
    "# tests/test_minor_names.py fails if any tracked file holds one of these names. Not the names.\n"
    f"# salt: {SALT}\n"
)


def words(text: str) -> list[str]:
    """Return the words of text folded for comparison: no accents, no case, apostrophes dropped."""
    text = unicodedata.normalize("NFKD", text.replace("’", "").replace("'", ""))
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    return _WORD.findall(text)


def digest(phrase: list[str]) -> str:
    """Return the salted hash of a run of folded words."""
    return hashlib.sha256(f"{SALT}\n{' '.join(phrase)}".encode()).hexdigest()


def name_hashes(name: str, surname_counts: Counter[str] | None = None) -> set[tuple[str, str]]:
    """Return ('name', hash) for the whole name and first+last, and ('surname', hash) for a rare surname."""
    parts = [word for word in words(name) if word not in SUFFIXES]
    if not parts:
        return set()
    found = {("name", digest(parts))}
    if len(parts) > 2:
        found.add(("name", digest([parts[0], parts[-1]])))
    surname = parts[-1]
    if len(parts) > 1 and len(surname) >= MIN_SURNAME and (surname_counts or Counter())[surname] < COMMON_SURNAME:
        found.add(("surname", digest([surname])))
    return found


def surname_counts(names: Iterable[str]) -> Counter[str]:
    """Count how many names in the dataset end in each surname."""
    counts: Counter[str] = Counter()
    for name in names:
        parts = [word for word in words(name) if word not in SUFFIXES]
        if len(parts) > 1:
            counts[parts[-1]] += 1
    return counts


def read_hashes(path: Path) -> set[tuple[str, str]]:
    """Read the hash file; a missing file holds no hashes."""
    if not path.is_file():
        return set()
    found = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        kind, _, value = line.partition(" ")
        if kind in ("name", "surname") and re.fullmatch(r"[0-9a-f]{64}", value):
            found.add((kind, value))
    return found


def update_hashes(path: Path, new: set[tuple[str, str]]) -> int:
    """Add new hashes to the file (written only when it changes); return how many were added."""
    old = read_hashes(path)
    added = new - old
    if added or not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(f"{kind} {value}\n" for kind, value in sorted(old | new))
        path.write_text(HEADER + body, encoding="utf-8")
    return len(added)


def find_names(text: str, hashes: set[tuple[str, str]]) -> list[tuple[int, str, str]]:
    """Return (line, kind, hash) for every hashed name (or rare surname) that appears in text."""
    names = {value for kind, value in hashes if kind == "name"}
    surnames = {value for kind, value in hashes if kind == "surname"}
    tokens = [(word, number) for number, line in enumerate(text.split("\n"), 1) for word in words(line)]
    found = set()
    for start, (word, number) in enumerate(tokens):
        if len(word) >= MIN_SURNAME and (value := digest([word])) in surnames:
            found.add((number, "surname", value))
        for length in range(2, MAX_WORDS + 1):
            phrase = [token for token, _ in tokens[start : start + length]]
            if len(phrase) == length and (value := digest(phrase)) in names:
                found.add((number, "name", value))
    return sorted(found)


def read_allowed(path: Path) -> set[tuple[str, str, str]]:
    """Read reviewed matches that are not a minor's name: (file, kind, hash), one per line, '#' comments."""
    if not path.is_file():
        return set()
    allowed = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) == 3 and parts[1] in ("name", "surname"):
            allowed.add((parts[0], parts[1], parts[2]))
    return allowed
