"""Commit statuses, the combined status, GraphQL's statusCheckRollup and Commit.history with
dates: posted and read as on GitHub, REST answers checked against GitHub's OpenAPI
description and GraphQL answers against its schema (both subsets in schemas/)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, graphql_sync, parse, validate
from test_openapi import Checker

SCHEMA = build_schema(
    (Path(__file__).parent / "schemas" / "github-graphql-subset.graphql").read_text()
)


@pytest.fixture
def check(sandbox: Any) -> Any:
    headers = {"Authorization": f"token {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=10, follow_redirects=False) as client:
        yield Checker(client, sandbox.api_url)


def push_dated(sandbox: Any, tmp_path: Path, full: str, dates: list[str]) -> list[str]:
    """Push one commit per committer date onto main with plain git; their shas, oldest first."""
    work = tmp_path / "push"
    url = f"{sandbox.git_url}/{full}.git".replace("://", f"://x:{sandbox.token}@")
    subprocess.run(["git", "clone", "-q", url, str(work)], check=True)
    shas = []
    for n, date in enumerate(dates):
        (work / "f").write_text(f"{n}\n")
        env = {**os.environ, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date}
        subprocess.run(["git", "-C", str(work), "add", "f"], check=True)
        subprocess.run(["git", "-C", str(work), "commit", "-qm", f"c{n}"], check=True, env=env)
        sha = subprocess.run(
            ["git", "-C", str(work), "rev-parse", "HEAD"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        shas.append(sha)
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "HEAD:main"], check=True)
    return shas


@pytest.fixture
def repo(sandbox: Any, check: Checker) -> str:
    check.call("POST", "/orgs/acme/repos", 201, json={"name": "lib", "auto_init": True})
    return "/repos/acme/lib"


def test_a_posted_status_answers_201_and_the_combined_status_follows_it(
    sandbox: Any, check: Checker, repo: str, tmp_path: Path
) -> None:
    sha = push_dated(sandbox, tmp_path, "acme/lib", ["2026-11-01T10:00:00Z"])[0]
    empty = check.call("GET", f"{repo}/commits/main/status", 200)
    assert (empty["state"], empty["total_count"], empty["statuses"]) == ("pending", 0, [])

    made = check.call(
        "POST",
        f"{repo}/statuses/{sha}",
        201,
        json={"state": "pending", "context": "ci/build", "target_url": "http://ci/1"},
    )
    assert (made["state"], made["context"], made["creator"]["login"]) == (
        "pending",
        "ci/build",
        "sandbox",
    )
    check.call(
        "POST", f"{repo}/statuses/{sha}", 201, json={"state": "success", "context": "ci/build"}
    )
    check.call("POST", f"{repo}/statuses/{sha}", 201, json={"state": "success"})
    combined = check.call("GET", f"{repo}/commits/{sha}/status", 200)
    assert combined["state"] == "success"
    assert sorted(s["context"] for s in combined["statuses"]) == ["ci/build", "default"]
    assert combined["sha"] == sha

    check.call("POST", f"{repo}/statuses/{sha}", 201, json={"state": "error", "context": "lint"})
    assert check.call("GET", f"{repo}/commits/main/status", 200)["state"] == "failure"
    listed = check.call("GET", f"{repo}/commits/{sha}/statuses", 200)
    assert [s["state"] for s in listed] == ["error", "success", "success", "pending"]


def test_a_bad_status_is_refused_as_github_refuses_it(
    sandbox: Any, check: Checker, repo: str
) -> None:
    head = check.call("GET", f"{repo}/commits/main", 200)["sha"]
    # the description lists only 201 for this operation; GitHub answers these 422 in practice
    bad_state = check.client.post(f"{check.api}{repo}/statuses/{head}", json={"state": "green"})
    assert bad_state.status_code == 422 and bad_state.json()["message"] == "Validation Failed"
    no_commit = check.client.post(
        f"{check.api}{repo}/statuses/{'1' * 40}", json={"state": "success"}
    )
    assert no_commit.status_code == 422 and "No commit found" in no_commit.json()["message"]
    anonymous = httpx.post(
        f"{sandbox.api_url}{repo}/statuses/{head}", json={"state": "success"}, timeout=10
    )
    assert anonymous.status_code == 401
    assert check.call("GET", f"{repo}/commits/main/status", 200)["total_count"] == 0


GATED = """
query {
  lib: repository(owner: "acme", name: "lib") {
    nameWithOwner
    ref(qualifiedName: "refs/heads/main") {
      target {
        __typename
        oid
        ... on Commit {
          history(first: 2) {
            totalCount
            pageInfo { hasNextPage endCursor }
            nodes { oid committedDate statusCheckRollup { state } }
          }
        }
      }
    }
  }
}
"""


def _by_key(source: Any, info: Any, **args: Any) -> Any:
    # the answer is keyed by alias, which graphql-core's default resolver does not read
    return source.get(info.path.key) if isinstance(source, dict) else None


def _ask(sandbox: Any, query: str) -> dict[str, Any]:
    reply = httpx.post(
        sandbox.graphql_url,
        json={"query": query},
        headers={"Authorization": f"bearer {sandbox.token}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    answer = dict(reply.json())
    assert "errors" not in answer, answer
    again = graphql_sync(SCHEMA, query, root_value=answer["data"], field_resolver=_by_key)
    assert again.errors is None and again.data == answer["data"], again.errors
    return answer["data"]


def test_history_carries_the_pushed_committer_dates_and_each_commits_rollup(
    sandbox: Any, check: Checker, repo: str, tmp_path: Path
) -> None:
    assert validate(SCHEMA, parse(GATED)) == []
    old, middle, new = push_dated(
        sandbox,
        tmp_path,
        "acme/lib",
        ["2026-10-01T08:00:00Z", "2026-11-01T09:30:00+02:00", "2026-11-30T23:59:59Z"],
    )
    check.call("POST", f"{repo}/statuses/{middle}", 201, json={"state": "success", "context": "ci"})
    check.call("POST", f"{repo}/statuses/{new}", 201, json={"state": "failure", "context": "ci"})

    history = _ask(sandbox, GATED)["lib"]["ref"]["target"]["history"]
    assert [n["oid"] for n in history["nodes"]] == [new, middle]
    assert [n["committedDate"] for n in history["nodes"]] == [
        "2026-11-30T23:59:59Z",
        "2026-11-01T07:30:00Z",
    ]
    assert [n["statusCheckRollup"] for n in history["nodes"]] == [
        {"state": "FAILURE"},
        {"state": "SUCCESS"},
    ]
    assert history["totalCount"] == 4  # the initial commit too
    assert history["pageInfo"]["hasNextPage"] is True

    cursor = history["pageInfo"]["endCursor"]
    rest = GATED.replace("history(first: 2)", f'history(first: 2, after: "{cursor}")')
    page = _ask(sandbox, rest)["lib"]["ref"]["target"]["history"]
    assert page["nodes"][0] == {
        "oid": old,
        "committedDate": "2026-10-01T08:00:00Z",
        "statusCheckRollup": None,
    }
    assert page["pageInfo"]["hasNextPage"] is False


def test_a_pending_context_beside_a_green_one_rolls_up_pending(
    sandbox: Any, check: Checker, repo: str, tmp_path: Path
) -> None:
    sha = push_dated(sandbox, tmp_path, "acme/lib", ["2026-11-01T10:00:00Z"])[0]
    check.call("POST", f"{repo}/statuses/{sha}", 201, json={"state": "success", "context": "a"})
    check.call("POST", f"{repo}/statuses/{sha}", 201, json={"state": "pending", "context": "b"})
    nodes = _ask(sandbox, GATED)["lib"]["ref"]["target"]["history"]["nodes"]
    assert nodes[0]["statusCheckRollup"] == {"state": "PENDING"}


def test_bumpers_gated_look_up_is_valid_for_github_and_answered_in_its_shapes(
    sandbox: Any, check: Checker, repo: str, tmp_path: Path
) -> None:
    from bumper.github.graphql import gated_head_field, graphql_query

    base = push_dated(sandbox, tmp_path, "acme/lib", ["2026-11-01T10:00:00Z"])[0]
    fix = sandbox.store.commit_files("acme/lib", "fix", {"fix": "1"}, "the fix", parent=base)
    later = sandbox.store.commit_files("acme/lib", "main", {"g": "1"}, "more")
    check.call("POST", f"{repo}/statuses/{later}", 201, json={"state": "success"})
    query = graphql_query(
        [
            gated_head_field(
                "r0", "acme", "lib", "main", history=True, contains=[fix, base, later, "0" * 40]
            )
        ]
    )
    assert validate(SCHEMA, parse(query)) == []
    ref = _ask(sandbox, query)["r0"]["ref"]
    assert [ref[f"c{i}"] for i in range(4)] == [
        {"status": "DIVERGED"},  # the fix is on another branch
        {"status": "BEHIND"},  # an older commit of main: main contains it
        {"status": "IDENTICAL"},  # main's head
        None,  # no such commit
    ]
    assert ref["target"]["history"]["nodes"][0] == {
        "oid": later,
        "committedDate": ref["target"]["history"]["nodes"][0]["committedDate"],
        "statusCheckRollup": {"state": "SUCCESS"},
    }
