"""Each record's public history: when its file changed and why, from one pass over `git log`.

The build reads the history of the whole content/incidents/ folder with a single `git log`
(newest first, renames followed), so the cost grows with the number of changes, not with one
git call per file; 10,000 incidents are one command. The history is that of the commit checked
out (HEAD), so the same commit always gives the same pages. It is read only when the project
folder is the top of a full git checkout: outside one, without git, or in a shallow clone
(whose oldest commit would claim to add every file) there is no history and pages leave the
section out.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kcrecord.content import urls

FOLDER = "content/incidents"
MAX_SUBJECT = 200  # characters of a commit's first line kept for the page
_COMMIT = "\x1e"  # starts each commit's header line in the log (a character no commit line holds)
_FIELD = "\x1f"
_FORMAT = f"--format={_COMMIT}%H{_FIELD}%cs{_FIELD}%s"
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class Change:
    """One commit that changed a record's file."""

    commit: str  # the full commit id
    date: dt.date  # the commit's date (committer date, when the change entered the repository)
    subject: str  # the first line of the commit message


def _git(root: Path, *args: str) -> str | None:
    """Return git's output for args run in root, or None when git is missing or fails."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "-c", "core.quotepath=off", *args],
            capture_output=True,
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "replace")


def read_history(root: Path) -> dict[str, tuple[Change, ...]]:
    """Return, for each file under content/incidents/ (path relative to root), its changes, newest first.

    Empty when root is not the top of a full (not shallow) git checkout or git cannot be run.
    """
    top = _git(root, "rev-parse", "--show-toplevel", "--is-shallow-repository")
    if top is None:
        return {}
    lines = top.splitlines()
    if len(lines) != 2 or lines[1] != "false" or Path(lines[0]).resolve() != root.resolve():
        return {}
    log = _git(root, "log", _FORMAT, "--name-status", "-M", "--no-color", "HEAD", "--", FOLDER)
    return parse_log(log) if log else {}


def parse_log(log: str) -> dict[str, tuple[Change, ...]]:
    """Return each file's changes from `git log --name-status -M` output in _FORMAT, newest first.

    A rename carries the history of the old name over to the new one, so a record whose file
    was renamed keeps its earlier changes.
    """
    history: dict[str, list[Change]] = {}
    current: dict[str, str] = {}  # a path in an older commit -> the path the file has now
    change: Change | None = None
    for line in log.split("\n"):
        if line.startswith(_COMMIT):
            change = _header(line[1:])
            continue
        if change is None or not line.strip():
            continue
        status, _, paths = line.partition("\t")
        names = paths.split("\t")
        now = current.get(names[-1], names[-1])
        if status.startswith("R") and len(names) == 2:
            current[names[0]] = now  # older commits know the file by its old name
        if status.startswith("D"):
            continue  # a file deleted here is not (under this name) a record of today
        changes = history.setdefault(now, [])
        if not changes or changes[-1].commit != change.commit:
            changes.append(change)
    return {path: tuple(changes) for path, changes in history.items()}


def _header(line: str) -> Change | None:
    parts = line.split(_FIELD, 2)
    if len(parts) != 3 or not _SHA.fullmatch(parts[0]):
        return None
    try:
        date = dt.date.fromisoformat(parts[1])
    except ValueError:
        return None
    subject = " ".join(_NOT_TEXT.sub("", parts[2]).split())
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1].rstrip() + "…"
    return Change(parts[0], date, subject or "(no message)")


def commit_url(repository: str, commit: str) -> str | None:
    """Return the address of a commit on the repository's site, or None when the gate refuses it."""
    url = f"{repository.rstrip('/')}/commit/{commit}"
    return url if _SHA.fullmatch(commit) and urls.is_allowed(url) else None
