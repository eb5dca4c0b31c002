"""make serve's search index: Pagefind over the preview folder, in the background, after the builds settle.

The preview's engine runs without the search index, so an edit shows at once. This refresher
runs `kcrecord.engine.search.refresh_search` on the preview folder DELAY seconds after the last
request (each build asks, with the files it wrote), in its own thread, one run at a time; a
request during a run starts another run after it. Pagefind missing or failing is reported once
and the preview goes on without (or with the last) search index.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from kcrecord.engine.search import refresh_search
from kcrecord.engine.state import State

DELAY = 0.5  # seconds without a new request before the index is refreshed
Log = Callable[[str], None]


class SearchRefresher:
    """Refresh the preview folder's search index after builds, debounced, in one background thread."""

    def __init__(self, out: Path, log: Log = print, delay: float = DELAY) -> None:
        self.out = out
        self.log = log
        self.delay = delay
        self.state = State()  # the preview's own: only .search is used, never the engine's state
        self.runs = 0  # refreshes that ran Pagefind
        self.error = ""  # the last failure, '' after a good run
        self._written: list[str] = []
        self._wanted = False
        self._due = 0.0
        self._running = False
        self._stopped = False
        self._disabled = False
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def request(self, written: list[str]) -> None:
        """Ask for a refresh once the builds settle; written: the output paths a build changed."""
        with self._condition:
            if self._stopped or self._disabled:
                return
            self._written += written
            self._wanted = True
            self._due = time.monotonic() + self.delay
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="preview-search", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until no refresh is asked for or running; return False after timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self._wanted or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._condition.wait(left)
        return True

    def stop(self) -> None:
        """Stop the thread, after the run under way if any."""
        with self._condition:
            self._stopped = True
            self._condition.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=60)

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._stopped and (not self._wanted or time.monotonic() < self._due):
                    self._condition.wait(self._due - time.monotonic() if self._wanted else None)
                if self._stopped:
                    self._wanted = False
                    self._condition.notify_all()
                    return
                written, self._written, self._wanted = self._written, [], False
                self._running = True
            try:
                self._refresh(written)
            finally:
                with self._condition:
                    self._running = False
                    self._condition.notify_all()

    def _refresh(self, written: list[str]) -> None:
        if not self.out.is_dir():
            return
        try:
            ran = refresh_search(self.out, self.state, written)
        except FileNotFoundError as error:
            self._disabled = True
            self.error = str(error)
            self.log(f"Search is off in the preview: {error.strerror or error}.")
            return
        except Exception as error:  # Pagefind failed: keep the last index, try again after the next edit
            self.state.search = ""
            if str(error) != self.error:
                self.log(f"The preview's search index was not refreshed: {error}")
            self.error = str(error)
            return
        self.error = ""
        self.runs += ran
