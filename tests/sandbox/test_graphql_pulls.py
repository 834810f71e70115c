"""GraphQL PullRequest.mergeable follows real merges, as REST's mergeable does: checked
against the subset of GitHub's schema (schemas/github-graphql-subset.graphql)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, graphql_sync, parse, validate

from bumper.github.graphql import graphql_query, pulls_page, repository_field

SCHEMA = build_schema(
    (Path(__file__).parent / "schemas" / "github-graphql-subset.graphql").read_text()
)
# bumper's listing of open PRs with the fields the subset holds (the scalar ones)
SCALARS = "number url title body headRefName headRefOid baseRefName state merged mergeable"
LISTING = graphql_query(
    [
        repository_field(
            "acme",
            "app",
            [pulls_page(None).split(" nodes {")[0] + f" nodes {{ {SCALARS} }} }}"],
        )
    ]
)


@pytest.fixture
def ask(sandbox: Any) -> Any:
    headers = {"Authorization": f"bearer {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def post(query: str) -> dict[str, Any]:
            reply = client.post(sandbox.graphql_url, json={"query": query})
            assert reply.status_code == 200, reply.text
            answer = dict(reply.json())
            assert "errors" not in answer, answer
            return dict(answer["data"])

        yield post


def _conforms(document: str, data: dict[str, Any]) -> None:
    again = graphql_sync(SCHEMA, document, root_value=data)
    assert again.errors is None and again.data == data, again.errors


def _states(ask: Any) -> dict[int, str]:
    data = ask(LISTING)
    _conforms(LISTING, data)
    return {n["number"]: n["mergeable"] for n in data["repository"]["pullRequests"]["nodes"]}


def test_the_listing_document_is_valid_against_githubs_schema() -> None:
    assert validate(SCHEMA, parse(LISTING)) == []


def test_mergeable_follows_real_merges_in_graphql_and_rest(sandbox: Any, ask: Any) -> None:
    store = sandbox.store
    store.create_repo("acme", "app", auto_init=True)
    base = store.commit_files("acme/app", "main", {"f": "1\n"}, "f is 1")
    store.commit_files("acme/app", "b", {"f": "2\n"}, "f is 2", parent=base)
    opened = httpx.post(
        f"{sandbox.api_url}/repos/acme/app/pulls",
        headers={"Authorization": f"token {sandbox.token}"},
        json={"title": "t", "head": "b", "base": "main"},
        timeout=30,
    )
    number = opened.json()["number"]

    def rest() -> Any:
        url = f"{sandbox.api_url}/repos/acme/app/pulls/{number}"
        return httpx.get(url, timeout=30).json()["mergeable"]

    assert _states(ask) == {number: "MERGEABLE"} and rest() is True
    store.commit_files("acme/app", "main", {"g": "elsewhere\n"}, "no conflict")
    assert _states(ask) == {number: "MERGEABLE"} and rest() is True
    store.commit_files("acme/app", "main", {"f": "3\n"}, "the same line")
    assert _states(ask) == {number: "CONFLICTING"} and rest() is False
    store.commit_files("acme/app", "b", {"f": "3\n"}, "resolved")
    assert _states(ask) == {number: "MERGEABLE"} and rest() is True
