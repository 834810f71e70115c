"""Reading the target repository's files through GitHub's GraphQL API, without a clone (I/O).

`remote_text` fetches one file: the workflow `matrix_from` names when there is no checkout.
The audit reads a whole tree the same way (bumper/audit/remote.py).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from bumper.config.settings import Config
from bumper.errors import RemoteError
from bumper.github.api import graphql
from bumper.github.graphql import blob_at, blob_text, graphql_query, repository_field
from bumper.github.http import RetryPolicy, Session


def target_owner_name(config: Config) -> tuple[str, str]:
    owner_name = config.target.owner_name
    if owner_name is None:
        raise RemoteError(
            "without --checkout the target repository is read through the API: set "
            "`target.repository` in the config (owner/name), or pass --checkout DIR"
        )
    return owner_name


def target_session(
    config: Config, client: httpx.Client, environ: Mapping[str, str] | None
) -> Session:
    token = config.github.token(dict(environ) if environ is not None else None)
    if not token:
        raise RemoteError(
            f"without --checkout the target repository is read through GitHub's GraphQL API, "
            f"which needs a token in ${config.github.token_env}; set it, or pass --checkout DIR"
        )
    return Session(client, RetryPolicy.of(config.lookup), token.reveal())


def remote_text(
    config: Config, path: str, *, client: httpx.Client, environ: Mapping[str, str] | None = None
) -> str:
    """One file of the target repository at `target.base` (the imported workflow)."""
    owner, name = target_owner_name(config)
    session = target_session(config, client, environ)
    query = graphql_query(
        [repository_field(owner, name, [blob_at("object", config.target.base, path)])]
    )
    label = f"{owner}/{name}: {path}"
    data = graphql(session, config.github.graphql_url, query, label)
    text = blob_text((data.get("repository") or {}).get("object"))
    if text is None:
        raise RemoteError(f"{label}: no such text file on {config.target.base}")
    return text
