"""PURE: GitHub GraphQL text and answers about the target repository: files and pull requests.

The forge reads base files in batches with these, and a pass reads its whole target state
(base head, files, open PRs) with them inside its upstream look-up queries (snapshot.py). Both
turn an answer into the same FileAtRef and PullInfo the REST calls give, so publish cannot
tell which path read them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bumper import pins
from bumper.forge import FileAtRef, PullInfo
from bumper.model import is_sha

BLOB = "... on Blob { text isBinary byteSize }"
LABELS_LOOKED_AT = 100  # GitHub's page limit; a PR with more falls back to the REST listing
PULL_FIELDS = (
    "number url title body headRefName headRefOid baseRefName state merged"
    " headRepositoryOwner { login }"
    f" labels(first: {LABELS_LOOKED_AT}) {{ totalCount nodes {{ name }} }}"
)
_STATES = {"OPEN": "open", "CLOSED": "closed", "MERGED": "closed"}


def literal(value: str) -> str:
    """A GraphQL string literal (JSON's escapes are a subset GraphQL reads)."""
    return json.dumps(value)


def blob_at(alias: str, commit: str, path: str) -> str:
    """A field reading ``path`` at ``commit`` (a sha, so every file comes from one commit)."""
    return f"{alias}: object(expression: {literal(f'{commit}:{path}')}) {{ {BLOB} }}"


def file_in_commit(alias: str, path: str) -> str:
    """A field of a Commit reading ``path`` in that very commit (Commit.file)."""
    return f"{alias}: file(path: {literal(path)}) {{ object {{ {BLOB} }} }}"


def file_from_blob(path: str, commit: str, blob: Any) -> FileAtRef | None:
    """The file an answered ``blob_at`` field holds; None when the answer cannot be trusted
    as it is (text that does not round-trip to its bytes, a tree): the contents API reads it.
    """
    if blob is None:
        return FileAtRef(path, commit, None)
    if not isinstance(blob, Mapping):
        return None
    if blob.get("isBinary"):
        return FileAtRef(path, commit, None, binary=True)
    size = blob.get("byteSize")
    if isinstance(size, int) and (refused := pins.size_problem(path, size)):
        return FileAtRef(path, commit, None, refused=refused)
    text = blob.get("text")
    if isinstance(text, str) and (size is None or len(text.encode()) == size):
        return FileAtRef(path, commit, text)
    return None


def file_from_entry(path: str, commit: str, entry: Any) -> FileAtRef | None:
    """The file an answered ``file_in_commit`` field holds (a tree entry, or null)."""
    if entry is None:
        return FileAtRef(path, commit, None)
    if not isinstance(entry, Mapping):
        return None
    return file_from_blob(path, commit, entry.get("object"))


def pulls_page(base: str, after: str | None, size: int = 100) -> str:
    """One page of the open PRs into ``base``, oldest first: new PRs land on later pages, so
    paging never skips one."""
    cursor = literal(after) if after is not None else "null"
    return (
        f"pullRequests(states: OPEN, baseRefName: {literal(base)}, first: {size},"
        f" after: {cursor}, orderBy: {{field: CREATED_AT, direction: ASC}})"
        f" {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {PULL_FIELDS} }} }}"
    )


def pull_from_node(node: Any) -> PullInfo:
    """A PullInfo exactly as the REST listing fills it; ValueError when the node is not one
    (or has more labels than were asked for)."""
    if not isinstance(node, Mapping):
        raise ValueError("not a pull request")
    try:
        number = node["number"]
        head_sha = node["headRefOid"]
        labels = node.get("labels") or {"totalCount": 0, "nodes": []}
        names = tuple(str(label["name"]) for label in labels["nodes"])
        owner = node.get("headRepositoryOwner") or {}
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValueError("number")
        if not isinstance(head_sha, str) or not is_sha(head_sha):
            raise ValueError("headRefOid")
        if labels.get("totalCount", len(names)) != len(names):
            raise ValueError(f"PR #{number} has more than {LABELS_LOOKED_AT} labels")
        return PullInfo(
            number=number,
            url=str(node.get("url") or ""),
            head_branch=str(node["headRefName"]),
            head_owner=str(owner.get("login") or ""),
            head_sha=head_sha,
            base=str(node["baseRefName"]),
            title=str(node.get("title") or ""),
            body=str(node.get("body") or ""),
            state=_STATES[str(node["state"])],
            merged=bool(node.get("merged")),
            labels=names,
        )
    except (KeyError, TypeError, AttributeError):
        raise ValueError("not a pull request") from None
