"""Reconcile Fatal Force rows with what content/ already holds.

Files are read with the package's own front-matter reader (`load.split_front_matter` and
`yaml_strict`); a file whose front matter cannot be read is reported, never guessed at. A file
the importer wrote and nobody has touched since (its checksum still matches and it is not
marked reviewed) may be rewritten; any other file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kcrecord.content import yaml_strict
from kcrecord.content.area import place_key
from kcrecord.content.load import split_front_matter
from kcrecord.importers.wapo_read import Row
from kcrecord.importers.wapo_write import is_pristine

# The block the importer writes, as it writes it: enough to know a pristine file without YAML.
_IMPORTED_BLOCK = re.compile(
    r"^imported:\n  source: wapo\n  id: ([0-9]+)\n  dataset_version: ([0-9]{4}-[0-9]{2}-[0-9]{2})\n"
    r"  reviewed: false\n",
    re.MULTILINE,
)


@dataclass
class Existing:
    """A content file already on disk."""

    path: Path
    text: str
    meta: dict

    @property
    def imported_id(self) -> int | None:
        """Return the WaPo row or agency id the importer wrote this file for, if it did."""
        block = self.meta.get("imported")
        if isinstance(block, dict) and block.get("source") == "wapo" and type(block.get("id")) is int:
            return block["id"]
        return None

    @property
    def version(self) -> dt.date | None:
        """Return the dataset version recorded in the file."""
        block = self.meta.get("imported")
        value = block.get("dataset_version") if isinstance(block, dict) else None
        return value if isinstance(value, dt.date) else None

    @property
    def writable(self) -> bool:
        """Return True when the importer may rewrite the file: untouched since written, not reviewed."""
        block = self.meta.get("imported")
        reviewed = isinstance(block, dict) and block.get("reviewed") is True
        return not reviewed and is_pristine(self.text)


def read_existing(folder: Path, root: Path) -> tuple[list[Existing], list[str]]:
    """Read the front matter of every .md file in folder; return the files and any problems reading them."""
    found: list[Existing] = []
    problems: list[str] = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        rel = _rel(path, root)
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"{rel}:1: file: cannot be read as UTF-8 text ({err}); the importer leaves it alone")
            found.append(Existing(path, "", {}))
            continue
        quick = _IMPORTED_BLOCK.search(text)
        if quick and is_pristine(text):
            # Exactly as the importer wrote it, so its layout is known: skip parsing YAML.
            block = {"source": "wapo", "id": int(quick.group(1)), "reviewed": False}
            block["dataset_version"] = dt.date.fromisoformat(quick.group(2))
            found.append(Existing(path, text, {"imported": block}))
            continue
        front, _body, _line, split_problems = split_front_matter(text.replace("\r\n", "\n"), rel)
        doc, yaml_problems = (None, []) if front is None else yaml_strict.load(front, rel, offset=2)
        for problem in split_problems + yaml_problems:
            problems.append(str(problem))
        meta = doc.data if doc is not None and isinstance(doc.data, dict) else {}
        found.append(Existing(path, text, meta))
    return found, problems


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _name_key(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", " ", unicodedata.normalize("NFKD", str(name)).lower()).strip()


@dataclass
class Curated:
    """The curated incidents, indexed for finding a row that is already in the record."""

    files: list[Existing]

    def match(self, row: Row) -> tuple[Existing, str] | None:
        """Return the curated incident that covers this row, and why, if any."""
        for item in self.files:
            ids = item.meta.get("wapo_ids")
            if isinstance(ids, list) and row.id in ids:
                return item, "listed in its wapo_ids"
        for item in self.files:
            if isinstance(item.meta.get("wapo_ids"), list):
                continue  # a curator has said which rows this incident covers
            location = item.meta.get("location") if isinstance(item.meta.get("location"), dict) else {}
            same_place = (
                place_key(str(location.get("city", ""))) == place_key(row.city) and location.get("state") == row.state
            )
            if item.meta.get("date") == row.date and same_place:
                return item, "same date and city"
            people = item.meta.get("people") if isinstance(item.meta.get("people"), list) else []
            names = {_name_key(p.get("name")) for p in people if isinstance(p, dict) and p.get("name")}
            if row.name and _name_key(row.name) in names and location.get("state") == row.state:
                return item, "same person's name"
        return None


@dataclass
class Outcome:
    """What placing one file did: 'created', 'updated', 'unchanged' or 'kept', and a message."""

    action: str
    message: str | None = None


def place_file(
    target: Path, render: Callable[[dt.date], str], version: dt.date, previous: Existing | None, root: Path
) -> Outcome:
    """Write render(version) to target unless nothing would change or a curator owns the file.

    A file whose row has not changed keeps its dataset version and `updated` date: the text is
    first rendered with the version already in the file, and left alone when that is what the
    file holds. Only a change in the row (or in how the importer writes it) gives it the new
    version.
    """
    rel = _rel(target, root)
    if previous is None:
        if target.exists():
            return Outcome("kept", f"{rel}: already exists and was not written by this import; not overwritten")
        _write(target, render(version))
        return Outcome("created")
    old_rel = _rel(previous.path, root)
    if previous.path == target and previous.version is not None and previous.text == render(previous.version):
        return Outcome("unchanged")
    if not previous.writable:
        return Outcome("kept", f"{old_rel}: reviewed or edited by a curator; not overwritten")
    if previous.path != target and target.exists():
        return Outcome("kept", f"{rel}: already exists and was not written by this import; not overwritten")
    _write(target, render(version))
    if previous.path != target:
        previous.path.unlink()
        return Outcome("updated", f"{old_rel}: moved to {rel} (the dataset changed its date or city)")
    return Outcome("updated")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
