"""I/O: find the head sha of each (repository, branch) upstream, through an injected httpx client.

GitHub-hosted repositories are read with one GraphQL query per 100 pairs when a token is set.
Everything else (and GitHub without a token) uses git smart HTTP: one protocol v2 ``ls-refs``
POST per repository, falling back to the v0 ref advertisement when the POST is refused.
Only a validated sha leaves this module; every failure is an UpstreamError for its own entry.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from bumper.config.settings import GitHubSettings, LookupSettings, Secret
from bumper.errors import UpstreamError
from bumper.model import Entry, Head, is_sha
from bumper.upstream import pktline

log = logging.getLogger(__name__)

Pair = tuple[str, str]  # (repository as written in the matrix, branch)
Answer = Head | UpstreamError

GRAPHQL_BATCH = 100
MAX_REDIRECTS = 5
MAX_BACKOFF_SECONDS = 30.0
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: wait at least a minute when a limit gives no time
REDIRECTS = (301, 302, 303, 307, 308)
UPLOAD_PACK_RESULT = "application/x-git-upload-pack-result"
UPLOAD_PACK_ADVERTISEMENT = "application/x-git-upload-pack-advertisement"
LS_REFS_HEADERS = {
    "Git-Protocol": "version=2",
    "Content-Type": "application/x-git-upload-pack-request",
    "Accept": UPLOAD_PACK_RESULT,
}
# Statuses that mean "this server does not take a v2 POST like ours": try the advertisement.
NOT_V2 = frozenset({400, 405, 406, 411, 415, 422, 501})

_OWNER_NAME = re.compile(r"\A([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)\Z")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")
_BAD_BRANCH = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|//|\.lock\Z|\A[-/.]|[/.]\Z")


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    title: str  # first line of the commit message


@dataclass(frozen=True, slots=True)
class Comparison:
    ahead_by: int  # commits in new that old lacks: how far behind the pin is
    commits: tuple[CommitInfo, ...]  # newest first, at most the requested limit


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where one matrix repository is read from."""

    repository: str  # as written in the matrix
    display: str  # for messages: owner/name, or host/path of a URL without its scheme
    git_url: str  # the repository's smart-HTTP base URL, no trailing slash
    owner_name: tuple[str, str] | None = None  # set when hosted on the configured GitHub
    github_git_base: str | None = None  # {github.git_url} without a trailing slash

    @property
    def is_url(self) -> bool:
        return "://" in self.repository


def resolve_upstream(repository: str, github: GitHubSettings, *, allow_http: bool) -> Upstream:
    """Where a matrix ``repository`` (owner/name on GitHub, or a URL) is read; UpstreamError if
    it cannot be used."""
    git_base = github.git_url.rstrip("/")
    match = _OWNER_NAME.match(repository)
    if match and match[2] not in (".", ".."):
        owner, name = match[1], match[2]
        return Upstream(
            repository, repository, f"{git_base}/{owner}/{name}.git", (owner, name), git_base
        )
    if "://" not in repository:
        raise UpstreamError(
            f"{sanitize(repository)}: not owner/name or an https URL of a git repository"
        )
    parts = urlsplit(repository)
    display = sanitize(repository).split("://", 1)[1].rstrip("/")
    if "@" in parts.netloc:
        raise UpstreamError(f"{display}: the URL must not carry credentials")
    scheme = parts.scheme.lower()
    if scheme == "http" and not allow_http:
        raise UpstreamError(f"{display}: plain http refused (set lookup.allow_http to allow it)")
    if scheme not in ("http", "https") or not parts.hostname:
        raise UpstreamError(f"{display}: not an https URL of a git repository")
    if parts.query or parts.fragment or parts.path.strip("/") == "":
        raise UpstreamError(f"{display}: URL needs a repository path and no query or fragment")
    url = repository.rstrip("/")
    base = git_base.lower() + "/"
    if url.lower().startswith(base):
        rest = _OWNER_NAME.match(url[len(base) :].removesuffix(".git"))
        if rest:
            owner, name = rest[1], rest[2]
            return Upstream(
                repository, display, f"{git_base}/{owner}/{name}.git", (owner, name), git_base
            )
    # Used as written, like `git ls-remote URL`: not every server accepts an added ".git".
    return Upstream(repository, display, url)


