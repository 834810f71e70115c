"""Auditing the target repository through GitHub's API, without cloning it (I/O).

`fetch_extract` reads every candidate file of `target.base` and extracts its pins as
`files.collect` does for a checkout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from bumper.audit.files import MAX_BYTES, Extract, candidates, clean_path, extract_texts
from bumper.config.settings import Config
from bumper.errors import RemoteError
from bumper.github.api import api_json, graphql
from bumper.github.graphql import (
    GRAPHQL_BATCH,
    blob_by_oid,
    blob_text,
    graphql_query,
    object_oid,
    repository_field,
)
from bumper.github.http import Session
from bumper.github.target import target_owner_name, target_session

GRAPHQL_BYTES_PER_QUERY = 4 << 20


def fetch_extract(
    config: Config,
    *,
    client: httpx.Client,
    managed: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Extract:
    """The target repository's pins, read through the API without cloning.

    One GraphQL query finds the base's tree, one REST call lists it recursively, and the
    candidate files' texts come back from batched GraphQL queries (by blob id, so every file
    is read from the same commit).
    """
    owner, name = target_owner_name(config)
    session = target_session(config, client, environ)
    label = f"{owner}/{name}"
    data = graphql(
        session,
        config.github.graphql_url,
        graphql_query(
            [repository_field(owner, name, [object_oid("object", f"{config.target.base}:")])]
        ),
        f"{label}: the tree of {config.target.base}",
    )
    repository = data.get("repository")
    tree = repository.get("object") if isinstance(repository, dict) else None
    if not isinstance(tree, dict) or not isinstance(tree.get("oid"), str):
        missing = "repository" if not isinstance(repository, dict) else "branch"
        raise RemoteError(f"{label}: no such {missing} (base {config.target.base!r})")
    blobs, sizes, gitlinks = _list_tree(config, session, owner, name, tree["oid"])
    paths = sorted(blobs)
    rows = {clean_path(p) for e in config.matrix for p in e.paths}
    wanted = rows & set(paths)
    submodules = rows & set(gitlinks)  # a row's gitlink: its pin is the tree entry
    chosen = [p for p, _ in candidates(paths, wanted) if sizes.get(p, 0) <= MAX_BYTES]
    if managed and gitlinks and ".gitmodules" in blobs:
        chosen.append(".gitmodules")
    texts: dict[str, str | None] = dict.fromkeys(chosen)
    batch: list[str] = []
    size = 0
    for path in chosen:
        if batch and (
            len(batch) >= GRAPHQL_BATCH or size + sizes.get(path, 0) > GRAPHQL_BYTES_PER_QUERY
        ):
            texts.update(_read_blobs(config, session, owner, name, batch, blobs))
            batch, size = [], 0
        batch.append(path)
        size += sizes.get(path, 0)
    if batch:
        texts.update(_read_blobs(config, session, owner, name, batch, blobs))
    return extract_texts(paths, texts, gitlinks, wanted=wanted | submodules, managed=managed)


def _list_tree(
    config: Config,
    session: Session,
    owner: str,
    name: str,
    oid: str,
    prefix: str = "",
) -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
    """(blob sha, size, submodule commit) by path; a truncated listing is redone per subtree."""
    url = f"{config.github.api_url.rstrip('/')}/repos/{owner}/{name}/git/trees/{oid}"
    payload = api_json(
        session, "GET", url, f"{owner}/{name}: list files", params={"recursive": "1"}
    )
    blobs: dict[str, str] = {}
    sizes: dict[str, int] = {}
    gitlinks: dict[str, str] = {}
    entries = payload.get("tree") if isinstance(payload, dict) else None
    if not isinstance(entries, list):
        raise RemoteError(f"{owner}/{name}: the tree listing has no entries")
    subtrees: list[tuple[str, str]] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        path, kind, sha = entry.get("path"), entry.get("type"), entry.get("sha")
        if not isinstance(path, str) or not isinstance(sha, str):
            continue
        full = prefix + path
        if kind == "blob" and entry.get("mode") != "120000":  # symlinks are not files to read
            blobs[full] = sha
            sizes[full] = int(entry.get("size") or 0)
        elif kind == "commit":
            gitlinks[full] = sha
        elif kind == "tree" and "/" not in path:
            subtrees.append((full, sha))
    if payload.get("truncated"):  # over GitHub's limit: keep this level, list each subtree
        depth = prefix.count("/") + 1
        blobs = {p: b for p, b in blobs.items() if p.count("/") < depth}
        sizes = {p: n for p, n in sizes.items() if p in blobs}
        gitlinks = {p: c for p, c in gitlinks.items() if p.count("/") < depth}
        for directory, sha in subtrees:
            more = _list_tree(config, session, owner, name, sha, directory + "/")
            blobs.update(more[0])
            sizes.update(more[1])
            gitlinks.update(more[2])
    return blobs, sizes, gitlinks


def _read_blobs(
    config: Config,
    session: Session,
    owner: str,
    name: str,
    paths: Sequence[str],
    blobs: Mapping[str, str],
) -> dict[str, str | None]:
    fields = [blob_by_oid(f"f{i}", blobs[path]) for i, path in enumerate(paths)]
    query = graphql_query([repository_field(owner, name, fields)])
    label = f"{owner}/{name}: read {len(paths)} files"
    data = graphql(session, config.github.graphql_url, query, label)
    repository = data.get("repository") or {}
    texts: dict[str, str | None] = {}
    for i, path in enumerate(paths):
        blob = repository.get(f"f{i}") if isinstance(repository, dict) else None
        texts[path] = blob_text(blob)
    return texts
