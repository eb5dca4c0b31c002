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

This module starts and stops the server; session.py holds the preview's state and rebuilds,
handlers.py the tornado handlers, site_files.py the mapping from URLs to files.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
from pathlib import Path

import livereload
from tornado import httpserver, netutil
from tornado.ioloop import IOLoop

from kcrecord.engine.pipeline import Project
from kcrecord.engine.write import OutputRefusedError
from kcrecord.preview.handlers import make_app
from kcrecord.preview.session import Log, Preview, shown_path


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
    print(f"The preview is built in {shown_path(preview.out, project.root)}/; site/ is left as make site wrote it.")
    print("Press Ctrl+C to stop.")
    try:
        IOLoop.current().start()
    except KeyboardInterrupt:
        print("\nStopped.")
    finally:
        server.stop()
        preview.close()
    return 0
