"""The preview's state and its work: build, take the watcher's changes, rebuild, and tell open pages to reload.

One Preview is made per server (kcrecord/preview/serve.py); its HTTP handlers are in handlers.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import jinja2
from tornado import websocket
from tornado.escape import json_encode
from tornado.ioloop import IOLoop

from kcrecord.content.problems import ContentError
from kcrecord.engine.engine import Outcome
from kcrecord.engine.pipeline import Project
from kcrecord.engine.write import OutputRefusedError
from kcrecord.preview.builder import PreviewBuilder
from kcrecord.preview.search import SearchRefresher
from kcrecord.preview.site_files import inject_livereload, resolve
from kcrecord.preview.watch import Watcher

TEMPLATES = Path(__file__).resolve().parent / "serve_templates"
FINISH_DELAY = 0.2  # after reloading the edited page, let it load before the slower outputs are made
Log = Callable[[str], None]


class PageSocket(Protocol):
    """An open page's livereload connection (handlers.PageSocket): the page it shows, and a way to message it."""

    page: str

    def write_message(self, message: str) -> object:
        """Send a message to the page."""
        ...


class Preview:
    """The preview's state: the builder, the watcher, the latest outcome and the open browser pages."""

    def __init__(
        self,
        project: Project,
        base_url: str,
        cache: Path | None = None,
        log: Log = print,
        commit: str | None = None,
        search: bool = True,
    ) -> None:
        self.project = project
        self.builder = PreviewBuilder(project.root, base_url, cache if cache is not None else project.cache, commit)
        self.out = self.builder.out  # the preview's own folder, never project.out (site/)
        self.search = SearchRefresher(self.out, log) if search else None
        self.watcher: Watcher | None = None
        self.log = log
        self.outcome = Outcome(True)
        self.sockets: set[PageSocket] = set()
        self.loop: IOLoop | None = None
        self._lock = threading.Lock()
        self._early: set[Path] = set()  # changes seen before the loop runs
        self._queued: set[Path] = set()
        self._busy = False
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="preview-build")  # one build at a time
        # A page whose socket connects after a change missed that reload: these let it catch up.
        self.state = 0  # counts changes
        self.served: dict[str, int] = {}  # URL path of an HTML page -> state when it was served
        self.written_at: dict[str, int] = {}  # file below the preview folder -> state when it was last written
        self.toggled_at = 0  # state when the error page appeared, changed or went away
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
        self._error_template = env.get_template("error.html")

    # -- building --------------------------------------------------------------------------

    def build(self) -> Outcome:
        """Build everything once, at start (the engine reuses what .cache/ holds)."""
        try:
            self.outcome = self.builder.build()
        except OutputRefusedError:
            raise  # the preview folder holds files the build did not write: run() says so and stops
        except Exception:
            self.outcome = self._guarded(self.builder.build)
        self._report(self.outcome, set())
        if self.outcome.ok:
            self._index(self.outcome.written)
        return self.outcome

    def _guarded(self, action: Callable[..., Outcome], *args: object) -> Outcome:
        """Run a build step; an unexpected error is shown like a template error, and the preview goes on."""
        try:
            return action(*args)
        except OutputRefusedError as error:
            return Outcome(False, error=str(error))
        except Exception as error:
            self.log(traceback.format_exc().rstrip())
            return Outcome(False, error=f"the preview failed: {type(error).__name__}: {error} (see the terminal)")

    def _index(self, written: list[str]) -> None:
        if self.search is not None:
            self.search.request(written)

    # -- watching --------------------------------------------------------------------------

    def start_watching(self) -> None:
        """Start the watcher; what it sees before attach() is kept for then."""
        self.watcher = Watcher(self.project.root, self._seen)
        self.watcher.start()

    def attach(self, loop: IOLoop) -> None:
        """Hand changes to loop from now on, starting with those seen before."""
        with self._lock:
            self.loop = loop
            early, self._early = self._early, set()
        if early:
            loop.add_callback(self.changed, early)

    def _seen(self, paths: set[Path]) -> None:
        """Take a batch from the watcher's thread to the loop's."""
        with self._lock:
            loop = self.loop
            if loop is None:
                self._early |= paths
                return
        loop.add_callback(self.changed, paths)

    def changed(self, paths: set[Path]) -> None:
        """On the loop: queue changed paths, and start working them off unless that is under way."""
        self._queued |= paths
        if not self._busy:
            self._busy = True
            IOLoop.current().spawn_callback(self._work)

    async def _work(self) -> None:
        """Apply the queued changes one batch at a time in the build thread, then finish what they left."""
        loop = asyncio.get_running_loop()
        try:
            while self._queued or self.builder.pending:
                if self._queued:
                    batch, self._queued = self._queued, set()
                    outcome = await loop.run_in_executor(self._executor, self._guarded, self.builder.update, batch)
                    self.applied(outcome, batch)  # the edited page reloads; then the database's patch begins
                    await loop.run_in_executor(self._executor, self.builder.start_ahead)
                    continue
                await asyncio.sleep(FINISH_DELAY)
                if self._queued:
                    continue  # a newer edit first: its own pages, then everything at once
                started = time.perf_counter()
                outcome = await loop.run_in_executor(self._executor, self._guarded, self.builder.finish)
                self.finished(outcome, started)
        finally:
            self._busy = False

    def apply(self, changed: set[Path]) -> Outcome:
        """Rebuild what the changed files affect here and now (all of it), then tell open pages to reload."""
        outcome = self._guarded(self.builder.update, changed, False)
        self.applied(outcome, changed)
        return outcome

    def applied(self, outcome: Outcome, changed: set[Path]) -> None:
        """Show an update's outcome: report it, reload the pages it wrote, or show the problems."""
        was_ok = self.outcome.ok
        self.outcome = outcome
        self._report(outcome, changed)
        self.mark(outcome.written, not outcome.ok or not was_ok)
        if not outcome.ok or not was_ok:
            self.reload()  # show the problems, or the fixed page in their place
        elif outcome.written:
            self.reload_pages(outcome.written)
        if outcome.ok and not self.builder.pending:
            self._index(outcome.written)

    def finished(self, outcome: Outcome, started: float) -> None:
        """Show what finishing a quick pass did."""
        was_ok = self.outcome.ok
        self.outcome = outcome
        self.mark(outcome.written, not outcome.ok or not was_ok)
        if not outcome.ok:
            self._report(outcome, set())
            self.reload()
            return
        if not was_ok:
            self.reload()
        elif outcome.written:
            self.reload_pages(outcome.written)
        self._index(outcome.written)
        seconds = time.perf_counter() - started
        self.log(f"  ... then the lists, feeds and downloads, in {seconds:.2f} s more.")

    def close(self) -> None:
        """Stop the watcher, the build thread and the search index."""
        if self.watcher is not None:
            self.watcher.stop()
        self._executor.shutdown(wait=True, cancel_futures=True)
        if self.search is not None:
            self.search.stop()

    # -- reloading -------------------------------------------------------------------------

    def mark(self, written: list[str], toggled: bool) -> None:
        """Record a change: which files were written, and whether the error page changed."""
        self.state += 1
        for path in written:
            self.written_at[path] = self.state
        if toggled:
            self.toggled_at = self.state

    def catch_up(self, socket: PageSocket) -> None:
        """Reload a page that connects after a change it has not shown yet."""
        served = self.served.get(socket.page)
        if served is None:
            return
        if self.toggled_at > served or self.written_at.get(self.page_file(socket.page), 0) > served:
            self.send(socket, "*")

    def reload_pages(self, written: list[str]) -> None:
        """Reload the open pages whose file was rewritten; swap stylesheets in place; reload all for other assets."""
        styles = [path for path in written if path.endswith(".css")]
        assets = [path for path in written if path.startswith("static/") and not path.endswith(".css")]
        if assets:
            self.reload()
            return
        for path in styles:
            self.reload(path)  # livereload swaps the stylesheet without reloading the page
        pages = set(written)
        for socket in list(self.sockets):
            if self.page_file(socket.page) in pages:
                self.send(socket, "*")

    def page_file(self, url_path: str) -> str:
        """Return the file below the preview folder that a page's URL path shows (404.html when there is none)."""
        target = resolve(self.out, url_path)
        if target is not None and target.is_dir():
            target = target / "index.html"
        if target is None or not target.is_file():
            return "404.html"
        return target.relative_to(self.out.resolve()).as_posix()

    def reload(self, path: str = "*") -> None:
        """Tell every open page to reload (only matching stylesheets when path is a .css file)."""
        for socket in list(self.sockets):
            self.send(socket, path)

    def send(self, socket: PageSocket, path: str) -> None:
        """Send one reload command."""
        message = json_encode({"command": "reload", "path": path, "liveCSS": True, "liveImg": True})
        try:
            socket.write_message(message)
        except websocket.WebSocketClosedError:
            self.sockets.discard(socket)

    def error_page(self) -> bytes:
        """Return the page listing what stops the build."""
        problems = self.outcome.problems
        report = ContentError(problems).report().rsplit(";", 1)[0] + "." if problems else self.outcome.error
        files = len({p.path for p in problems}) or 1
        html = self._error_template.render(
            problems=problems, error=self.outcome.error, count=len(problems) or 1, files=files, report=report
        )
        return inject_livereload(html.encode("utf-8"))

    def _report(self, outcome: Outcome, changed: set[Path]) -> None:
        names = ", ".join(sorted(shown_path(p, self.project.root) for p in changed)[:3])
        if len(changed) > 3:
            names += f" and {len(changed) - 3} more"
        if outcome.problems:
            self.log(ContentError(outcome.problems).report("the browser shows them until they are fixed"))
        elif outcome.error:
            self.log(f"{outcome.error}\nThe preview keeps the last good site until the template is fixed.")
        elif outcome.full:
            self.log(f"Built {outcome.rendered} files in {outcome.seconds:.2f} s.")
        else:
            written = len(outcome.written)
            files = "file" if written == 1 else "files"
            self.log(f"{names}: rendered {outcome.rendered}, wrote {written} {files} in {outcome.seconds:.3f} s.")


def shown_path(path: Path, root: Path) -> str:
    """Return path relative to root for the terminal, or whole when it is outside root."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
