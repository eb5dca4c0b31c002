"""Work started ahead in a forked process (kcrecord/engine/ahead.py) gives what working it out here gives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kcrecord.engine import ahead
from kcrecord.engine.ahead import Ahead
from kcrecord.engine.output import OutputFolder, listing_ahead
from kcrecord.engine.state import listing


def test_the_childs_answer_is_the_functions(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b.html").write_text("x")
    (tmp_path / "c.txt").write_text("yy")
    started = Ahead(lambda: listing(tmp_path, "pagefind"))
    assert started._pid  # noqa: SLF001 - a child was forked
    assert started.result() == listing(tmp_path, "pagefind") and set(listing(tmp_path, "pagefind")) == {
        "a/b.html",
        "c.txt",
    }


def test_a_child_that_fails_leaves_the_work_to_this_process() -> None:
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            raise RuntimeError("fails in the child")
        return 7

    assert Ahead(work).result() == 7


def test_an_answer_that_cannot_be_pickled_is_worked_out_here() -> None:
    started = Ahead(lambda: lambda: 3)  # a lambda does not pickle
    assert started.result()() == 3


def test_closed_before_its_answer_the_child_is_reaped(tmp_path: Path) -> None:
    for _ in range(3):
        started = Ahead(lambda: b"x" * 1_000_000)  # more than a pipe holds: the child waits to write
        pid = started._pid  # noqa: SLF001
        started.close()
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # gone, not a zombie left to this process


def test_without_fork_the_work_is_done_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ahead.multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    started = Ahead(lambda: os.getpid())
    assert started._pid == 0 and started.result() == os.getpid()  # noqa: SLF001


def test_the_output_folder_scanned_ahead_sees_what_a_scan_sees(tmp_path: Path) -> None:
    out = tmp_path / "site"
    (out / "incidents" / "x").mkdir(parents=True)
    (out / "incidents" / "x" / "index.html").write_text("page")
    (out / "pagefind").mkdir()
    (out / "pagefind" / "skipped.js").write_text("")
    here, there = OutputFolder(out, {}), OutputFolder(out, {})
    there.use_ahead(listing_ahead(out))
    here.scan()
    there.scan()
    assert here._listing == there._listing and set(here._listing or {}) == {"incidents/x/index.html"}  # noqa: SLF001
