"""Every cache is keyed by all the code its entries depend on, and every kept entry is checked when read.

Found by an outside audit: the compiled templates in .cache/jinja were keyed by the template's
source only (a change to the environment's settings in render.py published 47 wrong files), the
Markdown cache hashed markdown_render.py but not the modules it imports (urls.py, citations.py),
the parse cache left out yaml_messages.py, and neither rendered HTML rows nor compiled templates
carried a checksum, so a damaged entry of the same length was published.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from kcrecord.content.markdown_render import MarkdownRenderer
from kcrecord.engine import cache_database
from kcrecord.engine.build_cache import CachedMarkdownRenderer, database_path
from kcrecord.engine.code_closure import module_closure, runtime_fingerprint
from kcrecord.engine.jinja_cache import CheckedBytecodeCache, bytecode_cache
from tests.hostile import run_cli, tree_digest

REPO = Path(__file__).resolve().parents[1]
RENDERER = ("kcrecord.content.markdown_render",)
READER = tuple(f"kcrecord.content.{name}" for name in ("load", "yaml_strict", "document", "line_table", "problems"))

LOADED = """
import json, sys
from pathlib import Path
{imports}
{work}
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] == "kcrecord")))
"""


def _python(script: str, folder: Path, path: Path) -> str:
    """Return what a fresh interpreter prints running script in folder, with path (a kcrecord's parent) first."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"},
    )
    return done.stdout


def _modules_loaded(imports: str, work: str, tmp_path: Path) -> set[str]:
    """Return the kcrecord modules a fresh interpreter has loaded after the imports and the work."""
    return set(json.loads(_python(LOADED.format(imports=imports, work=work), tmp_path, REPO)))


def test_the_renderers_key_covers_every_module_a_render_runs(tmp_path: Path) -> None:
    loaded = _modules_loaded(
        "from kcrecord.content.markdown_render import MarkdownRenderer",
        "MarkdownRenderer('/base/').render('A [link](/x) and a note[^1]. | a |\\n| - |\\n| b |', {'1': '1'})",
        tmp_path,
    )
    closure = set(module_closure(*RENDERER))
    assert loaded <= closure, sorted(loaded - closure)
    assert {"kcrecord.content.urls", "kcrecord.content.citations"} <= closure


def test_the_readers_key_covers_every_module_a_read_runs(tmp_path: Path) -> None:
    page = tmp_path / "content" / "incidents" / "a.md"
    page.parent.mkdir(parents=True)
    page.write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")  # a YAML error: its message is made
    loaded = _modules_loaded(
        "from kcrecord.content.load import read_source",
        f"print(read_source(Path({str(page)!r}), Path({str(tmp_path)!r}), 'incident'), file=sys.stderr)",
        tmp_path,
    )
    closure = set(module_closure(*READER))
    assert loaded <= closure, sorted(loaded - closure)
    assert "kcrecord.content.yaml_messages" in closure


def test_a_change_to_any_module_in_the_closure_changes_the_key(tmp_path: Path) -> None:
    """Each module the renderer imports, changed by a comment in a copy of the package, gives another key."""
    shutil.copytree(REPO / "kcrecord", tmp_path / "kcrecord", ignore=shutil.ignore_patterns("__pycache__"))
    script = "from kcrecord.engine.build_cache import renderer_fingerprint, reader_fingerprint\n"
    script += "print(renderer_fingerprint(), reader_fingerprint())"

    def keys() -> list[str]:
        return _python(script, tmp_path, tmp_path).split()

    before = keys()
    for name, index in (("content/urls.py", 0), ("content/citations.py", 0), ("content/yaml_messages.py", 1)):
        path = tmp_path / "kcrecord" / name
        path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
        after = keys()
        assert after[index] != before[index], name
        before = after


def test_a_damaged_html_row_is_rendered_again(tmp_path: Path) -> None:
    text = "Police say the *car* stopped.[^1]"
    cache = CachedMarkdownRenderer(tmp_path)
    want = cache.render(text, {"1": "1"})
    cache.close()
    with sqlite3.connect(database_path(tmp_path)) as db:
        ((key, kept),) = db.execute("SELECT key, html FROM rendered").fetchall()
        db.execute("UPDATE rendered SET html = ? WHERE key = ?", (kept.replace("car", "cat"), key))
    again = CachedMarkdownRenderer(tmp_path)
    assert again.render(text, {"1": "1"}) == want == MarkdownRenderer("/").render(text, {"1": "1"})
    assert (again.hits, again.misses) == (0, 1)


def test_the_databases_of_other_code_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = [
        tmp_path / "markdown.sqlite3",
        tmp_path / "markdown.sqlite3-wal",
        tmp_path / "markdown-0123456789abcdef.sqlite3",
    ]
    for path in old:
        path.write_bytes(b"kept by other code")
    (tmp_path / "notes.sqlite3").write_bytes(b"not ours")
    monkeypatch.setattr(cache_database, "_PRUNED", set())
    CachedMarkdownRenderer(tmp_path).close()
    assert not any(path.exists() for path in old)
    assert (tmp_path / "notes.sqlite3").exists() and database_path(tmp_path).exists()


