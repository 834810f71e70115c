"""The GraphQL mutations the sandbox answers: ``updateRefs``, the compare-and-swap ref write,
and ``createPullRequest`` / ``updatePullRequest``.

GitHub's ``updateRefs(input: {repositoryId, refUpdates: [{name, beforeOid, afterOid,
force}]})`` applies every update or none: each ``beforeOid`` must match (40 zeros: the ref
must not exist), an ``afterOid`` of 40 zeros deletes, and a non-fast-forward move needs
``force``. A rejected update answers 200 with ``data: {updateRefs: null}`` and an error
naming the mutation's path, as GitHub answers a mutation that fails after validation; the
type and wording follow ``createCommitOnBranch``'s stale-head error (STALE_DATA).

Mutations of one document run in order and each stands alone, as on GitHub: a refused
``updateRefs`` does not stop a ``createPullRequest`` or ``updatePullRequest`` after it.
``createPullRequest`` checks what REST's ``POST /pulls`` checks (rest_pulls.open_pull) and
refuses as UNPROCESSABLE with the same sentence ("A pull request already exists for o:b.").
``updatePullRequest`` here sets ``title`` and ``body``; the other inputs are refused rather
than ignored, so a document relying on them fails loudly.
"""

from __future__ import annotations

import re
import time
from typing import Any

from bumper.sandbox import gitdata as g
from bumper.sandbox.automerge import pull_by_node_id
from bumper.sandbox.gql_parse import Field
from bumper.sandbox.pull_views import read_views
from bumper.sandbox.pulls import tracker
from bumper.sandbox.rest_pulls import PullRefused, open_pull
from bumper.sandbox.shapes import USER, PullView, node_id
from bumper.sandbox.store import ZERO_SHA, RepoInfo

_OID = re.compile(r"\A[0-9a-f]{40}\Z")


class MutationError(Exception):
    """A mutation refused: its field resolves to null and ``entry`` joins ``errors``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def repository_by_node_id(repos: list[RepoInfo], key: object) -> RepoInfo | None:
    """The repository whose REST ``node_id`` (and GraphQL ``id``) is ``key``."""
    for info in repos:
        if node_id("Repository", info.id) == key:
            return info
    return None


def _update(raw: Any) -> tuple[str, str, str | None, bool]:
    if not isinstance(raw, dict):
        raise MutationError("INVALID_ARGUMENTS", "refUpdates: expected RefUpdate objects")
    name, after, before = raw.get("name"), raw.get("afterOid"), raw.get("beforeOid")
    force = raw.get("force", False)
    if not isinstance(name, str) or not name.startswith("refs/") or name.count("/") < 2:
        raise MutationError("INVALID_ARGUMENTS", f"{name!r} is not a fully qualified ref name")
    if not isinstance(after, str) or not _OID.match(after):
        raise MutationError("INVALID_ARGUMENTS", f"afterOid of {name}: not a GitObjectID")
    if before is not None and (not isinstance(before, str) or not _OID.match(before)):
        raise MutationError("INVALID_ARGUMENTS", f"beforeOid of {name}: not a GitObjectID")
    return name, after, before, bool(force)


def update_refs(store: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Apply one ``updateRefs`` input to the store; MutationError when it is refused."""
    given = args.get("input")
    if not isinstance(given, dict):
        raise MutationError("INVALID_ARGUMENTS", "updateRefs needs an input")
    info = repository_by_node_id(store.repos(), given.get("repositoryId"))
    if info is None:
        raise MutationError(
            "NOT_FOUND",
            f"Could not resolve to a node with the global id of '{given.get('repositoryId')}'",
        )
    raw = given.get("refUpdates")
    if not isinstance(raw, list) or not raw:
        raise MutationError("INVALID_ARGUMENTS", "refUpdates: expected at least one RefUpdate")
    updates = [_update(item) for item in raw]
    full = info.full_name
    with store.lock:
        current = store.refs(full, "refs/")
        for name, after, before, force in updates:
            at = current.get(name)
            if before is not None and (at or ZERO_SHA) != before:
                raise MutationError(
                    "STALE_DATA",
                    f'Expected {name} to point to "{before}" but it did not. Pull and try again.',
                )
            if after != ZERO_SHA and g.object_type(store, full, after) != "commit":
                raise MutationError("NOT_FOUND", f"Could not resolve to a commit: {after}")
            moves = at is not None and after not in (ZERO_SHA, at)
            if moves and not force and not g.is_ancestor(store, full, at, after):
                raise MutationError("UNPROCESSABLE", f"{name}: update is not a fast forward")
        checked = [(name, after, current.get(name) or ZERO_SHA) for name, after, _, _ in updates]
        if not g.update_refs(store, full, checked):
            raise MutationError("STALE_DATA", "A ref moved during the update. Pull and try again.")
    return {"clientMutationId": given.get("clientMutationId")}


