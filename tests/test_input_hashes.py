"""make site's kept input hashes: a file not written since is not read again, and no change is ever missed."""

from __future__ import annotations

import os
import pickle
import random
import time
from pathlib import Path

import pytest

from kcrecord.engine import input_hashes, unchanged
from kcrecord.engine.input_hashes import KnownHashes
from kcrecord.engine.unchanged import input_fingerprint
from tests.hostile import run_cli

TICK = 0.025  # longer than a tick of the kernel's file-time clock (at most 10 ms): a later write has another time


def fingerprint(root: Path, known: KnownHashes | None = None) -> tuple[str | None, dict[str, str]]:
    digests: dict[str, str] = {}
    return input_fingerprint(root, "settings", "code", "commit", digests, known), digests


class Reads:
    """Count the files input_fingerprint reads (it still reads them: this only watches)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        real = unchanged.read_regular_file

        def counted(path: Path | str, rel: str) -> tuple:
            self.paths.append(rel)
            return real(path, rel)

        monkeypatch.setattr(unchanged, "read_regular_file", counted)


def test_files_not_written_since_are_not_read_again(small_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the edited file is read; the fingerprint and the hashes are those of reading everything."""
    monkeypatch.setattr(input_hashes, "RACY_NS", 0)  # as if the files had been written long before the build
    kept = small_project / ".cache" / "hashes.pickle"
    reads = Reads(monkeypatch)
    known = KnownHashes(kept)
    first, _ = fingerprint(small_project, known)
    known.save()
    everything = len(reads.paths)
    assert everything > 10
    reads.paths.clear()
    assert fingerprint(small_project, KnownHashes(kept)) == fingerprint(small_project)
    assert len(reads.paths) == everything  # none read for the first, all for the one without kept hashes
    time.sleep(TICK)
    about = small_project / "content" / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    reads.paths.clear()
    known = KnownHashes(kept)
    edited = fingerprint(small_project, known)
    assert reads.paths == ["content/pages/about.md"]
    assert edited == fingerprint(small_project) and edited[0] != first


def test_an_entry_is_used_only_for_a_file_written_well_before_its_hash_was_taken(tmp_path: Path) -> None:
    """Within RACY_NS of the read a rewrite may leave every field of the status as it was: it is not trusted."""
    kept = tmp_path / "hashes.pickle"
    known = KnownHashes(kept)
    taken = known.started
    just_before = (10, taken - input_hashes.RACY_NS // 2, taken - input_hashes.RACY_NS // 2, 1, 1)
    well_before = (10, taken - 2 * input_hashes.RACY_NS, taken - 2 * input_hashes.RACY_NS, 2, 1)
    known.put("a.md", just_before, "hash a")
    known.put("b.md", well_before, "hash b")
    known.save()
    later = KnownHashes(kept)
    assert later.get("a.md", just_before) is None
    assert later.get("b.md", well_before) == "hash b"
    assert later.get("b.md", (11, *well_before[1:])) is None  # any field of the status differs: read again


def test_a_same_size_rewrite_with_its_time_put_back_is_seen(small_project: Path) -> None:
    """Straight after the hash, as an editor's save can be; the status's change time differs, or the entry is racy."""
    kept = small_project / ".cache" / "hashes.pickle"
    about = small_project / "content" / "pages" / "about.md"
    about.write_text("---\ntitle: A\n---\nSame size.\n", encoding="utf-8")
    known = KnownHashes(kept)
    first = fingerprint(small_project, known)
    known.save()
    before = about.stat()
    about.write_text("---\ntitle: B\n---\nSame size.\n", encoding="utf-8")
    os.utime(about, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert fingerprint(small_project, KnownHashes(kept)) == fingerprint(small_project) != first


def _step(root: Path, rng: random.Random) -> str:
    """Change the project at random, as editors, git and people do; return what was done."""
    files = sorted(p for p in (root / "content").rglob("*.md") if p.is_file())
    path = rng.choice(files)
    kind = rng.choice(["same size, time put back", "append", "remove", "add", "swap two", "touch", "nothing"])
    if kind == "same size, time put back":
        before = path.stat()
        data = bytearray(path.read_bytes())
        place = rng.randrange(len(data))
        data[place] = ord("x") if data[place] != ord("x") else ord("y")
        path.write_bytes(bytes(data))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or a checkout can leave it
    elif kind == "append":
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(f"\nLine {rng.randrange(10**6)}.\n")
    elif kind == "remove" and len(files) > 3:
        path.unlink()
    elif kind == "add":
        (root / "content" / "pages" / f"new-{rng.randrange(10**6)}.md").write_text(
            f"---\ntitle: New {rng.randrange(100)}\n---\nText.\n", encoding="utf-8"
        )
    elif kind == "swap two":
        other = rng.choice(files)
        if other != path:
            spare = path.with_name(".swap")
            path.rename(spare)
            other.rename(path)
            spare.rename(other)
    elif kind == "touch":
        os.utime(path)
    return f"{kind} {path.relative_to(root)}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_hashes_give_the_fingerprint_of_reading_every_file(
    small_project: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """After random changes, kept hashes trusted as freely as possible still give what reading everything gives."""
    monkeypatch.setattr(input_hashes, "RACY_NS", -(10**12))  # trust any entry whose status is the same
    rng = random.Random(seed)
    kept = small_project / ".cache" / "hashes.pickle"
    done = []
    for _ in range(30):
        known = KnownHashes(kept)
        assert fingerprint(small_project, known) == fingerprint(small_project), done
        known.save()
        time.sleep(TICK)
        done.append(_step(small_project, rng))


def test_make_site_keeps_the_hashes_and_still_sees_each_edit(small_project: Path) -> None:
    """The command keeps them in the cache folder; an edit right after a build is built."""
    assert run_cli(small_project, "build", "--no-search").code == 0
    assert (small_project / ".cache" / "engine" / input_hashes.INPUT_HASHES).is_file()
    about = small_project / "content" / "pages" / "about.md"
    about.write_text(about.read_text(encoding="utf-8").replace("\n---\n", "\n---\nJust edited.\n", 1))
    assert run_cli(small_project, "build", "--no-search").code == 0
    assert "Just edited." in (small_project / "site" / "about" / "index.html").read_text(encoding="utf-8")


def test_a_damaged_hashes_file_means_reading_every_file(small_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the file holds, the fingerprint is that of reading everything, and no error is raised."""
    monkeypatch.setattr(input_hashes, "RACY_NS", -(10**12))
    kept = small_project / ".cache" / "hashes.pickle"
    kept.parent.mkdir()
    want = fingerprint(small_project)
    about = "content/pages/about.md"
    for damaged in ({about: 5}, {about: (None, "x", "y")}, {about: ((), 1, 2)}, [1, 2], b"not a pickle"):
        kept.write_bytes(damaged if isinstance(damaged, bytes) else pickle.dumps(damaged))
        assert fingerprint(small_project, KnownHashes(kept)) == want
    known = KnownHashes(kept)
    fingerprint(small_project, known)
    known.save()
    status, _hash, taken = pickle.loads(kept.read_bytes())[about]
    for damaged_entry in ((status, 123, taken), (status, "a hash", "when")):
        kept.write_bytes(pickle.dumps({about: damaged_entry}))
        assert fingerprint(small_project, KnownHashes(kept)) == want
