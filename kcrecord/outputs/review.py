"""`build.py review`: list the imported records still waiting for a curator's review, longest waiting first.

How long a record has waited is counted from the commit that added its file (one pass over
`git log`), or from its `updated` date outside a git checkout or before it is committed.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kcrecord.content.coverage import is_reviewed
from kcrecord.content.load import load_content
from kcrecord.content.problems import ContentError
from kcrecord.content.validate import validate


@dataclass(frozen=True)
class Waiting:
    """One imported record not yet reviewed."""

    rel: str
    date: dt.date
    title: str
    since: dt.date  # when it was imported (or last changed, when git does not say)
    from_git: bool


def added_dates(root: Path, folder: str = "content/incidents") -> dict[str, dt.date]:
    """Return the date each file under folder was first committed, from one `git log` pass ({} outside git)."""
    try:
        result = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "log",
                "--diff-filter=A",
                "--format=%x00%ad",
                "--date=short",
                "--name-only",
                "--",
                folder,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if result.returncode != 0:
        return {}
    found: dict[str, dt.date] = {}
    for block in result.stdout.split("\0")[1:]:
        day, *paths = block.strip().splitlines()
        for path in paths:
            if path.strip():
                found[path.strip()] = dt.date.fromisoformat(day)  # newest commit first: the oldest add wins
    return found


def waiting_records(root: Path) -> list[Waiting]:
    """Return the valid content's imported, unreviewed, published records, longest waiting first; raise ContentError."""
    content, problems = load_content(root)
    problems += validate(content)
    if problems:
        raise ContentError(problems)
    added = added_dates(root)
    found = []
    for source in content.files["incidents"]:
        meta = source.meta
        if meta.get("draft") or is_reviewed(meta):
            continue
        key = Path(source.rel).as_posix()
        since = added.get(key, meta["updated"])
        found.append(Waiting(source.rel, meta["date"], meta["title"], since, key in added))
    return sorted(found, key=lambda w: (w.since, w.date, w.rel))


def report(records: list[Waiting], today: dt.date) -> str:
    """Return the list as printed: one record a line, then how to review one."""
    if not records:
        return "No imported record is waiting for review."
    lines = [
        f"{len(records)} imported record{'s' if len(records) != 1 else ''} waiting for review, longest waiting first:"
    ]
    for record in records:
        days = (today - record.since).days
        how = "imported" if record.from_git else "unchanged since"
        lines.append(
            f"{record.rel}  {record.date.isoformat()}  {record.title}  ({how} {record.since.isoformat()}, {_ago(days)})"
        )
    lines.append(
        "To review one: add the news sources you checked to its file, write the account in your own words, "
        "set imported.reviewed: true, then run python build.py check."
    )
    return "\n".join(lines)


def _ago(days: int) -> str:
    return "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"


def run(root: Path, today: dt.date | None = None) -> int:
    """Print the records waiting for review; return the exit status (1 when the content has problems)."""
    try:
        records = waiting_records(root)
    except ContentError as error:
        print(error.report("fix them, then list the records again"), file=sys.stderr)
        return 1
    print(report(records, today or dt.date.today()))
    return 0
