"""I/O: what GitHub knows about pinned commits: how far a pin lags its branch (REST compare,
with the newest commit titles) and when each pinned commit was made (batched GraphQL).

Both are extras for PR text and the audit: what cannot be known is left out, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from bumper.config.settings import GitHubSettings, LookupSettings, Secret
from bumper.errors import RemoteError, UpstreamError
from bumper.github.api import api_json, graphql
from bumper.github.graphql import (
    commit_date_field,
    committed_at,
    graphql_query,
    range_field,
    range_from,
)
from bumper.github.http import RetryPolicy, Session
from bumper.model import is_sha
from bumper.upstream.resolve import resolve_upstream

log = logging.getLogger(__name__)

# One quick retry and no waiting for a rate limit: a PR's text is not worth holding a pass.
COMPARE_RETRIES = RetryPolicy(attempts=2, backoff_seconds=0.0, max_wait_seconds=0.0)
DATES_PER_QUERY = 50
RANGES_PER_QUERY = 50  # each reads a page of 100 commits


@dataclass(frozen=True, slots=True)
class ComparedCommit:
    """A commit a comparison lists: its sha and the first line of its message."""

    sha: str
    title: str


@dataclass(frozen=True, slots=True)
class Comparison:
    ahead_by: int  # commits in new that old lacks: how far behind the pin is
    commits: tuple[ComparedCommit, ...]  # newest first, at most the requested limit
    complete: bool = True  # False: there are more than ahead_by (a page of history ended)


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
    session = Session(client, COMPARE_RETRIES, token.reveal() if token else None)
    try:
        payload = api_json(session, "GET", url, upstream.display)
    except RemoteError as exc:
        log.info("compare: %s", exc)
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("ahead_by"), int):
        log.info("compare %s: no comparison in the answer", upstream.display)
        return None
    commits: list[ComparedCommit] = []
    for item in reversed(payload.get("commits") or []):
        if len(commits) >= limit:
            break
        sha = item.get("sha") if isinstance(item, dict) else None
        commit = item.get("commit") if isinstance(item, dict) else None
        message = commit.get("message") if isinstance(commit, dict) else None
        if isinstance(sha, str) and is_sha(sha) and isinstance(message, str):
            title = message.strip().split("\n", 1)[0].strip()
            commits.append(ComparedCommit(sha, title))
    return Comparison(payload["ahead_by"], tuple(commits))


def commit_dates(
    pairs: Sequence[tuple[str, str]],
    *,
    client: httpx.Client,
    github: GitHubSettings,
    lookup: LookupSettings,
    token: Secret,
) -> dict[tuple[str, str], float]:
    """When each (repository, sha) was committed (epoch seconds), for those on the configured
    GitHub, from batched GraphQL queries; what fails stays unknown."""
    located: list[tuple[tuple[str, str], tuple[str, str]]] = []
    for repository, sha in dict.fromkeys(pairs):
        try:
            upstream = resolve_upstream(repository, github, allow_http=True)
        except UpstreamError:
            continue
        if upstream.owner_name is not None:
            located.append(((repository, sha), upstream.owner_name))
    session = Session(client, RetryPolicy.of(lookup), token.reveal())
    dates: dict[tuple[str, str], float] = {}
    for start in range(0, len(located), DATES_PER_QUERY):
        batch = located[start : start + DATES_PER_QUERY]
        fields = [
            commit_date_field(f"c{i}", owner, name, sha)
            for i, ((_, sha), (owner, name)) in enumerate(batch)
        ]
        try:
            data = graphql(session, github.graphql_url, graphql_query(fields), "commit dates")
        except RemoteError:
            continue
        for i, (key, _) in enumerate(batch):
            when = committed_at(data.get(f"c{i}"))
            if when is not None:
                dates[key] = when
    return dates


def commit_ranges(
    ranges: Sequence[tuple[str, str, str]],
    *,
    client: httpx.Client,
    github: GitHubSettings,
    token: Secret,
    limit: int = 20,
) -> dict[tuple[str, str, str], Comparison]:
    """For each (repository, old, new) on the configured GitHub, the commits ``new`` has
    that ``old`` lacks, from one page of ``new``'s history per range in batched GraphQL
    queries (a REST compare per range otherwise): ``complete`` False when the page ended
    before ``old``. What cannot be read this way (not GitHub, an error, ``old`` not behind
    ``new``) is left out, for the caller to compare as before."""
    located: list[tuple[tuple[str, str, str], tuple[str, str]]] = []
    for key in dict.fromkeys(ranges):
        repository, old, new = key
        if not (is_sha(old) and is_sha(new)) or old == new:
            continue
        try:
            upstream = resolve_upstream(repository, github, allow_http=True)
        except UpstreamError:
            continue
        if upstream.owner_name is not None:
            located.append((key, upstream.owner_name))
    session = Session(client, COMPARE_RETRIES, token.reveal())
    found: dict[tuple[str, str, str], Comparison] = {}
    for start in range(0, len(located), RANGES_PER_QUERY):
        batch = located[start : start + RANGES_PER_QUERY]
        fields = [
            range_field(f"r{i}", owner, name, new)
            for i, ((_, _, new), (owner, name)) in enumerate(batch)
        ]
        try:
            data = graphql(session, github.graphql_url, graphql_query(fields), "commit lists")
        except RemoteError as exc:
            log.info("commit lists: %s", exc)
            continue
        for i, (key, _) in enumerate(batch):
            cut = range_from(data.get(f"r{i}"), key[1])
            if cut is not None:
                commits = tuple(ComparedCommit(sha, title) for sha, title in cut.commits)
                found[key] = Comparison(len(commits), commits[:limit], cut.complete)
    return found
