"""`make serve`: preview the site on 127.0.0.1:8000, rebuild what an edit affects and reload the browser.

The server is a small tornado application (tornado comes with livereload): a handler that serves
files from the preview's own folder (.cache/preview/site/, kcrecord/preview/builder.py; site/ is
never touched), the livereload.js client from the livereload package, and a websocket that speaks
the livereload protocol so the open pages whose files were written reload after each rebuild.
The watcher (kcrecord/preview/watch.py) hands batches of changed paths to the server's loop; the
builds run one at a time in a worker thread, so requests are answered meanwhile, and the search
index is refreshed in the background once they settle (kcrecord/preview/search.py). While content
or a template is broken, the preview folder keeps its last good state and every HTML page shows
the problems instead, until the file is fixed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import mimetypes
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import livereload
from livereload.handlers import LiveReloadJSHandler
from tornado import httpserver, netutil, web, websocket
from tornado.escape import json_decode, json_encode
from tornado.ioloop import IOLoop

from kcrecord.content.problems import ContentError
from kcrecord.engine.engine import Outcome
from kcrecord.engine.pipeline import Project
from kcrecord.engine.write import OutputRefusedError
from kcrecord.preview.builder import PreviewBuilder
from kcrecord.preview.search import SearchRefresher
from kcrecord.preview.watch import Watcher

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".geojson": "application/geo+json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
}
LIVERELOAD_SCRIPT = b'<script src="/livereload.js"></script>'
TEMPLATES = Path(__file__).resolve().parent / "serve_templates"
FINISH_DELAY = 0.2  # after reloading the edited page, let it load before the slower outputs are made
Log = Callable[[str], None]


def content_type(path: Path) -> str:
    """Return the Content-Type header for a file the preview serves."""
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def resolve(site_root: Path, url_path: str) -> Path | None:
    """Return the file or folder under site_root that a URL path names, or None if it would leave site_root."""
    path = unquote(url_path)
    if "\0" in path or "\\" in path:
        return None
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None
    root = site_root.resolve()
    try:
        real = root.joinpath(*parts).resolve()
    except (OSError, RuntimeError):
        return None
    if real != root and root not in real.parents:
        return None  # an absolute path, or a symlink pointing outside the served folder
    return real


def inject_livereload(html: bytes) -> bytes:
    """Return html with the livereload client loaded before </head> (or at the end)."""
    index = html.find(b"</head>")
    if index < 0:
        return html + LIVERELOAD_SCRIPT
    return html[:index] + LIVERELOAD_SCRIPT + html[index:]


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
        self.sockets: set[LiveReloadSocket] = set()
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
                    self.applied(outcome, batch)
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

    def catch_up(self, socket: LiveReloadSocket) -> None:
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

    def send(self, socket: LiveReloadSocket, path: str) -> None:
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
        names = ", ".join(sorted(_shown(p, self.project.root) for p in changed)[:3])
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


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


class SiteHandler(web.RequestHandler):
    """Serve files from the preview folder only, with the site's 404 page and the livereload client in every page."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def head(self) -> None:
        self.get(include_body=False)

    def get(self, include_body: bool = True) -> None:
        out = self.preview.out
        url_path = self.request.path
        target = resolve(out, url_path)
        if target is not None and target.is_dir():
            if not url_path.endswith("/"):
                query = urlsplit(self.request.uri).query
                self.redirect(url_path + "/" + (f"?{query}" if query else ""))
                return
            target = target / "index.html"
        status = 200
        if target is None or not target.is_file():
            status, target = 404, out / "404.html"
        is_html = target.suffix == ".html"
        if is_html:
            self.preview.served[url_path] = self.preview.state
        if is_html and not self.preview.outcome.ok:
            self._send(500, "text/html; charset=utf-8", self.preview.error_page(), include_body)
            return
        try:
            data = target.read_bytes()
        except OSError:
            self._send(404, "text/plain; charset=utf-8", b"Not found\n", include_body)
            return
        if is_html:
            data = inject_livereload(data)
        self._send(status, content_type(target), data, include_body)

    def _send(self, status: int, kind: str, data: bytes, include_body: bool) -> None:
        self.set_status(status)
        self.set_header("Content-Type", kind)
        self.set_header("Content-Length", str(len(data)))
        if include_body:
            self.write(data)
        self.finish()


