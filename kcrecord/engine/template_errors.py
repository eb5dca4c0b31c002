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

from kcrecord.outputs.kept import CacheDamagedError


class WorkerError(Exception):
    """An error raised in a worker process (kcrecord/engine/parallel.py), carried to the engine's.

    Pickling an exception to send it back loses its traceback, where an error while rendering
    has its template frames; this carries them, with the error's type and message.
    """

    def __init__(self, kind: str, message: str, frames: list[tuple[str, int]], jinja: bool) -> None:
        super().__init__(kind, message, frames, jinja)
        self.kind, self.message, self.frames, self.jinja = kind, message, frames, jinja

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def carried(error: BaseException) -> BaseException:
    """Return error as it can cross from a worker: a syntax error (it names its file) or a damaged cache as is.

    Any other error becomes a WorkerError.
    """
    if isinstance(error, (jinja2.TemplateSyntaxError, CacheDamagedError)):
        return error
    frames = [(frame.filename, frame.lineno or 0) for frame in traceback.extract_tb(error.__traceback__)]
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return WorkerError(type(error).__name__, message, frames, isinstance(error, jinja2.TemplateError))


def template_frames(error: BaseException, templates: Path) -> list[tuple[str, int]]:
    """Return (template file, line) of each template frame in error's traceback, innermost first."""
    folder = templates.resolve()
    frames: list[tuple[str, int]] = []
    if isinstance(error, WorkerError):
        every = error.frames
    else:
        every = [(frame.filename, frame.lineno or 0) for frame in traceback.extract_tb(error.__traceback__)]
    for filename, lineno in every:
        try:
            inside = Path(filename).resolve().is_relative_to(folder)
        except (OSError, ValueError):
            continue
        if inside and lineno:
            entry = (filename, lineno)
            if not frames or frames[-1] != entry:
                frames.append(entry)
    frames.reverse()
    return frames


def raised_in_templates(error: BaseException, templates: Path) -> bool:
    """Return True for a Jinja error or any error raised while running template code (here or in a worker)."""
    jinja = error.jinja if isinstance(error, WorkerError) else isinstance(error, jinja2.TemplateError)
    return jinja or bool(template_frames(error, templates))


NOT_FOUND = ("TemplateNotFound", "TemplatesNotFound")  # Jinja's message is the name alone


def describe(error: BaseException, templates: Path, root: Path) -> str:
    """Return error as `path:line: template: message (chain)`, paths relative to root."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    if isinstance(error, WorkerError):
        message = message if error.jinja else f"{error.kind}: {message}"
    elif not isinstance(error, jinja2.TemplateError):
        message = f"{type(error).__name__}: {message}"
    if (error.kind if isinstance(error, WorkerError) else type(error).__name__) in NOT_FOUND:
        message = f"{message}: no such template in templates/; create it, or correct the name where it is used"
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
