"""A pass's reads in the fewest requests: the target's state rides in the upstream look-ups.

With a token and the target on the configured GitHub, each GraphQL query of a pass carries up to
100 upstream heads, up to 100 base files, one page of the open PRs, and the head commit and
closed PRs of up to 100 of bumper's PR branches (rules 5, 6 and 8 without a REST look-up each
when a PR is opened); another query goes out only while one of them has more to read. A pass
where nothing changed over N entries costs about N/100 requests instead of N/100 for the heads
plus as many again for the files, the PR pages and the base head.

Every file comes from one commit: the first query reads the base head and its first files
through that very commit (``Commit.file``), later queries name the commit's sha. When the
target cannot be read this way (no such base branch, an error, a PR with more labels than were
asked for), there is no snapshot and publish reads what it needs itself, as without a token.
A PR branch the answer does not settle (an error on its field, more closed PRs than were read)
is only left out of the snapshot: publish looks that one up.

``target_field`` and ``take_target`` are pure (a TargetRead in, query text or the next
TargetRead out); ``read_pass`` is the I/O around them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import httpx

from bumper.bump.prtext import render_branch
from bumper.config.settings import Config, GitHubSettings, LookupSettings, Secret
from bumper.github.forge import BaseHead, BranchInfo, FileAtRef, PullInfo
from bumper.github.graphql import (
    GraphQLReply,
    branch_from_ref,
    branch_head,
    closed_from,
    file_at,
    file_from_commit,
    file_from_entry,
    file_in_commit,
    literal,
    merged_from,
    merged_pulls,
    pull_from_node,
    pulls_page,
    unmerged_bodies,
)
from bumper.github.http import sanitize
from bumper.model import Entry, is_sha
from bumper.upstream import Answer, Pair, Rider, lookup_heads_with

log = logging.getLogger(__name__)

TARGET = "t"  # the target repository's alias in every query
VIEWER = "tv"  # the login the token writes as, read with the first query
FILES_PER_QUERY = 100
MAX_PULL_PAGES = 100  # the REST listing's limit too: 10,000 open PRs


@dataclass(frozen=True, slots=True)
class TargetSnapshot:
    """What publish would otherwise read through the forge at the start of a pass."""

    base: BaseHead
    files: Mapping[str, FileAtRef]  # a path may be missing: publish reads it through the forge
    pulls: tuple[PullInfo, ...]  # every open PR (any base), newest first as REST lists them
    # bumper's branches in the target, as far as they were read (a name missing: look it up)
    branches: Mapping[str, BranchInfo | None] = field(default_factory=dict)
    # per branch, the bodies of its PRs closed without merging (rule 6), where all were read
    closed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    account: str = ""  # the login the token writes as ("" when not read)
    # per branch, (number, body) of its merged PRs (revert memory), where all were read
    merged: Mapping[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    repository_id: str = ""  # the target's GraphQL id, which its ref writes name it by


@dataclass(frozen=True, slots=True)
class TargetRead:
    """How far reading the target has come; each answered query makes the next one."""

    owner: str
    name: str
    branch: str  # the base branch
    paths: tuple[str, ...]  # the base files wanted
    base: BaseHead | None = None
    files: Mapping[str, FileAtRef] = field(default_factory=dict)
    asked: int = 0  # paths[:asked] have been asked for
    pulls: tuple[PullInfo, ...] = ()
    cursor: str | None = None  # where the next page of open PRs starts
    pages: int = 0
    pulls_done: bool = False
    failed: str | None = None  # why the target is not read this way after all
    per_query: int = FILES_PER_QUERY  # files, open PRs and PR branches asked for in one query
    heads: tuple[str, ...] = ()  # bumper's PR branches in the target: their heads, closed PRs
    heads_asked: int = 0
    branches: Mapping[str, BranchInfo | None] = field(default_factory=dict)
    closed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    account: str = ""
    merged: Mapping[str, tuple[tuple[int, str], ...]] = field(default_factory=dict)
    repository_id: str = ""

    @property
    def done(self) -> bool:
        if self.failed is not None:
            return True
        return (
            self.base is not None
            and self.asked >= len(self.paths)
            and self.pulls_done
            and self.heads_asked >= len(self.heads)
        )


def target_field(read: TargetRead) -> str | None:
    """PURE: the target's part of the next query (``t: repository(...) {...}``), or None
    when there is nothing left to read."""
    if read.done:
        return None
    chunk = read.paths[read.asked : read.asked + read.per_query]
    parts = []
    if read.base is None:
        files = " ".join(file_in_commit(f"f{read.asked + i}", p) for i, p in enumerate(chunk))
        ref = literal(f"refs/heads/{read.branch}")
        parts.append(
            f"base: ref(qualifiedName: {ref})"
            f" {{ target {{ oid ... on Commit {{ tree {{ oid }} {files} }} }} }}"
        )
    else:
        parts += [file_at(f"f{read.asked + i}", read.base.sha, p) for i, p in enumerate(chunk)]
    if not read.pulls_done:
        parts.append(f"pulls: {pulls_page(read.cursor, read.per_query)}")
    for i, name in enumerate(read.heads[read.heads_asked : read.heads_asked + read.per_query]):
        n = read.heads_asked + i
        parts += [branch_head(f"b{n}", name), closed_from(f"c{n}", name)]
        parts.append(merged_from(f"m{n}", name))
    owner, name = literal(read.owner), literal(read.name)
    # the viewer rides the first query: which PRs and commits are bumper's (rules 5, 8, 10);
    # and the repository's id, so writing a branch needs no read of its own
    viewer = f" {VIEWER}: viewer {{ login }}" if read.base is None else ""
    if read.base is None:
        parts.append("id")
    return f"{TARGET}: repository(owner: {owner}, name: {name}) {{ {' '.join(parts)} }}{viewer}"


def take_target(read: TargetRead, reply: GraphQLReply) -> TargetRead:
    """PURE: ``read`` advanced by the reply to a query that carried ``target_field(read)``."""
    if read.done:
        return read
    if reply.data is None:
        return dataclasses.replace(read, failed=reply.problem or "no answer")
    repository = reply.data.get(TARGET)
    if not isinstance(repository, Mapping):
        error = reply.error_at(TARGET)
        why = f"{error[0]}: {error[1][:120]}" if error else "no repository in the answer"
        return dataclasses.replace(read, failed=f"{read.owner}/{read.name}: {why}")
    viewer = reply.data.get(VIEWER)
    if isinstance(viewer, Mapping) and isinstance(viewer.get("login"), str):
        read = dataclasses.replace(read, account=viewer["login"])
    if isinstance(repository.get("id"), str):
        read = dataclasses.replace(read, repository_id=str(repository["id"]))
    try:
        read = _take_files(read, reply, repository)
        read = _take_pulls(read, reply, repository)
    except _Unusable as exc:
        return dataclasses.replace(read, failed=f"{read.owner}/{read.name}: {exc}")
    return _take_heads(read, reply, repository)


def _take_heads(
    read: TargetRead, reply: GraphQLReply, repository: Mapping[str, object]
) -> TargetRead:
    """A branch or closed-PR listing the answer does not give for sure is left out: publish
    looks that one up itself."""
    chunk = read.heads[read.heads_asked : read.heads_asked + read.per_query]
    branches, closed, merged = dict(read.branches), dict(read.closed), dict(read.merged)
    for i, name in enumerate(chunk):
        n = read.heads_asked + i
        # null because of an error is not "no such branch"
        with contextlib.suppress(ValueError):
            if f"b{n}" in repository and reply.error_at(TARGET, f"b{n}") is None:
                branches[name] = branch_from_ref(name, repository[f"b{n}"])
        with contextlib.suppress(ValueError):
            if f"c{n}" in repository and reply.error_at(TARGET, f"c{n}") is None:
                closed[name] = unmerged_bodies(name, read.owner, repository[f"c{n}"])
        with contextlib.suppress(ValueError):
            if f"m{n}" in repository and reply.error_at(TARGET, f"m{n}") is None:
                merged[name] = merged_pulls(name, read.owner, repository[f"m{n}"])
    return dataclasses.replace(
        read,
        branches=branches,
        closed=closed,
        merged=merged,
        heads_asked=read.heads_asked + len(chunk),
    )


class _Unusable(Exception):
    """This part of the answer cannot be believed: the snapshot is given up."""


def _take_files(
    read: TargetRead, reply: GraphQLReply, repository: Mapping[str, object]
) -> TargetRead:
    chunk = read.paths[read.asked : read.asked + read.per_query]
    base = read.base
    if base is None:
        ref = repository.get("base")
        target = ref.get("target") if isinstance(ref, Mapping) else None
        tree = target.get("tree") if isinstance(target, Mapping) else None
        oid = target.get("oid") if isinstance(target, Mapping) else None
        tree_oid = tree.get("oid") if isinstance(tree, Mapping) else None
        usable = isinstance(oid, str) and is_sha(oid) and isinstance(tree_oid, str)
        if not (usable and is_sha(str(tree_oid)) and isinstance(target, Mapping)):
            raise _Unusable(f"no usable head of branch {read.branch}")
        assert isinstance(oid, str) and isinstance(tree_oid, str)
        base, holder = BaseHead(oid, tree_oid), target
        where: tuple[str, ...] = (TARGET, "base", "target")
        take: Callable[[str, str, object], FileAtRef | None] = file_from_entry
    else:
        holder, where, take = repository, (TARGET,), file_from_commit
    files = dict(read.files)
    for i, path in enumerate(chunk):
        alias = f"f{read.asked + i}"
        # an answer that is absent, or null because of an error, is not "no such file"
        if alias not in holder or reply.error_at(*where, alias) is not None:
            continue
        found = take(path, base.sha, holder[alias])
        if found is not None:
            files[path] = found
    return dataclasses.replace(read, base=base, files=files, asked=read.asked + len(chunk))


def _take_pulls(
    read: TargetRead, reply: GraphQLReply, repository: Mapping[str, object]
) -> TargetRead:
    if read.pulls_done:
        return read
    page = repository.get("pulls")
    info = page.get("pageInfo") if isinstance(page, Mapping) else None
    nodes = page.get("nodes") if isinstance(page, Mapping) else None
    if (
        reply.error_at(TARGET, "pulls")
        or not isinstance(info, Mapping)
        or not isinstance(nodes, list)
    ):
        raise _Unusable("no usable listing of open PRs")
    try:
        pulls = tuple(pull_from_node(node) for node in nodes)
    except ValueError as exc:
        raise _Unusable(f"open PRs: {exc}") from None
    more = info.get("hasNextPage") is True
    cursor = info.get("endCursor")
    if more and (not isinstance(cursor, str) or cursor == read.cursor or not pulls):
        raise _Unusable("the listing of open PRs does not move on")
    if more and read.pages + 1 >= MAX_PULL_PAGES:
        raise _Unusable(f"more than {MAX_PULL_PAGES} pages of open PRs")
    return dataclasses.replace(
        read,
        pulls=read.pulls + pulls,
        cursor=cursor if more and isinstance(cursor, str) else read.cursor,
        pages=read.pages + 1,
        pulls_done=not more,
    )


def snapshot(read: TargetRead) -> TargetSnapshot | None:
    """PURE: the finished read as publish takes it; None unless all of it was read."""
    if not read.done or read.failed is not None or read.base is None:
        return None
    pulls: dict[int, PullInfo] = {}
    for pr in reversed(read.pulls):  # newest first, as the REST listing answers
        pulls.setdefault(pr.number, pr)
    return TargetSnapshot(
        read.base,
        dict(read.files),
        tuple(pulls.values()),
        dict(read.branches),
        dict(read.closed),
        read.account,
        dict(read.merged),
        read.repository_id,
    )


def read_pass(
    entries: Sequence[Entry],
    *,
    target: str,
    base: str,
    paths: Sequence[str],
    client: httpx.Client,
    github: GitHubSettings,
    lookup: LookupSettings,
    token: Secret,
    branches: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[Pair, Answer], TargetSnapshot | None]:
    """Upstream heads as ``upstream.lookup_heads`` finds them, and the target ``target``'s
    state on ``base`` (its head, ``paths`` there, its open PRs; the head commit and the
    closed PRs of each of ``branches``, bumper's PR branches in the target), in shared
    GraphQL queries.

    Never raises: an upstream's failure is its own answer (with the same git fallback), and a
    target that cannot be read this way gives None for publish to read itself.
    """
    owner, _, name = target.partition("/")
    read = TargetRead(
        owner, name, base, tuple(dict.fromkeys(paths)), heads=tuple(dict.fromkeys(branches))
    )

    def field(read: TargetRead) -> tuple[str, int] | None:
        part = target_field(read)
        size = min(read.per_query, len(read.paths) - read.asked) + 1
        return None if part is None else (part, size)

    def take(read: TargetRead, reply: GraphQLReply) -> TargetRead:
        read = take_target(read, reply)
        if read.failed is not None:
            why = sanitize(read.failed, token.reveal())
            log.info("the target is read on its own: reading it with the look-ups failed (%s)", why)
        return read

    answers, read = lookup_heads_with(
        entries,
        Rider(read, field, take),
        client=client,
        github=github,
        lookup=lookup,
        token=token,
        sleep=sleep,
    )
    return answers, snapshot(read)


def reads_target(config: Config) -> bool:
    """Whether the pass's look-up token reads the target as the forge would, so a snapshot
    taken with it can stand in for the forge's own reads: not when a GitHub App writes (its
    installation may see other repositories than the token does), and only for an
    ``owner/name`` target on the configured GitHub."""
    app = config.github.app_id is not None and bool(config.github.app_private_key)
    return config.target.owner_name is not None and not app


def branches_to_read(config: Config, entries: Sequence[Entry]) -> list[str]:
    """bumper's PR branches in the target, for the snapshot to read; none when they live in
    a fork (``target.push_to``): publish looks those up itself."""
    if config.target.push_to is not None:
        return []
    return [render_branch(config.pr, e) for e in entries]
