"""A build stopped from outside: Ctrl-C gives one line, not a traceback; the engine killed takes its workers with it,
and nothing a worker writes afterwards can leave a staging folder that no build removes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcrecord.engine.output import OutputFolder
from tests.conftest import REPO
from tests.record_factory import generated_project

STOPPED = "build.py: stopped (Ctrl-C); run the command again to finish its work."


def build_command(root: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--root", str(root), "build", "--no-search", "--quiet"]


def workers_of(pid: int) -> list[int]:
    """Return the children of pid forked from the build (they run its command line)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii").split()
    except OSError:
        return []
    found = []
    for child in children:
        try:
            if b"build.py" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
        except OSError:
            pass
    return found


def alive(pid: int) -> bool:
    """Return True while pid runs (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def stages(root: Path) -> list[Path]:
    return sorted(root.glob(".site-stage-*"))


def wait_for(condition: object, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.005)
    return False


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_project(tmp_path_factory.mktemp("stopped") / "project", 700)


@pytest.mark.parametrize("moment", ["loading", "workers", "staging"])
def test_ctrl_c_says_one_line_and_the_next_build_finishes(project: Path, moment: str) -> None:
    shutil.rmtree(project / "site", ignore_errors=True)
    shutil.rmtree(project / ".cache", ignore_errors=True)
    with subprocess.Popen(  # noqa: S603 - our own interpreter and code
        build_command(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as done:
        if moment == "loading":
            time.sleep(0.15)  # while Python loads the modules or reads the files
        elif moment == "workers":
            assert wait_for(lambda: len(workers_of(done.pid)) >= 2 or done.poll() is not None)
        else:  # the staging folder is made just before the workers that render are forked
            assert wait_for(lambda: stages(project) or done.poll() is not None)
        os.killpg(done.pid, signal.SIGINT)
        out, err = done.communicate(timeout=120)
    assert done.returncode == 130, (out, err)  # a Ctrl-C while forking workers was once lost: the build went on
    assert err.strip() == STOPPED, err
    finished = subprocess.run(build_command(project), capture_output=True, text=True, check=False)  # noqa: S603
    assert finished.returncode == 0, finished.stderr
    assert stages(project) == []
    assert (project / "site" / "incidents" / "index.html").is_file()


LONG_TASKS = """
import sys, time
from kcrecord.engine.forked import Forked

def slow(number):
    time.sleep(120)
    return number

workers = Forked(slow, [1, 2], 2)
print("started", flush=True)
time.sleep(120)
"""


def test_workers_end_at_once_with_a_killed_engine(tmp_path: Path) -> None:
    """Killed (by the system, out of memory), the engine takes its workers with it, even in a long task."""
    with subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", LONG_TASKS], stdout=subprocess.PIPE, text=True, cwd=REPO, start_new_session=True
    ) as done:
        try:
            assert done.stdout is not None and done.stdout.readline().strip() == "started"
            workers = [int(pid) for pid in Path(f"/proc/{done.pid}/task/{done.pid}/children").read_text().split()]
            assert len(workers) == 2 and all(alive(pid) for pid in workers)
            os.kill(done.pid, signal.SIGKILL)  # the engine only
            done.wait(timeout=30)
            assert wait_for(lambda: not any(alive(pid) for pid in workers), 5), "workers outlived the engine"
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(done.pid, signal.SIGKILL)


def test_a_build_after_the_engine_was_killed_leaves_no_staging_folder(project: Path) -> None:
    shutil.rmtree(project / "site", ignore_errors=True)
    shutil.rmtree(project / ".cache", ignore_errors=True)
    with subprocess.Popen(  # noqa: S603 - our own interpreter and code
        build_command(project), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as done:
        try:
            assert wait_for(lambda: stages(project) and len(workers_of(done.pid)) >= 2), "no workers seen staging"
            os.kill(done.pid, signal.SIGKILL)  # the engine only, while its workers stage pages
            done.communicate(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):  # nothing of the build is left: as wanted
                os.killpg(done.pid, signal.SIGKILL)
    finished = subprocess.run(build_command(project), capture_output=True, text=True, check=False)  # noqa: S603
    assert finished.returncode == 0, finished.stderr
    time.sleep(0.5)  # a worker still writing would bring a staging folder back meanwhile
    assert stages(project) == []


def test_a_file_placed_after_the_staging_folder_went_does_not_make_it_again(tmp_path: Path) -> None:
    folder = OutputFolder(tmp_path / "site", {})
    stage = folder.staging()
    folder.place("incidents/one/index.html", b"one")
    shutil.rmtree(stage)  # as the next build removes what a killed one left
    for rel in ("incidents/two/index.html", "incidents/one/index.html", "index.html"):
        with pytest.raises(FileNotFoundError):
            folder.place(rel, b"two")
    assert not stage.exists()


CTRL_C_WHILE_FORKING = """
import os, signal, sys
from kcrecord.engine.forked import fork

def during():  # Ctrl-C while os.fork runs its callbacks: Python's handler runs here, between bytecodes
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):
        pass

os.register_at_fork(after_in_parent=during)
try:
    pid = fork() if sys.argv[1] == "ours" else os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print("lost")
except KeyboardInterrupt:
    print("raised")
"""


@pytest.mark.parametrize(("which", "expected"), [("plain", "lost"), ("ours", "raised")])
def test_a_ctrl_c_while_forking_is_raised_after_the_fork(which: str, expected: str) -> None:
    """os.fork loses it (Python reports it ignored in the callback and goes on); forked.fork raises it after."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CTRL_C_WHILE_FORKING, which], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.stdout.strip() == expected, done.stderr
