"""I/O: branch heads over git smart HTTP, one repository per request (pktline.py is the codec).

One protocol v2 ``ls-refs`` POST per repository, falling back to the v0 ref advertisement when
the POST is refused. Only a validated sha leaves this module; every failure is an
UpstreamError for its own (repository, branch).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx

from bumper.errors import UpstreamError
from bumper.github.http import REDIRECTS, Session, authorization, follow, sanitize, shown_url
from bumper.model import Head, Repository
from bumper.upstream import pktline, tags
from bumper.upstream.resolve import Answer, Pair, moved_name

log = logging.getLogger(__name__)

UPLOAD_PACK_RESULT = "application/x-git-upload-pack-result"
UPLOAD_PACK_ADVERTISEMENT = "application/x-git-upload-pack-advertisement"
LS_REFS_HEADERS = {
    "Git-Protocol": "version=2",
    "Content-Type": "application/x-git-upload-pack-request",
    "Accept": UPLOAD_PACK_RESULT,
}
# Statuses that mean "this server does not take a v2 POST like ours": try the advertisement.
NOT_V2 = frozenset({400, 405, 406, 411, 415, 422, 501})


def git_lookups(
    repositories: Mapping[str, tuple[Repository, Sequence[str]]],
    session: Session,
    *,
    concurrency: int,
) -> dict[Pair, Answer]:
    """Answers over git smart HTTP for each repository's branches, ``concurrency``
    repositories at a time."""
    answers: dict[Pair, Answer] = {}
    if not repositories:
        return answers
    workers = max(1, min(concurrency, len(repositories)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup") as pool:
        futures = [
            pool.submit(_git_lookup, upstream, list(branches), session)
            for upstream, branches in repositories.values()
        ]
        for future in futures:
            answers.update(future.result())
    return answers


def _describe_answer(response: httpx.Response) -> str:
    """What a non-git answer was, without repeating its body."""
    ctype = _content_type(response)
    head = response.content[:512].lstrip().lower()
    if "html" in ctype or head.startswith((b"<!doctype html", b"<html")):
        kind = "HTML"
    elif ctype:
        kind = sanitize(ctype)[:60]
    else:
        kind = f"no content type ({pktline.excerpt(response.content, 16)})"
    return f"upstream answered {kind}, not git (HTTP {response.status_code})"


def _git_auth(upstream: Repository, secret: str | None) -> dict[str, str]:
    """The token for the configured GitHub host only; no other host ever sees it."""
    return authorization(secret, git=True) if upstream.owner_name is not None else {}


def _git_lookup(upstream: Repository, asked: list[str], session: Session) -> dict[Pair, Answer]:
    # rows following tags share the one ls-refs of their repository's branches
    branches = [key for key in asked if not tags.is_tags(key)]
    tag_keys = [key for key in asked if tags.is_tags(key)]
    auth = _git_auth(upstream, session.secret)
    try:
        refs, base = _git_refs(upstream, branches, session, auth, tags=bool(tag_keys))
    except UpstreamError as exc:
        return {(upstream.text, b): UpstreamError(str(exc)) for b in asked}
    moved_to = moved_name(upstream, base) if base != upstream.git_url else None
    answers: dict[Pair, Answer] = {
        (upstream.text, key): tags.tag_head(upstream, key, tags.from_refs(refs), moved_to)
        for key in tag_keys
    }
    for branch in branches:
        sha = refs.get(f"refs/heads/{branch}")
        if sha is None:
            note = f" (moved to {moved_to}: update the matrix)" if moved_to else ""
            answers[(upstream.text, branch)] = UpstreamError(
                f"{upstream.display}: no branch {branch!r}{note}"
            )
        else:
            answers[(upstream.text, branch)] = Head(upstream.text, branch, sha, moved_to)
    return answers


def _git_refs(
    upstream: Repository,
    branches: list[str],
    session: Session,
    auth: dict[str, str],
    *,
    tags: bool = False,
) -> tuple[dict[str, str], str]:
    """(ref name -> validated sha, the base URL that answered) for these branches (and with
    ``tags`` every tag, peeled)."""
    display = upstream.display
    body = pktline.ls_refs_request(branches, tags=tags)
    response, base = _follow(
        session,
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
        session,
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
    session: Session,
    upstream: Repository,
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

    def next_url(target: str) -> str:
        # the redirect names the service URL; the repository is what comes before it
        new = urlsplit(target)
        if not new.path.endswith(service):
            raise UpstreamError(
                f"{display}: redirected to {shown_url(target)}, not a git repository"
            )
        return f"{new.scheme}://{new.netloc}{new.path[: -len(service)]}{service}{query}"

    response, url = follow(
        session,
        method,
        base + service + query,
        display=display,
        headers=headers,
        content=content,
        next_url=next_url,
        hint="; update the matrix",
    )
    return response, url.removesuffix(query).removesuffix(service)
