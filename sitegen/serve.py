"""``sitegen serve``: build, serve on localhost, rebuild on changes, reload the browser.

The server only ever reads the output folder, which a build replaces whole, so it
never shows a half-built site. HTML it sends (never the files on disk) gets a small
script that listens for server-sent events on ``/__sitegen__/events``: ``reload``
after a new site, ``css`` when only stylesheets changed, ``failed`` when a build
failed (the last good site stays); each carries the current errors for an overlay.
"""

from __future__ import annotations

import json
import mimetypes
import os
import queue
import re
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import unquote

from sitegen.build import forget_output
from sitegen.config import load_config
from sitegen.errors import ConfigError, SitegenError
from sitegen.forked import interrupt, interrupts_held
from sitegen.watch import Outcome, Session

PREFIX = "/__sitegen__/"
LIVE_JS = (Path(__file__).parent / "live.js").read_bytes()  # the browser side, served at PREFIX + live.js
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".webmanifest": "application/manifest+json", ".xml": "application/xml",
    ".rss": "application/rss+xml", ".atom": "application/atom+xml", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
    ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon", ".pdf": "application/pdf",
    ".woff": "font/woff", ".woff2": "font/woff2", ".wasm": "application/wasm", ".map": "application/json",
}
NOT_BUILT = b"""<!doctype html><html lang="en"><meta charset="utf-8"><title>Building</title>
<body><h1>The site is not built yet</h1><p>This page reloads when a build succeeds.</p></body></html>
"""
NOT_FOUND = b"""<!doctype html><html lang="en"><meta charset="utf-8"><title>Not found</title>
<body><h1>Not found</h1><p>No page at this address.</p></body></html>
"""
FORBIDDEN = b"""<!doctype html><html lang="en"><meta charset="utf-8"><title>Forbidden</title>
<body><h1>Forbidden</h1><p>This address leads outside the site.</p></body></html>
"""


class ServeError(SitegenError):
    """The server cannot start (the port is taken, the host is unknown)."""


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Located:
    """Where a request leads: a file (status 200), a redirect, or 403/404."""

    status: int
    file: Path | None = None
    location: str = ""


def locate(target: str, root: Path, base: str = "/") -> Located:
    """Map a request target to a file below ``root``, the site being served under ``base``.

    Anything that could leave ``root`` is refused: ``..`` and ``.`` segments (plain or
    percent-encoded), encoded slashes and backslashes, NUL bytes, and symlinks whose
    real path is outside (403). Folders are served by their ``index.html``; a folder
    URL without its final slash is redirected, as are ``/`` and the base without its
    slash when the site lives under a sub-path.
    """
    raw, _, query = target.partition("?")
    raw = raw.partition("#")[0]
    query = f"?{query}" if query else ""
    if not raw.startswith("/") or "\\" in raw or re.search(r"%(2f|5c|00)", raw, re.I):
        return Located(404)
    try:
        path = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return Located(404)
    if "\x00" in path or "\\" in path:
        return Located(404)
    if base != "/" and path in ("/", base.rstrip("/")):
        return Located(302, location=base + query)
    if not path.startswith(base):
        return Located(404)
    parts = path[len(base):].split("/")
    if any(part in (".", "..") for part in parts) or "" in parts[:-1]:
        return Located(404)
    real_root = root.resolve()
    candidate = root.joinpath(*parts)
    real = candidate.resolve()
    if real != real_root and real_root not in real.parents:
        return Located(403)
    if real.is_dir():
        if not path.endswith("/"):
            return Located(302, location=raw + "/" + query)
        index = (real / "index.html").resolve()
        if real_root not in index.parents:
            return Located(403)
        return Located(200, index) if index.is_file() else Located(404)
    return Located(200, real) if real.is_file() else Located(404)


def inject(html: bytes, version: int) -> bytes:
    """The page with the live-reload script before its last ``</body>`` (or at its end)."""
    tag = f'<script src="{PREFIX}live.js" data-version="{version}"></script>'.encode()
    at = html.lower().rfind(b"</body>")
    return html[:at] + tag + html[at:] if at >= 0 else html + tag


