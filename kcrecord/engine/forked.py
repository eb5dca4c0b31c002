"""Worker processes forked from the engine's, each on a pipe of its own (kcrecord/engine/parallel.py uses them).

multiprocessing.Pool shares one task queue and one result queue among its workers, each guarded by a
lock. That gave three ways to hang: terminate() waits for the result queue's lock, which a worker
holds while it writes a result larger than the pipe; a worker killed from outside (the system out
of memory) loses its task, and the pool waits for it for ever; a worker killed while it holds a
queue's lock leaves it locked for the others and for the pool's own clean-up. Here each worker has
its own pipe, so nothing is shared: a worker that dies is seen at once (its pipe ends, and the
error says how it ended), and stopping early is sending no more tasks and waiting for the tasks
under way. A thread of the engine's process takes each result as it comes and hands that worker
the next task, so the workers go on while the engine's process makes outputs of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import Pipe, connection
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class WorkerLostError(RuntimeError):
    """A worker process ended before it sent back the result of its task."""


class _Worker:
    def __init__(self, pid: int, conn: connection.Connection) -> None:
        self.pid = pid
        self.conn = conn
        self.status: int | None = None  # os.waitpid's, once reaped

    def reap(self) -> int:
        if self.status is None:
            self.status = os.waitpid(self.pid, 0)[1]
        return self.status

    def how_it_ended(self) -> str:
        status = self.reap()
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            hint = " (by the system: it may have run out of memory)" if number == signal.SIGKILL else ""
            return f"a worker process was killed by {name}{hint}; nothing was written"
        return f"a worker process ended (exit status {os.WEXITSTATUS(status)}) before its work was done"


class Forked(Generic[T, R]):
    """function(task) for each task on count forked workers; results taken in order by ready() and rest().

    The tasks and the function are inherited by the fork: only each task's number goes down a pipe.
    A task that raises stops the handing out, and its error is raised by ready() or rest(). close()
    (always call it) waits for the tasks under way, ends the workers and reaps them.
    """

    def __init__(self, function: Callable[[T], R], tasks: Sequence[T], count: int) -> None:
        self._tasks = tasks
        self._results: dict[int, R] = {}
        self._error: BaseException | None = None
        self._next = 0  # the next task to hand out
        self._given = 0  # the next result to give
        self._stopping = False
        self._condition = threading.Condition()
        self._workers: list[_Worker] = []
        try:
            for _ in range(max(1, min(count, len(tasks)))):
                self._workers.append(self._fork(function))
        except BaseException:
            self._end_workers()
            raise
        self._thread = threading.Thread(target=self._dispatch, name="forked-results", daemon=True)
        self._thread.start()

    def _fork(self, function: Callable[[T], R]) -> _Worker:
        here, there = Pipe()
        engine = os.getpid()
        pid = fork()
        if pid == 0:  # the worker: serves tasks until told to end, and never returns into the engine's code
            try:
                _end_with(engine)
                here.close()
                for other in self._workers:
                    other.conn.close()
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the engine, which ends its workers
                _serve(there, function, self._tasks)
            finally:
                os._exit(0)
        there.close()
        return _Worker(pid, here)

    # -- the thread that takes results and hands out tasks ------------------------------------

    def _dispatch(self) -> None:
        busy: dict[Any, _Worker] = {}
        try:
            for worker in self._workers:
                self._hand(worker, busy)
            while busy:
                for conn in connection.wait(list(busy)):
                    worker = busy.pop(conn)
                    try:
                        index, ok, value = conn.recv()
                    except (EOFError, OSError):
                        self._stop(WorkerLostError(worker.how_it_ended()))
                        continue
                    except Exception as error:  # noqa: BLE001 - a result that cannot be unpickled here
                        self._stop(RuntimeError(f"a worker's result could not be read: {error}"))
                        continue
                    if ok:
                        with self._condition:
                            self._results[index] = value
                            self._condition.notify_all()
                    else:
                        self._stop(value)
                    self._hand(worker, busy)
        except BaseException as error:  # noqa: BLE001 - never leave the engine waiting
            self._stop(error)
        finally:
            for worker in self._workers:
                with contextlib.suppress(OSError):  # a worker that died
                    worker.conn.send(None)

    def _hand(self, worker: _Worker, busy: dict[Any, _Worker]) -> None:
        with self._condition:
            if self._stopping or self._next >= len(self._tasks) or worker.status is not None:
                return
            index = self._next
            self._next += 1
        try:
            worker.conn.send(index)
        except OSError:
            self._stop(WorkerLostError(worker.how_it_ended()))
            return
        busy[worker.conn] = worker

    def _stop(self, error: BaseException) -> None:
        with self._condition:
            if self._error is None:
                self._error = error
            self._stopping = True
            self._condition.notify_all()

    # -- the engine's side ----------------------------------------------------------------

    def ready(self) -> Iterator[R]:
        """Yield the results that have come, in the tasks' order, without waiting."""
        while True:
            with self._condition:
                self._raise()
                if self._given not in self._results:
                    return
                value = self._take()
            yield value

    def rest(self) -> Iterator[R]:
        """Yield every result not yet given, in the tasks' order, waiting for each."""
        while self._given < len(self._tasks):
            with self._condition:
                while self._given not in self._results and self._error is None:
                    self._condition.wait()
                self._raise()
                value = self._take()
            yield value

    def _take(self) -> R:
        value = self._results.pop(self._given)
        self._given += 1
        return value

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Hand out nothing more, wait for the tasks under way, and end and reap the workers."""
        with self._condition:
            self._stopping = True
        try:
            self._thread.join()
        finally:
            self._end_workers()

    def _end_workers(self) -> None:
        """Reap every worker: told to end by the thread (or, still running, killed: Ctrl-C while waiting)."""
        for worker in self._workers:
            if worker.status is None and getattr(self, "_thread", None) is not None and self._thread.is_alive():
                os.kill(worker.pid, signal.SIGKILL)
            worker.conn.close()
            if worker.status is None:
                with contextlib.suppress(ChildProcessError):
                    worker.reap()


def fork() -> int:
    """Return os.fork(), with a Ctrl-C that comes meanwhile raised once it has returned, in the engine's process.

    Python runs its signal handlers between bytecodes: one run by os.fork's after-fork callbacks
    (the logging module's lock) raises KeyboardInterrupt there, where Python prints "Exception
    ignored" and goes on: the Ctrl-C was lost and the build went on to the end. So, in the main
    thread (where the handlers run), a handler that only notes the signal is set while forking.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        return os.fork()  # the handlers run in the main thread, which is not forking (or one not set from Python)
    noted: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: noted.append(number))
    pid = -1
    try:
        pid = os.fork()
    finally:
        if pid != 0:
            signal.signal(signal.SIGINT, previous)
    if noted and pid != 0 and callable(previous):
        previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt
    return pid


def _end_with(engine: int) -> None:
    """Have the system end this worker when the engine's process ends, however it ends (Linux's PR_SET_PDEATHSIG).

    A worker left running after the engine was killed (by the system, out of memory) would go on
    writing pages into a staging folder that the next build is removing. Where the call does not
    exist, the worker ends at its next task, when it finds its pipe closed.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl(1, signal.SIGKILL, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != engine:  # the engine ended before the request took hold
        os._exit(0)


def _serve(conn: connection.Connection, function: Callable[[Any], Any], tasks: Sequence[Any]) -> None:
    """Run each task number received and send (number, True, result) or (number, False, error) back."""
    while True:
        try:
            index = conn.recv()
        except (EOFError, OSError):
            return  # the engine has gone
        if index is None:
            return
        try:
            reply = (index, True, function(tasks[index]))
        except BaseException as error:  # noqa: BLE001 - sent to the engine, which raises it
            reply = (index, False, error)
        try:
            conn.send(reply)
        except (OSError, EOFError):
            return
        except Exception as error:  # noqa: BLE001 - a result or error that cannot be pickled
            conn.send((index, False, RuntimeError(f"{type(reply[2]).__name__}: {reply[2]} ({error})")))