class LiveReloadSocket(websocket.WebSocketHandler):
    """The livereload protocol (official-7): say hello, then receive reload commands."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview
        self.page = "/"

    def check_origin(self, origin: str) -> bool:
        return urlsplit(origin).netloc == self.request.host

    def on_message(self, message: str | bytes) -> None:
        try:
            data = json_decode(message)
            command = data.get("command")
        except (ValueError, AttributeError):
            return
        if command == "hello":
            protocols = ["http://livereload.com/protocols/official-7"]
            self.write_message(json_encode({"command": "hello", "protocols": protocols, "serverName": "kcrecord"}))
        elif command == "info":
            self.page = urlsplit(str(data.get("url") or "/")).path or "/"
            self.preview.sockets.add(self)
            self.preview.catch_up(self)

    def on_close(self) -> None:
        self.preview.sockets.discard(self)


def make_app(preview: Preview) -> web.Application:
    """Return the tornado application: the livereload endpoints, then every other path from the preview folder."""
    return web.Application(
        [
            (r"/livereload", LiveReloadSocket, {"preview": preview}),
            (r"/livereload\.js", LiveReloadJSHandler),
            (r"/.*", SiteHandler, {"preview": preview}),
        ],
        log_function=lambda handler: None,  # the terminal shows rebuilds and problems, not every request
    )


def preview_url(host: str, port: int) -> str:
    """Return the address the preview is built for and served at."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


class RunningPreview:
    """A preview server running in a background thread (for tests and scripts)."""

    def __init__(self, preview: Preview, loop: IOLoop, thread: threading.Thread, port: int) -> None:
        self.preview = preview
        self.loop = loop
        self.thread = thread
        self.port = port

    @property
    def url(self) -> str:
        """Return the server's address."""
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        """Stop the watcher and the server, and wait for their threads."""
        if self.preview.watcher is not None:
            self.preview.watcher.stop()
        self.loop.add_callback(self.loop.stop)
        self.thread.join(timeout=10)
        self.preview.close()


def start_in_thread(
    project: Project,
    cache: Path | None = None,
    log: Log = lambda line: None,
    commit: str | None = None,
    search: bool = True,
) -> RunningPreview:
    """Build, then serve the project on 127.0.0.1 at a free port from a background thread, watching for edits."""
    sockets = netutil.bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    preview = Preview(project, preview_url("127.0.0.1", port), cache, log, commit, search)
    preview.start_watching()
    preview.build()
    started = threading.Event()
    holder: dict[str, IOLoop] = {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        holder["loop"] = loop
        server = httpserver.HTTPServer(make_app(preview))
        server.add_sockets(sockets)
        preview.attach(loop)
        loop.add_callback(started.set)
        loop.start()
        server.stop()
        loop.close(all_fds=True)

    thread = threading.Thread(target=run, name="preview", daemon=True)
    thread.start()
    started.wait(10)
    return RunningPreview(preview, holder["loop"], thread, port)


def is_loopback(host: str) -> bool:
    """Return True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(project: Project, host: str, port: int, cache: Path | None = None) -> int:
    """Serve the preview until interrupted; return the exit status."""
    if not is_loopback(host):
        print(f"Warning: serving on {host}, so other machines can see the preview; use 127.0.0.1 to keep it local.")
    try:
        sockets = netutil.bind_sockets(port, host)
    except OSError as error:
        print(f"Cannot listen on {host}:{port} ({error.strerror}); try --port with another number.")
        return 1
    url = preview_url(host, port)
    preview = Preview(project, url, cache)
    preview.start_watching()  # before the first build, so an edit made during it is not missed
    try:
        preview.build()
    except OutputRefusedError as error:
        print(error)
        preview.close()
        return 1
    server = httpserver.HTTPServer(make_app(preview))
    server.add_sockets(sockets)
    preview.attach(IOLoop.current())
    print(f"Serving {url} (livereload {livereload.__version__}); watching content/, templates/, static/, site.yaml.")
    print(f"The preview is built in {_shown(preview.out, project.root)}/; site/ is left as make site wrote it.")
    print("Press Ctrl+C to stop.")
    try:
        IOLoop.current().start()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.stop()
        preview.close()
    return 0
