"""A cold build's workers pack each file they parse for the cache (kcrecord/engine/build_cache.py's packer); this
process only stores the packs. The next build, its kept files gone, reads every file's parse from them."""

from __future__ import annotations

import shutil
from pathlib import Path

from kcrecord.content.load import read_source
from kcrecord.engine import parallel
from kcrecord.engine.build_cache import CachedReader
from kcrecord.engine.engine import Engine
from kcrecord.engine.kept_files import files_folder
from kcrecord.engine.pipeline import Project
from kcrecord.engine.pipeline import build as pipeline_build
from tests.record_factory import generated_project

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_the_files_parsed_in_workers_are_read_back_from_the_cache(tmp_path: Path) -> None:
    root = generated_project(tmp_path / "project", parallel.PARALLEL_FROM + 20)  # parsed by the workers
    pipeline_build(Project(root, root / "site"), search=False, cache=True, workers=2, commit=COMMIT)
    shutil.rmtree(files_folder(root / ".cache"))  # the kept files gone: only the parsed files are left
    engine = Engine(root, root / "again", cache=root / ".cache", search=False, commit=COMMIT, workers=2)
    content, problems = engine.load()
    sources = [source for kind in content.files.values() for source in kind]
    assert problems == []
    assert len(sources) > parallel.PARALLEL_FROM
    assert engine.reader.misses == 0 and engine.reader.hits == len(sources)
    for source in sources[:: max(1, len(sources) // 40)]:
        fresh, _problems = read_source(source.path, root, source.kind, source.rel)
        assert (source.meta, source.body, source.digest, source.body_line) == (
            fresh.meta,
            fresh.body,
            fresh.digest,
            fresh.body_line,
        )


def test_a_file_changed_after_its_parse_is_not_packed(tmp_path: Path) -> None:
    root = generated_project(tmp_path / "project", 2)
    path = next((root / "content" / "incidents").glob("*.md"))
    rel = path.relative_to(root).as_posix()
    parsed = read_source(path, root, "incidents", rel)
    pack = CachedReader(tmp_path / "cache").packer()
    assert pack(path, "incidents", rel, parsed) is not None
    path.write_text(path.read_text(encoding="utf-8") + "\nA line added.\n", encoding="utf-8")
    assert pack(path, "incidents", rel, parsed) is None
    assert CachedReader(None).packer()(path, "incidents", rel, parsed) is None  # no cache: nothing packed


def test_a_cold_load_takes_each_parse_from_its_pack_as_read_from_the_file(tmp_path: Path) -> None:
    """The workers send back only each file's pack: what the engine loads is the parse itself, where the file is.

    Compared with the files read in this process, with a cache and without (no pack: the parse comes
    back as it is), a problem of reading included (a file whose front matter names a field twice).
    """
    root = generated_project(tmp_path / "project", parallel.PARALLEL_FROM + 20)
    odd = next((root / "content" / "incidents").glob("*.md"))
    odd.write_text(odd.read_text(encoding="utf-8").replace("---\n", "---\nnote: one\nnote: two\n", 1), encoding="utf-8")
    loaded = {}
    for cache in (root / ".cache", None):
        engine = Engine(root, root / "site", cache=cache, search=False, commit=COMMIT, workers=2)
        content, _problems = engine.load()
        sources = [source for kind in content.files.values() for source in kind]
        assert len(sources) > parallel.PARALLEL_FROM  # parsed by the workers
        loaded[cache] = {rel: engine.loader.sources[rel] for rel in (s.rel for s in sources)}
        if cache is not None:
            assert engine.reader.misses == len(sources)  # nothing kept yet: every file parsed
    with_cache, without = loaded[root / ".cache"], loaded[None]
    assert with_cache.keys() == without.keys()
    for rel, (source, _problems) in with_cache.items():
        fresh, fresh_problems = read_source(root / rel, root, source.kind, rel)
        for made, problems_made in (with_cache[rel], without[rel]):
            assert made.path == root / rel
            assert (made.meta, made.body, made.digest, made.body_line, made.slug, made.kind) == (
                fresh.meta,
                fresh.body,
                fresh.digest,
                fresh.body_line,
                fresh.slug,
                fresh.kind,
            )
            assert problems_made == fresh_problems
    assert with_cache[odd.relative_to(root).as_posix()][1] == without[odd.relative_to(root).as_posix()][1] != []
