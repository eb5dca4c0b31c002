"""Stage 1, load: read every content file and site.yaml into documents with line numbers."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kcrecord.content import yaml_strict
from kcrecord.content.problems import Problem

KINDS = ("incidents", "agencies", "pages")
MAX_FRONT_MATTER_CHARACTERS = 64 * 1024
MAX_FILE_BYTES = 512 * 1024
"""The largest content file read (the longest real one is a few tens of KB)."""
NOT_REGULAR = (
    "not a regular file (a symbolic link, device or pipe); content files must be ordinary files "
    "inside the repository: replace the link with the file itself"
)
NOT_REGULAR_FOLDER = (
    "a symbolic link to a folder; content must be ordinary folders inside the repository: "
    "replace the link with the folder itself"
)
NOT_UTF8_NAME = (
    "the name is not UTF-8 text or holds a control character or line break, so it cannot be shown or "
    "published; rename it with letters, digits and hyphens"
)
_ODD_IN_NAMES = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029\udc80-\udcff]")
"""Bytes that are not UTF-8 (os gives them as lone surrogates), control characters and line breaks."""
FOLDER_NAMED_MD = (
    "a folder named like a Markdown file; content files are files: rename the folder "
    "(without .md), or move what it holds out and remove it"
)
NOT_A_FOLDER = "expected a folder here, found a file; move the file away and make a folder of this name"


@dataclass
class SourceFile:
    """One Markdown file with front matter, as read from disk."""

    kind: str  # incidents | agencies | pages
    location: Path | str | None = field(repr=False)  # a Path, or its full path as text until path is asked for
    rel: str  # path shown in messages, relative to the project
    slug: str
    doc: yaml_strict.Document | None
    body: str
    body_line: int  # file line of the body's first line
    digest: str  # hash of the raw bytes, for caching
    front_digest: str = ""  # hash of the front matter's text: what an incident's fields are made from

    def __getstate__(self) -> dict[str, object]:
        """Pickle the file's path as text (unpickling a Path costs 8 µs; path makes it again when asked)."""
        state = dict(self.__dict__)
        if isinstance(state["location"], Path):
            state["location"] = str(state["location"])
        return state

    @property
    def path(self) -> Path:
        """Return the file's path (made from the text the loader kept only when asked: 10,000 Paths cost 0.15 s)."""
        if not isinstance(self.location, Path):
            self.location = Path(str(self.location))
        return self.location

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


