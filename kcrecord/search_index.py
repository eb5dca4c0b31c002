"""The search index: Pagefind reads the written incident pages and writes pagefind/ beside them.

It runs on the freshly written folder before that folder is swapped into place, so a failed
index leaves the old site untouched. Pagefind ships its own binary in a pinned PyPI package
and needs no network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

BUNDLE = "pagefind"  # the folder below site/ that holds the index and the search UI


class SearchIndexError(RuntimeError):
    """Pagefind failed; the message carries its output."""


def pagefind_binary() -> Path:
    """Return the path of the Pagefind binary installed by pagefind[extended]."""
    from pagefind_bin_extended import get_executable

    return get_executable()


def index_site(folder: Path) -> None:
    """Index the HTML pages in folder with Pagefind, writing folder/pagefind/."""
    command = [str(pagefind_binary()), "--site", str(folder), "--output-subdir", BUNDLE, "--silent"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(
            f"pagefind failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )
