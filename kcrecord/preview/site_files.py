"""Which file of the preview folder a URL names, its Content-Type, and the livereload client put into each page."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".geojson": "application/geo+json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
}
LIVERELOAD_SCRIPT = b'<script src="/livereload.js"></script>'


def content_type(path: Path) -> str:
    """Return the Content-Type header for a file the preview serves."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def resolve(site_root: Path, url_path: str) -> Path | None:
    """Return the file or folder under site_root that a URL path names, or None if it would leave site_root."""
    path = unquote(url_path)
    if "\0" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None
    root = site_root.resolve()
    try:
        real = root.joinpath(*parts).resolve()
    except (OSError, RuntimeError):
        return None
    if real != root and root not in real.parents:
        return None  # an absolute path, or a symlink pointing outside the served folder
    return real


def inject_livereload(html: bytes) -> bytes:
    """Return html with the livereload client loaded before </head> (or at the end)."""
    index = html.find(b"</head>")
    if index < 0:
        return html + LIVERELOAD_SCRIPT
    return html[:index] + LIVERELOAD_SCRIPT + html[index:]