def read_regular_file(path: Path | str, rel: str) -> tuple[bytes | None, Problem | None]:
    """Read a regular file of at most MAX_FILE_BYTES; refuse links, devices, pipes and bigger files.

    The file is opened without following a symbolic link and checked once open, so what is
    read is what was checked.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        if os.path.islink(path):
            return None, Problem(rel, 1, "file", NOT_REGULAR)
        return None, Problem(rel, 1, "file", f"could not be read ({err.strerror})")
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            return None, Problem(rel, 1, "file", NOT_REGULAR)
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        return None, Problem(
            rel,
            1,
            "file",
            f"the file is larger than {MAX_FILE_BYTES // 1024} KB, the limit for one file; "
            "shorten it or split it into several files",
        )
    return data, None


def read_source(path: Path | str, root: Path, kind: str, rel: str | None = None) -> tuple[SourceFile, list[Problem]]:
    """Read one Markdown file with front matter (rel: its path below root, when the caller has it)."""
    path = Path(path)
    rel = path.relative_to(root).as_posix() if rel is None else rel
    raw, refused = read_regular_file(path, rel)
    return parse_source(raw, refused, path, kind, rel)


def parse_source(
    raw: bytes | None, refused: Problem | None, path: Path, kind: str, rel: str
) -> tuple[SourceFile, list[Problem]]:
    """Parse the bytes read_regular_file read from a Markdown file (or say why it refused them), as read_source does."""
    if raw is None:
        assert refused is not None
        return SourceFile(kind, path, rel, path.stem, None, "", 1, ""), [refused]
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as err:
        problem = Problem(rel, 1, "file", f"not UTF-8 text (byte {err.start}); save the file as UTF-8")
        return SourceFile(kind, path, rel, path.stem, None, "", 1, digest), [problem]
    front, body, body_line, problems = split_front_matter(text, rel)
    doc = None
    if front is not None and len(front) > MAX_FRONT_MATTER_CHARACTERS:
        problems.append(
            Problem(
                rel,
                2,
                "front matter",
                f"the fields take {len(front):,} characters; at most {MAX_FRONT_MATTER_CHARACTERS:,} are allowed "
                "(the longest real file uses about 14,000): move long text into the body or split the incident",
            )
        )
        front = None
    if front is not None:
        doc, yaml_problems = yaml_strict.load(front, rel, offset=2)
        problems += yaml_problems
        if doc is not None and not isinstance(doc.data, dict):
            problems.append(
                Problem(rel, 2, "front matter", "expected fields as 'name: value' lines between the '---' lines")
            )
    front_digest = hashlib.blake2b(b"\0" if front is None else front.encode("utf-8"), digest_size=16).hexdigest()
    return SourceFile(kind, path, rel, path.stem, doc, body, body_line, digest, front_digest), problems


def _template_text(path: Path, rel: str) -> list[Problem]:
    """A template must be UTF-8 text; say where it is not."""
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        return [Problem(rel, 1, "file", f"not UTF-8 text (byte {err.start}); save the template as UTF-8")]
    return []


def ignored(name: str) -> bool:
    """Return True for a file or folder name the build never reads: hidden ones, such as editors' swap files.

    The one rule for content/, templates/ and static/, the same for make site, make check and
    make serve's watcher.
    """
    return name.startswith(".")


def project_files(root: Path, folder: str, problems: list[Problem]) -> list[Path]:
    """Return every file the build reads below root/folder, sorted (hidden names left out, links reported)."""
    return _entries(root, root / folder, problems)


def _entries(root: Path, folder: Path, problems: list[Problem]) -> list[Path]:
    """Return every file under folder, sorted; a linked folder is reported, never followed."""
    return [Path(full) for _rel, full in content_entries(root, folder, problems)]


def content_entries(root: Path, folder: Path, problems: list[Problem]) -> list[tuple[str, str]]:
    """Return (path below root, full path) of every file under folder, in the order of their Paths.

    Paths are worked with as strings (10,000 pathlib objects and relative_to calls cost a second);
    a linked folder is reported, never followed.
    """
    if folder.is_symlink() or folder.parent.is_symlink():
        if folder.is_symlink():
            problems.append(Problem(folder.relative_to(root).as_posix(), 1, "file", NOT_REGULAR_FOLDER))
        return []  # a linked content/ is reported once, by load_content
    if not folder.is_dir():
        if folder.exists():
            problems.append(Problem(shown(folder.relative_to(root).as_posix()), 1, "file", NOT_A_FOLDER))
        return []
    found: list[tuple[str, str]] = []

    def unreadable(error: OSError) -> None:  # a folder os.walk could not list: reported, never skipped silently
        where = os.path.relpath(error.filename, root) if error.filename else folder.relative_to(root).as_posix()
        problems.append(
            Problem(
                shown(where.replace(os.sep, "/")),
                1,
                "file",
                f"this folder could not be read ({error.strerror}); make it readable, or move its files into "
                "one that is (a path over the system's length limit cannot be read: use shorter folder names)",
            )
        )

    for here, folders, files in os.walk(str(folder), onerror=unreadable, followlinks=False):
        prefix = os.path.relpath(here, root).replace(os.sep, "/") + "/"  # once a folder, not once a file
        for name in list(folders):
            if ignored(name):
                folders.remove(name)  # a hidden folder is not content, for every command alike
            elif not plain_name(name):
                folders.remove(name)
                problems.append(Problem(shown(prefix + name), 1, "file", NOT_UTF8_NAME))
            elif os.path.islink(os.path.join(here, name)):
                folders.remove(name)
                problems.append(Problem(prefix + name, 1, "file", NOT_REGULAR_FOLDER))
            elif name.endswith(".md") and prefix.startswith("content/"):
                problems.append(Problem(prefix + name, 1, "file", FOLDER_NAMED_MD))  # an empty one said nothing
        for name in files:
            if ignored(name):
                continue
            if plain_name(name):
                found.append((prefix + name, os.path.join(here, name)))
            else:
                problems.append(Problem(shown(prefix + name), 1, "file", NOT_UTF8_NAME))
    found.sort(key=lambda entry: entry[0].split("/"))  # as Paths sort: part by part
    return found


def plain_name(name: str) -> bool:
    """Return True for a name of UTF-8 text without control characters or line breaks: it can be printed and listed."""
    return _ODD_IN_NAMES.search(name) is None


def shown(path: str) -> str:
    """Return path as a report can print it: bytes that are not UTF-8 written as \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def stray_content(root: Path, problems: list[Problem]) -> None:
    """Report what lies in content/ outside its three folders: the build reads none of it, so none may be left there."""
    top = root / "content"
    if top.is_symlink() or not top.is_dir():
        if top.exists() and not top.is_symlink():
            problems.append(Problem("content", 1, "file", NOT_A_FOLDER))
        return
    try:
        names = sorted(os.listdir(top))
    except OSError as error:
        problems.append(Problem("content", 1, "file", f"this folder could not be read ({error.strerror})"))
        return
    folders = ", ".join(f"content/{kind}/" for kind in KINDS)
    for name in names:
        if ignored(name) or name in KINDS:
            continue
        rel = shown(f"content/{name}")
        if os.path.isdir(top / name) and not os.path.islink(top / name):
            problems.append(
                Problem(
                    rel + "/",
                    1,
                    "file",
                    f"the build reads only {folders}: move the files in this folder into the one for their kind "
                    "(or rename the folder if it is one of those, misspelt)",
                )
            )
        else:
            problems.append(
                Problem(rel, 1, "file", f"the build reads only {folders}: move this file into the one for its kind")
            )


