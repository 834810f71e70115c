"""Pushes the sandbox makes on its own just before a chosen request is served: a person
pushing to a branch at the worst moment of a pass, without timing anything.

A hook matches requests as a fault does (``path`` regex, ``method``, ``graphql`` operation;
see faults.py). Before the ``nth`` matching request is served, it commits ``files`` to
``branch`` of ``repository`` (as ``POST /_sandbox/commits`` does), then it fires no more. The
sha it pushed is in ``GET /_sandbox/hooks`` as ``pushed`` from then on.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from bumper.sandbox.faults import FaultError, parse_match, request_matches
from bumper.sandbox.store import Store

_FIELDS = {"path", "method", "graphql", "nth", "repository", "branch", "files", "message"}


@dataclass(slots=True)
class Hook:
    id: int
    path: str
    method: str | None
    graphql: str | None
    nth: int
    repository: str
    branch: str
    files: dict[str, str]
    message: str
    seen: int = 0
    pushed: str | None = field(default=None)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "method": self.method,
            "graphql": self.graphql,
            "nth": self.nth,
            "seen": self.seen,
            "repository": self.repository,
            "branch": self.branch,
            "pushed": self.pushed,
        }


def parse_hook(data: Any, hook_id: int) -> Hook:
    if not isinstance(data, dict):
        raise FaultError("body: expected a JSON object")
    unknown = set(data) - _FIELDS
    if unknown:
        raise FaultError(f"{sorted(unknown)[0]}: unknown field")
    path, method, graphql = parse_match(data)
    nth = data.get("nth", 1)
    if not isinstance(nth, int) or isinstance(nth, bool) or nth < 1:
        raise FaultError("nth: expected a positive integer")
    repository, branch = data.get("repository"), data.get("branch")
    if not isinstance(repository, str) or "/" not in repository:
        raise FaultError("repository: expected owner/name")
    if not isinstance(branch, str) or not branch:
        raise FaultError("branch: expected a branch name")
    files = data.get("files")
    if (
        not isinstance(files, dict)
        or not files
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
    ):
        raise FaultError("files: expected an object of paths to texts")
    message = data.get("message", "A person's commit")
    if not isinstance(message, str):
        raise FaultError("message: expected a string")
    return Hook(hook_id, path, method, graphql, nth, repository, branch, dict(files), message)


class Hooks:
    """The sandbox's hooks, fired in the order they were added. Thread-safe."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._hooks: list[Hook] = []

    def add(self, data: Any) -> Hook:
        with self._lock:
            hook = parse_hook(data, next(self._ids))
            self._hooks.append(hook)
            return hook

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [h.as_json() for h in self._hooks]

    def clear(self) -> int:
        with self._lock:
            count = len(self._hooks)
            self._hooks.clear()
            return count

    def before(self, method: str, path: str, graphql: str | None) -> None:
        """Fire every hook this request is the ``nth`` match of (under the lock: a request
        that comes in meanwhile is served after the push)."""
        with self._lock:
            for hook in self._hooks:
                if hook.pushed is not None:
                    continue
                if not request_matches(hook.path, hook.method, hook.graphql, method, path, graphql):
                    continue
                hook.seen += 1
                if hook.seen == hook.nth:
                    hook.pushed = self._store.commit_files(
                        hook.repository, hook.branch, hook.files, hook.message
                    )
