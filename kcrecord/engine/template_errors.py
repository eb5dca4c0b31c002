"""One formatter for template errors: the template file, the real line, and the chain that led there.

A syntax error carries its file and line. An error while rendering (an undefined name, a
filter given the wrong value) does not: Jinja rewrites the traceback so each frame of
template code names its template file and line, and those frames, innermost first, are the
chain (`templates/_macros.html:18`, called from `templates/incident.html:40`, which extends
`templates/base.html`).
"""

from __future__ import annotations

import traceback
from pathlib import Path

import jinja2


def template_frames(error: BaseException, templates: Path) -> list[tuple[str, int]]:
    """Return (template file, line) of each template frame in error's traceback, innermost first."""
    folder = templates.resolve()
    frames: list[tuple[str, int]] = []
    for frame in traceback.extract_tb(error.__traceback__):
        try:
            inside = Path(frame.filename).resolve().is_relative_to(folder)
        except (OSError, ValueError):
            continue
        if inside and frame.lineno is not None:
            entry = (frame.filename, frame.lineno)
            if not frames or frames[-1] != entry:
                frames.append(entry)
    frames.reverse()
    return frames


def raised_in_templates(error: BaseException, templates: Path) -> bool:
    """Return True for a Jinja error or any error raised while running template code."""
    return isinstance(error, jinja2.TemplateError) or bool(template_frames(error, templates))


def describe(error: BaseException, templates: Path, root: Path) -> str:
    """Return error as `path:line: template: message (chain)`, paths relative to root."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    if not isinstance(error, jinja2.TemplateError):
        message = f"{type(error).__name__}: {message}"
    frames = template_frames(error, templates)
    if isinstance(error, jinja2.TemplateSyntaxError) and (error.filename or error.name):
        where = (error.filename or str(templates / (error.name or "")), error.lineno or 1)
        frames = [where] + [frame for frame in frames if frame != where]
    if not frames:
        name = getattr(error, "name", None)
        where = str(templates / name) if name else str(templates)
        return f"{_relative(where, root)}:1: template: {message}"
    first, *rest = frames
    chain = "".join(f"; called from {_relative(path, root)}:{line}" for path, line in rest)
    return f"{_relative(first[0], root)}:{first[1]}: template: {message}{chain}"


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path
