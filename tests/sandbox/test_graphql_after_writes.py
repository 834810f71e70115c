"""A GraphQL read after each kind of write sees the write: the sandbox keeps parsed queries
and its list of repositories between requests, and neither may answer from before a push,
a REST write, a new repository, a fork or a rename. Queries are checked against the subset
of GitHub's schema (schemas/github-graphql-subset.graphql)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, parse, validate

SCHEMA = build_schema(
    (Path(__file__).parent / "schemas" / "github-graphql-subset.graphql").read_text()
)
HEAD = """query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner
    ref(qualifiedName: "refs/heads/main") { target { oid } }
  }
}"""
PULLS = """query($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
    pullRequests(states: [OPEN], first: 10) { totalCount nodes { number headRefOid } }
  }
}"""


@pytest.fixture
def ask(sandbox: Any) -> Any:
    headers = {"Authorization": f"bearer {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def post(query: str, owner: str, name: str) -> dict[str, Any]:
            assert validate(SCHEMA, parse(query)) == []
            variables = {"owner": owner, "name": name}
            reply = client.post(sandbox.graphql_url, json={"query": query, "variables": variables})
            assert reply.status_code == 200, reply.text
            answer = dict(reply.json())
            assert "errors" not in answer, answer
            return dict(answer["data"]["repository"])

        yield post


@pytest.fixture
def rest(sandbox: Any) -> Any:
    headers = {"Authorization": f"token {sandbox.token}"}
    with httpx.Client(base_url=sandbox.api_url, headers=headers, timeout=30) as client:
        yield client


def head(answer: dict[str, Any]) -> str:
    return str(answer["ref"]["target"]["oid"])


def test_the_same_query_text_with_other_variables_answers_for_each(sandbox, ask):
    one = sandbox.store.create_repo("up", "one", auto_init=True)
    two = sandbox.store.create_repo("up", "two", auto_init=True)
    assert ask(HEAD, "up", "one")["nameWithOwner"] == one.full_name
    assert ask(HEAD, "up", "two")["nameWithOwner"] == two.full_name
    assert head(ask(HEAD, "up", "two")) == sandbox.store.ref("up/two", "main")


def test_a_push_through_git_is_seen_by_the_next_query(sandbox, ask, tmp_path):
    sandbox.store.create_repo("up", "lib", auto_init=True)
    before = head(ask(HEAD, "up", "lib"))
    url = f"{sandbox.git_url}/up/lib.git"
    clone = tmp_path / "clone"

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=clone, capture_output=True, text=True, check=True, env=os.environ
        )
        return done.stdout.strip()

    subprocess.run(["git", "clone", "-q", url, str(clone)], check=True, env=os.environ)
    (clone / "new.txt").write_text("pushed\n")
    git("add", "new.txt")
    git("commit", "-q", "-m", "pushed")
    git("push", "-q", url.replace("http://", f"http://x:{sandbox.token}@"), "HEAD:main")
    after = head(ask(HEAD, "up", "lib"))
    assert after == git("rev-parse", "HEAD") != before


def test_a_rest_ref_update_is_seen_by_the_next_query(sandbox, ask, rest):
    store = sandbox.store
    store.create_repo("up", "lib", auto_init=True)
    first = head(ask(HEAD, "up", "lib"))
    second = store.commit_files("up/lib", "side", {"b": "b\n"}, "side", parent=first)
    moved = rest.patch("/repos/up/lib/git/refs/heads/main", json={"sha": second, "force": True})
    assert moved.status_code == 200, moved.text
    assert head(ask(HEAD, "up", "lib")) == second


def test_a_repository_created_over_rest_after_a_query_is_found(sandbox, ask, rest):
    sandbox.store.create_repo("up", "lib", auto_init=True)
    ask(PULLS, "up", "lib")
    made = rest.post("/user/repos", json={"name": "fresh", "auto_init": True})
    assert made.status_code == 201, made.text
    owner = made.json()["owner"]["login"]
    assert ask(HEAD, owner, "fresh")["nameWithOwner"] == f"{owner}/fresh"


def test_a_pull_request_from_a_fork_made_after_a_listing_shows_the_forks_head(sandbox, ask, rest):
    """The listing maps each pull request's head repository by id; a fork made after the
    first listing must be in that map, or its head would be looked up in the base (where
    the branch is missing) and the pull request read as closed."""
    store = sandbox.store
    store.create_repo("acme", "app", auto_init=True)
    local = store.commit_files("acme/app", "local", {"l": "local\n"}, "in the base")
    first = rest.post(
        "/repos/acme/app/pulls", json={"title": "local", "head": "local", "base": "main"}
    )
    assert first.status_code == 201, first.text
    assert ask(PULLS, "acme", "app")["pullRequests"]["totalCount"] == 1  # heads read once
    fork = rest.post("/repos/acme/app/forks", json={})
    assert fork.status_code == 202, fork.text
    fork_name = fork.json()["full_name"]
    fork_owner = fork_name.split("/")[0]
    pushed = store.commit_files(fork_name, "topic", {"f": "fork\n"}, "from the fork")
    opened = rest.post(
        "/repos/acme/app/pulls",
        json={"title": "from a fork", "head": f"{fork_owner}:topic", "base": "main"},
    )
    assert opened.status_code == 201, opened.text
    listed = ask(PULLS, "acme", "app")["pullRequests"]
    assert listed["totalCount"] == 2
    assert sorted(listed["nodes"], key=lambda n: n["number"]) == [
        {"number": first.json()["number"], "headRefOid": local},
        {"number": opened.json()["number"], "headRefOid": pushed},
    ]


def test_a_rename_after_a_query_answers_at_the_new_name_and_follows_the_old(sandbox, ask):
    sandbox.store.create_repo("up", "lib", auto_init=True)
    sha = head(ask(HEAD, "up", "lib"))
    sandbox.rename("up/lib", "up/renamed")
    assert ask(HEAD, "up", "renamed") == {
        "nameWithOwner": "up/renamed",
        "ref": {"target": {"oid": sha}},
    }
    assert ask(HEAD, "up", "lib")["nameWithOwner"] == "up/renamed"
