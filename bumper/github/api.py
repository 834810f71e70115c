"""Read-only JSON from GitHub's REST and GraphQL APIs through an injected httpx client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from bumper.config.settings import Config
from bumper.errors import BumperError


class RemoteError(BumperError):
    """A read through GitHub's API failed: the target repository, or pinned commits' dates."""


def bearer_headers(secret: str) -> dict[str, str]:
    return {"Authorization": f"bearer {secret}", "Accept": "application/json"}


def api_json(client: httpx.Client, method: str, url: str, what: str, **kwargs: Any) -> Any:
    """One API call, following same-host redirects; the parsed JSON or a RemoteError."""
    from urllib.parse import urljoin, urlsplit

    for _ in range(5):
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"{what}: request failed ({type(exc).__name__})") from None
        location = response.headers.get("location")
        if response.status_code in (301, 302, 307, 308) and location:
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:
                raise RemoteError(f"{what}: redirected to another host; refusing")
            url = target
            continue
        if response.status_code != 200:
            raise RemoteError(f"{what}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise RemoteError(f"{what}: the answer is not JSON") from None
    raise RemoteError(f"{what}: too many redirects")


def graphql(
    config: Config, client: httpx.Client, headers: Mapping[str, str], query: str, what: str
) -> dict[str, Any]:
    """The `data` of one GraphQL query (which may hold nulls beside `errors`), or a RemoteError."""
    payload = api_json(
        client, "POST", config.github.graphql_url, what, json={"query": query}, headers=headers
    )
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        errors = payload.get("errors") if isinstance(payload, dict) else None
        first = errors[0].get("message", "") if isinstance(errors, list) and errors else ""
        raise RemoteError(f"{what}: GitHub GraphQL answered no data ({str(first)[:120]})")
    return data
