"""Spooled: an output's bytes in a file with no name stand for the bytes, wherever the build uses them."""

from __future__ import annotations

import os
import pickle
import random
from pathlib import Path

import pytest

from kcrecord.engine.deps import LONG, digest
from kcrecord.engine.output import OutputFolder
from kcrecord.outputs.spooled import BLOCK, Spooled


def random_parts(chooser: random.Random) -> list[bytes]:
    """Parts of every size that matters: none, empty, around LONG and BLOCK, one crossing blocks."""
    sizes = [0, 1, LONG - 1, LONG, BLOCK - 1, BLOCK + 3, 3 * BLOCK // 2, chooser.randrange(40)]
    count = chooser.randrange(0, 6)
    return [chooser.randbytes(chooser.choice(sizes)) for _ in range(count)]


@pytest.mark.parametrize("seed", range(12))
def test_a_spooled_file_is_its_parts_joined(tmp_path: Path, seed: int) -> None:
    chooser = random.Random(seed)
    parts = random_parts(chooser)
    joined = b"".join(parts)
    spooled = Spooled.of_parts(iter(parts), tmp_path / "scratch")
    assert len(spooled) == len(joined)
    assert bytes(spooled) == joined
    assert spooled == joined and spooled.digest == digest(joined)  # the digest the engine records for bytes
    assert list((tmp_path / "scratch").iterdir()) == []  # no name in the folder: nothing left if killed
    assert pickle.loads(pickle.dumps(spooled)) == joined  # pickled, it is the bytes
    target = tmp_path / "copy"
    with open(target, "wb") as stream:
        spooled.write_to(stream)
    assert target.read_bytes() == joined
    with open(target, "rb") as stream:
        assert spooled.same_as(stream)
    changed = bytearray(joined + b"!")
    changed[chooser.randrange(len(changed))] ^= 1
    for other in (bytes(changed), bytes(changed[:-1]), joined + b"!", joined[:-1]):
        if other != joined:
            target.write_bytes(other)
            with open(target, "rb") as stream:
                assert not spooled.same_as(stream)


def test_a_file_taken_as_spooled_loses_its_name_and_keeps_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "made.db"
    data = os.urandom(3 * BLOCK + 17)
    path.write_bytes(data)
    spooled = Spooled.of_path(path)
    assert not path.exists()
    assert bytes(spooled) == data and spooled.digest == digest(data)


@pytest.mark.parametrize("seed", range(6))
def test_the_output_folder_writes_a_spooled_file_as_it_writes_its_bytes(tmp_path: Path, seed: int) -> None:
    """Placed as bytes and as a Spooled, changed or not from step to step: the same files, digests, files kept."""
    sites = {}
    for kind in ("bytes", "spooled"):
        target = tmp_path / kind
        written: dict[str, tuple[int, int]] = {}
        known: dict[str, str] = {}
        steps = random.Random(seed)
        outcomes = []
        inodes: dict[str, int] = {}
        for _step in range(5):
            folder = OutputFolder(target, written)
            folder.prepare()
            for name in ("data/a.json", "data/b.db"):
                data = b"".join(random_parts(steps)) if steps.random() < 0.6 or name not in known else None
                if data is None:
                    continue  # unchanged this step: not placed
                value = data if kind == "bytes" else Spooled.of_parts([data], tmp_path / "scratch")
                made = folder.put(name, value, known.get(name))
                assert made == digest(data)
                known[name] = made
            folder.commit(set(known))
            written = dict(folder.written)
            now = {rel: (target / rel).stat().st_ino for rel in known}
            rewritten = sorted(rel for rel in known if inodes.get(rel) != now[rel])  # a file kept keeps its inode
            inodes = now
            outcomes.append(({rel: (target / rel).read_bytes() for rel in known}, rewritten))
        sites[kind] = outcomes
    assert sites["bytes"] == sites["spooled"]


@pytest.mark.parametrize("copied_first", [0, 1, BLOCK + 5])
def test_a_spooled_file_is_written_whole_where_the_kernel_will_not_copy_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, copied_first: int
) -> None:
    """Between two file systems copy_file_range fails (EXDEV), maybe after copying some: written from the blocks."""
    data = os.urandom(2 * BLOCK + 99)
    spooled = Spooled.of_parts([data], tmp_path)
    real = os.copy_file_range
    calls = []

    def refusing(source: int, target: int, count: int, offset_src: int | None = None) -> int:
        calls.append(count)
        if len(calls) == 1 and copied_first:
            return real(source, target, copied_first, offset_src)
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refusing)
    target = tmp_path / "out"
    with open(target, "wb") as stream:
        spooled.write_to(stream)
    assert calls and target.read_bytes() == data


def test_a_spooled_file_on_another_file_system_is_copied_across(tmp_path: Path) -> None:
    """The scratch folder on tmpfs, the site on disk (or the other way): the kernel refuses to copy; written anyway."""
    other = Path("/dev/shm")
    if not other.is_dir() or other.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system here")
    data = os.urandom(BLOCK + 7)
    spooled = Spooled.of_parts([data], other)
    with open(tmp_path / "out", "wb") as stream:
        spooled.write_to(stream)
    assert (tmp_path / "out").read_bytes() == data


def test_parts_that_cannot_be_spooled_are_joined_in_memory(tmp_path: Path) -> None:
    """No file can be made where the scratch folder should be (a file is there; a disk full): the bytes, whole."""
    blocked = tmp_path / "scratch"
    blocked.write_text("not a folder", encoding="utf-8")
    parts = [b"a" * LONG, b"b"]
    made = Spooled.or_bytes(parts, blocked / "engine")
    assert made == b"".join(parts) and type(made) is bytes
    assert isinstance(Spooled.or_bytes(parts, tmp_path / "fine"), Spooled)
