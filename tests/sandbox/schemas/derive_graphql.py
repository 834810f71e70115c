"""Write github-graphql-subset.graphql from @octokit/graphql-schema's schema.graphql.

Keeps, as GitHub publishes them but without the prose (descriptions): Mutation.updateRefs
with its input and payload types, Query.repository with the Repository fields bumper reads
(``id`` for ref writes, ``refs`` for tag look-ups, with the ref, tag and page types those
need; ``ref`` with ``Ref.compare`` and a branch's ``Commit.history`` with ``committedDate``
and ``statusCheckRollup`` for gated look-ups; ``pullRequests`` with the scalar fields of the
open-PR listing, ``mergeable`` among them; ``pullRequest`` and ``enablePullRequestAutoMerge``
for auto-merge; ``createPullRequest`` and ``updatePullRequest``, folded with the branch
write; ``Repository.object`` and ``Commit.messageHeadline`` for the upstream commits a PR
body lists), and the scalars and enums they use. Works on the syntax tree, as the full
schema does not pass graphql-core's own checks (a field defined twice).

    python tests/sandbox/schemas/derive_graphql.py PATH/TO/schema.graphql
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from graphql import parse, print_ast
from graphql.language import DocumentNode, Node

OUT = Path(__file__).with_name("github-graphql-subset.graphql")
KEEP: dict[str, tuple[str, ...] | None] = {  # a type, and its fields kept (None: all)
    "Query": ("repository",),
    "Mutation": (
        "updateRefs",
        "enablePullRequestAutoMerge",
        "createPullRequest",
        "updatePullRequest",
    ),
    "Repository": ("id", "nameWithOwner", "ref", "refs", "pullRequest", "pullRequests", "object"),
    # tag look-ups: refs(refPrefix: "refs/tags/", orderBy: TAG_COMMIT_DATE), annotated tags
    "RefConnection": ("nodes", "pageInfo", "totalCount"),
    "Ref": ("name", "target", "compare"),
    "RefOrder": None,
    "RefOrderField": None,
    "OrderDirection": None,
    "PageInfo": None,
    "GitObject": ("oid",),
    "Blob": ("oid",),
    "Commit": ("oid", "committedDate", "history", "statusCheckRollup", "messageHeadline"),
    "Tag": ("name", "oid", "target"),
    # gated look-ups: a branch's recent history with dates and check state, and compare
    "Comparison": ("status", "aheadBy", "behindBy"),
    "ComparisonStatus": None,
    "CommitHistoryConnection": ("nodes", "pageInfo", "totalCount"),
    "CommitAuthor": None,
    "StatusCheckRollup": ("state",),
    "StatusState": None,
    "GitTimestamp": None,
    "DateTime": None,
    # the open-PR listing of a pass, its scalar fields: mergeable decides pr.rebase
    "PullRequestConnection": ("nodes", "pageInfo", "totalCount"),
    "PullRequest": (
        "number",
        "url",
        "title",
        "body",
        "headRefName",
        "headRefOid",
        "baseRefName",
        "state",
        "merged",
        "mergeable",
        "id",
        "autoMergeRequest",
        "mergeStateStatus",
    ),
    "MergeableState": None,
    "PullRequestState": None,
    "IssueOrder": None,
    "IssueOrderField": None,
    "URI": None,
    "UpdateRefsInput": None,
    "RefUpdate": None,
    "UpdateRefsPayload": None,
    "GitObjectID": None,
    "GitRefname": None,
    # auto-merge: the mutation, and the pull request's side of it
    "EnablePullRequestAutoMergeInput": None,
    "EnablePullRequestAutoMergePayload": ("clientMutationId", "pullRequest"),
    "PullRequestMergeMethod": None,
    "MergeStateStatus": None,
    "AutoMergeRequest": ("enabledAt", "mergeMethod", "commitHeadline", "commitBody"),
    # opening and updating a PR in the same document as its branch write (publish.py)
    "CreatePullRequestInput": None,
    "CreatePullRequestPayload": ("clientMutationId", "pullRequest"),
    "UpdatePullRequestInput": None,
    "UpdatePullRequestPayload": ("clientMutationId", "pullRequest"),
    "PullRequestUpdateState": None,
}


def _strip(node: Any) -> None:
    """Descriptions and directives (deprecations, previews) are prose, not shape; of the
    interfaces a type implements only the kept ones stay (``... on Tag`` inside a GitObject
    needs Tag to implement it), the others are left out with the types they would drag in."""
    if not isinstance(node, Node):
        return
    # the nodes are frozen dataclasses in graphql-core 3.3
    if hasattr(node, "description"):
        object.__setattr__(node, "description", None)
    if hasattr(node, "directives"):
        object.__setattr__(node, "directives", ())
    if hasattr(node, "interfaces"):
        kept = tuple(i for i in node.interfaces or () if i.name.value in KEEP)
        object.__setattr__(node, "interfaces", kept)
    for key in node.keys:
        value = getattr(node, key, None)
        for child in value if isinstance(value, list | tuple) else [value]:
            _strip(child)


def derive(source: str) -> str:
    document = parse(source, no_location=True)
    kept, names = [], []
    for definition in document.definitions:
        name = getattr(getattr(definition, "name", None), "value", None)
        if name not in KEEP:
            continue
        fields = KEEP[name]
        if fields is not None:
            chosen = tuple(f for f in definition.fields if f.name.value in fields)
            object.__setattr__(definition, "fields", chosen)
        _strip(definition)
        kept.append(definition)
        names.append(name)
    assert sorted(names) == sorted(KEEP), "a type is missing"
    return print_ast(DocumentNode(definitions=tuple(kept))) + "\n"


if __name__ == "__main__":
    OUT.write_text(derive(Path(sys.argv[1]).read_text(encoding="utf-8")), encoding="utf-8")
