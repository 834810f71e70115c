"""The sandbox server: one loopback HTTP server for REST, GraphQL, git and the admin API.

This module owns sockets and everything generic to GitHub's answers (auth, ETags,
rate-limit headers, faults, the request log); the REST and GraphQL handlers are plain
functions of a Request (see http.py), and git goes to ``git http-backend`` (git_http.py).

Routes: ``/api/v3/...`` -> RestApi (``/api/v3/rate_limit`` is answered here from the
counters), ``/api/graphql`` -> GraphQLApi, ``/OWNER/NAME[.git]/info/refs|git-upload-pack|
git-receive-pack`` -> git, ``/OWNER/NAME`` -> a tiny web page, anything else 404 JSON.

Admin API (JSON, no token, loopback clients only, never logged, never faulted):
  GET|DELETE /_sandbox/requests     the request log / clear it ({"removed": n})
  POST /_sandbox/faults             add a fault (see faults.py) -> 201 {"id": n}
  POST /_sandbox/hooks              {"path", "method"?, "graphql"?, "nth"?, "repository",
                                    "branch", "files", "message"?} -> 201 {"id": n}: a
                                    person's push right before the nth matching request
                                    (hooks.py)
  GET|DELETE /_sandbox/hooks        list hooks (with the sha each pushed) / remove all
  GET|DELETE /_sandbox/faults       list active faults / remove all ({"removed": n})
  DELETE /_sandbox/faults/ID        remove one
  POST /_sandbox/rename             {"from": "o/a", "to": "o/b"} -> {"from", "to"}
  POST /_sandbox/repos              {"full_name", "default_branch"?, "files"?: {path: text},
                                    "message"?} -> 201 {"full_name", "default_branch", "head"}
  POST /_sandbox/commits            {"repository", "branch"?, "files", "message"?} -> 201 {"sha"}
  POST /_sandbox/required-checks    {"repository", "branch"?, "contexts": [...]} -> the
                                    contexts merges of PRs into that branch wait for
  POST /_sandbox/advance            {"repository", "branch"?, "n"?} -> 201 {"sha"}: n upstream
                                    commits, as seed.advance_upstream (demo and benchmarks)
  POST /_sandbox/apps               {"public_key_pem", "installation_owner", "slug"?,
                                    "token_ttl_seconds"?} -> 201 {"app_id", "installation_id",
                                    "slug"}: a GitHub App installed on one account (apps.py)
Bad input answers 400 (malformed JSON) or 422 naming the field.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import http.server
import importlib
import ipaddress
import json
import logging
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from bumper.sandbox import git_http
from bumper.sandbox.apps import JWT_PATH, TOKEN_TTL_SECONDS, Apps, Credential
from bumper.sandbox.faults import Fault, FaultError, Faults, garble_shas
from bumper.sandbox.gql_parse import operation_kind
from bumper.sandbox.hooks import Hooks
from bumper.sandbox.http import Request, Response, error, json_response
from bumper.sandbox.shapes import USER
from bumper.sandbox.store import GitError, Store

log = logging.getLogger("bumper.sandbox")

DEFAULT_TOKEN = "sandbox-token"
RATE_LIMIT = 5000
RATE_LIMIT_PATH = "/api/v3/rate_limit"
_WEB_PATH = re.compile(
    r"\A/(?P<owner>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<name>[A-Za-z0-9._-]+)(?:/.*)?\Z"
)
Handler = Callable[[Request], Response]
_HANDLERS = {
    "rest": ("bumper.sandbox.rest", "RestApi"),
    "graphql": ("bumper.sandbox.graphql", "GraphQLApi"),
}


# -- pieces the server is made of -------------------------------------------------


class RequestLog:
    """Every API, GraphQL and git request in order: method, path, status, bytes, ms.

    It also notes which kind of credential each request carried (Request.auth); only
    ``entries(auth=True)`` shows it, so the admin API's JSON keeps its fixed fields.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._auth: list[str] = []

    def add(
        self,
        method: str,
        path: str,
        status: int,
        size: int,
        ms: float,
        auth: str = "none",
        graphql: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": status,
            "bytes": size,
            "ms": ms,
        }
        if graphql is not None:
            entry["graphql"] = graphql  # other checks tell a mutation from a query by it
        with self._lock:
            self._entries.append(entry)
            self._auth.append(auth)

    def entries(self, auth: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            if auth:
                return [{**e, "auth": a} for e, a in zip(self._entries, self._auth, strict=True)]
            return [dict(e) for e in self._entries]

    def clear(self) -> int:
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            self._auth.clear()
            return count


class RateCounter:
    """GitHub-style x-ratelimit-* headers: a per-resource count of requests this hour.

    Informational only: the sandbox never refuses for it (faults simulate limits).
    """

    def __init__(self, limit: int = RATE_LIMIT) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._window = 0
        self._used: dict[str, int] = {}

    def status(self, resource: str, count: bool = False) -> dict[str, int]:
        """limit/remaining/used/reset of ``resource`` this hour, after counting one if asked."""
        now = int(time.time())
        with self._lock:
            window = now // 3600
            if window != self._window:
                self._window, self._used = window, {}
            if count:
                self._used[resource] = self._used.get(resource, 0) + 1
            used = self._used.get(resource, 0)
        return {
            "limit": self.limit,
            "remaining": max(self.limit - used, 0),
            "used": used,
            "reset": (window + 1) * 3600,
        }

    def headers(self, resource: str, count: bool) -> dict[str, str]:
        state = self.status(resource, count)
        return {
            "X-RateLimit-Limit": str(state["limit"]),
            "X-RateLimit-Remaining": str(state["remaining"]),
            "X-RateLimit-Used": str(state["used"]),
            "X-RateLimit-Reset": str(state["reset"]),
            "X-RateLimit-Resource": resource,
        }

    def payload(self) -> dict[str, Any]:
        """The body of GET /rate_limit."""
        resources = {name: self.status(name) for name in ("core", "graphql", "search")}
        return {"resources": resources, "rate": resources["core"]}


def presented_token(authorization: str | None) -> str | None:
    """The token in an Authorization header: ``token X``, ``Bearer X`` or Basic with password X.

    Returns "" for a header we cannot read, so that it counts as a wrong credential.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() in ("token", "bearer"):
        return value
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        # GitHub also accepts the token as the user name with a dummy password.
        return password if password and password != "x-oauth-basic" else user
    return ""


def etag_of(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:40]}"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    def bare(tag: str) -> str:
        tag = tag.strip()
        return tag[2:] if tag.startswith("W/") else tag

    candidates = [bare(t) for t in if_none_match.split(",")]
    return "*" in candidates or bare(etag) in candidates


def fault_response(fault: Fault) -> Response:
    assert fault.status is not None
    headers = dict(fault.headers)
    if fault.body is None:
        response = error(fault.status, HTTPStatus(fault.status).phrase)
        response.headers.update(headers)
        return response
    if not any(k.lower() == "content-type" for k in headers):
        try:
            json.loads(fault.body)
            headers["Content-Type"] = "application/json; charset=utf-8"
        except ValueError:
            headers["Content-Type"] = "text/plain; charset=utf-8"
    return Response(fault.status, fault.body.encode(), headers)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


# -- the socket side -------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # we close live connections ourselves in Sandbox.stop
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.workers: set[threading.Thread] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        me = threading.current_thread()
        with self.connections_lock:
            self.workers.add(me)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.connections_lock:
                self.workers.discard(me)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            live = list(self.connections)
        for conn in live:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal (drop faults, killed git); anything
        # else is a bug in the sandbox worth a traceback.
        log.exception("sandbox: error serving %s", client_address)


class _BadRequest(Exception):
    pass


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bumper-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True  # FACTS: small separate writes cost ~40 ms each
    timeout = 300
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed request lines and headers: answer GitHub-shaped JSON, then hang up.
        self.close_connection = True
        self._write(error(code, message or HTTPStatus(code).phrase), head_only=False)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    # -- reading -----------------------------------------------------------
    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise _BadRequest("Content-Length is not a number") from None
        if size < 0:
            raise _BadRequest("Content-Length is negative")
        body = self.rfile.read(size)
        if len(body) != size:
            raise _BadRequest("request body shorter than Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest("malformed chunked body") from None
            if size == 0:
                while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise _BadRequest("chunked body ended early")
            chunks.append(chunk)
            self.rfile.readline(8)

    def _request(self, path: str, body: bytes) -> Request:
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or "{}:{}".format(*self.server.server_address[:2])
        token = presented_token(headers.get("authorization"))
        credential = self.server.sandbox.credential(token)
        return Request(
            method=self.command,
            path=path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
            base_url=f"http://{host}",
            token=token,
            authenticated=credential.kind in ("token", "installation"),
            auth=credential.kind,
            login=credential.login,
            account=credential.owner,
        )

    # -- serving -----------------------------------------------------------
    def _serve(self) -> None:
        started = time.perf_counter()
        path = unquote(urlsplit(self.path).path) or "/"
        admin = path == "/_sandbox" or path.startswith("/_sandbox/")
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            if admin:
                self._write(error(400, str(exc)))
            else:
                self._finish(path, error(400, str(exc)), started, None)
            return
        req = self._request(path, body)
        sandbox = self.server.sandbox
        if admin:
            if not _is_loopback(self.client_address[0]):
                self._write(error(403, "The admin API answers loopback clients only"))
            else:
                self._write(sandbox.admin(req))
            return
        graphql = operation_kind(req.body) if req.path == "/api/graphql" else None
        sandbox.hooks.before(req.method, req.path, graphql)
        fault = sandbox.faults.take(req.method, req.path, graphql)
        if fault is not None and fault.delay_ms and fault.kind != "late":
            time.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.kind == "drop":
            self.close_connection = True
            sandbox.log.add(req.method, req.path, 0, 0, _ms(started), req.auth, graphql)
            self._drop()
            return
        if fault is not None and fault.answers:
            response = fault_response(fault)
        else:
            response = sandbox.dispatch(req)
        if fault is not None and fault.kind == "garbage_sha":
            response.body = garble_shas(response.body)
        response = sandbox.decorate(req, response, fault)
        self._finish(req.path, response, started, fault, req.method, req.auth, graphql)

    def _finish(
        self,
        path: str,
        response: Response,
        started: float,
        fault: Fault | None,
        method: str | None = None,
        auth: str = "none",
        graphql: str | None = None,
    ) -> None:
        truncate = fault is not None and fault.kind == "truncate"
        data, body_size = self._encode(response, truncate=truncate)
        # Logged before sending: a client that reads the log right after its answer sees it.
        self.server.sandbox.log.add(
            method or self.command, path, response.status, body_size, _ms(started), auth, graphql
        )
        if fault is not None and fault.kind == "late":
            time.sleep(fault.delay_ms / 1000)
        self._send(data, hang_up=truncate)

    def _drop(self) -> None:
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _write(self, response: Response, *, head_only: bool | None = None) -> None:
        self._send(self._encode(response, head_only=head_only)[0])

    def _encode(
        self, response: Response, *, truncate: bool = False, head_only: bool | None = None
    ) -> tuple[bytes, int]:
        """Status line, headers and body as one buffer, and the body bytes in it."""
        if head_only is None:
            head_only = self.command == "HEAD"
        status = response.status
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [f"HTTP/1.1 {status} {reason}"]
        headers = {k.lower(): (k, v) for k, v in response.headers.items()}
        for framing in ("content-length", "connection", "transfer-encoding", "server", "date"):
            headers.pop(framing, None)
        lines.append(f"Server: {self.server_version}")
        lines.append(f"Date: {formatdate(usegmt=True)}")
        lines.extend(f"{k}: {v}" for k, v in headers.values())
        body = response.body
        no_body = status in (204, 304) or status < 200
        if not no_body:
            lines.append(f"Content-Length: {len(body)}")
        if self.close_connection or truncate:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")
        if no_body or head_only:
            body = b""
        if truncate:
            body = body[: len(body) // 2]
            self.close_connection = True
        return head + body, len(body)

    def _send(self, data: bytes, *, hang_up: bool = False) -> None:
        """One write per answer: with TCP_NODELAY, no 40 ms Nagle/delayed-ACK stall."""
        try:
            self.wfile.write(data)
        except OSError:
            self.close_connection = True
            return
        if hang_up:
            self._drop()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


# -- the public face -------------------------------------------------------------


class Sandbox:
    """A GitHub-compatible server on loopback, serving in a thread.

    >>> with Sandbox() as sb:            # port 0: a free port
    ...     sb.api_url, sb.git_url       # REST base, and git at f"{sb.git_url}/OWNER/NAME.git"

    ``data_dir=None`` keeps repositories in a temporary directory removed by ``stop``;
    ``seed="demo"`` creates the demo organisation (see seed.py) before serving.
    ``app_token_ttl`` is how long App installation tokens live (see apps.py; tests shorten it).
    Faults (see faults.py) and the request log are reachable both here and over the
    admin API under ``/_sandbox/``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        data_dir: Path | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: str | None = None,
        app_token_ttl: float = TOKEN_TTL_SECONDS,
    ) -> None:
        self.token = token
        self.host = host
        self._port = port
        self._temp_dir: str | None = None
        if data_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="bumper-sandbox-")
            data_dir = self._temp_dir
        self.data_dir = Path(data_dir)
        self.store = Store(self.data_dir)
        self.seed = seed
        self.faults = Faults()
        self.hooks = Hooks(self.store)
        self.log = RequestLog()
        self.rates = RateCounter()
        self.apps = Apps(app_token_ttl)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Handler] = {}
        self._handlers_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> Sandbox:
        """Seed (if asked), bind and serve in a thread; on failure nothing is left behind."""
        try:
            if self.seed == "demo":
                from bumper.sandbox.seed import seed_demo

                seed_demo(self.store)
            elif self.seed is not None:
                raise ValueError(f"unknown seed {self.seed!r} (known: demo)")
            self._server = _Server((self.host, self._port), self)
        except BaseException:
            self.stop()
            raise
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox:{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
            deadline = time.monotonic() + 5
            with server.connections_lock:
                workers = list(server.workers)
            for thread in workers:
                thread.join(max(deadline - time.monotonic(), 0))
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------
    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/v3"

    @property
    def graphql_url(self) -> str:
        return self.url + "/api/graphql"

    @property
    def git_url(self) -> str:
        return self.url

    # -- request log and faults --------------------------------------------
    def requests(self, auth: bool = False) -> list[dict[str, Any]]:
        """The request log, like ``GET /_sandbox/requests``; ``auth=True`` adds to each entry
        the kind of credential it carried (none, token, installation, jwt, expired, bad)."""
        return self.log.entries(auth)

    def clear_requests(self) -> None:
        self.log.clear()

    def add_fault(
        self,
        path: str,
        method: str | None = None,
        status: int | None = 500,
        times: int = 1,
        delay_ms: int = 0,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        kind: str | None = None,
        graphql: str | None = None,
    ) -> int:
        """Fault the next ``times`` requests whose path matches ``path`` (and, given
        ``graphql``, that carry that GraphQL operation); see faults.py."""
        fault = self.faults.add(
            {
                "path": path,
                "method": method,
                "status": status,
                "times": times,
                "delay_ms": delay_ms,
                "body": body,
                "headers": headers or {},
                "kind": kind,
                "graphql": graphql,
            }
        )
        return fault.id

    def clear_faults(self) -> None:
        self.faults.clear()

    def fault_rate_limit(
        self,
        path: str,
        reset_in: int = 60,
        *,
        method: str | None = None,
        times: int = 1,
        status: int = 403,
        graphql: str | None = None,
    ) -> int:
        """The primary rate limit is spent: 403, remaining 0, reset ``reset_in`` s from now."""
        reset = int(time.time()) + reset_in
        body = {
            "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub "
            "Support for help, please include the request ID.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            "status": str(status),
        }
        headers = {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Used": str(RATE_LIMIT),
            "X-RateLimit-Reset": str(reset),
            "X-RateLimit-Resource": "core",
            "Content-Type": "application/json; charset=utf-8",
        }
        return self.add_fault(
            path, method, status, times, body=json.dumps(body), headers=headers, graphql=graphql
        )

    def fault_secondary_limit(
        self,
        path: str,
        retry_after: int = 1,
        status: int = 403,
        *,
        method: str | None = None,
        times: int = 1,
        graphql: str | None = None,
    ) -> int:
        """A secondary (abuse) rate limit: 403 or 429 with ``Retry-After: retry_after``."""
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "status": str(status),
        }
        headers = {
            "Retry-After": str(retry_after),
            "Content-Type": "application/json; charset=utf-8",
        }
        return self.add_fault(
            path, method, status, times, body=json.dumps(body), headers=headers, graphql=graphql
        )

    def fault_html(
        self,
        path: str,
        status: int = 200,
        *,
        method: str | None = None,
        times: int = 1,
        graphql: str | None = None,
    ) -> int:
        """An HTML page (a proxy's or captive portal's) instead of the real answer."""
        body = (
            "<!DOCTYPE html>\n<html><head><title>Unicorn!</title></head>"
            "<body><h1>This page is taking too long to load.</h1></body></html>\n"
        )
        return self.add_fault(
            path,
            method,
            status,
            times,
            body=body,
            headers={"Content-Type": "text/html; charset=utf-8"},
            graphql=graphql,
        )

    def fault_garbage_sha(
        self, path: str, *, method: str | None = None, times: int = 1, graphql: str | None = None
    ) -> int:
        """The real answer with every 40-hex sha turned into 40 non-hex letters."""
        return self.add_fault(path, method, None, times, kind="garbage_sha", graphql=graphql)

    def fault_drop(
        self, path: str, *, method: str | None = None, times: int = 1, graphql: str | None = None
    ) -> int:
        """Close the connection without answering (logged with status 0)."""
        return self.add_fault(path, method, None, times, kind="drop", graphql=graphql)

    def fault_delay(
        self,
        path: str,
        delay_ms: int,
        *,
        method: str | None = None,
        times: int = 1,
        graphql: str | None = None,
        after: bool = False,
    ) -> int:
        """Answer normally, ``delay_ms`` late; ``after``: wait once the request is done and
        logged, not before (faults.py's ``late``)."""
        kind = "late" if after else None
        return self.add_fault(
            path, method, None, times, delay_ms=delay_ms, kind=kind, graphql=graphql
        )

    def rename(self, old: str, new: str) -> None:
        """Rename a repository; the old name then redirects (git) and answers 301 (API)."""
        self.store.rename(old, new)

    # -- GitHub Apps -------------------------------------------------------
    def register_app(
        self,
        public_key_pem: str,
        owner: str,
        *,
        slug: str | None = None,
        token_ttl_seconds: float | None = None,
    ) -> tuple[int, int]:
        """A GitHub App with this RSA public key, installed on ``owner``: (app id,
        installation id). Its installation tokens live ``token_ttl_seconds`` (default: the
        sandbox's ``app_token_ttl``); its bot account is ``<slug>[bot]``."""
        app = self.apps.register(
            public_key_pem, owner, slug=slug, token_ttl_seconds=token_ttl_seconds
        )
        return app.id, app.installation_id

    def credential(self, token: str | None) -> Credential:
        """What a presented credential counts as (see Request.auth)."""
        if token is None:
            return Credential("none")
        if token and hmac.compare_digest(token, self.token):
            return Credential("token", USER)
        return self.apps.credential(token) if token else Credential("bad")

    # -- dispatch ----------------------------------------------------------
    def _handler(self, kind: str) -> Handler | None:
        with self._handlers_lock:
            if kind in self._handlers:
                return self._handlers[kind]
            # Looked up by name at first use: the handler modules may land after this one.
            module, cls = _HANDLERS[kind]
            extra: dict[str, Any] = {"apps": self.apps} if kind == "rest" else {}
            try:
                api = getattr(importlib.import_module(module), cls)(
                    self.store, token=self.token, **extra
                )
                handler: Handler = api.handle
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
                return None  # not written yet: answer 404, try again next time
            self._handlers[kind] = handler
            return handler

    def dispatch(self, req: Request) -> Response:
        """The answer to one non-admin request; never raises."""
        try:
            return self._dispatch(req)
        except Exception:
            log.exception("sandbox: %s %s failed", req.method, req.path)
            return error(500, "Server Error")

    def _dispatch(self, req: Request) -> Response:
        is_git = git_http.parse_git_path(req.path) is not None
        # A JWT is an App's credential for the /app endpoints only, which check it themselves.
        jwt_allowed = req.auth == "jwt" and JWT_PATH.match(req.path) is not None
        if req.token is not None and not req.authenticated and not jwt_allowed:
            response = error(401, "Bad credentials")
            if is_git:
                response.headers["WWW-Authenticate"] = git_http.REALM
            return response
        if req.path == "/api/graphql":
            if not req.authenticated:
                return error(401, "This endpoint requires you to be authenticated.")
            handler = self._handler("graphql")
            return handler(req) if handler else error(404, "Not Found")
        if req.path == RATE_LIMIT_PATH and req.method in ("GET", "HEAD"):
            # The counters live here, in the server; this read does not count (as on GitHub).
            return json_response(200, self.rates.payload())
        if req.path == "/api/v3" or req.path.startswith("/api/v3/"):
            handler = self._handler("rest")
            return handler(req) if handler else error(404, "Not Found")
        if is_git:
            return git_http.handle(self.store, req)
        return self._web(req)

    def _web(self, req: Request) -> Response:
        """The web form of a repository (what html_url points at): a tiny page."""
        match = _WEB_PATH.match(req.path)
        if match is None or req.method not in ("GET", "HEAD") or req.path.startswith("/api/"):
            return error(404, "Not Found")
        full = f"{match['owner']}/{match['name']}"
        if not self.store.exists(full):
            moved = self.store.redirect(full)
            if moved is None:
                return error(404, "Not Found")
            rest = req.path[len(full) + 1 :]
            return Response(301, b"", {"Location": f"{req.base_url}/{moved}{rest}"})
        info = self.store.info(full)
        page = f"<!DOCTYPE html>\n<title>{info.full_name}</title>\n<h1>{info.full_name}</h1>\n"
        return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def decorate(self, req: Request, response: Response, fault: Fault | None) -> Response:
        """GitHub's generic API headers: rate-limit counters, ETag and 304 on GET."""
        if not req.path.startswith("/api/"):
            return response
        resource = "graphql" if req.path == "/api/graphql" else "core"
        etag = None
        if req.method in ("GET", "HEAD") and response.status == 200:
            etag = response.headers.get("ETag") or etag_of(response.body)
        not_modified = etag is not None and etag_matches(req.headers.get("if-none-match", ""), etag)
        # A 304 does not count against the primary limit (GitHub docs).
        counts = not not_modified and req.path != RATE_LIMIT_PATH
        headers = {**self.rates.headers(resource, count=counts)}
        headers.update(response.headers)
        if fault is not None and fault.answers:
            headers.update(fault.headers)
        if etag is not None:
            headers["ETag"] = etag
        if not_modified:
            kept = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            return Response(304, b"", kept)
        return Response(response.status, response.body, headers)

    # -- admin API ---------------------------------------------------------
    def admin(self, req: Request) -> Response:
        """``/_sandbox/...``: faults, the request log, renames and quick repositories."""
        try:
            return self._admin(req)
        except (ValueError, FaultError) as exc:
            return error(400 if not isinstance(exc, FaultError) else 422, str(exc))
        except GitError as exc:
            return error(422, str(exc))
        except Exception:
            log.exception("sandbox admin: %s %s failed", req.method, req.path)
            return error(500, "Server Error")

    def _admin(self, req: Request) -> Response:
        route = req.path[len("/_sandbox") :].rstrip("/")
        method = req.method
        if route == "/requests":
            if method == "GET":
                return json_response(200, self.log.entries())
            if method == "DELETE":
                return json_response(200, {"removed": self.log.clear()})
        elif route == "/faults":
            if method == "POST":
                return json_response(201, {"id": self.faults.add(_object(req)).id})
            if method == "GET":
                return json_response(200, self.faults.active())
            if method == "DELETE":
                return json_response(200, {"removed": self.faults.clear()})
        elif route == "/hooks":
            if method == "POST":
                return json_response(201, {"id": self.hooks.add(_object(req)).id})
            if method == "GET":
                return json_response(200, self.hooks.active())
            if method == "DELETE":
                return json_response(200, {"removed": self.hooks.clear()})
        elif route.startswith("/faults/") and method == "DELETE":
            try:
                fault_id = int(route[len("/faults/") :])
            except ValueError:
                return error(404, "Not Found")
            if self.faults.remove(fault_id):
                return json_response(200, {"removed": 1})
            return error(404, "No such fault")
        elif route == "/rename" and method == "POST":
            data = _object(req)
            old, new = _full_name(data, "from"), _full_name(data, "to")
            if not self.store.exists(old):
                return error(404, f"No repository {old}")
            info = self.store.rename(old, new)
            return json_response(200, {"from": old, "to": info.full_name})
        elif route == "/repos" and method == "POST":
            return self._admin_create_repo(_object(req))
        elif route == "/commits" and method == "POST":
            data = _object(req)
            full = _full_name(data, "repository")
            branch = _string(data, "branch", self.store.info(full).default_branch)
            sha = self.store.commit_files(
                full, branch, _files(data), _string(data, "message", "Update files")
            )
            return json_response(201, {"sha": sha})
        elif route == "/apps" and method == "POST":
            data = _object(req)
            ttl = data.get("token_ttl_seconds")
            if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float)):
                raise ValueError("token_ttl_seconds: expected a number of seconds")
            slug = data.get("slug")
            if slug is not None and not isinstance(slug, str):
                raise ValueError("slug: expected a string")
            app = self.apps.register(
                _string(data, "public_key_pem"),
                _string(data, "installation_owner"),
                slug=slug,
                token_ttl_seconds=ttl,
            )
            return json_response(
                201,
                {"app_id": app.id, "installation_id": app.installation_id, "slug": app.slug},
            )
        elif route == "/required-checks" and method == "POST":
            # branch protection's required status checks, the part auto-merge waits for
            data = _object(req)
            full = _full_name(data, "repository")
            branch = _string(data, "branch", self.store.info(full).default_branch)
            contexts = data.get("contexts")
            if not isinstance(contexts, list) or not all(isinstance(c, str) for c in contexts):
                raise ValueError("contexts: expected a list of status contexts")
            info = self.store.update_repo(full, required_checks=(branch, contexts))
            return json_response(
                200, {"branch": branch, "contexts": info.required_checks.get(branch, [])}
            )
        elif route == "/advance" and method == "POST":
            from bumper.sandbox.seed import advance_upstream

            data = _object(req)
            full = _full_name(data, "repository")
            branch = _string(data, "branch", self.store.info(full).default_branch)
            n = data.get("n", 1)
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ValueError("n: expected a positive integer")
            return json_response(201, {"sha": advance_upstream(self.store, full, branch, n)})
        return error(404, "Not Found")

    def _admin_create_repo(self, data: dict[str, Any]) -> Response:
        full = _full_name(data, "full_name")
        owner, name = full.split("/")
        branch = _string(data, "default_branch", "main")
        files = _files(data)
        info = self.store.create_repo(owner, name, default_branch=branch)
        head = None
        if files:
            head = self.store.commit_files(
                full, branch, files, _string(data, "message", "Initial commit")
            )
        return json_response(
            201, {"full_name": info.full_name, "default_branch": branch, "head": head}
        )


def _object(req: Request) -> dict[str, Any]:
    try:
        data = req.json()
    except ValueError:
        raise ValueError("body: malformed JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body: expected a JSON object")
    return data


def _string(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key}: expected a non-empty string")
    return value


def _full_name(data: dict[str, Any], key: str) -> str:
    value = _string(data, key)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9._-]+", value) or value.endswith(
        ".git"
    ):
        raise ValueError(f"{key}: expected owner/name, got {value!r}")
    return value


def _files(data: dict[str, Any]) -> dict[str, str | None]:
    files = data.get("files") or {}
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in files.items()
    ):
        raise ValueError("files: expected an object of path -> text (or null to delete)")
    return files
