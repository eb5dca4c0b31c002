"""Stage 2, check: the whole-site checks, and each file's own, kept per file with what they read.

A file's own checks depend on the file, the vocabularies, the agency ids, the coverage spans and
the date (the check's context); they are kept in the engine's state by the file's hash and the
context's, and done again only for files whose hash or context changed. After an in-place edit
(kcrecord/engine/edit_log.py) only the edited files are looked at: each other file is the very
object it was. The whole-site checks (site.yaml, coverage, slugs used twice) are made every time:
they read every file (coverage asks which import sources the incidents use), and at 10,000
files they take about 11 ms. A check with no file read again since the last one, on the same day,
answers as that one did (the preview's second pass after an edit).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from kcrecord.content.load import KINDS, Content, SourceFile
from kcrecord.content.problems import Problem
from kcrecord.content.record_coverage import record_spans
from kcrecord.content.validate import agency_ids_of, check_file, check_site, vocabularies_of
from kcrecord.engine.deps import digest

Checks = dict[str, tuple[tuple[str, str], list[Problem]]]  # rel -> ((file hash, context), problems)
Mapper = Callable[[Callable, list], list]

_NOT_CHECKED: tuple[tuple, list] = ((), [])


class Checker:
    """Check content; keep what each file's checks found for the next run."""

    def __init__(self) -> None:
        self.with_problems: dict[str, list[Problem]] = {}  # each file's own problems, for files with any
        self.context = ""
        self._last: tuple[str, list[Problem]] | None = None  # the day of the last check, and what it found

    def check(
        self, content: Content, checks: Checks, edited: list[SourceFile] | None, mapper: Mapper
    ) -> tuple[list[Problem], Checks, bool]:
        """Return every problem, the kept checks (checks, changed in place, or a new dict) and whether any was made.

        edited: the files read again in place since the last check (None: look at every file). With
        none read again on the day of the last check, its answer stands (the preview's second pass).
        """
        today = time.strftime("%Y-%m-%d")
        if edited is not None and not edited and self._last is not None and self._last[0] == today:
            return list(self._last[1]), checks, False
        vocabularies = vocabularies_of(content)
        agency_ids = agency_ids_of(content)
        spans = record_spans(content)
        context = digest(repr((vocabularies, sorted(agency_ids), spans, today)))
        site_problems = check_site(content)
        whole = edited is None or context != self.context  # every file is looked at
        sources = [source for kind in KINDS for source in content.files[kind]] if whole else edited
        todo = [s for s in sources if checks.get(s.rel, _NOT_CHECKED)[0] != (s.digest, context)]
        found = mapper(lambda s: check_file(s, vocabularies, agency_ids, spans), todo)
        checks.update((s.rel, ((s.digest, context), made)) for s, made in zip(todo, found, strict=True))
        if whole:
            if len(checks) != len(sources):  # files gone (each file now is in checks)
                checks = {s.rel: checks[s.rel] for s in sources}
            self.with_problems = {s.rel: checks[s.rel][1] for s in sources if checks[s.rel][1]}
        else:
            for source in todo:
                self.with_problems.pop(source.rel, None)
                if checks[source.rel][1]:
                    self.with_problems[source.rel] = checks[source.rel][1]
        self.context = context
        problems = site_problems + [problem for found in self.with_problems.values() for problem in found]
        self._last = (today, sorted(set(problems)))
        return list(self._last[1]), checks, bool(todo)
