"""The preview's tornado application: files from the preview folder, the livereload client and its websocket."""

from __future__ import annotations

from urllib.parse import urlsplit

from livereload.handlers import LiveReloadJSHandler
from tornado import web, websocket
from tornado.escape import json_decode, json_encode

from kcrecord.preview.session import Preview
from kcrecord.preview.site_files import content_type, inject_livereload, resolve


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
