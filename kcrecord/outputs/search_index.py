"""The search index: Pagefind reads the written incident pages and writes pagefind/ beside them.

It runs on the freshly written folder before that folder is swapped into place, so a failed
index leaves the old site untouched. The binary is Pagefind 1.6.0, which writes its index in a
fixed order (two builds give the same pagefind/ bytes; the PyPI releases, up to 1.5.2, do not).
It is published only as npm packages, so `make` installs it into .venv/bin with
tools/install_pagefind.py, which needs Python alone; the build runs it with no network.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

BUNDLE = "pagefind"  # the folder below site/ that holds the index and the search UI


class SearchIndexError(RuntimeError):
    """Pagefind failed; the message carries its output."""


def pagefind_binary() -> Path:
    """Return the Pagefind binary: $PAGEFIND_BINARY, or the one tools/install_pagefind.py put beside Python.

    Raises FileNotFoundError, saying how to install it, when the file is missing.
    """
    override = os.environ.get("PAGEFIND_BINARY")
    name = "pagefind.exe" if os.name == "nt" else "pagefind"
    binary = Path(override) if override else Path(sysconfig.get_path("scripts")) / name
    if not binary.is_file():  # an OSError, so build.py reports it in one line with the path
        hint = "PAGEFIND_BINARY names no file" if override else "Pagefind is not installed"
        raise FileNotFoundError(
            errno.ENOENT, f"{hint}: run `make site`, or python3 tools/install_pagefind.py {binary}", str(binary)
        )
    return binary


EVERY_PAGE = "**/*.{html}"  # Pagefind's own default
INCIDENT_PAGES = "incidents/**/*.html"
MARK = b"data-pagefind-body"
MARKED = re.compile(rb"<[a-zA-Z][^<>]*\sdata-pagefind-body[\s=/>]")  # the attribute in a tag, not in text


PAGES = "pages"  # the folder, beside the bundle being made, where Pagefind reads the pages (link_pages)


class Indexing:
    """Pagefind under way on a folder's HTML pages; finish() waits for it, stop() ends it unfinished."""

    def __init__(self, folder: Path, output: Path, view: Path) -> None:
        """Start Pagefind on folder's pages, linked first into view (a folder made here), writing output."""
        glob = pages_to_read(folder)
        link_pages(folder, view, every=glob == EVERY_PAGE)
        pages = ["--glob", glob]
        command = [str(pagefind_binary()), "--site", str(view), "--output-path", str(output), *pages, "--silent"]
        # what it says, read at the end (a pipe left unread could stall it); closed by finish or stop
        self._said = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._process = subprocess.Popen(command, stdout=self._said, stderr=subprocess.STDOUT)
        except BaseException:
            self._said.close()
            raise

    def finish(self) -> None:
        """Wait for Pagefind; raise SearchIndexError with what it said when it failed."""
        with self._said:
            code = self._process.wait()
            self._said.seek(0)
            said = self._said.read().decode("utf-8", errors="replace").strip()
        if code != 0:
            raise SearchIndexError(f"pagefind failed ({code}): {said}")

    def stop(self) -> None:
        """End Pagefind if it still runs (the build failed meanwhile)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        self._said.close()


def pages_to_read(folder: Path) -> str:
    """Return the glob of the pages Pagefind must read to give the index it would give reading every page.

    Pagefind indexes only the pages marked data-pagefind-body once any page is marked. Only the
    incident pages are marked (templates/incident.html), so reading the other pages (the lists,
    some of them megabytes of HTML at 10,000 incidents) changes nothing but the time: 7.6-8.9 s
    against 9.5-10.5 s at 10,000 incidents (three runs alternated). That holds while an incident page is marked and no
    other page is; when a template changes that, every page is read, as Pagefind does by default.
    """
    incidents = (folder / "incidents").rglob("*.html")
    if not any(MARKED.search(path.read_bytes()) for path in incidents):
        return EVERY_PAGE
    for top, folders, files in os.walk(folder):
        here = Path(top)
        if here == folder:
            folders[:] = [name for name in folders if name not in ("incidents", BUNDLE)]
        if any(MARK in (here / name).read_bytes() for name in files if name.endswith(".html")):
            return EVERY_PAGE
    return INCIDENT_PAGES


def link_pages(folder: Path, view: Path, every: bool) -> None:
    """Make view hold folder's pages that Pagefind reads (every page, or the incident pages), linked in sorted order.

    Pagefind numbers pages in the order it finds them, which is the order the folder lists its
    files: on tmpfs the order they were made in. An output folder brought up to date makes a new
    page last, where a clean build makes it among the others, and the two bundles differed. view
    is made here, each folder and page in sorted order, so the order is the pages' names' whatever
    the output's history. Each page is a hard link (copied where the file system has none).
    """
    top = folder if every else folder / "incidents"
    found: list[str] = []
    for here, folders, files in os.walk(top):
        if here == str(folder):
            folders[:] = [name for name in folders if name != BUNDLE]
        found += [os.path.relpath(os.path.join(here, name), folder) for name in files if name.endswith(".html")]
    view.mkdir()
    made = {str(view)}
    for rel in sorted(found):
        target = os.path.join(view, rel)
        parent = os.path.dirname(target)
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        try:
            os.link(os.path.join(folder, rel), target)
        except OSError:
            shutil.copyfile(os.path.join(folder, rel), target)