def test_compiled_templates_are_kept_by_code_version(tmp_path: Path) -> None:
    first = bytecode_cache(tmp_path, "a" * 64)
    jinjas_own = tmp_path / "jinja" / f"__jinja2_{'a' * 40}.cache"  # Jinja's FileSystemBytecodeCache's name
    jinjas_own.write_bytes(b"an earlier layout")
    (tmp_path / "jinja" / "__jinja2_mine.cache").write_bytes(b"not a name Jinja makes")
    (tmp_path / "jinja" / "mine").mkdir()
    second = bytecode_cache(tmp_path, "b" * 64)
    assert not (tmp_path / "jinja" / ("a" * 16)).exists() and not jinjas_own.exists()
    assert (tmp_path / "jinja" / "__jinja2_mine.cache").exists()
    assert (tmp_path / "jinja" / "mine").exists(), "a folder the build did not make is left alone"
    assert isinstance(first, CheckedBytecodeCache) and isinstance(second, CheckedBytecodeCache)
    assert second.folder != first.folder


def test_damaged_compiled_templates_are_compiled_again(small_project: Path) -> None:
    root = small_project
    run = run_cli(root, "build", "--quiet")
    assert run.code == 0, run.err
    compiled = sorted((root / ".cache" / "jinja").glob("*/*.cache"))
    assert compiled, "no compiled template kept: the test damages nothing"
    for path in compiled:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x20  # the same length, one byte changed
        path.write_bytes(bytes(data))
    shutil.rmtree(root / "site")  # every page made again, with the templates as kept
    shutil.rmtree(root / ".cache" / "engine")
    run = run_cli(root, "build", "--quiet")
    assert run.code == 0, run.err
    clean = run_cli(root, "build", "--no-cache", "--out", str(root / "clean"), "--quiet")
    assert clean.code == 0, clean.err
    assert tree_digest(root / "site") == tree_digest(root / "clean")


@pytest.mark.parametrize(("table", "mode"), [("rendered", "exchange"), ("rendered", "copy"), ("parsed", "copy")])
def test_an_entry_under_another_entrys_key_is_not_used(small_project: Path, table: str, mode: str) -> None:
    """Found by an outside audit: a row's check covered its value only, so values exchanged between keys passed."""
    root = small_project
    run = run_cli(root, "build", "--no-search", "--quiet")
    assert run.code == 0, run.err
    shutil.rmtree(root / ".cache" / "engine")  # the next build asks the Markdown and parse cache for everything
    column = "html" if table == "rendered" else "data"
    (database,) = (root / ".cache").glob("markdown-*.sqlite3")
    with sqlite3.connect(database) as db:
        rows = db.execute(f"SELECT key, {column} FROM {table} ORDER BY key").fetchall()  # noqa: S608 - the test's own
        assert len(rows) >= 2
        (first, one), (second, other) = rows[0], rows[1]
        db.execute(f"UPDATE {table} SET {column} = ? WHERE key = ?", (other, first))  # noqa: S608
        if mode == "exchange":
            db.execute(f"UPDATE {table} SET {column} = ? WHERE key = ?", (one, second))  # noqa: S608
    db.close()
    run = run_cli(root, "build", "--no-search", "--quiet")
    assert run.code == 0, run.err
    clean = run_cli(root, "build", "--no-search", "--no-cache", "--out", str(root / "clean"), "--quiet")
    assert clean.code == 0, clean.err
    assert tree_digest(root / "site") == tree_digest(root / "clean")


def test_the_runtime_is_in_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by an outside audit: Python 3.12's Unicode tables render a text otherwise than 3.11's, same libraries."""
    before = runtime_fingerprint.__wrapped__()
    monkeypatch.setattr(sys, "version", sys.version + " (another build)")
    assert runtime_fingerprint.__wrapped__() != before
    monkeypatch.undo()
    monkeypatch.setattr(unicodedata, "unidata_version", "99.0.0")
    assert runtime_fingerprint.__wrapped__() != before


def test_a_library_patched_in_place_changes_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library's installed files count, not only its version number."""
    before = runtime_fingerprint.__wrapped__()
    real = Path.read_bytes

    def patched(path: Path) -> bytes:
        data = real(path)
        return data + b"# patched" if path.name == "core.py" and "markdown" in path.parts else data

    monkeypatch.setattr(Path, "read_bytes", patched)
    assert runtime_fingerprint.__wrapped__() != before


def test_only_the_caches_own_files_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by an outside audit: files of the user's named like the cache's (a backup) were removed."""
    theirs = ["markdown-backup.sqlite3", "markdown.sqlite3.bak", "markdown-0123456789abcdef.sqlite3.old", "notes"]
    ours = [
        "markdown.sqlite3",
        "markdown.sqlite3-wal",
        "markdown-0123456789abcdef.sqlite3",
        "markdown-0123456789abcdef.sqlite3-shm",
    ]
    for name in theirs + ours:
        (tmp_path / name).write_bytes(b"x")
    monkeypatch.setattr(cache_database, "_PRUNED", set())
    CachedMarkdownRenderer(tmp_path).close()
    assert sorted(path.name for path in tmp_path.iterdir() if path.name in theirs + ours) == sorted(theirs)
