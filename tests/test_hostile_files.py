"""Issue 11, classes 4 and 5: each hostile file ends in `path:line: field: message`, exit 1, site/ untouched.

The cases are in tests/hostile_corpus.py. Each run is a real `build.py build` in a child
process whose memory is capped (tests/hostile.py), so a blow-up fails the test rather than
the machine; benchmarks/bench_hostile.py reports each case's time and peak memory.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kcrecord.engine.pipeline import Project, build
from tests.conftest import SMALL_SITE, copy_project
from tests.hostile import assert_refused, audit_site, run_cli, tree_digest
from tests.hostile_corpus import CASES, INCIDENT, Case

LOCATED = re.compile(r"^[\w./-]+(:\d+)?: [^:]+: ", re.MULTILINE)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_file_gets_a_message_and_changes_nothing(case: Case, tmp_path: Path, small_site: Path) -> None:
    root = copy_project(SMALL_SITE, tmp_path / "project")
    shutil.copytree(small_site, root / "site", symlinks=True)
    before = tree_digest(root / "site")
    case.make(root)
    run = run_cli(root, "build")
    assert_refused(run, *case.expected)
    assert LOCATED.search(run.err), run.err  # path:line: field: message
    assert tree_digest(root / "site") == before
    assert not [p.name for p in root.iterdir() if p.name.startswith(".site-")]


EXOTIC = [
    "\U0001f600",  # emoji
    "\ufffd",
    "\u0085",  # NEL: allowed in XML 1.0
    "\u2028",
    "\u200f",  # right-to-left mark
    "e\u0301",  # combining accent
    "]]>",
    "<![CDATA[",
    "&amp;",
    "</script>",
    '"',
    "'",
    "\t",
    "\U0010fffd",
    "\ufdd0",
]


def test_text_xml_can_hold_always_builds_parseable_feeds(tmp_path: Path) -> None:
    """Seeded random titles, summaries and site title from characters XML 1.0 can hold: every output parses."""
    rng = random.Random(4)
    root = copy_project(SMALL_SITE, tmp_path / "project")
    for path in sorted((root / "content").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for field in ("title", "summary", "name", "description"):
            noise = "".join(rng.choice(EXOTIC) for _ in range(8))
            quoted = json.dumps("Text " + noise, ensure_ascii=True)  # YAML reads JSON strings, escapes included
            line = f"{field}: {quoted}"
            text = re.sub(rf"^{field}: .*$", lambda _m, line=line: line, text, count=1, flags=re.MULTILINE)
        path.write_text(text, encoding="utf-8")
    out = tmp_path / "site"
    build(Project(root, out), search=False)
    for name in ("feed.xml", "sitemap.xml"):
        ET.parse(out / name)  # raises if not well-formed
    for path in out.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))
    assert audit_site(out, "https://example.org/record/") == []


def test_every_problem_in_every_file_is_listed_at_once(tmp_path: Path) -> None:
    """Several hostile files together: each is reported, none hides another."""
    root = copy_project(SMALL_SITE, tmp_path / "project")
    names = ("billion laughs", "link to /dev/zero", "image openers", "control in site.yaml")
    chosen = [case for case in CASES if case.name in names]
    for case in chosen:
        case.make(root)
    run = run_cli(root, "check")
    assert_refused(run, *(text for case in chosen for text in case.expected))
    for rel in (INCIDENT, "content/incidents/2024-04-01-zero.md", "content/agencies/example-pd.md", "site.yaml"):
        assert f"{rel}:" in run.err


def test_a_body_that_renders_too_slowly_is_a_problem_not_a_hang(
    small_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The time limit catches shapes the counts miss: with a tiny limit, an ordinary long body trips it."""
    from kcrecord.content import markdown_render
    from kcrecord.content.problems import ContentError

    monkeypatch.setattr(markdown_render, "RENDER_SECONDS", 0.001)
    page = small_project / "content/pages/about.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n" + "A sentence with *emphasis*.\n\n" * 400)
    with pytest.raises(ContentError) as caught:
        build(Project(small_project, small_project / "site"), search=False)
    # about.md's long body trips it; on a loaded machine a short body may trip the tiny limit first
    assert any(p.field == "body" and "took more than" in p.message for p in caught.value.problems)
    assert not (small_project / "site").exists()


@pytest.mark.parametrize(
    ("added", "message"),
    [("broken: [a, b\n", "YAML could not be read"), ("a: &x 1\nb: *x\n", "anchors and aliases")],
)
def test_a_problem_with_site_yaml_as_a_whole_is_not_called_front_matter(
    small_project: Path, added: str, message: str
) -> None:
    """Found by an outside audit: invalid YAML in site.yaml was reported as `site.yaml:13: front matter: ...`."""
    path = small_project / "site.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + added, encoding="utf-8")
    run = run_cli(small_project, "check")
    assert run.code == 1, run.err
    first = (run.err + run.out).strip().splitlines()[0]
    assert re.match(r"site\.yaml:\d+: settings: ", first) and message in first, first


@pytest.mark.parametrize("folder", ["incidents/2024-01-05-folder.md", "agencies/other-pd.md", "pages/faq.md"])
def test_a_folder_named_like_a_content_file_is_reported(small_project: Path, folder: str) -> None:
    """Found by an outside audit: an empty folder named like a content file was passed over without a word."""
    (small_project / "content" / folder).mkdir()
    before = tree_digest(small_project / "site")
    run = run_cli(small_project, "build", "--no-search")
    assert_refused(run, f"content/{folder}:1: file: a folder named like a Markdown file")
    assert tree_digest(small_project / "site") == before
