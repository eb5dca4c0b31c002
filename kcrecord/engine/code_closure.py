"""The code a cached value depends on: some modules, every kcrecord module they import, and the libraries.

A cache keyed by the source of one module goes stale when a module it imports changes (the
Markdown cache once hashed markdown_render.py but not urls.py, whose links it writes). The
fingerprint here follows every `import` and `from ... import` of a kcrecord module, at any depth
and wherever it stands in the file, and each package's `__init__.py` on the way, so a change to
any module the code can run changes the key. Anything outside kcrecord that the value depends on
is the runtime (runtime_fingerprint): Python's version (its standard library and Unicode tables
change what Markdown makes of a text), whether PyYAML has its C parser, and each library's version
and the bytes of its installed files (a library patched in place keeps its version number).
"""

from __future__ import annotations

import ast
import hashlib
import sys
import unicodedata
from functools import cache
from importlib import metadata
from pathlib import Path

import yaml

PACKAGE = Path(__file__).resolve().parents[1]
LIBRARIES = ("jinja2", "markdown", "pyyaml", "markupsafe")


def module_file(name: str) -> Path | None:
    """Return the file of the kcrecord module (or package) name, None when there is none."""
    parts = name.split(".")
    if parts[0] != PACKAGE.name:
        return None
    base = PACKAGE.parent.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported(name: str, path: Path) -> set[str]:
    """Return the kcrecord modules that the module name (in path) imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from package import module`
    return {module for module in found if module_file(module) is not None}


@cache
def module_closure(*roots: str) -> tuple[str, ...]:
    """Return the roots and every kcrecord module they import, transitively, with their packages, sorted."""
    seen: set[str] = set()
    waiting = list(roots)
    while waiting:
        name = waiting.pop()
        path = module_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        parents = [".".join(name.split(".")[:depth]) for depth in range(1, name.count(".") + 1)]
        waiting.extend(parents)
        waiting.extend(_imported(name, path))
    return tuple(sorted(seen))


@cache
def closure_fingerprint(*roots: str) -> str:
    """Return a hash of the source of module_closure(roots) and the versions of the libraries."""
    digest = hashlib.sha256()
    for name in module_closure(*roots):
        path = module_file(name)
        assert path is not None
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(runtime_fingerprint().encode())
    return digest.hexdigest()


@cache
def runtime_fingerprint() -> str:
    """Return a hash of what the code runs on: Python, its Unicode tables, libyaml, the libraries and their files."""
    digest = hashlib.sha256(f"{sys.implementation.name}\0{sys.version}\0{unicodedata.unidata_version}\0".encode())
    digest.update(f"libyaml={getattr(yaml, '__with_libyaml__', False)}\0".encode())
    for library in LIBRARIES:
        try:
            found = metadata.distribution(library)
        except metadata.PackageNotFoundError:
            digest.update(f"{library} missing\0".encode())
            continue
        digest.update(f"{library}={found.version}\0".encode())
        for file in sorted(found.files or [], key=str):
            if file.suffix in {".py", ".so", ".pyd"}:
                try:
                    digest.update(f"{file}\0".encode() + Path(str(found.locate_file(file))).read_bytes())
                except OSError:
                    digest.update(f"{file} unreadable\0".encode())
    return digest.hexdigest()
