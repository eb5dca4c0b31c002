"""Every built page is valid HTML according to the Nu Html Checker (vnu.jar from node_modules)."""

from __future__ import annotations

from pathlib import Path

from tests.standards import require_vnu, vnu_problems


def test_every_built_page_is_valid_html(real_site: Path) -> None:
    require_vnu()
    pages = sorted(real_site.rglob("*.html"))
    assert len(pages) > 5
    problems = vnu_problems(real_site, pages)
    assert not problems, "\n".join(problems)
