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
import subprocess
import sysconfig
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


def index_site(folder: Path, output: Path | None = None) -> None:
    """Index the HTML pages in folder with Pagefind, writing output (default: folder/pagefind/)."""
    target = ["--output-path", str(output)] if output is not None else ["--output-subdir", BUNDLE]
    command = [str(pagefind_binary()), "--site", str(folder), *target, "--silent"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(
            f"pagefind failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )
