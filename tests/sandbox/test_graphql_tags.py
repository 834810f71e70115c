"""The sandbox answers refs(refPrefix: "refs/tags/") as GitHub does: ordered by the tagged
commit's date, pages with cursors, an annotated tag's target a Tag whose target is the
Commit. Documents and answers are checked against GitHub's schema subset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, graphql_sync, parse, validate

from bumper.github.graphql import graphql_query, tag_page, tags_field

SCHEMA = build_schema(
    (Path(__file__).parent / "schemas" / "github-graphql-subset.graphql").read_text()
)


@pytest.fixture
def ask(sandbox: Any) -> Any:
    headers = {"Authorization": f"bearer {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def post(query: str) -> dict[str, Any]:
            reply = client.post(sandbox.graphql_url, json={"query": query})
            assert reply.status_code == 200, reply.text
            return dict(reply.json())

        yield post


def commit_at(store: Any, when: int, parent: str | None) -> str:
    """A commit dated ``when`` (epoch seconds), written as a raw object."""
    tree = store.git("grpc/grpc", "hash-object", "-t", "tree", "-w", "--stdin", input=b"")
    lines = [f"tree {tree.decode().strip()}"]
    if parent:
        lines.append(f"parent {parent}")
    lines += [
        f"author A <a@example.invalid> {when} +0000",
        f"committer A <a@example.invalid> {when} +0000",
    ]
    body = ("\n".join(lines) + f"\n\nat {when}\n").encode()
    return (
        store.git("grpc/grpc", "hash-object", "-t", "commit", "-w", "--stdin", input=body)
        .decode()
        .strip()
    )


@pytest.fixture
def tagged(sandbox: Any) -> dict[str, str]:
    """Tags made out of commit-date order, lightweight and annotated, and one of a blob."""
    store = sandbox.store
    store.create_repo("grpc", "grpc", auto_init=True)
    shas: dict[str, str] = {}
    parent = None
    for name, when, annotated in [
        ("v1.64.0", 1_700_000_000, True),
        ("v1.66.1", 1_700_300_000, False),
        ("v1.65.0", 1_700_100_000, True),
        ("latest", 1_700_200_000, False),
    ]:
        parent = commit_at(store, when, parent)
        shas[name] = parent
        if annotated:
            store.git("grpc/grpc", "tag", "-a", "-m", f"release {name}", name, parent)
        else:
            store.git("grpc/grpc", "update-ref", f"refs/tags/{name}", parent)
    blob = store.git("grpc/grpc", "hash-object", "-w", "--stdin", input=b"key\n").decode().strip()
    store.git("grpc/grpc", "update-ref", "refs/tags/gpg-key", blob)
    return shas


def conforms(document: str, data: dict[str, Any]) -> None:
    """``data`` (the answer to one field aliased t0) is what GitHub's schema lets that
    document answer: resolving the document over it gives it back, types and nulls checked."""
    assert validate(SCHEMA, parse(document)) == []
    again = graphql_sync(SCHEMA, document, root_value={"repository": data["t0"]})
    assert again.errors is None and again.data == data, again.errors


def test_tags_come_newest_commit_first_with_annotated_tags_peeled(
    ask: Any, tagged: dict[str, str]
) -> None:
    document = graphql_query([tags_field("t0", "grpc", "grpc")])
    answer = ask(document)
    assert "errors" not in answer
    conforms(document, answer["data"])
    refs = answer["data"]["t0"]["refs"]
    assert [node["name"] for node in refs["nodes"]] == [
        "v1.66.1",
        "latest",
        "v1.65.0",
        "v1.64.0",
        "gpg-key",
    ]
    annotated = refs["nodes"][2]["target"]
    assert annotated["__typename"] == "Tag" and annotated["oid"] != tagged["v1.65.0"]
    assert annotated["target"] == {"__typename": "Commit", "oid": tagged["v1.65.0"]}
    assert refs["nodes"][0]["target"]["__typename"] == "Commit"
    assert refs["nodes"][4]["target"]["__typename"] == "Blob"
    page = tag_page(answer["data"]["t0"])
    assert page is not None and page.after is None
    assert dict(page.tags) == tagged  # the blob's tag names no commit: left out


def test_tags_page_with_cursors(
    ask: Any, tagged: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bumper.github import graphql as builders

    monkeypatch.setattr(builders, "TAGS_PAGE", 2)
    seen: dict[str, str] = {}
    after = None
    pages = 0
    while True:
        document = graphql_query([tags_field("t0", "grpc", "grpc", after)])
        answer = ask(document)
        conforms(document, answer["data"])
        page = tag_page(answer["data"]["t0"])
        assert page is not None
        seen.update(page.tags)
        pages += 1
        if page.after is None:
            break
        after = page.after
    assert pages == 3 and seen == tagged


def test_refs_refuses_an_order_github_does_not_have(ask: Any, tagged: dict[str, str]) -> None:
    answer = ask(
        '{ repository(owner: "grpc", name: "grpc") { refs(refPrefix: "refs/tags/", first: 5,'
        " orderBy: {field: SEMVER, direction: DESC}) { totalCount } } }"
    )
    assert answer.get("errors"), answer
