"""`make serve`: preview the site on 127.0.0.1:8000, rebuild what an edit affects and reload the browser.

The server is a small tornado application (tornado comes with livereload): a handler that serves
files from site/ only, the livereload.js client from the livereload package, and a websocket
that speaks the livereload protocol so the open page reloads after each rebuild. While content
or a template is broken, site/ keeps its last good state and every HTML page shows the problems
instead, until the file is fixed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import mimetypes
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import livereload
from livereload.handlers import LiveReloadJSHandler
from tornado import httpserver, netutil, web, websocket
from tornado.escape import json_decode, json_encode
from tornado.ioloop import IOLoop

from kcrecord.content.problems import ContentError
from kcrecord.engine.incremental import Outcome, PreviewBuilder, Watcher
from kcrecord.engine.pipeline import Project

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
POLL_INTERVAL = 0.3  # seconds from the end of one scan of the watched files to the next
FINISH_DELAY = 0.3  # after reloading the open pages, let them load before the slower outputs are written
FINISH_SLICE = 0.1  # seconds of pending work between chances to answer requests
Log = Callable[[str], None]


def content_type(path: Path) -> str:
    """Return the Content-Type header for a file in site/."""
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
        return None  # an absolute path, or a symlink pointing outside site/
    return real


def inject_livereload(html: bytes) -> bytes:
    """Return html with the livereload client loaded before </head> (or at the end)."""
    index = html.find(b"</head>")
    if index < 0:
        return html + LIVERELOAD_SCRIPT
    return html[:index] + LIVERELOAD_SCRIPT + html[index:]


class Preview:
    """The preview's state: the builder, the watcher, the latest outcome and the open browser pages."""

    def __init__(self, project: Project, base_url: str, cache: Path | None, log: Log = print) -> None:
        self.project = project
        self.builder = PreviewBuilder(project, base_url, cache)
        self.watcher = Watcher(project.root)
        self.log = log
        self.outcome = Outcome(True)
        self.sockets: set[LiveReloadSocket] = set()
        self._started_pending = 0.0
        # A page whose socket connects after a change missed that reload: these let it catch up.
        self.state = 0  # counts changes
        self.served: dict[str, int] = {}  # URL path of an HTML page -> state when it was served
        self.written_at: dict[str, int] = {}  # file below site/ -> state when it was last written
        self.toggled_at = 0  # state when the error page appeared, changed or went away
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
        self._error_template = env.get_template("error.html")

    def build(self) -> Outcome:
        """Build everything once, at start."""
        self.outcome = self.builder.build()
        self._report(self.outcome, set())
        return self.outcome

    def watch(self, interval: float) -> None:
        """Scan for changes in a worker thread every interval seconds, so requests are answered meanwhile."""
        loop = IOLoop.current()

        async def scan() -> None:
            try:
                changed = await loop.run_in_executor(None, self.watcher.poll)
                if changed:
                    self.apply(changed)
            finally:
                loop.call_later(interval, scan)

        loop.add_callback(scan)

    def poll(self) -> Outcome | None:
        """Rebuild what changed since the last poll, then tell open pages to reload."""
        changed = self.watcher.poll()
        return self.apply(changed) if changed else None

    def apply(self, changed: set[Path]) -> Outcome:
        """Rebuild what the changed files affect, then tell open pages to reload."""
        was_ok = self.outcome.ok
        first = {self.page_file(socket.page) for socket in self.sockets}
        self.outcome = self.builder.update(changed, first)
        self._report(self.outcome, changed)
        written = self.outcome.written
        self.mark(written, not self.outcome.ok or not was_ok)
        if not self.outcome.ok or not was_ok:
            self.reload()  # show the problems, or the fixed page in their place
        elif written:
            self.reload_pages(written)
        if self.builder.pending:
            self._started_pending = time.perf_counter()
            IOLoop.current().call_later(FINISH_DELAY, self.finish_step)
        return self.outcome

    def finish_step(self) -> None:
        """Write a slice of the outputs an update left pending, reload the pages among them, and go on."""
        if not self.builder.pending:
            return
        outcome = self.builder.finish(FINISH_SLICE)
        self.mark(outcome.written, not outcome.ok)
        if not outcome.ok:
            self.outcome = outcome
            self._report(outcome, set())
            self.reload()
            return
        if outcome.written:
            self.reload_pages(outcome.written)
        if self.builder.pending:
            IOLoop.current().call_later(0.01, self.finish_step)
        else:
            seconds = time.perf_counter() - self._started_pending
            self.log(f"  ... then the lists, feeds and downloads, in {seconds:.2f} s more.")

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
        """Return the file below site/ that a page's URL path shows (404.html when there is none)."""
        out = self.project.out
        target = resolve(out, url_path)
        if target is not None and target.is_dir():
            target = target / "index.html"
        if target is None or not target.is_file():
            return "404.html"
        return target.relative_to(out.resolve()).as_posix()

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
    """Serve files from site/ only, with the site's 404 page and the livereload client in every page."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def head(self) -> None:
        self.get(include_body=False)

    def get(self, include_body: bool = True) -> None:
        out = self.preview.project.out
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
    """Return the tornado application: the livereload endpoints, then every other path from site/."""
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
        """Stop the server and wait for its thread."""
        self.loop.add_callback(self.loop.stop)
        self.thread.join(timeout=10)


def start_in_thread(
    project: Project, cache: Path | None = None, interval: float = 0.1, log: Log = lambda line: None
) -> RunningPreview:
    """Build, then serve the project on 127.0.0.1 at a free port from a background thread."""
    sockets = netutil.bind_sockets(0, "127.0.0.1")
    port = sockets[0].getsockname()[1]
    preview = Preview(project, preview_url("127.0.0.1", port), cache, log)
    preview.build()
    started = threading.Event()
    holder: dict[str, IOLoop] = {}

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        loop = IOLoop.current()
        holder["loop"] = loop
        server = httpserver.HTTPServer(make_app(preview))
        server.add_sockets(sockets)
        preview.watch(interval)
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


def run(project: Project, host: str, port: int, cache: Path | None, interval: float = POLL_INTERVAL) -> int:
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
    preview.build()
    server = httpserver.HTTPServer(make_app(preview))
    server.add_sockets(sockets)
    preview.watch(interval)
    print(f"Serving {url} (livereload {livereload.__version__}); watching content/, templates/, static/, site.yaml.")
    print("Press Ctrl+C to stop.")
    try:
        IOLoop.current().start()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.stop()
    return 0
