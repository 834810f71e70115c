"""Reads from GitHub's REST and GraphQL APIs on top of ``http``'s Session (its retries, its
redirect loop, its Authorization header): JSON or a RemoteError, or a GraphQLReply that never
raises, for look-ups that fall back to git when GitHub fails."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from bumper.errors import RemoteError, UpstreamError
from bumper.github.graphql import GraphQLReply
from bumper.github.http import REST_HEADERS, Session, authorization, follow, json_of, sanitize


def api_json(
    session: Session,
    method: str,
    url: str,
    what: str,
    *,
    params: Mapping[str, str] | None = None,
    body: Any = None,
) -> Any:
    """One REST call, following same-host redirects; the parsed JSON or a RemoteError."""
    headers = {**REST_HEADERS, **authorization(session.secret)}
    content = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(body).encode()
    try:
        response, _ = follow(
            session, method, url, display=what, headers=headers, content=content, params=params
        )
    except UpstreamError as exc:
        raise RemoteError(str(exc)) from None
    if response.status_code != 200:
        raise RemoteError(f"{what}: HTTP {response.status_code}")
    payload = json_of(response)
    if payload is None:
        raise RemoteError(f"{what}: the answer is not JSON")
    return payload


def post_graphql(session: Session, url: str, query: str, label: str) -> GraphQLReply:
    """POST ``query`` to GitHub GraphQL at ``url``; never raises. ``label`` names the request
    in messages."""
    headers = {
        **authorization(session.secret),
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    body = json.dumps({"query": query}).encode()
    try:
        response = session.send("POST", url, display=label, headers=headers, content=body)
    except UpstreamError as exc:  # an outage or a spent API limit
        return GraphQLReply(None, problem=str(exc))
    if response.status_code == 401:
        return GraphQLReply(None, problem="GitHub rejected the token (HTTP 401)", rejected=True)
    payload = json_of(response)
    data = payload.get("data") if isinstance(payload, dict) else None
    if response.status_code != 200 or not isinstance(data, dict):
        refused = response.status_code == 200 and isinstance(payload, dict) and "errors" in payload
        problem = f"{label} failed: {_graphql_problem(response, payload)}"
        return GraphQLReply(None, problem=problem, refused=refused)
    errors = tuple(e for e in payload.get("errors") or [] if isinstance(e, dict))
    return GraphQLReply(data, errors)


def graphql(session: Session, url: str, query: str, what: str) -> Mapping[str, Any]:
    """The `data` of one GraphQL query (which may hold nulls beside `errors`), or a RemoteError."""
    reply = post_graphql(session, url, query, what)
    if reply.data is None:
        # a rejected token's problem does not name the request; the others do
        raise RemoteError(f"{what}: {reply.problem}" if reply.rejected else reply.problem)
    return reply.data


def _graphql_problem(response: httpx.Response, payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list) and payload["errors"]:
        first = payload["errors"][0]
        if isinstance(first, dict):
            return sanitize(str(first.get("message") or first.get("type") or "error"))[:120]
    if payload is None:
        return f"the answer is not JSON (HTTP {response.status_code})"
    return f"no data (HTTP {response.status_code})"
