"""Issue 11, class 8: a template error names the template file, its real line, and the chain that led there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.hostile import assert_refused, run_cli, tree_digest


def _insert(path: Path, after: str, text: str) -> int:
    """Insert text on a new line after the first line containing after; return the new line's number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if after in line)
    lines.insert(index + 1, text)
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 2


CASES = [
    # (template, a line it holds, the error to insert, the message, templates the chain must name)
    ("incident.html", "{% block head %}", "{{ no_such_name.attr }}", "'no_such_name' is undefined", ["base.html"]),
    ("base.html", "<body", "{{ site.no_such_attribute.x }}", "no_such_attribute", ["home.html"]),
    ("_partials/footer.html", "", "{{ 1 // 0 }}", "ZeroDivisionError", ["base.html"]),
    ("_macros.html", "{% macro", "{{ undefined_in_macro() }}", "undefined_in_macro", []),
    ("agency.html", "{% block content %}", "{{ agency.meta.no_field.deeper }}", "no_field", ["base.html"]),
    ("base.html", "<body", "{% if %}", "Expected an expression", []),
    ("_partials/header.html", "", "{% for x in %}", "Expected an expression", []),
    ("page.html", "{% block content %}", "{% endif %}", "endif", []),
]


@pytest.mark.parametrize(("template", "after", "bad", "message", "chain"), CASES)
def test_template_error_names_file_line_and_chain(
    small_project: Path, template: str, after: str, bad: str, message: str, chain: list[str]
) -> None:
    assert run_cli(small_project, "build").code == 0
    before = tree_digest(small_project / "site")
    line = _insert(small_project / "templates" / template, after, bad)
    run = run_cli(small_project, "build")
    assert_refused(run, message)
    first = run.err.strip().splitlines()[0]
    assert first.startswith(f"templates/{template}:{line}: template: "), first
    for other in chain:
        assert re.search(rf"called from templates/{re.escape(other)}:\d+", first), first
    assert tree_digest(small_project / "site") == before


@pytest.mark.parametrize("missing", ["_partials/header.html", "home.html"])
def test_a_missing_template_is_named_as_missing(small_project: Path, missing: str) -> None:
    """Found by an outside audit: a template deleted gave only its name (`template: _partials/header.html`)."""
    assert run_cli(small_project, "build", "--no-search").code == 0
    before = tree_digest(small_project / "site")
    (small_project / "templates" / missing).unlink()
    run = run_cli(small_project, "build", "--no-search")
    assert_refused(run, f"{missing}: no such template in templates/; create it, or correct the name")
    assert tree_digest(small_project / "site") == before