class Live:
    """The served site's state and the browsers listening for its changes.

    ``version`` counts the sites swapped in (a page knows the version it came from
    and reloads when it connects to a newer one); ``builds`` counts every build.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: set[queue.SimpleQueue[str | None]] = set()
        self.version = 0
        self.builds = 0
        self.error = ""
        self.failed = False
        self.closed = False

    def _payload(self) -> dict[str, Any]:
        return {"version": self.version, "builds": self.builds, "error": self.error, "failed": self.failed}

    def status(self) -> dict[str, Any]:
        with self._lock:
            return self._payload()

    def subscribe(self) -> queue.SimpleQueue[str | None]:
        """A new listener; its first message is the current state."""
        events: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        with self._lock:
            events.put(_event("state", self._payload()))
            if self.closed:
                events.put(None)
            self._clients.add(events)
        return events

    def unsubscribe(self, events: queue.SimpleQueue[str | None]) -> None:
        with self._lock:
            self._clients.discard(events)

    def built(self, outcome: Outcome) -> None:
        with self._lock:
            self.builds += 1
            self.error = "\n".join(outcome.errors)
            self.failed = not outcome.written
            if outcome.written:
                self.version += 1
            name = "failed" if not outcome.written else "css" if outcome.css_only else "reload"
            message = _event(name, self._payload())
            for events in self._clients:
                events.put(message)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            for events in self._clients:
                events.put(None)


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


class Handler(BaseHTTPRequestHandler):
    server: SiteServer
    server_version = "sitegen"
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles open at Ctrl-C
    timeout = 30  # seconds a connection may sit without sending its request

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal is for build reports

    def _respond(self, head: bool) -> None:
        path = self.path.partition("?")[0]
        if path.startswith(PREFIX):
            return self._own(path[len(PREFIX):], head)
        site = self.server.site
        for _ in range(50):  # a rebuild is swapping the new site in: wait the moment it takes
            if site.root.is_dir() or not self.server.live.version:
                break
            time.sleep(0.01)
        if not site.root.is_dir():
            return self._send(503, NOT_BUILT, "text/html; charset=utf-8", head)
        found = locate(self.path, site.root, site.base)
        if found.status == 302:
            return self._send(found.status, b"", "text/plain", head, location=found.location)
        if found.status == 200 and found.file is not None:
            try:
                return self._file(200, found.file, head)
            except FileNotFoundError:  # a rebuild swapped the folder between look-up and open
                pass
        if found.status == 403:
            return self._send(403, FORBIDDEN, "text/html; charset=utf-8", head)
        status = 404
        page = locate(site.base + "404.html", site.root, site.base)
        if page.status == 200 and page.file is not None:
            try:
                return self._file(status, page.file, head)
            except FileNotFoundError:
                pass
        self._send(status, NOT_FOUND, "text/html; charset=utf-8", head)

    def _file(self, status: int, file: Path, head: bool) -> None:
        kind = content_type(file)
        with open(file, "rb") as stream:
            if kind.startswith("text/html"):
                return self._send(status, stream.read(), kind, head)
            size = os.fstat(stream.fileno()).st_size
            self._headers(status, kind, size)
            if not head:
                shutil.copyfileobj(stream, self.wfile)

    def _send(self, status: int, body: bytes, kind: str, head: bool, location: str = "") -> None:
        if kind.startswith("text/html"):
            body = inject(body, self.server.live.version)
        self._headers(status, kind, len(body), location)
        if not head:
            self.wfile.write(body)

    def _headers(self, status: int, kind: str, size: int, location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(size))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if location:
            self.send_header("Location", location)
        self.end_headers()

    def _own(self, name: str, head: bool) -> None:
        if name == "live.js":
            return self._send(200, LIVE_JS, "text/javascript; charset=utf-8", head)
        if name == "status":
            return self._send(200, json.dumps(self.server.live.status()).encode(), "application/json", head)
        if name == "events" and not head:
            return self._events()
        self._send(404, NOT_FOUND, "text/html; charset=utf-8", head)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        events = self.server.live.subscribe()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while True:
                try:
                    message = events.get(timeout=15)
                except queue.Empty:
                    message = ": still here\n\n"  # finds browsers that went away
                if message is None:
                    return
                self.wfile.write(message.encode())
                self.wfile.flush()
        except OSError:
            return  # the browser went away
        finally:
            self.server.live.unsubscribe(events)


@dataclass(slots=True)
class Served:
    root: Path  # the output folder
    base: str  # the sub-path of base_url: '/' or '/archive/'


class SiteServer(ThreadingHTTPServer):
    """A threaded server whose handler threads are joined, and whose open connections
    are cut at shutdown so that no thread waits on a browser."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], site: Served, live: Live):
        self.site, self.live = site, live
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        with self._connections_lock:
            for connection in self._connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # a browser closed its connection
        super().handle_error(request, client_address)