def _text(given: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = given.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise MutationError("INVALID_ARGUMENTS", f"{name}: expected a String")
    return value


def _head_repo(store: Any, info: RepoInfo, given: dict[str, Any], owner: str) -> RepoInfo | None:
    """The head branch's repository: ``headRepositoryId``, else the owner of an
    ``owner:branch`` head (the repository itself or a fork of it), else the repository."""
    if given.get("headRepositoryId") is not None:
        return repository_by_node_id(store.repos(), given["headRepositoryId"])
    if not owner or owner.lower() == info.owner.lower():
        return info
    for candidate in store.repos():
        if candidate.owner.lower() == owner.lower() and candidate.fork_of == info.full_name:
            return candidate
    return None


def _view(store: Any, info: RepoInfo, number: int) -> PullView:
    board = tracker(store).board(info.id)
    return read_views(store, tracker(store), info, board, [board.pulls[number]])[0]


def create_pull_request(store: Any, args: dict[str, Any], login: str | None) -> PullView:
    """Apply one ``createPullRequest`` input; the new pull request, or MutationError."""
    given = args.get("input")
    if not isinstance(given, dict):
        raise MutationError("INVALID_ARGUMENTS", "createPullRequest needs an input")
    info = repository_by_node_id(store.repos(), given.get("repositoryId"))
    if info is None:
        raise MutationError(
            "NOT_FOUND",
            f"Could not resolve to a node with the global id of '{given.get('repositoryId')}'",
        )
    head = _text(given, "headRefName", required=True) or ""
    base = _text(given, "baseRefName", required=True) or ""
    title = _text(given, "title", required=True) or ""
    owner, sep, branch = head.partition(":")
    if not sep:
        owner, branch = "", head
    with store.lock:
        board = tracker(store).board(info.id)
        try:
            pull = open_pull(
                store,
                board,
                info,
                _head_repo(store, info, given, owner),
                branch,
                base,
                title=title,
                body=_text(given, "body"),
                user=login or USER,
                draft=bool(given.get("draft", False)),
                maintainer_can_modify=given.get("maintainerCanModify"),
            )
        except PullRefused as exc:
            raise MutationError("UNPROCESSABLE", exc.message) from None
        tracker(store).save(board)
        return _view(store, info, pull.number)


_UPDATABLE = {"pullRequestId", "title", "body", "clientMutationId"}


def update_pull_request(store: Any, args: dict[str, Any]) -> PullView:
    """Apply one ``updatePullRequest`` input (title and body); the pull request after it."""
    given = args.get("input")
    if not isinstance(given, dict):
        raise MutationError("INVALID_ARGUMENTS", "updatePullRequest needs an input")
    unknown = sorted(k for k, v in given.items() if k not in _UPDATABLE and v is not None)
    if unknown:
        raise MutationError("INVALID_ARGUMENTS", f"the sandbox does not set {', '.join(unknown)}")
    title, body = _text(given, "title"), _text(given, "body")
    with store.lock:
        found = pull_by_node_id(store, given.get("pullRequestId"))
        if found is None:
            raise MutationError(
                "NOT_FOUND",
                f"Could not resolve to a node with the global id of '{given.get('pullRequestId')}'",
            )
        info, board, pull = found
        if title is not None:
            pull.title = title
        if body is not None:
            pull.body = body
        pull.updated_at = time.time()
        tracker(store).save(board)
        return _view(store, info, pull.number)


def error_entry(exc: MutationError, where: Field, path: list[Any]) -> dict[str, Any]:
    return {
        "type": exc.kind,
        "path": path,
        "locations": [{"line": where.line, "column": where.column}],
        "message": exc.message,
    }
