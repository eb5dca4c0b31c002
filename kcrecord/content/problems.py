"""A problem found in a content file, reported as `path:line: field: message`."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A file name or value holding a newline or other control character must not break the one-line report.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing a contributor must fix, located by file, line and field."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        line = f"{self.path}:{self.line}: {self.field}: {self.message}"
        return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), line)


class ContentError(Exception):
    """Raised when content has problems; carries every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems)

    def report(self, closing: str = "nothing was built, site/ is unchanged") -> str:
        """Return every problem, one per line, then a count followed by closing (what happened because of them)."""
        files = len({p.path for p in self.problems})
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        fnoun = "file" if files == 1 else "files"
        lines = [str(p) for p in self.problems]
        lines.append(f"{count} {noun} in {files} {fnoun}; {closing}.")
        return "\n".join(lines)
