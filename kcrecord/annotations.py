"""Print problems as GitHub workflow commands, so each shows on its line in a pull request's diff."""

from __future__ import annotations

from kcrecord.content.problems import Problem


def escape_data(text: str) -> str:
    """Escape a workflow command's message: % first, then carriage returns and newlines."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as a message, plus ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(problem: Problem) -> str:
    """Return `::error file=PATH,line=N,title=FIELD::message` for one problem."""
    properties = {"file": problem.path, "line": str(problem.line), "title": problem.field}
    joined = ",".join(f"{name}={escape_property(value)}" for name, value in properties.items())
    return f"::error {joined}::{escape_data(problem.message)}"


def github_report(problems: list[Problem], summary: str) -> str:
    """Return one annotation per problem, sorted, then the plain summary line."""
    lines = [github_annotation(problem) for problem in sorted(problems)]
    lines.append(summary)
    return "\n".join(lines)
