"""make serve's watcher: the operating system's file events for content/, templates/, static/ and site.yaml.

Two watchfiles watches, each in its own thread: one recursive over the folders content/,
templates/ and static/, one over the project folder itself (not recursive) for site.yaml and for
those folders appearing or going away (the recursive watch then starts again over the folders
there are). A path is left out by the loader's own rule (`kcrecord.content.load.ignored` on every
part: hidden files and folders, such as editors' swap files, are not content for any command),
and so is a path reached through a linked folder: links are never followed, as the loader
reports them instead of reading them. Each batch of changed paths goes to `deliver`, from the
watch threads.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import watchfiles

from kcrecord.content.load import ignored

FOLDERS = ("content", "templates", "static")
FILES = ("site.yaml",)
DEBOUNCE_MS = 400  # the longest a batch of changes is gathered before it is delivered
STEP_MS = 50  # a batch is delivered once no change came for this long
TIMEOUT_MS = 200  # how often a quiet watch thread wakes up (it says it is ready on the first)
RETRY_SECONDS = 1.0  # how soon a watch that failed starts again
Deliver = Callable[[set[Path]], None]


class Watcher:
    """Deliver the paths changed under the watched folders and files, in batches, until stopped."""

    def __init__(self, root: Path, deliver: Deliver) -> None:
        self.root = root.absolute()
        self.deliver = deliver
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._tree: _Watch | None = None
        self._top: _Watch | None = None
        self._folders: tuple[str, ...] = ()

    def accepts(self, path: Path) -> bool:
        """Return True for a path the build reads: in a watched folder or file, not hidden, not through a link."""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return False
        if not parts or any(ignored(part) for part in parts):
            return False
        if parts[0] in FOLDERS:
            folder = self.root
            for part in parts[:-1]:  # a change seen through a linked folder is not a change the build sees
                folder = folder / part
                if os.path.islink(folder):
                    return False
            return True
        return len(parts) == 1 and parts[0] in FILES

    def start(self, timeout: float = 10.0) -> None:
        """Start watching; return once both watches are ready (changes from then on are delivered)."""
        self._top = _Watch([self.root], False, self._from_top, self._stopped)
        self._top.start(timeout)
        self._restart_tree(timeout)

    def stop(self) -> None:
        """Stop watching and wait for the watch threads."""
        self._stopped.set()
        with self._lock:
            watches = [self._top, self._tree]
        for watch in watches:
            if watch is not None:
                watch.stop()

    def _present(self) -> tuple[str, ...]:
        return tuple(name for name in FOLDERS if (self.root / name).is_dir() and not (self.root / name).is_symlink())

    def _restart_tree(self, timeout: float = 10.0) -> None:
        with self._lock:
            if self._stopped.is_set():
                return
            old, self._tree = self._tree, None
            self._folders = self._present()
        if old is not None:
            old.stop()
        if not self._folders:
            return
        tree = _Watch([self.root / name for name in self._folders], True, self._from_tree, self._stopped)
        with self._lock:
            self._tree = tree
        tree.start(timeout)

    def _from_tree(self, paths: set[Path]) -> None:
        found = {path for path in paths if self.accepts(path)}
        if found:
            self.deliver(found)

    def _from_top(self, paths: set[Path]) -> None:
        found = {path for path in paths if path.name in FILES and self.accepts(path)}
        folders = {self.root / name for name in FOLDERS if (self.root / name) in paths}
        if folders:  # content/, templates/ or static/ appeared, went or was replaced: watch what is there now
            self._restart_tree()
            found |= folders
        if found:
            self.deliver(found)


class _Watch:
    """One watchfiles watch in a thread, stopped with the watcher's event or its own.

    A watch that fails (watchfiles refuses a name that is not UTF-8 text, a folder it may not
    list) does not end: it delivers its paths once, so the build looks at everything and reports
    the file it cannot read, then starts again every RETRY_SECONDS; once it watches again, its
    paths are delivered again, for what changed meanwhile.
    """

    def __init__(self, paths: list[Path], recursive: bool, deliver: Deliver, stopped: threading.Event) -> None:
        self.paths = paths
        self.recursive = recursive
        self.deliver = deliver
        self.stopped = stopped
        self.own_stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="preview-watch", daemon=True)

    def start(self, timeout: float) -> None:
        self.thread.start()
        self.ready.wait(timeout)

    def stop(self) -> None:
        self.own_stop.set()
        if self.thread is not threading.current_thread() and self.thread.is_alive():
            self.thread.join(timeout=5)

    def _run(self) -> None:
        stop = _Either(self.stopped, self.own_stop)
        failed = ""
        try:
            while not stop.is_set():
                try:
                    for changes in watchfiles.watch(
                        *self.paths,
                        watch_filter=None,  # the loader's rule is applied by the watcher, on every part of the path
                        debounce=DEBOUNCE_MS,
                        step=STEP_MS,
                        stop_event=stop,
                        rust_timeout=TIMEOUT_MS,
                        yield_on_timeout=True,
                        recursive=self.recursive,
                        raise_interrupt=False,
                    ):
                        self.ready.set()
                        if failed:  # watching again: whatever changed while it could not is looked at
                            failed = ""
                            self.deliver(self._everything())
                        if changes:
                            self.deliver({Path(path) for _change, path in changes})
                    return
                except FileNotFoundError:
                    return  # a watched folder went away: the project-folder watch starts a new one
                except (OSError, RuntimeError, UnicodeError) as error:
                    self.ready.set()
                    if str(error) != failed:
                        failed = str(error)
                        self.deliver(self._everything())  # the build reports the file or folder it cannot read
                    for _ in range(int(RETRY_SECONDS / 0.1)):
                        if stop.is_set():
                            return
                        time.sleep(0.1)
        finally:
            self.ready.set()

    def _everything(self) -> set[Path]:
        """Return the paths whose delivery makes the build look at everything this watch covers."""
        return set(self.paths) if self.recursive else {path / name for path in self.paths for name in FILES}


class _Either:
    """A stop event that is set when either of two events is."""

    def __init__(self, first: threading.Event, second: threading.Event) -> None:
        self.first = first
        self.second = second

    def is_set(self) -> bool:
        return self.first.is_set() or self.second.is_set()
