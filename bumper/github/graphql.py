"""PURE: every GitHub GraphQL text bumper sends, and the shapes of the answers it reads.

Upstream heads, the target's files, pull requests and branches, the audit's tree and blobs,
and pinned commits' dates are all asked with the fields built here. The forge reads base
files in batches with these, and a pass reads its whole target state (base head, files, open
PRs) inside its upstream look-up queries (snapshot.py); both turn an answer into the same
FileAtRef and PullInfo the REST calls give, so publish cannot tell which path read them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bumper import pins
from bumper.github.forge import GITLINK, REGULAR, BranchInfo, CommitInfo, FileAtRef, PullInfo
from bumper.model import HistoryCommit, is_sha

GRAPHQL_BATCH = 100  # aliased look-ups per query; GitHub's node limit leaves room for far more
BLOB = "... on Blob { text isBinary byteSize }"
LABELS_LOOKED_AT = 100  # GitHub's page limit; a PR with more falls back to the REST listing
PULL_FIELDS = (
    "number url title body headRefName headRefOid baseRefName state merged mergeable"
    " headRepositoryOwner { login } headRepository { nameWithOwner } author { __typename login }"
    f" labels(first: {LABELS_LOOKED_AT}) {{ totalCount nodes {{ name }} }}"
    " id autoMergeRequest { enabledAt }"
    # the head's checks, so waiting to auto-merge costs no request of its own (automerge.py)
    " commits(last: 1) { nodes { commit { oid statusCheckRollup { state } } } }"
)
_STATES = {"OPEN": "open", "CLOSED": "closed", "MERGED": "closed"}
CLOSED_LOOKED_AT = 20  # closed PRs of one branch read with the snapshot; more: the REST look-up


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


def literal(value: str) -> str:
    """A GraphQL string literal (JSON's escapes are a subset GraphQL reads)."""
    return json.dumps(value)


def graphql_query(fields: Sequence[str]) -> str:
    """A query document of top-level ``fields`` (each ``alias: field(...) {...}``)."""
    return "query {\n  " + "\n  ".join(fields) + "\n}"


def repository_field(owner: str, name: str, fields: Sequence[str], alias: str = "") -> str:
    """A top-level field reading ``fields`` of repository ``owner/name``."""
    prefix = f"{alias}: " if alias else ""
    return (
        f"{prefix}repository(owner: {literal(owner)}, name: {literal(name)})"
        f" {{ {' '.join(fields)} }}"
    )


def head_field(alias: str, owner: str, name: str, branch: str) -> str:
    """A top-level field reading the head of ``branch`` and the repository's current name."""
    ref = literal(f"refs/heads/{branch}")
    return repository_field(
        owner, name, ["nameWithOwner", f"ref(qualifiedName: {ref}) {{ target {{ oid }} }}"], alias
    )


def object_oid(alias: str, expression: str) -> str:
    """A field reading the id of the object ``expression`` (``rev:path``) names."""
    return f"{alias}: object(expression: {literal(expression)}) {{ oid }}"


def blob_by_oid(alias: str, oid: str) -> str:
    """A field reading the blob with id ``oid``."""
    return f"{alias}: object(oid: {literal(oid)}) {{ {BLOB} }}"


def blob_text(blob: Any) -> str | None:
    """The text of an answered blob field; None when missing, binary or not text."""
    if not isinstance(blob, Mapping) or blob.get("isBinary"):
        return None
    text = blob.get("text")
    return text if isinstance(text, str) else None


def commit_date_field(alias: str, owner: str, name: str, sha: str) -> str:
    """A top-level field reading when commit ``sha`` of ``owner/name`` was committed."""
    commit = f"object(oid: {literal(sha)}) {{ ... on Commit {{ committedDate }} }}"
    return repository_field(owner, name, [commit], alias)


def committed_at(node: Any) -> float | None:
    """The epoch time an answered ``commit_date_field`` holds; None when it does not say."""
    found = node.get("object") if isinstance(node, Mapping) else None
    stamp = found.get("committedDate") if isinstance(found, Mapping) else None
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def blob_at(alias: str, commit: str, path: str) -> str:
    """A field reading ``path`` at ``commit`` (a sha, so every file comes from one commit;
    a branch name reads the file at the branch's head)."""
    return f"{alias}: object(expression: {literal(f'{commit}:{path}')}) {{ {BLOB} }}"


def files_query(owner: str, name: str, commit: str, paths: Sequence[str]) -> str:
    """A query reading every one of ``paths`` at ``commit``, aliased ``f0``, ``f1``, ..."""
    fields = [file_at(f"f{i}", commit, path) for i, path in enumerate(paths)]
    return graphql_query([repository_field(owner, name, fields)])


def files_from(commit: str, paths: Sequence[str], data: Any) -> dict[str, FileAtRef] | None:
    """The files an answer to ``files_query`` holds that can be trusted as they are (the
    others are left out for the contents API); None when it holds no repository."""
    repository = data.get("repository") if isinstance(data, Mapping) else None
    if not isinstance(repository, Mapping):
        return None
    out: dict[str, FileAtRef] = {}
    for i, path in enumerate(paths):
        found = file_from_commit(path, commit, repository.get(f"f{i}"))
        if found is not None:
            out[path] = found
    return out


def file_in_commit(alias: str, path: str) -> str:
    """A field of a Commit reading ``path`` in that very commit (Commit.file), with its mode
    (``object(expression:)`` has none, and the commit bumper builds keeps it)."""
    return f"{alias}: file(path: {literal(path)}) {{ mode oid object {{ {BLOB} }} }}"


def file_at(alias: str, commit: str, path: str) -> str:
    """A field reading ``path`` (and its mode) in commit ``commit``, a sha."""
    return (
        f"{alias}: object(oid: {literal(commit)})"
        f" {{ ... on Commit {{ {file_in_commit('file', path)} }} }}"
    )


def file_from_commit(path: str, commit: str, node: Any) -> FileAtRef | None:
    """The file an answered ``file_at`` field holds; None when the answer does not say (no
    such commit, an error): the contents API reads it."""
    if not isinstance(node, Mapping) or "file" not in node:
        return None
    return file_from_entry(path, commit, node["file"])


def file_from_blob(path: str, commit: str, blob: Any, mode: str = REGULAR) -> FileAtRef | None:
    """The file an answered ``blob_at`` field holds; None when the answer cannot be trusted
    as it is (text that does not round-trip to its bytes, a tree): the contents API reads it.
    """
    if blob is None:
        return FileAtRef(path, commit, None)
    if not isinstance(blob, Mapping):
        return None
    if blob.get("isBinary"):
        return FileAtRef(path, commit, None, binary=True)
    size = blob.get("byteSize")
    if isinstance(size, int) and (refused := pins.size_problem(path, size)):
        return FileAtRef(path, commit, None, refused=refused)
    text = blob.get("text")
    if isinstance(text, str) and (size is None or len(text.encode()) == size):
        return FileAtRef(path, commit, text, mode=mode)
    return None


def file_from_entry(path: str, commit: str, entry: Any) -> FileAtRef | None:
    """The file an answered ``file_in_commit`` field holds (a tree entry, or null)."""
    if entry is None:
        return FileAtRef(path, commit, None)
    if not isinstance(entry, Mapping):
        return None
    mode = entry.get("mode")
    if not isinstance(mode, int) or isinstance(mode, bool):
        return None  # GraphQL gives the mode as a number: 33261 is 0o100755
    if f"{mode:06o}" == GITLINK:  # a submodule: its entry's oid is the commit it pins
        oid = entry.get("oid")
        return (
            FileAtRef(path, commit, oid, mode=GITLINK)
            if isinstance(oid, str) and is_sha(oid)
            else None
        )
    return file_from_blob(path, commit, entry.get("object"), f"{mode:06o}")


def pulls_page(after: str | None, size: int = 100) -> str:
    """One page of the open PRs, whatever their base (a PR moved to another base is still
    bumper's), oldest first: new PRs land on later pages, so paging never skips one."""
    cursor = literal(after) if after is not None else "null"
    return (
        f"pullRequests(states: OPEN, first: {size},"
        f" after: {cursor}, orderBy: {{field: CREATED_AT, direction: ASC}})"
        f" {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {PULL_FIELDS} }} }}"
    )


def pull_from_node(node: Any) -> PullInfo:
    """A PullInfo exactly as the REST listing fills it; ValueError when the node is not one
    (or has more labels than were asked for)."""
    if not isinstance(node, Mapping):
        raise ValueError("not a pull request")
    try:
        number = node["number"]
        head_sha = node["headRefOid"]
        labels = node.get("labels") or {"totalCount": 0, "nodes": []}
        names = tuple(str(label["name"]) for label in labels["nodes"])
        owner = node.get("headRepositoryOwner") or {}
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValueError("number")
        if not isinstance(head_sha, str) or not is_sha(head_sha):
            raise ValueError("headRefOid")
        if labels.get("totalCount", len(names)) != len(names):
            raise ValueError(f"PR #{number} has more than {LABELS_LOOKED_AT} labels")
        return PullInfo(
            number=number,
            url=str(node.get("url") or ""),
            head_branch=str(node["headRefName"]),
            head_owner=str(owner.get("login") or ""),
            head_sha=head_sha,
            base=str(node["baseRefName"]),
            title=str(node.get("title") or ""),
            body=str(node.get("body") or ""),
            state=_STATES[str(node["state"])],
            merged=bool(node.get("merged")),
            labels=names,
            author=_actor_login(node.get("author")),
            head_repo=str((node.get("headRepository") or {}).get("nameWithOwner") or ""),
            node_id=str(node.get("id") or ""),
            auto_merge=node.get("autoMergeRequest") is not None,
            head_checks=_head_checks(node.get("commits"), head_sha),
            mergeable=str(node.get("mergeable") or ""),
        )
    except (KeyError, TypeError, AttributeError):
        raise ValueError("not a pull request") from None


def _head_checks(commits: Any, head: str) -> str | None:
    """The answered ``commits(last: 1)``'s rollup state of ``head`` ("" when it has no
    checks); None when the answer does not say (not asked, or another commit)."""
    try:
        [node] = commits["nodes"]
        commit = node["commit"]
        if commit["oid"] != head:
            return None
        rollup = commit.get("statusCheckRollup")
        return "" if rollup is None else str(rollup["state"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _actor_login(actor: Any) -> str:
    """An answered ``author { __typename login }`` as REST spells it: GraphQL gives a bot's
    login without the ``[bot]`` that REST's ``user.login`` and commit authors carry."""
    if not isinstance(actor, Mapping) or not actor.get("login"):
        return ""  # a deleted account ("ghost")
    login = str(actor["login"])
    return f"{login}[bot]" if actor.get("__typename") == "Bot" else login


def branch_head(alias: str, branch: str) -> str:
    """A field reading branch ``branch``: its head commit's message and parents (rules 5, 8)."""
    ref = literal(f"refs/heads/{branch}")
    return (
        f"{alias}: ref(qualifiedName: {ref}) {{ target {{ oid ... on Commit {{ message"
        " parents(first: 2) { totalCount nodes { oid } } } } }"
    )


def branch_from_ref(name: str, ref: Any) -> BranchInfo | None:
    """The branch an answered ``branch_head`` field holds, None when it does not exist;
    ValueError when the answer does not say (not a commit, parents left out)."""
    if ref is None:
        return None
    target = ref.get("target") if isinstance(ref, Mapping) else None
    if not isinstance(target, Mapping):
        raise ValueError(f"branch {name}: no head commit")
    oid, message, parents = target.get("oid"), target.get("message"), target.get("parents")
    nodes = parents.get("nodes") if isinstance(parents, Mapping) else None
    if not (isinstance(oid, str) and is_sha(oid) and isinstance(message, str)):
        raise ValueError(f"branch {name}: no head commit")
    if not isinstance(parents, Mapping) or not isinstance(nodes, list):
        raise ValueError(f"branch {name}: parents not read")
    if parents.get("totalCount") != len(nodes):
        raise ValueError(f"branch {name}: parents not all read")
    shas = tuple(node.get("oid") if isinstance(node, Mapping) else None for node in nodes)
    if not all(isinstance(sha, str) and is_sha(sha) for sha in shas):
        raise ValueError(f"branch {name}: parents not all read")
    return BranchInfo(name, CommitInfo(oid, message, tuple(str(sha) for sha in shas)))


def closed_from(alias: str, branch: str) -> str:
    """A field reading the newest closed PRs from ``branch``, as much as rule 6 needs."""
    return (
        f"{alias}: pullRequests(states: CLOSED, headRefName: {literal(branch)},"
        f" first: {CLOSED_LOOKED_AT}, orderBy: {{field: CREATED_AT, direction: DESC}})"
        " { totalCount nodes { merged body headRepositoryOwner { login } } }"
    )


MERGED_LOOKED_AT = 3  # merged PRs of one branch read for revert memory: the newest ones


def merged_from(alias: str, branch: str) -> str:
    """A field reading the newest merged PRs from ``branch`` (revert memory: the one a base
    undid is the last merged, or close to it)."""
    return (
        f"{alias}: pullRequests(states: MERGED, headRefName: {literal(branch)},"
        f" first: {MERGED_LOOKED_AT}, orderBy: {{field: CREATED_AT, direction: DESC}})"
        " { nodes { number merged body headRepositoryOwner { login } } }"
    )


def unmerged_bodies(branch: str, owner: str, page: Any) -> tuple[str, ...]:
    """The bodies of the PRs an answered ``closed_from`` field lists that were closed without
    merging from ``owner``'s ``branch`` (the REST look-up's ``head=owner:branch``); ValueError
    when the answer is not all of them."""
    nodes = page.get("nodes") if isinstance(page, Mapping) else None
    if not isinstance(page, Mapping) or not isinstance(nodes, list):
        raise ValueError(f"closed PRs from {branch}: not read")
    if page.get("totalCount") != len(nodes):
        raise ValueError(f"closed PRs from {branch}: not all read")
    bodies = []
    for node in nodes:
        if not isinstance(node, Mapping) or not isinstance(node.get("merged"), bool):
            raise ValueError(f"closed PRs from {branch}: not a pull request")
        head_owner = node.get("headRepositoryOwner") or {}
        login = head_owner.get("login") if isinstance(head_owner, Mapping) else None
        if node["merged"] or str(login or "").lower() != owner.lower():
            continue
        bodies.append(str(node.get("body") or ""))
    return tuple(bodies)


def merged_pulls(branch: str, owner: str, page: Any) -> tuple[tuple[int, str], ...]:
    """(number, body) of each PR an answered ``merged_from`` field lists that was merged
    from ``owner``'s ``branch`` (revert memory, bump/reverts.py); ValueError when the answer
    is not a list of pull requests."""
    nodes = page.get("nodes") if isinstance(page, Mapping) else None
    if not isinstance(nodes, list):
        raise ValueError(f"merged PRs from {branch}: not read")
    found = []
    for node in nodes:
        if not isinstance(node, Mapping) or not isinstance(node.get("merged"), bool):
            raise ValueError(f"merged PRs from {branch}: not a pull request")
        head_owner = node.get("headRepositoryOwner") or {}
        login = head_owner.get("login") if isinstance(head_owner, Mapping) else None
        number = node.get("number")
        if not node["merged"] or str(login or "").lower() != owner.lower():
            continue
        if isinstance(number, int) and not isinstance(number, bool):
            found.append((number, str(node.get("body") or "")))
    return tuple(found)


# -- auto-merge -----------------------------------------------------------------------------

ENABLE_AUTO_MERGE = (
    "mutation($input: EnablePullRequestAutoMergeInput!) {"
    " enablePullRequestAutoMerge(input: $input) { pullRequest { autoMergeRequest { enabledAt } } }"
    " }"
)
# GitHub's refusals that mean the PR has nothing left to wait for (no required check pending):
# "Pull request Pull request is in clean status", "... unstable status"
NOTHING_PENDING = ("is in clean status", "is in unstable status")


def checks_query(owner: str, name: str, sha: str) -> str:
    """A query reading one commit's ``statusCheckRollup``."""
    return (
        f"query {{ repository(owner: {literal(owner)}, name: {literal(name)}) {{"
        f" object(oid: {literal(sha)}) {{ ... on Commit {{ statusCheckRollup {{ state }} }} }}"
        " } }"
    )


# -- ref writes -----------------------------------------------------------------------------

NO_OID = "0" * 40  # as updateRefs' beforeOid: the ref must not exist; as afterOid: delete it
# The one way GitHub offers to write a ref conditionally: REST's PATCH has no expected old
# value, so a person's push between bumper's read and its write would be erased.
UPDATE_REFS = (
    "mutation($input: UpdateRefsInput!) { updateRefs(input: $input) { clientMutationId } }"
)


def repository_id_query(owner: str, name: str) -> str:
    """A query reading the node id ``updateRefs`` names the repository by."""
    return graphql_query([repository_field(owner, name, ["id"])])


def update_refs_input(repository_id: str, branch: str, before: str, after: str) -> dict[str, Any]:
    """The ``updateRefs`` input moving ``branch`` from ``before`` to ``after`` (``NO_OID``:
    delete), whether or not that is a fast forward, and only if it is still at ``before``."""
    update = {"name": f"refs/heads/{branch}", "beforeOid": before, "afterOid": after}
    return {"repositoryId": repository_id, "refUpdates": [{**update, "force": True}]}


def update_refs_done(answer: Any) -> tuple[bool, str]:
    """(True, "") when an ``UPDATE_REFS`` answer says the update was applied; else (False, why)."""
    if not isinstance(answer, Mapping):
        return False, "unexpected answer"
    errors = answer.get("errors")
    if errors:
        first = errors[0] if isinstance(errors, list) and errors else {}
        message = first.get("message") if isinstance(first, Mapping) else None
        return False, str(message or "GitHub refused the update")
    data = answer.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("updateRefs"), Mapping):
        return False, "unexpected answer"
    return True, ""


# -- a PR written in the same request as its branch ----------------------------------------

# What bumper builds a PullInfo from when it opened the PR itself (the rest it knows).
OPENED_FIELDS = "id number url headRefName headRefOid baseRefName title body state merged"
# Mutations of one document run in order, each on its own: a refused ``ref`` does not stop
# ``pull``. Both answers are read, so a PR written beside a refused branch write is known.
OPEN_WITH_BRANCH = (
    "mutation($ref: UpdateRefsInput!, $pull: CreatePullRequestInput!) {"
    " ref: updateRefs(input: $ref) { clientMutationId }"
    f" pull: createPullRequest(input: $pull) {{ pullRequest {{ {OPENED_FIELDS} }} }}"
    " }"
)
EDIT_WITH_BRANCH = (
    "mutation($ref: UpdateRefsInput!, $pull: UpdatePullRequestInput!) {"
    " ref: updateRefs(input: $ref) { clientMutationId }"
    " pull: updatePullRequest(input: $pull) { pullRequest { id title body } }"
    " }"
)
EDIT_PULL = (
    "mutation($pull: UpdatePullRequestInput!) {"
    " pull: updatePullRequest(input: $pull) { pullRequest { id title body } }"
    " }"
)


def create_pull_input(
    repository_id: str, branch: str, base: str, title: str, body: str
) -> dict[str, Any]:
    """The ``createPullRequest`` input of a PR from ``branch`` of the same repository."""
    return {
        "repositoryId": repository_id,
        "headRefName": branch,
        "baseRefName": base,
        "title": title,
        "body": body,
    }


def update_pull_input(pull_id: str, title: str | None, body: str | None) -> dict[str, Any]:
    """The ``updatePullRequest`` input setting what is not None of ``title`` and ``body``."""
    given = {"title": title, "body": body}
    return {"pullRequestId": pull_id, **{k: v for k, v in given.items() if v is not None}}


@dataclass(frozen=True, slots=True)
class Written:
    """One answered mutation of a document: done, or why not (GitHub's error type and
    message), and the payload when done."""

    done: bool
    payload: Mapping[str, Any] | None = None
    kind: str = ""
    message: str = ""


def written(answer: Any, alias: str) -> Written:
    """What an answer says of the mutation aliased ``alias``: an error naming its path, or
    a null field, is a refusal; an answer that is not GraphQL at all says nothing (done
    stays False, kind "ERROR")."""
    if not isinstance(answer, Mapping):
        return Written(False, kind="ERROR", message="unexpected answer")
    for error in answer.get("errors") or []:
        path = error.get("path") if isinstance(error, Mapping) else None
        if not isinstance(path, list) or not path or path[0] == alias:
            message = str(error.get("message") or "refused") if isinstance(error, Mapping) else ""
            kind = str(error.get("type") or "ERROR") if isinstance(error, Mapping) else "ERROR"
            return Written(False, kind=kind, message=message or "refused")
    data = answer.get("data")
    payload = data.get(alias) if isinstance(data, Mapping) else None
    if not isinstance(payload, Mapping):
        return Written(False, kind="ERROR", message="unexpected answer")
    return Written(True, payload)


def opened_pull(payload: Mapping[str, Any] | None, head_owner: str, head_repo: str) -> PullInfo:
    """The PullInfo of a PR bumper just opened from its answered ``OPENED_FIELDS``;
    ValueError when the answer is not one."""
    node = payload.get("pullRequest") if isinstance(payload, Mapping) else None
    if not isinstance(node, Mapping):
        raise ValueError("no pull request in the answer")
    number, head = node.get("number"), node.get("headRefOid")
    if not isinstance(number, int) or isinstance(number, bool):
        raise ValueError("number")
    if not isinstance(head, str) or not is_sha(head):
        raise ValueError("headRefOid")
    try:
        return PullInfo(
            number=number,
            url=str(node.get("url") or ""),
            head_branch=str(node["headRefName"]),
            head_owner=head_owner,
            head_sha=head,
            base=str(node["baseRefName"]),
            title=str(node.get("title") or ""),
            body=str(node.get("body") or ""),
            state=_STATES[str(node["state"])],
            merged=bool(node.get("merged")),
            head_repo=head_repo,
            node_id=str(node.get("id") or ""),
        )
    except (KeyError, TypeError):
        raise ValueError("not a pull request") from None


# -- the upstream commits a PR body lists ---------------------------------------------------

RANGE_PAGE = 100  # commits read back from the new head: GitHub's page limit


def range_field(alias: str, owner: str, name: str, new: str) -> str:
    """A top-level field reading the newest commits reachable from ``new`` (newest first),
    with the first line of each message."""
    history = f"history(first: {RANGE_PAGE}) {{ nodes {{ oid messageHeadline }} }}"
    target = f"object(oid: {literal(new)}) {{ ... on Commit {{ {history} }} }}"
    return repository_field(owner, name, [target], alias)


@dataclass(frozen=True, slots=True)
class CommitRange:
    """The commits ``new`` has that ``old`` lacks, as far as one page of history shows
    them: ``complete`` when ``old`` was on the page (``commits`` are all of them), else
    the range is longer than the page."""

    commits: tuple[tuple[str, str], ...]  # (sha, title), newest first
    complete: bool


def range_from(node: Any, old: str) -> CommitRange | None:
    """The range an answered ``range_field`` holds, cut at ``old``; None when it does not
    say (no such commit, an error, ``old`` not behind ``new``)."""
    found = node.get("object") if isinstance(node, Mapping) else None
    history = found.get("history") if isinstance(found, Mapping) else None
    nodes = history.get("nodes") if isinstance(history, Mapping) else None
    if not isinstance(nodes, list):
        return None
    commits: list[tuple[str, str]] = []
    for item in nodes:
        sha = item.get("oid") if isinstance(item, Mapping) else None
        title = item.get("messageHeadline") if isinstance(item, Mapping) else None
        if not isinstance(sha, str) or not is_sha(sha) or not isinstance(title, str):
            return None
        if sha == old:
            return CommitRange(tuple(commits), True)
        commits.append((sha, title))
    if len(nodes) < RANGE_PAGE:
        return None  # the history ended without ``old``: not an ancestor, REST compare says
    return CommitRange(tuple(commits), False)


TAGS_PAGE = 100  # GitHub's largest page of refs
TAG_TARGET = "__typename oid ... on Tag { target { __typename oid } }"


def tags_field(alias: str, owner: str, name: str, after: str | None = None) -> str:
    """A top-level field reading one page of the repository's tags, newest commit first, each
    with the commit it names (an annotated tag's ``target`` is a Tag whose ``target`` is it)."""
    arguments = (
        f'refPrefix: "refs/tags/", first: {TAGS_PAGE},'
        " orderBy: {field: TAG_COMMIT_DATE, direction: DESC}"
    )
    if after is not None:
        arguments += f", after: {literal(after)}"
    refs = (
        f"refs({arguments}) {{ totalCount pageInfo {{ hasNextPage endCursor }}"
        f" nodes {{ name target {{ {TAG_TARGET} }} }} }}"
    )
    return repository_field(owner, name, ["nameWithOwner", refs], alias)


@dataclass(frozen=True, slots=True)
class TagPage:
    """One answered page of ``tags_field``: (name, commit) of its tags that name a commit,
    and the cursor of the next page (None on the last)."""

    tags: tuple[tuple[str, str], ...]
    after: str | None
    total: int = 0  # tags in the repository (totalCount), all pages together


def tag_page(node: Any) -> TagPage | None:
    """The page an answered ``tags_field`` holds; None when the answer is not one."""
    refs = node.get("refs") if isinstance(node, Mapping) else None
    if not isinstance(refs, Mapping):
        return None
    nodes, info = refs.get("nodes"), refs.get("pageInfo")
    if not isinstance(nodes, list) or not isinstance(info, Mapping):
        return None
    tags = []
    for ref in nodes:
        name = ref.get("name") if isinstance(ref, Mapping) else None
        commit = _tag_commit(ref.get("target") if isinstance(ref, Mapping) else None)
        if isinstance(name, str) and commit is not None:
            tags.append((name, commit))
    after = info.get("endCursor")
    more = info.get("hasNextPage") is True and isinstance(after, str) and bool(nodes)
    total = refs.get("totalCount")
    return TagPage(tuple(tags), after if more else None, total if isinstance(total, int) else 0)


def _tag_commit(target: Any) -> str | None:
    """The commit a tag names: a lightweight tag's target, an annotated tag's target's
    target; None for a tag of a tree, a blob or another tag."""
    if isinstance(target, Mapping) and target.get("__typename") == "Tag":
        target = target.get("target")
    if not isinstance(target, Mapping) or target.get("__typename") != "Commit":
        return None
    oid = target.get("oid")
    return oid if isinstance(oid, str) and is_sha(oid) else None


# --- gates and holds: a branch's recent history, and whether it contains a commit ---------

HISTORY_PAGE = 100  # commits of a gated branch read with its head: GitHub's page limit
HISTORY_NODES = "nodes { oid committedDate statusCheckRollup { state } }"
CONTAINS_PREFIX = "c"  # aliases of the containment probes on a ref: c0, c1, ...


def gated_head_field(
    alias: str, owner: str, name: str, branch: str, *, history: bool, contains: Sequence[str]
) -> str:
    """``head_field``, plus a page of the branch's history (newest first, with committer
    dates and check state) when ``history``, and for each sha of ``contains`` whether the
    branch holds it (``Ref.compare``: the branch as base, the sha as head)."""
    target = "__typename oid"
    if history:
        target += f" ... on Commit {{ history(first: {HISTORY_PAGE}) {{ {HISTORY_NODES} }} }}"
    probes = "".join(
        f" {CONTAINS_PREFIX}{i}: compare(headRef: {literal(sha)}) {{ status }}"
        for i, sha in enumerate(contains)
    )
    ref = literal(f"refs/heads/{branch}")
    return repository_field(
        owner,
        name,
        ["nameWithOwner", f"ref(qualifiedName: {ref}) {{ target {{ {target} }}{probes} }}"],
        alias,
    )


def history_from(target: Any) -> tuple[HistoryCommit, ...] | None:
    """The history page an answered ``gated_head_field`` target holds, newest first; None
    when it holds none (not asked, or not a commit). A node without a valid sha or date
    ends the page there: what follows it cannot be placed in time."""
    history = target.get("history") if isinstance(target, Mapping) else None
    nodes = history.get("nodes") if isinstance(history, Mapping) else None
    if not isinstance(nodes, list):
        return None
    found = []
    for node in nodes:
        if not isinstance(node, Mapping):
            break
        sha, stamp = node.get("oid"), committed_at({"object": node})
        if not isinstance(sha, str) or not is_sha(sha) or stamp is None:
            break
        rollup = node.get("statusCheckRollup")
        state = rollup.get("state") if isinstance(rollup, Mapping) else None
        found.append(HistoryCommit(sha, stamp, state if isinstance(state, str) else None))
    return tuple(found)


def contained_in(ref: Any, shas: Sequence[str]) -> frozenset[str]:
    """Of ``shas``, those the answered ref contains: the sha is behind the branch, or is
    its head (a sha the repository does not have answers null: not contained)."""
    found = set()
    for i, sha in enumerate(shas):
        probe = ref.get(f"{CONTAINS_PREFIX}{i}") if isinstance(ref, Mapping) else None
        if isinstance(probe, Mapping) and probe.get("status") in ("BEHIND", "IDENTICAL"):
            found.add(sha)
    return frozenset(found)
