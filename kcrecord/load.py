"""Stage 1, load: read every content file and site.yaml into documents with line numbers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import yaml_strict
from .problems import Problem

KINDS = ("incidents", "agencies", "pages")


@dataclass
class SourceFile:
    """One Markdown file with front matter, as read from disk."""

    kind: str  # incidents | agencies | pages
    path: Path
    rel: str  # path shown in messages, relative to the project
    slug: str
    doc: yaml_strict.Document | None
    body: str
    body_line: int  # file line of the body's first line
    digest: str  # hash of the raw bytes, for caching

    @property
    def meta(self) -> dict:
        """Return the front matter as a dict (empty when it could not be read)."""
        data = self.doc.data if self.doc else None
        return data if isinstance(data, dict) else {}


@dataclass
class Content:
    """Everything the build reads: settings and all content files."""

    root: Path
    config: yaml_strict.Document | None
    config_rel: str
    files: dict[str, list[SourceFile]] = field(default_factory=dict)


def split_front_matter(text: str, rel: str) -> tuple[str | None, str, int, list[Problem]]:
    """Split `---` fenced front matter from the body; return (yaml, body, body_line, problems)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return (
            None,
            text,
            1,
            [
                Problem(
                    rel,
                    1,
                    "front matter",
                    "the file must start with a line containing only '---', then the fields, "
                    "then another line containing only '---'",
                )
            ],
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2, []
    return (
        None,
        "",
        1,
        [
            Problem(
                rel,
                1,
                "front matter",
                "the opening '---' on line 1 is never closed; add a line containing only '---' after the last field",
            )
        ],
    )


def read_source(path: Path, root: Path, kind: str) -> tuple[SourceFile, list[Problem]]:
    """Read one Markdown file with front matter."""
    rel = path.relative_to(root).as_posix()
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as err:
        problem = Problem(rel, 1, "file", f"not UTF-8 text (byte {err.start}); save the file as UTF-8")
        return SourceFile(kind, path, rel, path.stem, None, "", 1, digest), [problem]
    front, body, body_line, problems = split_front_matter(text, rel)
    doc = None
    if front is not None:
        doc, yaml_problems = yaml_strict.load(front, rel, offset=2)
        problems += yaml_problems
        if doc is not None and not isinstance(doc.data, dict):
            problems.append(
                Problem(rel, 2, "front matter", "expected fields as 'name: value' lines between the '---' lines")
            )
    return SourceFile(kind, path, rel, path.stem, doc, body, body_line, digest), problems


Reader = Callable[[Path, Path, str], tuple[SourceFile, list[Problem]]]


def load_content(root: Path, read: Reader = read_source) -> tuple[Content, list[Problem]]:
    """Read site.yaml and every Markdown file under content/ (each with read), collecting every problem."""
    problems: list[Problem] = []
    config_path = root / "site.yaml"
    config_rel = "site.yaml"
    config = None
    if config_path.exists():
        config, config_problems = yaml_strict.load(config_path.read_text(encoding="utf-8"), config_rel, offset=1)
        problems += config_problems
    else:
        problems.append(Problem(config_rel, 1, "file", "site.yaml is missing; copy it from the repository"))
    content = Content(root, config, config_rel, {kind: [] for kind in KINDS})
    for kind in KINDS:
        folder = root / "content" / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_dir() or path.name.startswith("."):
                continue
            rel = path.relative_to(root).as_posix()
            if path.suffix != ".md":
                problems.append(
                    Problem(
                        rel, 1, "file", f"only .md files belong in content/{kind}/; rename it to end in .md or move it"
                    )
                )
                continue
            source, file_problems = read(path, root, kind)
            content.files[kind].append(source)
            problems += file_problems
    return content, problems
