"""The GraphQL mutations the sandbox answers: ``updateRefs``, the compare-and-swap ref write.

GitHub's ``updateRefs(input: {repositoryId, refUpdates: [{name, beforeOid, afterOid,
force}]})`` applies every update or none: each ``beforeOid`` must match (40 zeros: the ref
must not exist), an ``afterOid`` of 40 zeros deletes, and a non-fast-forward move needs
``force``. A rejected update answers 200 with ``data: {updateRefs: null}`` and an error
naming the mutation's path, as GitHub answers a mutation that fails after validation; the
type and wording follow ``createCommitOnBranch``'s stale-head error (STALE_DATA).
"""

from __future__ import annotations

import re
from typing import Any

from bumper.sandbox import gitdata as g
from bumper.sandbox.gql_parse import Field
from bumper.sandbox.shapes import node_id
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


def error_entry(exc: MutationError, where: Field, path: list[Any]) -> dict[str, Any]:
    return {
        "type": exc.kind,
        "path": path,
        "locations": [{"line": where.line, "column": where.column}],
        "message": exc.message,
    }
