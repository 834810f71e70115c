"""Switchable failures for the sandbox: a fault answers (or delays, or drops) matching requests.

A fault matches a request when its ``path`` regex is found (``re.search``) in the request
path (no query string), its ``method`` is None or equal, and its ``graphql`` is None or the
GraphQL operation the request carries ("query" or "mutation"). It applies to the next ``times``
matching requests (``times=-1``: every one until cleared). When several match, the first
added wins. What a matching fault does:

- ``kind=None`` and ``status`` set: after ``delay_ms``, answer ``status`` with ``body``
  (default: a GitHub-shaped error JSON) and ``headers`` instead of the real answer.
- ``kind=None`` and ``status=None``: only wait ``delay_ms``, then answer normally.
- ``kind="drop"``: close the connection without answering (logged with status 0).
- ``kind="truncate"``: answer normally but close the connection after half the body,
  with the full Content-Length announced.
- ``kind="garbage_sha"``: answer normally but replace every 40-hex run in the body with
  40 non-hex letters (same length, so git pkt-lines stay well-formed).
- ``kind="late"``: do what the request asks (a write is applied and logged), then wait
  ``delay_ms`` before answering: a client killed meanwhile never hears of its write.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = (None, "drop", "truncate", "garbage_sha", "late")
GRAPHQL_OPERATIONS = (None, "query", "mutation")
# A pkt-line's 4-hex length sits right before its sha, so a sha ends a hex run of 40 or more.
_HEX_RUN = re.compile(rb"[0-9a-f]{40,}")
_NOT_HEX = bytes.maketrans(b"0123456789abcdef", b"ghijklmnopqrstuv")


class FaultError(ValueError):
    """A fault description that cannot be used; the message names the field."""


@dataclass(frozen=True, slots=True)
class Fault:
    id: int
    path: str
    method: str | None = None
    status: int | None = 500
    times: int = 1
    delay_ms: int = 0
    body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    kind: str | None = None
    graphql: str | None = None

    def matches(self, method: str, path: str, graphql: str | None = None) -> bool:
        return request_matches(self.path, self.method, self.graphql, method, path, graphql)

    @property
    def answers(self) -> bool:
        """True when the fault replaces the real answer with its own status and body."""
        return self.kind is None and self.status is not None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "times": self.times,
            "delay_ms": self.delay_ms,
            "body": self.body,
            "headers": dict(self.headers),
            "kind": self.kind,
            "graphql": self.graphql,
        }


def request_matches(
    pattern: str,
    method: str | None,
    operation: str | None,
    req_method: str,
    req_path: str,
    req_graphql: str | None,
) -> bool:
    """Whether a request matches a fault's (or a hook's) path regex, method and operation."""
    if method is not None and method != req_method.upper():
        return False
    if operation is not None and operation != req_graphql:
        return False
    return re.search(pattern, req_path) is not None


def parse_match(data: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(path, method, graphql) of a fault's or hook's JSON; FaultError names a bad field."""
    path = data.get("path")
    if not isinstance(path, str) or not path:
        raise FaultError("path: expected a non-empty regular expression")
    try:
        re.compile(path)
    except re.error as exc:
        raise FaultError(f"path: not a regular expression: {exc}") from None
    method = data.get("method")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise FaultError("method: expected an HTTP method or null")
    graphql = data.get("graphql")
    if graphql not in GRAPHQL_OPERATIONS:
        raise FaultError('graphql: expected "query", "mutation" or null')
    return path, method.upper() if method else None, graphql


def garble_shas(body: bytes) -> bytes:
    """Every 40-hex object id in ``body`` turned into 40 letters that are not hex."""

    def garble(match: re.Match[bytes]) -> bytes:
        run = match.group(0)
        return run[:-40] + run[-40:].translate(_NOT_HEX)

    return _HEX_RUN.sub(garble, body)


def parse_fault(data: Any, fault_id: int) -> Fault:
    """A Fault from the admin API's JSON; FaultError names the first bad field."""
    if not isinstance(data, dict):
        raise FaultError("body: expected a JSON object")
    unknown = set(data) - {
        "path",
        "method",
        "status",
        "times",
        "delay_ms",
        "body",
        "headers",
        "kind",
        "graphql",
    }
    if unknown:
        raise FaultError(f"{sorted(unknown)[0]}: unknown field")
    path, method, graphql = parse_match(data)
    status = data.get("status", 500)
    if status is not None and (
        not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599
    ):
        raise FaultError("status: expected an HTTP status (100-599) or null")
    times = data.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times == 0 or times < -1:
        raise FaultError("times: expected a positive integer, or -1 for every request")
    delay_ms = data.get("delay_ms", 0)
    if not isinstance(delay_ms, int) or isinstance(delay_ms, bool) or delay_ms < 0:
        raise FaultError("delay_ms: expected a non-negative integer")
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise FaultError("body: expected a string or null")
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise FaultError("headers: expected an object of strings")
    kind = data.get("kind")
    if kind not in KINDS:
        raise FaultError(f"kind: expected one of {[k for k in KINDS if k]} or null")
    return Fault(
        id=fault_id,
        path=path,
        method=method,
        status=status,
        times=times,
        delay_ms=delay_ms,
        body=body,
        headers=dict(headers),
        kind=kind,
        graphql=graphql,
    )


class Faults:
    """The sandbox's active faults, in the order they were added. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._faults: list[Fault] = []
        self._left: dict[int, int] = {}  # id -> requests still to fault (-1: unlimited)

    def add(self, data: Mapping[str, Any]) -> Fault:
        with self._lock:
            fault = parse_fault(dict(data), next(self._ids))
            self._faults.append(fault)
            self._left[fault.id] = fault.times
            return fault

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fault_id]
            self._left.pop(fault_id, None)
            return len(self._faults) != before

    def clear(self) -> int:
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            self._left.clear()
            return count

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**f.as_json(), "remaining": self._left[f.id]} for f in self._faults]

    def take(self, method: str, path: str, graphql: str | None = None) -> Fault | None:
        """The first fault matching this request, counting the request against its ``times``."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(method, path, graphql):
                    continue
                left = self._left[fault.id]
                if left > 0:
                    left -= 1
                    self._left[fault.id] = left
                    if left == 0:
                        self._faults.remove(fault)
                        del self._left[fault.id]
                return fault
            return None
