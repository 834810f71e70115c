"""The request/response values passed between the sandbox server and its API handlers.

The server (app.py) parses the socket into a Request; handlers (rest.py, graphql.py)
return a Response. Handlers never touch sockets, so they are plain functions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

DOCS = "https://docs.github.com/rest"


@dataclass(slots=True)
class Request:
    method: str
    path: str  # without the query string, percent-decoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # keys lower-cased
    body: bytes
    base_url: str  # scheme://host:port as the client addressed us (from Host)
    token: str | None = None  # the bearer/token/basic password presented, if any
    authenticated: bool = False  # the token may write: the sandbox's, or an App installation's
    # What the credential is: none, token (the sandbox's), installation, jwt (an App's, checked
    # by the /app handlers), expired or bad; and the account it acts as when it may write.
    auth: str = "none"
    login: str | None = None
    account: str | None = None  # an installation token writes only to this owner's repos

    def json(self) -> Any:
        """The decoded JSON body; raises ValueError on malformed JSON."""
        if not self.body:
            return {}
        return json.loads(self.body)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(
        status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    )


def error(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> Response:
    """An error shaped like GitHub's: message, documentation_url, optional errors."""
    payload: dict[str, Any] = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors is not None:
        payload["errors"] = errors
    return json_response(status, payload)