def local_url(host: str, port: int, base: str) -> str:
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else "[::1]" if host == "::" else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{base}"


def serve(site: Path, output: Path | None = None, *, host: str = "127.0.0.1", port: int = 8000,
          stdout: TextIO | None = None, stderr: TextIO | None = None, future: bool = False) -> None:
    """Serve the site with drafts until Ctrl-C (or SIGTERM), rebuilding on every change and
    at each scheduled article's moment; ``future`` shows scheduled articles at once.

    Builds into ``output`` when given (and keeps it), else into a private temporary
    folder removed on exit, so a served build (with drafts) never lands in the site's
    ``output_dir``. Raises ServeError when the port cannot be had, and BuildError when
    the first build shows the output folder is refused.
    """
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    site = site.absolute()
    private = Path(tempfile.mkdtemp(prefix="sitegen-serve-")) if output is None else None
    out = (private / "site") if private is not None else output.absolute()  # type: ignore[union-attr]
    served = Served(out, _base_path(site, "/"))
    live = Live()
    try:
        server = SiteServer((host, port), served, live)
    except OSError as exc:
        if private is not None:
            shutil.rmtree(private, ignore_errors=True)
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise ServeError(f"port {port} on {host} is already in use; stop the other server or choose another "
                             "port with --port (--port 0 picks a free one)") from None
        raise ServeError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None

    def built(outcome: Outcome) -> None:
        base = _base_path(site, served.base)
        if base != served.base:
            served.base = base
            print(f"now serving at {local_url(host, server.server_address[1], base)}", file=stdout, flush=True)
        live.built(outcome)

    session = Session(site, out, drafts=True, keeps="still serving the last good site", fingerprint_assets=False,
                      on_outcome=built, stdout=stdout, stderr=stderr, future=future)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="sitegen-server")
    previous_term = _terminate_as_interrupt()
    try:
        url = local_url(host, server.server_address[1], served.base)
        where = f"a temporary folder ({out}), removed on exit" if private is not None else str(out)
        print(f"Serving the site at {url} (drafts shown, live reload; Ctrl-C to stop)", file=stdout, flush=True)
        print(f"building into {where}", file=stdout, flush=True)
        with interrupts_held():  # (it and its request threads never take a Ctrl-C: see Watcher.start)
            thread.start()
        session.run()
    except KeyboardInterrupt:
        print("\nsitegen: stopped serving", file=stderr, flush=True)
    finally:
        main = threading.current_thread() is threading.main_thread()
        if main:
            on_interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        try:
            session.stop()
            live.close()
            if thread.is_alive():
                server.shutdown()
            server.cut_connections()
            server.server_close()  # joins the handler threads
            thread.join(timeout=2)
            if private is not None:
                shutil.rmtree(private, ignore_errors=True)
                forget_output(site, out)
        finally:
            if main:  # (None: a handler set outside Python)
                signal.signal(signal.SIGINT, on_interrupt if on_interrupt is not None else signal.default_int_handler)
            if previous_term is not None:
                signal.signal(signal.SIGTERM, previous_term)


def _base_path(site: Path, fallback: str) -> str:
    try:
        return load_config(site).base_path
    except ConfigError:
        return fallback


def _terminate_as_interrupt() -> Any:
    """SIGTERM stops serve the way Ctrl-C does (the temporary folder is removed), remembered as it
    is (see forked.interrupts_remembered)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, interrupt)


__all__ = ["Live", "ServeError", "SiteServer", "inject", "locate", "serve"]
