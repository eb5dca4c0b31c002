"""Each incident file against the coverage site.yaml declares: checks of one file, kept per file by the engine.

An imported record must lie inside the span its source is declared complete for (else the span
is wrong, and the problem is reported at that line of site.yaml), and a record marked reviewed
must not still carry the importer's "not yet reviewed" words.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kcrecord.content.coverage import read_coverage, source_key
from kcrecord.content.load import Content, SourceFile
from kcrecord.content.problems import Problem

NOT_REVIEWED = re.compile(r"\bnot\s+yet\s+(?:been\s+)?reviewed\b", re.IGNORECASE)  # the importer's words


@dataclass(frozen=True)
class Span:
    """A source's span of completeness, and the lines of site.yaml that declare its ends."""

    key: str
    start: dt.date
    end: dt.date
    rel: str  # site.yaml's path
    from_line: int
    to_line: int


def record_spans(content: Content) -> tuple[Span, ...]:
    """Return the spans of the sources site.yaml declares complete (none when its coverage cannot be read)."""
    doc = content.config
    if doc is None or not isinstance(doc.data, dict) or not isinstance(doc.data.get("coverage"), dict):
        return ()
    return tuple(
        Span(
            source.key,
            source.start,  # type: ignore[arg-type]
            source.end,  # type: ignore[arg-type]
            content.config_rel,
            doc.line(("coverage", source.key, "from")),
            doc.line(("coverage", source.key, "to")),
        )
        for source in read_coverage(doc.data["coverage"])
        if source.is_complete
    )


def check_record(source: SourceFile, spans: tuple[Span, ...]) -> list[Problem]:
    """Return an incident file's problems with the declared coverage."""
    problems = _inside(source, spans)
    imported = source.meta.get("imported")
    if isinstance(imported, dict) and imported.get("reviewed") is True and source.doc is not None:
        problems += _reviewed_text(source)
    return problems


def _inside(source: SourceFile, spans: tuple[Span, ...]) -> list[Problem]:
    """Report an imported record dated outside its source's declared span (the span would then be wrong)."""
    meta = source.meta
    span = next((s for s in spans if s.key == source_key(meta)), None)
    date = meta.get("date")
    if span is None or not isinstance(date, dt.date) or span.start <= date <= span.end:
        return []
    end = "to" if date > span.end else "from"
    return [
        Problem(
            span.rel,
            span.to_line if end == "to" else span.from_line,
            f"coverage.{span.key}.{end}",
            f"{source.rel} was imported from {span.key} but is dated {date.isoformat()}, outside "
            f"{span.start} to {span.end}; widen the span to the dataset's real first and last dates",
        )
    ]


def _reviewed_text(source: SourceFile) -> list[Problem]:
    """Report a record marked reviewed whose summary or text still says it is not yet reviewed."""
    assert source.doc is not None
    problems = []
    summary = source.meta.get("summary")
    if isinstance(summary, str) and NOT_REVIEWED.search(summary):
        problems.append(
            Problem(
                source.rel,
                source.doc.line(("summary",)),
                "summary",
                "imported.reviewed is true but the summary still says it is not yet reviewed; "
                "write the summary in your own words from the sources you checked",
            )
        )
    for number, line in enumerate(source.body.split("\n")):
        if NOT_REVIEWED.search(line):
            problems.append(
                Problem(
                    source.rel,
                    source.body_line + number,
                    "body",
                    "imported.reviewed is true but the text still says it is not yet reviewed; "
                    "replace the importer's text with an account in your own words",
                )
            )
            break
    return problems
