"""The one way bumper builds an httpx.Client: timeouts, no automatic redirects, counted requests."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import httpx

KINDS = ("git", "graphql", "rest")
_GIT_SUFFIXES = ("/git-upload-pack", "/git-receive-pack", "/info/refs")


def request_kind(url: httpx.URL) -> str:
    """ "git", "graphql" or "rest", from the URL path alone."""
    path = url.path.rstrip("/")
    if path.endswith(_GIT_SUFFIXES):
        return "git"
    if path.endswith("/graphql"):
        return "graphql"
    return "rest"


class RequestCounter:
    """Requests sent, by kind, and answers received, by kind and status. Thread-safe.

    ``as_dict()`` gives ``{"git": 3, "git_200": 2, "git_500": 1, ...}``: a kind's total counts
    every request sent, so total minus its statuses is the number that got no answer.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def sent(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] += 1

    def answered(self, kind: str, status: int) -> None:
        with self._lock:
            self._counts[f"{kind}_{status}"] += 1

    def merge(self, counts: Mapping[str, int]) -> None:
        """Add counts kept elsewhere (the forge's own HTTP stack), same keys."""
        with self._lock:
            self._counts.update(counts)

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            counts = dict(self._counts)
        for kind in KINDS:
            counts.setdefault(kind, 0)
        return dict(sorted(counts.items()))

    def __getitem__(self, key: str) -> int:
        with self._lock:
            return self._counts[key]


def new_client(
    *, timeout: float, counter: RequestCounter | None = None, user_agent: str = "bumper/0.1"
) -> httpx.Client:
    """An httpx.Client that never follows redirects (callers decide) and feeds ``counter``."""
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": []}
    if counter is not None:

        def on_request(request: httpx.Request) -> None:
            counter.sent(request_kind(request.url))

        def on_response(response: httpx.Response) -> None:
            counter.answered(request_kind(response.request.url), response.status_code)

        hooks = {"request": [on_request], "response": [on_response]}
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": user_agent},
        event_hooks=hooks,
    )