Reader = Callable[[str, Path, str, str], tuple[SourceFile, list[Problem]]]  # full path, root, kind, rel


def load_content(root: Path, read: Reader = read_source) -> tuple[Content, list[Problem]]:
    """Read site.yaml and every Markdown file under content/ (each with read), collecting every problem."""
    problems: list[Problem] = []
    config_path = root / "site.yaml"
    config_rel = "site.yaml"
    config = None
    if config_path.exists() or config_path.is_symlink():
        raw, refused = read_regular_file(config_path, config_rel)
        if raw is None:
            assert refused is not None
            problems.append(refused)
        else:
            try:
                text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
            except UnicodeDecodeError as err:
                text = None
                problems.append(Problem(config_rel, 1, "file", f"not UTF-8 text (byte {err.start}); save it as UTF-8"))
            if text is not None:
                config, config_problems = yaml_strict.load(text, config_rel, offset=1)
                problems += config_problems
    else:
        problems.append(Problem(config_rel, 1, "file", "site.yaml is missing; copy it from the repository"))
    content = Content(root, config, config_rel, {kind: [] for kind in KINDS})
    if (root / "content").is_symlink():
        problems.append(Problem("content", 1, "file", NOT_REGULAR_FOLDER))
    stray_content(root, problems)
    for folder in ("templates", "static"):
        for path in _entries(root, root / folder, problems):
            rel = path.relative_to(root).as_posix()
            if path.is_symlink() or not path.is_file():
                problems.append(Problem(rel, 1, "file", NOT_REGULAR))
            elif folder == "templates":
                problems += _template_text(path, rel)
    for kind in KINDS:
        for rel, full in content_entries(root, root / "content" / kind, problems):
            if not rel.endswith(".md"):
                problems.append(
                    Problem(
                        rel, 1, "file", f"only .md files belong in content/{kind}/; rename it to end in .md or move it"
                    )
                )
                continue
            source, file_problems = read(full, root, kind, rel)
            content.files[kind].append(source)
            problems += file_problems
    return content, problems
