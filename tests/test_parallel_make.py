"""The engine's process takes back what the workers made while it makes the rest (kcrecord/engine/parallel.py).

At 10,000 incidents the workers finish the incident pages long before the engine's process has
made the lists and downloads; their bytes used to wait in the pool's result queue until then
(65 MB more at the peak). These tests check that every output comes back once, with its bytes
and frame, and that the workers' outputs are taken while the rest are still being made.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kcrecord.engine import parallel
from kcrecord.engine.deps import note
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.render import Job
from tests.conftest import REPO
from tests.record_factory import generated_project

OWN = parallel.PARALLEL_FROM + 2 * parallel.CHUNK  # enough incident outputs to use the workers


def own_job(number: int) -> Job:
    def render() -> bytes:
        note(f"file:content/incidents/{number}.md", str(number))
        note("template:incident.html", "t1")  # read by every page: unpickled anew from each worker's chunk
        return f"page {number}".encode()

    return Job(f"incidents/{number}/index.html", render, ("own", str(number)))


def slow_job(number: int, seconds: float) -> Job:
    def render() -> bytes:
        time.sleep(seconds)
        note("coll:incidents", "all")
        return f"list {number}".encode()

    return Job(f"lists/{number}.html", render, ("list", str(number)))


def test_every_output_comes_back_once_and_worker_outputs_are_taken_while_the_rest_is_made() -> None:
    own = [own_job(number) for number in range(OWN)]
    rest = [slow_job(number, 0.05) for number in range(40)]  # 2 s here: the workers are done long before
    made: list[str] = []
    advanced = []
    results = {}
    for path, data, frame in parallel.make_all(rest + own, Fragments(), 2, lambda: advanced.append(1)):
        made.append(path)
        results[path] = (data, frame)
    assert sorted(made) == sorted(job.path for job in own + rest)
    assert len(advanced) == len(made)
    for number in range(OWN):
        data, frame = results[f"incidents/{number}/index.html"]
        assert data == f"page {number}".encode()
        assert frame[f"file:content/incidents/{number}.md"] == str(number)
        assert f"plan:incidents/{number}/index.html" in frame
    shared = [(key, value) for _data, frame in results.values() for key, value in frame.items() if key[0] == "t"]
    assert len(shared) == OWN  # and each text is one object, whichever chunk its frame came back in:
    assert len({id(key) for key, _ in shared}) == len({id(value) for _, value in shared}) == 1
    last_rest = max(made.index(job.path) for job in rest)
    taken_before = [path for path in made[:last_rest] if path.startswith("incidents/")]
    assert len(taken_before) > OWN // 2, "the workers' outputs waited for the rest to be made"


def test_a_worker_error_reaches_the_engine_while_it_makes_the_rest() -> None:
    own = [own_job(number) for number in range(OWN)]

    def broken() -> bytes:
        raise ValueError("a template failed")

    own[3] = Job("incidents/3/index.html", broken, ("own", "3"))
    rest = [slow_job(number, 0.02) for number in range(40)]
    with pytest.raises(Exception, match="a template failed"):
        for _made in parallel.make_all(rest + own, Fragments(), 2, lambda: None):
            pass


def run_script(script: str, timeout: float, hung: str) -> tuple[int, str, str]:
    """Run a Python script in its own process group; fail with hung if it (or a worker) is still running at timeout."""
    with subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as done:
        try:
            out, err = done.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(done.pid, signal.SIGKILL)  # the workers too
            done.communicate()
            pytest.fail(hung)
    return done.returncode, out, err


STOPPED_EARLY = """
import sys
from kcrecord.engine import parallel
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.render import Job

def big(number):
    return Job(f"incidents/{number}/index.html", lambda: bytes(300_000), ("own", str(number)))

def broken():
    raise ValueError("a template failed")

for attempt in range(8):
    own = [big(number) for number in range(parallel.PARALLEL_FROM + 4 * parallel.CHUNK)]
    rest = [Job("home.html", broken, ("list", "home"))]
    try:
        for _made in parallel.make_all(rest + own, Fragments(), 4, lambda: None):
            pass
    except ValueError:
        pass
    else:
        sys.exit("no error")
    own[200] = Job("incidents/200/index.html", broken, ("own", "200"))
    try:
        for _made in parallel.make_all(own, Fragments(), 4, lambda: None):
            pass
    except Exception as error:
        assert "a template failed" in str(error), error
    else:
        sys.exit("no error from a worker")
    own[200] = big(200)
    made = parallel.make_all(own, Fragments(), 4, lambda: None)
    next(made)
    made.close()  # the engine stopped taking outputs (a later error, or the preview superseded)
