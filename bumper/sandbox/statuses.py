"""Commit statuses, as GitHub keeps them: per repository and commit, newest first.

The sandbox runs no CI; a client (a test, a user's script) posts statuses the way a CI
service would, and the combined status, the list of statuses and GraphQL's
``statusCheckRollup`` answer from them. Kept as JSON under ``store.root/statuses``, keyed by
repository id like pull requests, so a renamed repository keeps them.
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bumper.sandbox import gitdata as g
from bumper.sandbox import shapes
from bumper.sandbox.http import Response, json_response
from bumper.sandbox.routing import Call, Route, fail, not_found, route
from bumper.sandbox.shapes import USER, Urls, iso, node_id

STATES = ("error", "failure", "pending", "success")
# GitHub truncates a status description at 140 characters and refuses longer ones.
_MAX_DESCRIPTION = 140


@dataclass(frozen=True, slots=True)
class Status:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: float


class Statuses:
    """Every status of every repository of one store, written through on each post."""

    def __init__(self, root: Path) -> None:
        self._dir = Path(root) / "statuses"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._repos: dict[int, list[Status]] = {}

    def _load(self, repo_id: int) -> list[Status]:
        found = self._repos.get(repo_id)
        if found is None:
            path = self._dir / f"{repo_id}.json"
            raw = json.loads(path.read_text()) if path.exists() else []
            found = self._repos[repo_id] = [Status(**item) for item in raw]
        return found

    def add(self, repo_id: int, **fields: Any) -> Status:
        with self._lock:
            items = self._load(repo_id)
            # ids are unique across the sandbox, as GitHub's are
            status = Status(id=repo_id * 1_000_000 + len(items) + 1, **fields)
            items.append(status)
            path = self._dir / f"{repo_id}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps([asdict(s) for s in items]))
            tmp.replace(path)
            return status

    def of(self, repo_id: int, sha: str) -> list[Status]:
        """Statuses of one commit, newest first (GitHub's order)."""
        with self._lock:
            return [s for s in reversed(self._load(repo_id)) if s.sha == sha]

    def latest(self, repo_id: int, sha: str) -> list[Status]:
        """The newest status of each context: what the combined status is made of."""
        seen: dict[str, Status] = {}
        for status in self.of(repo_id, sha):
            seen.setdefault(status.context, status)
        return list(seen.values())


def combined_state(latest: list[Status]) -> str:
    """GitHub's combined state: failure if any context errs or fails, pending if any is
    pending or there is none, success only when every context's newest status is success."""
    states = {s.state for s in latest}
    if states & {"error", "failure"}:
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"


def rollup_state(latest: list[Status]) -> str | None:
    """GraphQL ``StatusCheckRollup.state`` (``StatusState``); None when there is nothing to
    roll up, as GitHub leaves ``statusCheckRollup`` null then. The sandbox has no check runs,
    so statuses are all there is."""
    if not latest:
        return None
    states = {s.state for s in latest}
    for state in ("error", "failure", "pending"):
        if state in states:
            return state.upper()
    return "SUCCESS"


_REGISTRY: weakref.WeakKeyDictionary[Any, Statuses] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def statuses(store: Any) -> Statuses:
    """The one Statuses of ``store`` (handlers are built per request; state must not be)."""
    with _REGISTRY_LOCK:
        found = _REGISTRY.get(store)
        if found is None:
            found = _REGISTRY[store] = Statuses(store.root)
        return found


def _shape(urls: Urls, full: str, status: Status) -> dict[str, Any]:
    creator = shapes.user(urls, status.creator)
    stamp = iso(status.created_at)
    return {
        "url": f"{urls.repo(full)}/statuses/{status.sha}",
        "avatar_url": creator.get("avatar_url"),
        "id": status.id,
        "node_id": node_id("StatusContext", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": stamp,
        "updated_at": stamp,
        "creator": creator,
    }


def _simple(urls: Urls, full: str, status: Status) -> dict[str, Any]:
    shaped = _shape(urls, full, status)
    del shaped["creator"]
    return shaped


def create_status(call: Call) -> Response:
    sha = call.params["sha"]
    state = call.field("state", required=True)
    if state not in STATES:
        raise fail(
            422,
            "Validation Failed",
            [
                {
                    "resource": "Status",
                    "field": "state",
                    "code": "custom",
                    "message": "state is not included in the list",
                }
            ],
        )
    context = call.field("context") or "default"
    description = call.field("description")
    if description is not None and len(description) > _MAX_DESCRIPTION:
        raise fail(
            422,
            "Validation Failed",
            [
                {
                    "resource": "Status",
                    "field": "description",
                    "code": "custom",
                    "message": "description is too long (maximum is 140 characters)",
                }
            ],
        )
    # GitHub takes the full sha here, not a branch name
    if not g.object_type(call.store, call.full, sha) == "commit":
        raise fail(422, f"No commit found for SHA: {sha}")
    status = statuses(call.store).add(
        call.info.id,
        sha=sha,
        state=state,
        context=context,
        description=description,
        target_url=call.field("target_url"),
        creator=USER,
        created_at=time.time(),
    )
    from bumper.sandbox import automerge  # here: it reads this module's statuses

    automerge.on_status(call.store, call.info, sha)  # a PR waiting for this one merges
    shaped = _shape(call.urls, call.full, status)
    return json_response(201, shaped, {"Location": shaped["url"]})


def combined_status(call: Call) -> Response:
    ref = call.params["ref"]
    sha = g.resolve(call.store, call.full, ref)
    if sha is None:
        raise not_found()
    latest = statuses(call.store).latest(call.info.id, sha)
    api = call.urls.repo(call.full)
    page, per_page = call.window()
    return json_response(
        200,
        {
            "state": combined_state(latest),
            "sha": sha,
            "total_count": len(latest),
            "statuses": [
                _simple(call.urls, call.full, s)
                for s in latest[(page - 1) * per_page : page * per_page]
            ],
            "repository": shapes.repository(call.urls, call.info),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        },
    )


def list_statuses(call: Call) -> Response:
    sha = g.resolve(call.store, call.full, call.params["ref"])
    if sha is None:
        raise not_found()
    items = statuses(call.store).of(call.info.id, sha)
    return call.paged([_shape(call.urls, call.full, s) for s in items])


ROUTES: list[Route] = [
    route("POST", r"/statuses/(?P<sha>[^/]+)", create_status),
    route("GET", r"/commits/(?P<ref>.+)/status", combined_status),
    route("GET", r"/commits/(?P<ref>.+)/statuses", list_statuses),
]
