"""Branch heads of repositories on the configured GitHub, from GitHub GraphQL answers (pure
but for a warning logged when GraphQL is down).

The query text is ``github.graphql.head_field``; this module decides what each answered field
means for its (repository, branch): a Head (noting a rename), an UpstreamError, or a pair to
ask over git smart HTTP instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

from bumper.config.values import split_owner_name
from bumper.errors import UpstreamError
from bumper.github import graphql as gql
from bumper.github.graphql import GraphQLReply, head_field, tag_page, tags_field
from bumper.github.http import sanitize
from bumper.model import Head, Repository, is_sha
from bumper.upstream import pktline, tags
from bumper.upstream.resolve import Answer, Pair, moved_name

log = logging.getLogger(__name__)

PREFIX = "r"  # the aliases of head fields: r0, r1, ...


def head_fields(
    batch: Sequence[tuple[Repository, str]], pages: tags.Pages | None = None
) -> list[str]:
    """One aliased field per (upstream, branch), ``r{i}``, for ``graphql_query``; a look-up
    following tags reads its next page of tags instead."""
    fields = []
    for i, (upstream, branch) in enumerate(batch):
        assert upstream.owner_name is not None
        owner, name = upstream.owner_name
        if tags.is_tags(branch):
            after = pages.cursors.get((upstream.text, branch)) if pages else None
            fields.append(tags_field(f"{PREFIX}{i}", owner, name, after))
        else:
            fields.append(head_field(f"{PREFIX}{i}", owner, name, branch))
    return fields


def head_answers(
    batch: Sequence[tuple[Repository, str]],
    reply: GraphQLReply,
    secret: str,
    pages: tags.Pages | None = None,
) -> tuple[dict[Pair, Answer], list[tuple[Repository, str]]]:
    """(answers, pairs to ask over git instead) from the reply to head_fields(batch).

    A look-up following tags whose tags go on past this page is not answered yet: it is
    added to ``pages.again``, for the next query.
    """
    pages = pages if pages is not None else tags.Pages()
    if reply.rejected:  # the token is wrong: git would be refused just the same
        return _fail_all(batch, reply.problem), []
    if reply.data is None:
        # An outage or a spent API limit: git smart HTTP is neither the API nor counted by it.
        log.warning("%s; using git smart HTTP instead", reply.problem)
        return {}, list(batch)
    answers: dict[Pair, Answer] = {}
    over_git: list[tuple[Repository, str]] = []
    for i, (upstream, branch) in enumerate(batch):
        alias = f"{PREFIX}{i}"
        node, error = reply.data.get(alias), reply.error_at(alias)
        if tags.is_tags(branch) and isinstance(node, dict):
            answer = _tags_answer(upstream, branch, node, pages)
            if answer == "git":
                over_git.append((upstream, branch))
            elif answer is not None and not isinstance(answer, str):
                answers[(upstream.text, branch)] = answer
            continue
        answers[(upstream.text, branch)] = _graphql_answer(upstream, branch, node, error, secret)
    return answers, over_git


def _tags_answer(
    upstream: Repository, key: str, node: dict[str, Any], pages: tags.Pages
) -> Answer | Literal["git"] | None:
    """The Head of the newest release once the last page is in; None while more pages come;
    "git" when the first page shows so many tags that one git ls-refs is cheaper."""
    page = tag_page(node)
    if page is None:
        return UpstreamError(f"{upstream.display}: GitHub GraphQL answered no list of tags")
    pair = (upstream.text, key)
    first = pair not in pages.found
    if first and page.after is not None and page.total > tags.GRAPHQL_TAG_PAGES * gql.TAGS_PAGE:
        return "git"
    found = pages.found.setdefault(pair, [])
    found += page.tags
    if page.after is not None:
        pages.cursors[pair] = page.after
        pages.again.append((upstream, key))
        return None
    pages.cursors.pop(pair, None)
    return tags.tag_head(upstream, key, pages.found.pop(pair), _moved_to(upstream, node))


def _graphql_answer(
    upstream: Repository, branch: str, node: Any, error: tuple[str, str] | None, secret: str
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
    return Head(upstream.text, branch, oid, _moved_to(upstream, node))


def _moved_to(upstream: Repository, node: dict[str, Any]) -> str | None:
    """The repository's new name when GitHub answered under another one."""
    assert upstream.owner_name is not None
    current = node.get("nameWithOwner")
    asked = "/".join(upstream.owner_name)
    if isinstance(current, str) and current.lower() != asked.lower() and split_owner_name(current):
        return moved_name(upstream, f"{upstream.github_git_base}/{current}.git")
    return None


def _fail_all(batch: Sequence[tuple[Repository, str]], reason: str) -> dict[Pair, Answer]:
    return {(u.text, b): UpstreamError(f"{u.display}: {reason}") for u, b in batch}
