"""Branch heads of repositories on the configured GitHub, from GitHub GraphQL answers (pure
but for a warning logged when GraphQL is down).

The query text is ``github.graphql.head_field``; this module decides what each answered field
means for its (repository, branch): a Head (noting a rename), an UpstreamError, or a pair to
ask over git smart HTTP instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from bumper.config.values import split_owner_name
from bumper.errors import UpstreamError
from bumper.github.graphql import (
    GraphQLReply,
    contained_in,
    gated_head_field,
    head_field,
    history_from,
)
from bumper.github.http import sanitize
from bumper.model import Head, Repository, is_sha
from bumper.upstream import pktline
from bumper.upstream.gates import Probe
from bumper.upstream.resolve import Answer, Pair, moved_name

log = logging.getLogger(__name__)

PREFIX = "r"  # the aliases of head fields: r0, r1, ...


def head_fields(
    batch: Sequence[tuple[Repository, str]], probes: Mapping[Pair, Probe] | None = None
) -> list[str]:
    """One aliased field per (upstream, branch), ``r{i}``, for ``graphql_query``; a pair in
    ``probes`` also reads its branch's history and containment (upstream/gates.py)."""
    fields = []
    for i, (upstream, branch) in enumerate(batch):
        assert upstream.owner_name is not None
        owner, name = upstream.owner_name
        probe = (probes or {}).get((upstream.text, branch))
        if probe is None:
            fields.append(head_field(f"{PREFIX}{i}", owner, name, branch))
        else:
            fields.append(
                gated_head_field(
                    f"{PREFIX}{i}",
                    owner,
                    name,
                    branch,
                    history=probe.history,
                    contains=probe.contains,
                )
            )
    return fields


def head_answers(
    batch: Sequence[tuple[Repository, str]],
    reply: GraphQLReply,
    secret: str,
    probes: Mapping[Pair, Probe] | None = None,
) -> tuple[dict[Pair, Answer], list[tuple[Repository, str]]]:
    """(answers, pairs to ask over git instead) from the reply to head_fields(batch)."""
    if reply.rejected:  # the token is wrong: git would be refused just the same
        return _fail_all(batch, reply.problem), []
    if reply.data is None:
        # An outage or a spent API limit: git smart HTTP is neither the API nor counted by it.
        log.warning("%s; using git smart HTTP instead", reply.problem)
        return {}, list(batch)
    answers: dict[Pair, Answer] = {}
    for i, (upstream, branch) in enumerate(batch):
        alias = f"{PREFIX}{i}"
        node = reply.data.get(alias)
        answer = _graphql_answer(upstream, branch, node, reply.error_at(alias), secret)
        probe = (probes or {}).get((upstream.text, branch))
        if probe is not None and isinstance(answer, Head):
            answer = probed(answer, probe, node)
        answers[(upstream.text, branch)] = answer
    return answers, []


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
    moved_to = None
    assert upstream.owner_name is not None
    current = node.get("nameWithOwner")
    asked = "/".join(upstream.owner_name)
    if isinstance(current, str) and current.lower() != asked.lower() and split_owner_name(current):
        moved_to = moved_name(upstream, f"{upstream.github_git_base}/{current}.git")
    return Head(upstream.text, branch, oid, moved_to)


def probed(head: Head, probe: Probe, node: Any) -> Head:
    """``head`` with what its probe read: the history page and the commits it contains."""
    ref = node.get("ref") if isinstance(node, dict) else None
    target = ref.get("target") if isinstance(ref, dict) else None
    history = history_from(target) if probe.history else None
    contains = contained_in(ref, probe.contains) if probe.contains else None
    return replace(head, history=history, contains=contains)


def _fail_all(batch: Sequence[tuple[Repository, str]], reason: str) -> dict[Pair, Answer]:
    return {(u.text, b): UpstreamError(f"{u.display}: {reason}") for u, b in batch}
