"""What every REST handler of the sandbox gets: the call, its repository, errors, paging."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from bumper.sandbox.http import Request, Response, error, json_response
from bumper.sandbox.pulls import Tracker
from bumper.sandbox.shapes import Urls
from bumper.sandbox.store import RepoInfo, Store


class ApiError(Exception):
    """Raised by handlers to answer with a GitHub-shaped error."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def fail(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> ApiError:
    return ApiError(error(status, message, errors))


def not_found() -> ApiError:
    return fail(404, "Not Found")


def invalid(resource: str, field_name: str, code: str = "invalid", **extra: Any) -> ApiError:
    """422 Validation Failed naming one field, as GitHub words it."""
    return fail(
        422,
        "Validation Failed",
        [{"resource": resource, "field": field_name, "code": code, **extra}],
    )


def custom(resource: str, message: str) -> ApiError:
    """422 Validation Failed with a sentence, e.g. "A pull request already exists for o:b."."""
    return fail(
        422, "Validation Failed", [{"resource": resource, "code": "custom", "message": message}]
    )


@dataclass(slots=True)
class Call:
    req: Request
    store: Store
    tracker: Tracker
    params: dict[str, str] = field(default_factory=dict)
    repo: RepoInfo | None = None
    _body: Any = None

    @property
    def urls(self) -> Urls:
        return Urls(self.req.base_url)

    @property
    def info(self) -> RepoInfo:
        assert self.repo is not None, "route needs a repository"
        return self.repo

    @property
    def full(self) -> str:
        return self.info.full_name

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.req.arg(name, default)

    def int_arg(self, name: str, default: int) -> int:
        raw = self.req.arg(name)
        try:
            return int(raw) if raw is not None else default
        except ValueError:
            return default

    def body(self) -> Any:
        if self._body is None:
            try:
                self._body = self.req.json()
            except ValueError:
                raise fail(400, "Problems parsing JSON") from None
        return self._body

    def obj(self) -> dict[str, Any]:
        """The body, which must be a JSON object."""
        data = self.body()
        if not isinstance(data, dict):
            raise fail(400, "Problems parsing JSON")
        return data

    def field(
        self,
        name: str,
        kind: type | tuple[type, ...] = str,
        *,
        resource: str = "",
        required: bool = False,
    ) -> Any:
        """One body field checked for type; 422 when required and missing or of the wrong type."""
        data = self.obj()
        value = data.get(name)
        if value is None:
            if required:
                if resource:
                    raise invalid(resource, name, "missing_field")
                raise fail(422, f'Invalid request.\n\n"{name}" wasn\'t supplied.')
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise fail(422, f"Invalid request.\n\nInvalid value for {name!r}.")
        return value

    # -- pagination ------------------------------------------------------------
    def window(self) -> tuple[int, int]:
        """(page, per_page) from the query: per_page 1..100 (default 30), page from 1."""
        per_page = min(max(self.int_arg("per_page", 30), 1), 100)
        return max(self.int_arg("page", 1), 1), per_page

    def link_header(self, total: int) -> dict[str, str]:
        """GitHub's ``Link`` header for a list of ``total`` items at the requested page."""
        page, per_page = self.window()
        last = max(1, math.ceil(total / per_page))
        rels = []
        if page < last:
            rels += [("next", page + 1), ("last", last)]
        if page > 1:
            rels += [("first", 1), ("prev", min(page - 1, last))]
        if not rels:
            return {}
        query = {k: v for k, v in self.req.query.items() if k != "page"}
        base = f"{self.req.base_url}{quote(self.req.path)}"
        links = [
            f'<{base}?{urlencode({**query, "page": [str(n)]}, doseq=True)}>; rel="{rel}"'
            for rel, n in rels
        ]
        return {"Link": ", ".join(links)}

    def paged(self, items: list[Any], status: int = 200) -> Response:
        """One page of ``items`` (already JSON-shaped) with its Link header."""
        page, per_page = self.window()
        chunk = items[(page - 1) * per_page : page * per_page]
        return json_response(status, chunk, self.link_header(len(items)))


Handler = Callable[[Call], Response]
Route = tuple[str, re.Pattern[str], Handler]


def route(method: str, pattern: str, handler: Handler) -> Route:
    return (method, re.compile(pattern + r"\Z"), handler)


def dispatch(routes: list[Route], method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    wanted = "GET" if method == "HEAD" else method
    for verb, pattern, handler in routes:
        match = pattern.match(path)
        if match and verb == wanted:
            return handler, match.groupdict()
    return None
