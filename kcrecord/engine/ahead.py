"""Work started ahead in a forked process, on the other core, while the engine goes on.

make site after an edit is one process doing one thing after another; one step needs nothing
the others make: the look at every file of the output folder (20,000 stat calls, 0.13-0.18 s at
10,000 incidents). It is started in a child forked before the build loads its state (a small
process forks cheaply; kcrecord/engine/output.py, listing_ahead) and its answer read back,
pickled through a pipe, when the stale check needs it. Where processes cannot be forked,
or the child fails, the work is done in the engine's process when asked for: the answer is the
same either way, as of when the work ran.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
from collections.abc import Callable
from typing import Generic, TypeVar

from kcrecord.engine import head_start
from kcrecord.engine.forked import fork

T = TypeVar("T")


class Ahead(Generic[T]):
    """function() worked out in a forked child; result() waits for it (or works it out here)."""

    def __init__(self, function: Callable[[], T]) -> None:
        self.function = function
        self._pid = 0
        self._read = -1
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        head_start.wait_all()  # no thread of ours holds a lock the child would copy
        try:
            read, write = os.pipe()
        except OSError:
            return
        try:
            pid = fork()
        except OSError:
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: nothing of the engine's runs here but function
            status = 1
            try:
                os.close(read)
                data = pickle.dumps(function(), pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as stream:
                    stream.write(data)
                status = 0
            finally:
                os._exit(status)  # no clean-up of the parent's objects, no output flushed twice
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> T:
        """Return function()'s value, from the child when it gave one."""
        if self._read < 0:
            return self.function()
        data = b""
        try:
            with os.fdopen(self._read, "rb") as stream:
                data = stream.read()
        except OSError:
            data = b""
        finally:
            self._read = -1
        status = self._reap()
        if status == 0 and data:
            with contextlib.suppress(Exception):
                return pickle.loads(data)  # type: ignore[no-any-return]
        return self.function()

    def close(self) -> None:
        """Stop waiting for the child (its writes then fail, and it ends) and reap it."""
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        self._reap()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def _reap(self) -> int:
        if not self._pid:
            return -1
        pid, self._pid = self._pid, 0
        try:
            return os.waitpid(pid, 0)[1]
        except ChildProcessError:
            return -1