print("stopped")
"""


def test_an_error_here_while_the_workers_send_large_pages_stops_them_and_returns() -> None:
    """An error in the engine's own job, or the caller stopping, ends the workers without hanging.

    The pool's terminate() waits for the result queue's lock, which a worker holds while it
    writes a chunk of pages larger than the pipe holds: once the pool's reader had stopped, the
    engine hung for ever (seen in the preview on a template error in the home page).
    """
    code, out, err = run_script(STOPPED_EARLY, 60, "make_all hung after an error while the workers were sending pages")
    assert code == 0, err[-2000:]
    assert out.strip() == "stopped"


KILLED = """
import os, signal, sys, time
from kcrecord.engine import parallel
from kcrecord.engine.forked import WorkerLostError
from kcrecord.outputs.fragments import Fragments
from kcrecord.outputs.render import Job

pids = set()

def page(number):
    def render():
        if number == KILL_AT:
            os.kill(os.getpid(), signal.SIGKILL)  # as the system kills a process when memory runs out
        return bytes(100)
    return Job(f"incidents/{number}/index.html", render, ("own", str(number)))

def slow_list():
    time.sleep(0.5)
    return b"list"

for KILL_AT in (0, 150, parallel.PARALLEL_FROM + parallel.CHUNK):
    own = [page(number) for number in range(parallel.PARALLEL_FROM + 2 * parallel.CHUNK)]
    for rest in ([], [Job("home.html", slow_list, ("list", "home"))]):
        try:
            for _made in parallel.make_all(rest + own, Fragments(), 2, lambda: None):
                pass
        except WorkerLostError as error:
            assert "killed by SIGKILL" in str(error), error
        else:
            sys.exit("no error when a worker was killed")

def item(number):
    if number == 300:
        os.kill(os.getpid(), signal.SIGKILL)
    return number * 2

try:
    parallel.fork_map(2)(item, list(range(parallel.PARALLEL_FROM + 200)))
except WorkerLostError as error:
    assert "killed by SIGKILL" in str(error), error
else:
    sys.exit("no error from fork_map")
assert parallel.fork_map(3)(item, list(range(50, 250)) * 3) == [n * 2 for n in list(range(50, 250)) * 3]
print("reported")
"""


def test_a_worker_killed_from_outside_is_reported_not_waited_for() -> None:
    """A worker the system kills (out of memory) ends the build with an error saying so; it used to hang.

    multiprocessing.Pool lost the dead worker's task and waited for it for ever.
    """
    code, out, err = run_script(KILLED, 120, "the engine waited for a worker that was killed")
    assert code == 0, err[-2000:]
    assert out.strip() == "reported"


INTERRUPTED = """
import os, sys, time
from kcrecord.engine import parallel

def item(number):
    with open(os.path.join(sys.argv[1], str(os.getpid())), "w"):
        pass
    time.sleep(0.05)
    return number

print("started", flush=True)
try:
    parallel.fork_map(2)(item, list(range(parallel.PARALLEL_FROM * 4)))
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


def test_ctrl_c_while_workers_run_ends_them_and_the_build(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) ends the map and every worker."""
    with subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", INTERRUPTED, str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as done:
        assert done.stdout is not None
        assert done.stdout.readline().strip() == "started"
        deadline = time.monotonic() + 30
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(done.pid, signal.SIGINT)
        try:
            out, err = done.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(done.pid, signal.SIGKILL)
            done.communicate()
            pytest.fail("Ctrl-C did not end the map")
    assert out.strip() == "interrupted", err[-2000:]
    workers = [int(path.name) for path in tmp_path.iterdir()]
    assert len(workers) == 2
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # ended and reaped, not left running


def forked_from_build(pid: str) -> bool:
    """Return True for a child forked from the build (it runs the same command line), False for others or gone."""
    try:
        return b"build.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def test_make_site_says_a_worker_was_killed_and_writes_no_site(tmp_path: Path) -> None:
    root = generated_project(tmp_path / "project", 700)  # enough files and pages for the workers
    site = root / "site"
    command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "build", "--no-cache", "--no-search"]
    with subprocess.Popen(  # noqa: S603 - our own interpreter and code
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as done:
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and done.poll() is None and time.monotonic() < deadline:
            children = Path(f"/proc/{done.pid}/task/{done.pid}/children").read_text(encoding="ascii").split()
            ours = [child for child in children if forked_from_build(child)]
            # Workers come two at a time; a lone child may be the look at the output folder started
            # ahead (kcrecord/engine/ahead.py), whose loss the build rightly shrugs off (it looks itself).
            if len(ours) >= 2:
                killed = ours[-1]
                os.kill(int(killed), signal.SIGKILL)
            time.sleep(0.005)
        try:
            out, err = done.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(done.pid, signal.SIGKILL)
            done.communicate()
            pytest.fail("make site waited for a worker that was killed")
    assert killed is not None, f"no worker was seen to kill: {err}"
    assert done.returncode == 1, (out, err)
    assert "a worker process was killed by SIGKILL" in err and "Traceback" not in err, err
    assert not site.exists(), "a site was written"
