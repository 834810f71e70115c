"""The sandbox's issues, real merges and auto-merge answer as GitHub does.

REST answers are validated against GitHub's OpenAPI description (openapi.py); GraphQL
documents and answers against the subset of GitHub's schema (schemas/).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, graphql_sync, parse, validate
from test_openapi import Checker

SCHEMA = build_schema(
    (Path(__file__).parent / "schemas" / "github-graphql-subset.graphql").read_text()
)
ENABLE = """
mutation($input: EnablePullRequestAutoMergeInput!) {
  enablePullRequestAutoMerge(input: $input) {
    clientMutationId
    pullRequest { number state merged mergeStateStatus autoMergeRequest { mergeMethod } }
  }
}
"""
READ = """
query($n: Int!) {
  repository(owner: "acme", name: "app") {
    pullRequest(number: $n) {
      id state merged mergeStateStatus autoMergeRequest { mergeMethod enabledAt }
    }
  }
}
"""


@pytest.fixture
def check(sandbox):
    headers = {"Authorization": f"token {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=10, follow_redirects=False) as client:
        yield Checker(client, sandbox.api_url)


@pytest.fixture
def ask(sandbox: Any) -> Any:
    headers = {"Authorization": f"bearer {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def post(query: str, variables: dict[str, Any]) -> dict[str, Any]:
            assert validate(SCHEMA, parse(query)) == []
            reply = client.post(sandbox.graphql_url, json={"query": query, "variables": variables})
            assert reply.status_code == 200, reply.text
            answer = dict(reply.json())
            if answer.get("data") is not None:
                again = graphql_sync(
                    SCHEMA, query, root_value=answer["data"], variable_values=variables
                )
                assert again.errors is None and again.data == answer["data"], again.errors
            return answer

        yield post


@pytest.fixture
def pr(sandbox: Any, check: Checker) -> dict[str, Any]:
    """acme/app with an open PR from ``fix`` changing one file."""
    store = sandbox.store
    store.create_repo("acme", "app", auto_init=True)
    base = store.ref("acme/app", "refs/heads/main")
    store.git("acme/app", "branch", "fix", base)
    store.commit_files("acme/app", "fix", {"f": "1\n"}, "set f")
    return check.call(
        "POST", "/repos/acme/app/pulls", 201, json={"title": "t", "head": "fix", "base": "main"}
    )


def _status(check: Checker, sha: str, state: str, context: str = "ci") -> None:
    check.call(
        "POST", f"/repos/acme/app/statuses/{sha}", 201, json={"state": state, "context": context}
    )


def test_issues_are_listed_with_pull_requests_marked(check: Checker, pr: dict[str, Any]) -> None:
    made = check.call(
        "POST", "/repos/acme/app/issues", 201, json={"title": "Dashboard", "body": "hi"}
    )
    assert made["number"] == pr["number"] + 1 and "pull_request" not in made
    listed = check.call("GET", "/repos/acme/app/issues?state=open", 200)
    by_number = {item["number"]: item for item in listed}
    assert "pull_request" in by_number[pr["number"]]
    assert "pull_request" not in by_number[made["number"]]
    assert check.call("GET", "/repos/acme/app/issues?creator=someone-else", 200) == []
    edited = check.call(
        "PATCH", f"/repos/acme/app/issues/{made['number']}", 200, json={"body": "new"}
    )
    assert edited["body"] == "new" and edited["title"] == "Dashboard"
    check.call("POST", f"/repos/acme/app/issues/{made['number']}/comments", 201, json={"body": "c"})
    assert check.call("GET", f"/repos/acme/app/issues/{made['number']}", 200)["comments"] == 1
    closed = check.call(
        "PATCH", f"/repos/acme/app/issues/{made['number']}", 200, json={"state": "closed"}
    )
    assert closed["state"] == "closed" and closed["state_reason"] == "completed"
    assert [i["number"] for i in check.call("GET", "/repos/acme/app/issues", 200)] == [pr["number"]]
    # the PR's own issue side still answers through the same paths
    assert check.call("GET", f"/repos/acme/app/issues/{pr['number']}", 200)["pull_request"]


def test_an_issue_needs_a_title(check: Checker, pr: dict[str, Any]) -> None:
    check.call("POST", "/repos/acme/app/issues", 422, json={"body": "no title"})


def test_a_merge_is_real_and_required_checks_hold_it(
    sandbox: Any, check: Checker, pr: dict[str, Any]
) -> None:
    httpx.post(
        f"{sandbox.url}/_sandbox/required-checks",
        json={"repository": "acme/app", "contexts": ["ci"]},
    ).raise_for_status()
    number, head = pr["number"], pr["head"]["sha"]
    assert check.call("GET", f"/repos/acme/app/pulls/{number}", 200)["mergeable_state"] == "blocked"
    refused = check.call("PUT", f"/repos/acme/app/pulls/{number}/merge", 405, json={})
    assert refused["message"] == 'Required status check "ci" is expected.'
    _status(check, head, "success")
    assert check.call("GET", f"/repos/acme/app/pulls/{number}", 200)["mergeable_state"] == "clean"
    merged = check.call("PUT", f"/repos/acme/app/pulls/{number}/merge", 200, json={"sha": head})
    assert sandbox.store.ref("acme/app", "refs/heads/main") == merged["sha"]
    again = check.call("PUT", f"/repos/acme/app/pulls/{number}/merge", 405, json={})
    assert again["message"] == "Pull Request is not mergeable"


def test_auto_merge_needs_the_repository_setting(
    check: Checker, ask: Any, pr: dict[str, Any]
) -> None:
    assert pr["auto_merge"] is None
    answer = ask(ENABLE, {"input": {"pullRequestId": pr["node_id"], "mergeMethod": "SQUASH"}})
    assert answer["data"] == {"enablePullRequestAutoMerge": None}
    assert answer["errors"][0]["message"] == (
        "Pull request Auto merge is not allowed for this repository"
    )
    repo = check.call("PATCH", "/repos/acme/app", 200, json={"allow_auto_merge": True})
    assert repo["allow_auto_merge"] is True


def test_auto_merge_is_refused_when_nothing_is_pending(
    check: Checker, ask: Any, pr: dict[str, Any]
) -> None:
    check.call("PATCH", "/repos/acme/app", 200, json={"allow_auto_merge": True})
    answer = ask(ENABLE, {"input": {"pullRequestId": pr["node_id"]}})
    assert answer["data"] == {"enablePullRequestAutoMerge": None}
    assert answer["errors"][0]["message"] == "Pull request Pull request is in clean status"
    assert answer["errors"][0]["path"] == ["enablePullRequestAutoMerge"]
    _status(check, pr["head"]["sha"], "pending")  # not required: the PR is unstable
    answer = ask(ENABLE, {"input": {"pullRequestId": pr["node_id"]}})
    assert answer["errors"][0]["message"] == "Pull request Pull request is in unstable status"


def test_a_pull_request_with_auto_merge_merges_itself_when_green(
    sandbox: Any, check: Checker, ask: Any, pr: dict[str, Any]
) -> None:
    check.call("PATCH", "/repos/acme/app", 200, json={"allow_auto_merge": True})
    httpx.post(
        f"{sandbox.url}/_sandbox/required-checks",
        json={"repository": "acme/app", "contexts": ["ci"]},
    ).raise_for_status()
    number, head = pr["number"], pr["head"]["sha"]
    answer = ask(ENABLE, {"input": {"pullRequestId": pr["node_id"], "mergeMethod": "SQUASH"}})
    assert "errors" not in answer, answer
    shown = answer["data"]["enablePullRequestAutoMerge"]["pullRequest"]
    assert shown["autoMergeRequest"] == {"mergeMethod": "SQUASH"}
    assert shown["mergeStateStatus"] == "BLOCKED"
    rest = check.call("GET", f"/repos/acme/app/pulls/{number}", 200)
    assert rest["auto_merge"]["merge_method"] == "squash"
    assert rest["auto_merge"]["enabled_by"]["login"] == "sandbox"
    _status(check, head, "pending")
    assert check.call("GET", f"/repos/acme/app/pulls/{number}", 200)["state"] == "open"
    _status(check, head, "success")
    done = check.call("GET", f"/repos/acme/app/pulls/{number}", 200)
    assert done["merged"] is True and done["state"] == "closed"
    main = sandbox.store.ref("acme/app", "refs/heads/main")
    assert done["merge_commit_sha"] == main
    read = ask(READ, {"n": number})["data"]["repository"]["pullRequest"]
    assert read["merged"] is True and read["state"] == "MERGED"