def lookup_heads(
    entries: Sequence[Entry],
    *,
    client: httpx.Client,
    github: GitHubSettings,
    lookup: LookupSettings,
    token: Secret | None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[Pair, Answer]:
    """The head of every entry's (repository, branch), each pair asked once.

    Never raises for an upstream's failure: that pair maps to an UpstreamError instead.
    """
    session = Session(client, lookup, sleep, token.reveal() if token else None)
    plan = plan_lookups(entries, github, lookup, use_graphql=bool(token))
    answers = dict(plan.answers)
    retry_over_git: list[tuple[Upstream, str]] = []
    for start in range(0, len(plan.graphql), GRAPHQL_BATCH):
        batch = plan.graphql[start : start + GRAPHQL_BATCH]
        reply = post_graphql(session, github, graphql_query(head_fields(batch)), len(batch))
        found, failed = head_answers(batch, reply, session.secret or "")
        answers.update(found)
        retry_over_git += failed
    answers.update(git_lookups(plan, retry_over_git, session))
    return {pair: answers[pair] for pair in plan.pairs}


@dataclass(frozen=True, slots=True)
class LookupPlan:
    """Who answers which pair: nobody (unusable names), GitHub GraphQL, or git smart HTTP."""

    pairs: tuple[Pair, ...]  # every pair asked, once each, in the order first asked
    answers: Mapping[Pair, Answer]  # known without asking
    graphql: tuple[tuple[Upstream, str], ...]
    git: Mapping[str, tuple[Upstream, tuple[str, ...]]]  # by repository as written


def plan_lookups(
    entries: Sequence[Entry], github: GitHubSettings, lookup: LookupSettings, *, use_graphql: bool
) -> LookupPlan:
    """PURE: how each entry's (repository, branch) will be looked up."""
    pairs = tuple(dict.fromkeys((e.repository, e.branch) for e in entries))
    answers: dict[Pair, Answer] = {}
    graphql: list[tuple[Upstream, str]] = []
    git: dict[str, tuple[Upstream, tuple[str, ...]]] = {}
    by_repository: dict[str, list[str]] = {}
    for repository, branch in pairs:
        by_repository.setdefault(repository, []).append(branch)
    for repository, branches in by_repository.items():
        try:
            upstream = resolve_upstream(repository, github, allow_http=lookup.allow_http)
        except UpstreamError as exc:
            answers.update(((repository, b), UpstreamError(str(exc))) for b in branches)
            continue
        valid = []
        for branch in branches:
            if not branch or _BAD_BRANCH.search(branch):
                answers[(repository, branch)] = UpstreamError(
                    f"{upstream.display}: invalid branch name {sanitize(branch)!r}"
                )
            else:
                valid.append(branch)
        if valid and upstream.owner_name and use_graphql:
            graphql.extend((upstream, branch) for branch in valid)
        elif valid:
            git[repository] = (upstream, tuple(valid))
    return LookupPlan(pairs, answers, tuple(graphql), git)


def git_lookups(
    plan: LookupPlan, more: Sequence[tuple[Upstream, str]], session: Session
) -> dict[Pair, Answer]:
    """Answers over git smart HTTP for the plan's git pairs and ``more`` (GraphQL's leftovers),
    ``lookup.concurrency`` repositories at a time."""
    git: dict[str, tuple[Upstream, list[str]]] = {
        repository: (upstream, list(branches))
        for repository, (upstream, branches) in plan.git.items()
    }
    for upstream, branch in more:
        git.setdefault(upstream.repository, (upstream, []))[1].append(branch)
    answers: dict[Pair, Answer] = {}
    if not git:
        return answers
    workers = max(1, min(session.lookup.concurrency, len(git)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup") as pool:
        futures = [
            pool.submit(
                _git_lookup, upstream, branches, session, _git_auth(upstream, session.secret)
            )
            for upstream, branches in git.values()
        ]
        for future in futures:
            answers.update(future.result())
    return answers


# -- HTTP with retries ------------------------------------------------------------------


class _Retryable(Exception):
    """A failure worth another attempt; ``wait`` overrides the backoff (rate limits)."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


@dataclass(frozen=True, slots=True)
class Session:
    """The injected client with the look-up retry policy (and the token, to keep it out of
    messages). Every upstream and GraphQL request of a pass goes through one."""

    client: httpx.Client
    lookup: LookupSettings
    sleep: Callable[[float], None]
    secret: str | None

    def send(
        self,
        method: str,
        url: str,
        *,
        display: str,
        headers: Mapping[str, str],
        content: bytes | None = None,
    ) -> httpx.Response:
        """One request, retried on timeouts, dropped connections, 5xx and short rate limits.

        Returns any other answer (2xx, 3xx, 4xx) for the caller to judge.
        """
        tries = 0

        def once() -> httpx.Response:
            nonlocal tries
            tries += 1
            return self._once(method, url, display, headers, content)

        retrying = Retrying(
            stop=stop_after_attempt(max(1, self.lookup.retries)),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            return retrying(once)
        except _Retryable as exc:
            plural = "attempt" if tries == 1 else "attempts"
            raise UpstreamError(f"{display}: {exc.reason} after {tries} {plural}") from None

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.wait is not None:
            return exc.wait
        return float(
            min(self.lookup.backoff_seconds * 2 ** (state.attempt_number - 1), MAX_BACKOFF_SECONDS)
        )

    def _once(
        self,
        method: str,
        url: str,
        display: str,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> httpx.Response:
        try:
            response = self.client.request(method, url, headers=headers, content=content)
        except httpx.TimeoutException:
            raise _Retryable("timed out") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"connection failed ({self.describe(exc)})") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"{display}: request failed ({self.describe(exc)})") from None
        log.debug("%s %s -> %s", method, sanitize(url), response.status_code)
        status = response.status_code
        if status in (403, 429):
            wait = _rate_limit_wait(response)
            if wait is not None:
                seconds, what = wait
                host = _host(response.request.url)
                if seconds > self.lookup.max_wait_seconds:
                    raise UpstreamError(
                        f"{display}: rate limited by {host}; {what} {math.ceil(seconds)} s "
                        f"exceeds max_wait_seconds={self.lookup.max_wait_seconds:g}"
                    )
                log.info("rate limited by %s: waiting %.0f s", host, seconds)
                raise _Retryable(f"rate limited by {host}", wait=seconds)
        if status >= 500 and status not in NOT_V2:
            raise _Retryable(f"HTTP {status}")
        return response

    def describe(self, exc: BaseException) -> str:
        text = " ".join(str(exc).split())
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return sanitize(text, self.secret)[:120]


def _rate_limit_wait(response: httpx.Response) -> tuple[float, str] | None:
    """(seconds, "retry after" | "reset in") when a 403/429 is a rate limit, else None."""
    headers = response.headers
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        seconds = _parse_retry_after(retry_after)
        if seconds is not None:
            return seconds, "retry after"
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            reset = float(headers["x-ratelimit-reset"])
        except ValueError:
            reset = time.time() + SECONDARY_LIMIT_WAIT
        return max(0.0, reset - time.time()), "reset in"
    if response.status_code == 429 or b"rate limit" in response.content[:4096].lower():
        return SECONDARY_LIMIT_WAIT, "retry after"
    return None


def _parse_retry_after(value: str) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _host(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


def sanitize(text: str, secret: str | None = None) -> str:
    """``text`` without URL credentials, the token or control characters."""
    text = _USERINFO.sub(r"\1", text)
    if secret and len(secret) >= 4:
        text = text.replace(secret, "***")
    return "".join(c if c.isprintable() else "?" for c in text)


def _describe_answer(response: httpx.Response) -> str:
    """What a non-git answer was, without repeating its body."""
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    head = response.content[:512].lstrip().lower()
    if "html" in ctype or head.startswith((b"<!doctype html", b"<html")):
        kind = "HTML"
    elif ctype:
        kind = sanitize(ctype)[:60]
    else:
        kind = f"no content type ({pktline.excerpt(response.content, 16)})"
    return f"upstream answered {kind}, not git (HTTP {response.status_code})"


# -- git smart HTTP ---------------------------------------------------------------------


def _git_auth(upstream: Upstream, secret: str | None) -> dict[str, str]:
    """Basic auth for the configured GitHub host only; no other host ever sees the token."""
    if not secret or upstream.owner_name is None:
        return {}
    pair = base64.b64encode(f"x-access-token:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _git_lookup(
    upstream: Upstream, branches: list[str], http: Session, auth: dict[str, str]
) -> dict[Pair, Answer]:
    try:
        refs, base = _git_refs(upstream, branches, http, auth)
    except UpstreamError as exc:
        return {(upstream.repository, b): UpstreamError(str(exc)) for b in branches}
    moved_to = _moved_name(upstream, base) if base != upstream.git_url else None
    answers: dict[Pair, Answer] = {}
    for branch in branches:
        sha = refs.get(f"refs/heads/{branch}")
        if sha is None:
            note = f" (moved to {moved_to}: update the matrix)" if moved_to else ""
            answers[(upstream.repository, branch)] = UpstreamError(
                f"{upstream.display}: no branch {branch!r}{note}"
            )
        else:
            answers[(upstream.repository, branch)] = Head(
                upstream.repository, branch, sha, moved_to
            )
    return answers


def _git_refs(
    upstream: Upstream, branches: list[str], http: Session, auth: dict[str, str]
) -> tuple[dict[str, str], str]:
    """(ref name -> validated sha, the base URL that answered) for these branches."""
    display = upstream.display
    body = pktline.ls_refs_request(branches)
    response, base = _follow(
        http,
        upstream,
        upstream.git_url,
        "/git-upload-pack",
        "",
        method="POST",
        headers={**LS_REFS_HEADERS, **auth},
        content=body,
    )
    status = response.status_code
    if status == 200 and response.content:
        if _content_type(response) != UPLOAD_PACK_RESULT:
            raise UpstreamError(f"{display}: {_describe_answer(response)}")
        try:
            return pktline.parse_ls_refs(response.content), base
        except pktline.ProtocolError as exc:
            raise UpstreamError(f"{display}: {exc}") from None
    if status != 200 and status not in NOT_V2:
        raise UpstreamError(f"{display}: {_status_reason(response, auth)}")
    # A 200 with no body means the Git-Protocol header never reached git; a 4xx in NOT_V2
    # that POST is not accepted. The v0 advertisement (no Git-Protocol header) still works.
    refused = "empty answer to ls-refs" if status == 200 else f"ls-refs refused (HTTP {status})"
    log.info("%s: %s; reading the ref advertisement instead", display, refused)
    response, base = _follow(
        http,
        upstream,
        base,
        "/info/refs",
        "?service=git-upload-pack",
        method="GET",
        headers={"Accept": UPLOAD_PACK_ADVERTISEMENT, **auth},
    )
    if response.status_code != 200:
        raise UpstreamError(f"{display}: {refused}; {_status_reason(response, auth)}")
    if not response.content:
        raise UpstreamError(f"{display}: {refused}; empty ref advertisement (HTTP 200)")
    if _content_type(response) != UPLOAD_PACK_ADVERTISEMENT:
        raise UpstreamError(f"{display}: {_describe_answer(response)}")
    try:
        advertisement = pktline.parse_advertisement(response.content)
    except pktline.ProtocolError as exc:
        raise UpstreamError(f"{display}: {exc}") from None
    if advertisement.version != 0:
        raise UpstreamError(f"{display}: {refused}, and no v0 ref advertisement")
    return advertisement.refs, base


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _status_reason(response: httpx.Response, auth: Mapping[str, str]) -> str:
    status = response.status_code
    if status == 401:
        if auth:
            return "access denied with the configured token (HTTP 401)"
        return "repository not found or private (HTTP 401)"
    if status == 403:
        return "access denied (HTTP 403)"
    if status == 404:
        return "repository not found (HTTP 404)"
    if status in REDIRECTS:
        return f"redirect without a usable Location (HTTP {status})"
    if 200 <= status < 300:
        return _describe_answer(response)
    return f"unexpected answer (HTTP {status})"


def _follow(
    http: Session,
    upstream: Upstream,
    base: str,
    service: str,
    query: str,
    *,
    method: str,
    headers: Mapping[str, str],
    content: bytes | None = None,
) -> tuple[httpx.Response, str]:
    """Send to ``base + service + query``, following same-host redirects of a moved repository.

    Returns the final answer and the repository base URL that gave it.
    """
    display = upstream.display
    for _ in range(MAX_REDIRECTS + 1):
        url = base + service + query
        response = http.send(method, url, display=display, headers=headers, content=content)
        location = response.headers.get("location")
        if response.status_code not in REDIRECTS or not location:
            return response, base
        target = urljoin(url, location)
        old, new = urlsplit(url), urlsplit(target)
        shown = sanitize(target.split("://", 1)[-1].split("?", 1)[0])[:200]
        if (old.scheme.lower(), old.netloc.lower()) != (new.scheme.lower(), new.netloc.lower()):
            raise UpstreamError(
                f"{display}: redirected to another host ({shown}); update the matrix"
            )
        if not new.path.endswith(service):
            raise UpstreamError(f"{display}: redirected to {shown}, not a git repository")
        base = f"{new.scheme}://{new.netloc}{new.path[: -len(service)]}"
    raise UpstreamError(f"{display}: more than {MAX_REDIRECTS} redirects")


def _moved_name(upstream: Upstream, base: str) -> str:
    """How to write the new location in the matrix, in the same form as the old one."""
    if upstream.owner_name is not None and upstream.github_git_base is not None:
        prefix = upstream.github_git_base + "/"
        rest = base[len(prefix) :].removesuffix(".git")
        if base.lower().startswith(prefix.lower()) and _OWNER_NAME.match(rest):
            if not upstream.is_url:
                return rest
            base = f"{upstream.github_git_base}/{rest}.git"
    return base if upstream.repository.endswith(".git") else base.removesuffix(".git")


# -- GitHub GraphQL ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphQLReply:
    """One GraphQL answer. ``data`` is None when the query failed as a whole: ``problem``
    says why; ``rejected`` when the token was refused (401), ``refused`` when GitHub answered
    GraphQL errors and no data (the query itself, not the service, is the problem)."""

    data: Mapping[str, Any] | None
    errors: tuple[Mapping[str, Any], ...] = ()
    problem: str = ""
    rejected: bool = False
    refused: bool = False

    def error_at(self, *prefix: str) -> tuple[str, str] | None:
        """(type, message) of the first error whose path starts with ``prefix``."""
        for error in self.errors:
            path = error.get("path")
            if isinstance(path, list) and tuple(str(p) for p in path[: len(prefix)]) == prefix:
                return str(error.get("type") or "ERROR"), str(error.get("message") or "")
        return None


def graphql_query(fields: Sequence[str]) -> str:
    """PURE: a query document of top-level ``fields`` (each ``alias: field(...) {...}``)."""
    return "query {\n  " + "\n  ".join(fields) + "\n}"


def post_graphql(session: Session, github: GitHubSettings, query: str, size: int) -> GraphQLReply:
    """POST ``query`` to GitHub GraphQL with the look-up retry policy; never raises.

    ``size`` (how many look-ups it carries) only names the request in messages.
    """
    label = f"GitHub GraphQL ({size} look-ups)"
    headers = {
        "Authorization": f"bearer {session.secret or ''}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    body = json.dumps({"query": query}).encode()
    try:
        response = session.send(
            "POST", github.graphql_url, display=label, headers=headers, content=body
        )
    except UpstreamError as exc:  # an outage or a spent API limit
        return GraphQLReply(None, problem=str(exc))
    if response.status_code == 401:
        return GraphQLReply(None, problem="GitHub rejected the token (HTTP 401)", rejected=True)
    payload = _json(response)
    data = payload.get("data") if isinstance(payload, dict) else None
    if response.status_code != 200 or not isinstance(data, dict):
        refused = response.status_code == 200 and isinstance(payload, dict) and "errors" in payload
        problem = f"{label} failed: {_graphql_problem(response, payload)}"
        return GraphQLReply(None, problem=problem, refused=refused)
    errors = tuple(e for e in payload.get("errors") or [] if isinstance(e, dict))
    return GraphQLReply(data, errors)


def head_fields(batch: Sequence[tuple[Upstream, str]], prefix: str = "r") -> list[str]:
    """PURE: one aliased field per (upstream, branch), ``{prefix}{i}``, for graphql_query."""
    fields = []
    for i, (upstream, branch) in enumerate(batch):
        assert upstream.owner_name is not None
        owner, name = (json.dumps(part) for part in upstream.owner_name)
        ref = json.dumps(f"refs/heads/{branch}")
        fields.append(
            f"{prefix}{i}: repository(owner: {owner}, name: {name}) "
            f"{{ nameWithOwner ref(qualifiedName: {ref}) {{ target {{ oid }} }} }}"
        )
    return fields


def head_answers(
    batch: Sequence[tuple[Upstream, str]], reply: GraphQLReply, secret: str, prefix: str = "r"
) -> tuple[dict[Pair, Answer], list[tuple[Upstream, str]]]:
    """PURE: (answers, pairs to ask over git instead) from the reply to head_fields(batch)."""
    if reply.rejected:  # the token is wrong: git would be refused just the same
        return _fail_all(batch, reply.problem), []
    if reply.data is None:
        # An outage or a spent API limit: git smart HTTP is neither the API nor counted by it.
        log.warning("%s; using git smart HTTP instead", reply.problem)
        return {}, list(batch)
    answers: dict[Pair, Answer] = {}
    for i, (upstream, branch) in enumerate(batch):
        alias = f"{prefix}{i}"
        answers[(upstream.repository, branch)] = _graphql_answer(
            upstream, branch, reply.data.get(alias), reply.error_at(alias), secret
        )
    return answers, []


def _graphql_answer(
    upstream: Upstream, branch: str, node: Any, error: tuple[str, str] | None, secret: str
) -> Answer:
    display = upstream.display
    if not isinstance(node, dict):
        if error is None:
            return UpstreamError(f"{display}: GitHub GraphQL answered nothing for this repository")
        kind, message = error
        if kind == "NOT_FOUND":
            return UpstreamError(f"{display}: repository not found (or the token cannot see it)")
        return UpstreamError(f"{display}: GitHub GraphQL {kind}: {sanitize(message, secret)[:120]}")
    ref = node.get("ref")
    if ref is None:
        return UpstreamError(f"{display}: no branch {branch!r}")
    target = ref.get("target") if isinstance(ref, dict) else None
    oid = target.get("oid") if isinstance(target, dict) else None
    if not isinstance(oid, str) or not is_sha(oid):
        shown = pktline.excerpt(str(oid).encode())
        return UpstreamError(f"{display}: GitHub GraphQL answered an invalid object id ({shown})")
    moved_to = None
    assert upstream.owner_name is not None
    current = node.get("nameWithOwner")
    asked = "/".join(upstream.owner_name)
    if isinstance(current, str) and current.lower() != asked.lower() and _OWNER_NAME.match(current):
        moved_to = _moved_name(upstream, f"{upstream.github_git_base}/{current}.git")
    return Head(upstream.repository, branch, oid, moved_to)


def _fail_all(batch: Sequence[tuple[Upstream, str]], reason: str) -> dict[Pair, Answer]:
    return {(u.repository, b): UpstreamError(f"{u.display}: {reason}") for u, b in batch}


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _graphql_problem(response: httpx.Response, payload: Any) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("errors"), list) and payload["errors"]:
        first = payload["errors"][0]
        if isinstance(first, dict):
            return sanitize(str(first.get("message") or first.get("type") or "error"))[:120]
    if payload is None:
        return _describe_answer(response)
    return f"no data (HTTP {response.status_code})"


# -- compare ----------------------------------------------------------------------------


def compare(
    repository: str,
    old: str,
    new: str,
    *,
    client: httpx.Client,
    github: GitHubSettings,
    token: Secret | None,
    limit: int = 20,
) -> Comparison | None:
    """How far ``new`` is ahead of ``old`` on GitHub, with the newest commit titles.

    None when it cannot be known (not on the configured GitHub, an error): callers show less.
    """
    if not (is_sha(old) and is_sha(new)):
        return None
    try:
        upstream = resolve_upstream(repository, github, allow_http=True)
    except UpstreamError:
        return None
    if upstream.owner_name is None:
        return None
    owner, name = upstream.owner_name
    url = f"{github.api_url.rstrip('/')}/repos/{owner}/{name}/compare/{old}...{new}"
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if token:
        headers["Authorization"] = f"bearer {token.reveal()}"
    lookup = LookupSettings(retries=2, max_wait_seconds=0)
    http = Session(client, lookup, lambda _seconds: None, token.reveal() if token else None)
    try:
        for _ in range(MAX_REDIRECTS):
            response = http.send("GET", url, display=upstream.display, headers=headers)
            location = response.headers.get("location")
            if response.status_code not in REDIRECTS or not location:
                break
            target = urljoin(url, location)
            if urlsplit(target).netloc.lower() != urlsplit(url).netloc.lower():
                return None
            url = target
    except UpstreamError as exc:
        log.info("compare %s: %s", upstream.display, exc)
        return None
    payload = _json(response) if response.status_code == 200 else None
    if not isinstance(payload, dict) or not isinstance(payload.get("ahead_by"), int):
        log.info("compare %s: no comparison (HTTP %s)", upstream.display, response.status_code)
        return None
    commits: list[CommitInfo] = []
    for item in reversed(payload.get("commits") or []):
        if len(commits) >= limit:
            break
        sha = item.get("sha") if isinstance(item, dict) else None
        commit = item.get("commit") if isinstance(item, dict) else None
        message = commit.get("message") if isinstance(commit, dict) else None
        if isinstance(sha, str) and is_sha(sha) and isinstance(message, str):
            title = message.strip().split("\n", 1)[0].strip()
            commits.append(CommitInfo(sha, title))
    return Comparison(payload["ahead_by"], tuple(commits))
