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
from bumper.github.forge import BranchInfo, CommitInfo, FileAtRef, PullInfo
from bumper.model import is_sha

BLOB = "... on Blob { text isBinary byteSize }"
LABELS_LOOKED_AT = 100  # GitHub's page limit; a PR with more falls back to the REST listing
PULL_FIELDS = (
    "number url title body headRefName headRefOid baseRefName state merged"
    " headRepositoryOwner { login }"
    f" labels(first: {LABELS_LOOKED_AT}) {{ totalCount nodes {{ name }} }}"
)
_STATES = {"OPEN": "open", "CLOSED": "closed", "MERGED": "closed"}
CLOSED_LOOKED_AT = 20  # closed PRs of one branch read with the snapshot; more: the REST look-up


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


def branch_head(alias: str, branch: str) -> str:
    """A field reading branch ``branch``: its head commit's message and parents (rules 5, 8)."""
    ref = literal(f"refs/heads/{branch}")
    return (
        f"{alias}: ref(qualifiedName: {ref}) {{ target {{ oid ... on Commit {{ message"
        " parents(first: 2) { totalCount nodes { oid } } } } }"
    )


def branch_from_ref(name: str, ref: Any) -> BranchInfo | None:
    """The branch an answered ``branch_head`` field holds, None when it does not exist;
    ValueError when the answer does not say (not a commit, parents left out)."""
    if ref is None:
        return None
    target = ref.get("target") if isinstance(ref, Mapping) else None
    if not isinstance(target, Mapping):
        raise ValueError(f"branch {name}: no head commit")
    oid, message, parents = target.get("oid"), target.get("message"), target.get("parents")
    nodes = parents.get("nodes") if isinstance(parents, Mapping) else None
    if not (isinstance(oid, str) and is_sha(oid) and isinstance(message, str)):
        raise ValueError(f"branch {name}: no head commit")
    if not isinstance(parents, Mapping) or not isinstance(nodes, list):
        raise ValueError(f"branch {name}: parents not read")
    if parents.get("totalCount") != len(nodes):
        raise ValueError(f"branch {name}: parents not all read")
    shas = tuple(node.get("oid") if isinstance(node, Mapping) else None for node in nodes)
    if not all(isinstance(sha, str) and is_sha(sha) for sha in shas):
        raise ValueError(f"branch {name}: parents not all read")
    return BranchInfo(name, CommitInfo(oid, message, tuple(str(sha) for sha in shas)))


def closed_from(alias: str, branch: str) -> str:
    """A field reading the newest closed PRs from ``branch``, as much as rule 6 needs."""
    return (
        f"{alias}: pullRequests(states: CLOSED, headRefName: {literal(branch)},"
        f" first: {CLOSED_LOOKED_AT}, orderBy: {{field: CREATED_AT, direction: DESC}})"
        " { totalCount nodes { merged body headRepositoryOwner { login } } }"
    )


def unmerged_bodies(branch: str, owner: str, page: Any) -> tuple[str, ...]:
    """The bodies of the PRs an answered ``closed_from`` field lists that were closed without
    merging from ``owner``'s ``branch`` (the REST look-up's ``head=owner:branch``); ValueError
    when the answer is not all of them."""
    nodes = page.get("nodes") if isinstance(page, Mapping) else None
    if not isinstance(page, Mapping) or not isinstance(nodes, list):
        raise ValueError(f"closed PRs from {branch}: not read")
    if page.get("totalCount") != len(nodes):
        raise ValueError(f"closed PRs from {branch}: not all read")
    bodies = []
    for node in nodes:
        if not isinstance(node, Mapping) or not isinstance(node.get("merged"), bool):
            raise ValueError(f"closed PRs from {branch}: not a pull request")
        head_owner = node.get("headRepositoryOwner") or {}
        login = head_owner.get("login") if isinstance(head_owner, Mapping) else None
        if node["merged"] or str(login or "").lower() != owner.lower():
            continue
        bodies.append(str(node.get("body") or ""))
    return tuple(bodies)
