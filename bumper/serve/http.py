"""The daemon's HTTP side: /healthz, /readyz, /metrics, /status.json, the page and POST /run.

Every answer is computed from the daemon at request time; nothing here holds state. The
server answers from its own threads, so what it asks of the daemon (``Backend``) must be
safe to call while a pass runs.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from prometheus_client.exposition import choose_encoder

from bumper.serve.metrics import Metrics
from bumper.serve.statuspage import Snapshot, render_html, status_json

log = logging.getLogger("bumper.daemon")  # the daemon's logger: its lines keep their name

# Threads answering at once; beyond them the connection that has waited longest for the
# rest of its request is dropped, so half-sent requests cannot starve /healthz.
MAX_HANDLERS = 32
READ_TIMEOUT_SECONDS = 10.0  # the most a client may pause while sending its request
_SLOT_WAIT_SECONDS = 1.0  # for a slot freed by that drop, before answering 503
_BUSY = b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class Backend(Protocol):
    """What the HTTP server asks of the daemon."""

    @property
    def metrics(self) -> Metrics: ...

    def readiness(self) -> tuple[bool, list[str]]: ...

    def state_note(self) -> str | None: ...

    def snapshot(self) -> Snapshot: ...

    def admin_token(self) -> str | None: ...

    def request_pass(self, trigger: str) -> bool: ...


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64  # a burst of connections waits in the backlog, not refused

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        self.bumper = backend
        self._slots = threading.BoundedSemaphore(MAX_HANDLERS)
        self._reading: dict[socket.socket, float] = {}  # still sending its request: since when
        self._reading_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._drop_slowest_reader()
            if not self._slots.acquire(timeout=_SLOT_WAIT_SECONDS):
                self._refuse(request)
                return
        with self._reading_lock:
            self._reading[request] = time.monotonic()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._done(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._done(request)

    def request_read(self, request: socket.socket) -> None:
        """The handler has the whole request: it is answering, no longer a slow sender."""
        with self._reading_lock:
            self._reading.pop(request, None)

    def _done(self, request: socket.socket) -> None:
        with self._reading_lock:
            self._reading.pop(request, None)
        self._slots.release()

    def _drop_slowest_reader(self) -> None:
        with self._reading_lock:
            if not self._reading:
                return
            oldest = min(self._reading, key=self._reading.__getitem__)
            del self._reading[oldest]
        # Its thread's pending read returns at once, as if the client had hung up.
        with contextlib.suppress(OSError):
            oldest.shutdown(socket.SHUT_RDWR)

    def _refuse(self, request: socket.socket) -> None:
        with contextlib.suppress(OSError):
            request.setblocking(False)
            request.send(_BUSY)
        self.shutdown_request(request)


class _Handler(BaseHTTPRequestHandler):
    server: Server
    server_version = "bumper"
    sys_version = ""
    timeout = READ_TIMEOUT_SECONDS  # per read and write on the connection

    def parse_request(self) -> bool:
        parsed = super().parse_request()  # reads the headers
        # No handler reads a body, so once the headers are in the request is whole.
        self.server.request_read(self.connection)
        return parsed

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)

    def do_HEAD(self) -> None:
        self._get(head=True)

    def do_GET(self) -> None:
        self._get(head=False)

    def _get(self, *, head: bool) -> None:
        daemon = self.server.bumper
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._send(200, b"ok\n", "text/plain; charset=utf-8", head)
        elif path == "/readyz":
            ready, reasons = daemon.readiness()
            body: dict[str, Any] = {"ready": ready, "reasons": reasons}
            note = daemon.state_note()
            if note is not None:
                # Still ready: the state is a cache, and passes run as well without the file.
                body["state"] = note
            self._json(200 if ready else 503, body, head)
        elif path == "/metrics":
            # Prometheus asks for OpenMetrics in Accept; anything else gets the text format.
            encoder, content_type = choose_encoder(self.headers.get("Accept", ""))
            self._send(200, encoder(daemon.metrics.registry), content_type, head)
        elif path == "/status.json":
            self._json(200, status_json(daemon.snapshot()), head)
        elif path in ("/", "/index.html"):
            page = render_html(daemon.snapshot()).encode()
            self._send(200, page, "text/html; charset=utf-8", head)
        elif path == "/run":
            self._json(405, {"error": "use POST /run"}, head, {"Allow": "POST"})
        else:
            self._json(404, {"error": "not found"}, head)

    def do_POST(self) -> None:
        daemon = self.server.bumper
        if urlsplit(self.path).path != "/run":
            self._json(404, {"error": "not found"})
            return
        expected = daemon.admin_token()
        if expected is None:
            self._json(
                403,
                {"error": "triggering a pass over HTTP is off: set schedule.admin_token_env"},
            )
            return
        scheme, _, given = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            self._json(401, {"error": "needs Authorization: Bearer <admin token>"})
            return
        if not daemon.request_pass("http"):
            self._json(409, {"error": "a pass is running (or bumper is stopping)"})
            return
        self._json(202, {"started": True})

    def _json(
        self,
        status: int,
        payload: Any,
        head: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        data = (json.dumps(payload, indent=1) + "\n").encode()
        self._send(status, data, "application/json", head, headers)

    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str,
        head: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status, HTTPStatus(status).phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if content_type.startswith("text/html"):
            # Inline styles only; no script, nothing loaded from elsewhere.
            self.send_header(
                "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"
            )
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(data)
