"""I/O: the head sha of each (repository, branch) upstream, through an injected httpx client.

``plan_lookups`` (pure) decides who answers each pair; ``lookup_heads`` dispatches a pass's
look-ups. GitHub-hosted repositories are read with one GraphQL query per 100 pairs when a
token is set, and other reads of the pass may ride in those queries (``Rider``). Everything
else (and GitHub without a token, or a GraphQL outage) uses git smart HTTP (``git``). Only a
validated sha leaves here; every failure is an UpstreamError for its own entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from bumper.config.settings import GitHubSettings, LookupSettings, Secret
from bumper.config.values import check_branch
from bumper.errors import UpstreamError
from bumper.github.api import post_graphql
from bumper.github.graphql import GRAPHQL_BATCH, GraphQLReply, graphql_query
from bumper.github.http import RetryPolicy, Session, sanitize
from bumper.model import Entry, Repository
from bumper.upstream.git import git_lookups
from bumper.upstream.graphql_heads import head_answers, head_fields
from bumper.upstream.resolve import Answer, Pair, resolve_upstream
from bumper.upstream.tags import Pages, is_tags

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class LookupPlan:
    """Who answers which pair: nobody (unusable names), GitHub GraphQL, or git smart HTTP."""

    pairs: tuple[Pair, ...]  # every pair asked, once each, in the order first asked
    answers: Mapping[Pair, Answer]  # known without asking
    graphql: tuple[tuple[Repository, str], ...]
    git: Mapping[str, tuple[Repository, tuple[str, ...]]]  # by repository as written


def plan_lookups(
    entries: Sequence[Entry], github: GitHubSettings, lookup: LookupSettings, *, use_graphql: bool
) -> LookupPlan:
    """PURE: how each entry's (repository, branch) will be looked up."""
    pairs = tuple(dict.fromkeys((e.repository, e.branch) for e in entries))
    answers: dict[Pair, Answer] = {}
    graphql: list[tuple[Repository, str]] = []
    git: dict[str, tuple[Repository, tuple[str, ...]]] = {}
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
            if not is_tags(branch) and check_branch(branch) is not None:
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


@dataclass(frozen=True, slots=True)
class Rider(Generic[S]):
    """Another read that rides in the look-up GraphQL queries, as a state and two functions.

    ``field(state)`` is its top-level field for the next query and how many look-ups that
    field counts as (for messages), or None when it has nothing left to ask; ``take(state,
    reply)`` is the state after the reply to a query that carried that field.
    """

    state: S
    field: Callable[[S], tuple[str, int] | None]
    take: Callable[[S, GraphQLReply], S]


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
    idle: Rider[None] = Rider(None, lambda _: None, lambda state, _reply: state)
    answers, _ = lookup_heads_with(
        entries, idle, client=client, github=github, lookup=lookup, token=token, sleep=sleep
    )
    return answers


def lookup_heads_with(
    entries: Sequence[Entry],
    rider: Rider[S],
    *,
    client: httpx.Client,
    github: GitHubSettings,
    lookup: LookupSettings,
    token: Secret | None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[Pair, Answer], S]:
    """``lookup_heads``, with ``rider``'s fields in the same GraphQL queries (and more queries
    while it has more to ask); the heads and the rider's final state.

    Without a token nothing goes over GraphQL and the rider is never asked.
    """
    secret = token.reveal() if token else None
    session = Session(client, RetryPolicy.of(lookup), secret, sleep)
    plan = plan_lookups(entries, github, lookup, use_graphql=bool(token))
    answers = dict(plan.answers)
    over_git: list[tuple[Repository, str]] = []
    state = rider.state
    queue = list(plan.graphql)  # a look-up following tags comes back once per further page
    pages = Pages()
    while secret:
        batch, queue = queue[:GRAPHQL_BATCH], queue[GRAPHQL_BATCH:]
        extra = rider.field(state)
        if not batch and extra is None:
            break
        fields = head_fields(batch, pages) + ([extra[0]] if extra is not None else [])
        size = len(batch) + (extra[1] if extra is not None else 0)
        reply = post_graphql(session, github.graphql_url, graphql_query(fields), _label(size))
        if extra is not None:
            state = rider.take(state, reply)
            if reply.data is None and reply.refused and batch:
                # GitHub refused the query itself, maybe for the rider's part: heads alone
                heads_only = graphql_query(head_fields(batch, pages))
                reply = post_graphql(session, github.graphql_url, heads_only, _label(len(batch)))
        if batch:
            found, failed = head_answers(batch, reply, secret, pages)
            answers.update(found)
            over_git += failed
            queue += pages.again
            pages.again.clear()
    answers.update(
        git_lookups(_by_repository(plan, over_git), session, concurrency=lookup.concurrency)
    )
    return {pair: answers[pair] for pair in plan.pairs}, state


def _label(size: int) -> str:
    return f"GitHub GraphQL ({size} look-ups)"


def _by_repository(
    plan: LookupPlan, more: Sequence[tuple[Repository, str]]
) -> dict[str, tuple[Repository, list[str]]]:
    """The plan's git pairs and ``more`` (GraphQL's leftovers), by repository."""
    git: dict[str, tuple[Repository, list[str]]] = {
        repository: (upstream, list(branches))
        for repository, (upstream, branches) in plan.git.items()
    }
    for upstream, branch in more:
        git.setdefault(upstream.text, (upstream, []))[1].append(branch)
    return git
