"""The sandbox's GraphQL mutations (updateRefs, createPullRequest, updatePullRequest) and
hooks, as bumper's ref and PR writes meet them.

The documents bumper sends and the sandbox's answers are checked against the subset of
GitHub's published schema in schemas/github-graphql-subset.graphql (see its README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import build_schema, graphql_sync, parse, validate

from bumper.github.graphql import (
    EDIT_WITH_BRANCH,
    NO_OID,
    OPEN_WITH_BRANCH,
    UPDATE_REFS,
    create_pull_input,
    graphql_query,
    range_field,
    range_from,
    repository_id_query,
    update_pull_input,
    update_refs_done,
    update_refs_input,
    written,
)
from bumper.sandbox.shapes import USER

SCHEMA = build_schema(
    (Path(__file__).parent / "schemas" / "github-graphql-subset.graphql").read_text()
)


@pytest.fixture
def ask(sandbox: Any) -> Any:
    headers = {"Authorization": f"bearer {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=30) as client:

        def post(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            reply = client.post(sandbox.graphql_url, json={"query": query, "variables": variables})
            assert reply.status_code == 200, reply.text
            return dict(reply.json())

        yield post


@pytest.fixture
def repo(sandbox: Any) -> Any:
    sandbox.store.create_repo("acme", "app", auto_init=True)
    return sandbox.store


def _commit(store: Any, branch: str, text: str) -> str:
    return str(store.commit_files("acme/app", branch, {"f": text}, f"set f to {text}"))


def _conforms(document: str, variables: dict[str, Any], data: dict[str, Any]) -> None:
    """The sandbox's ``data`` is what GitHub's schema lets that document answer: resolving
    the document over it (dicts resolve by key) gives it back, types and nulls checked."""
    again = graphql_sync(
        SCHEMA,
        document,
        root_value=data,
        variable_values=variables,
        field_resolver=_by_key,
        type_resolver=_commit_type,
    )
    assert again.errors is None and again.data == data, again.errors


def _by_key(source: Any, info: Any, **args: Any) -> Any:
    """A field's value in the answer, under its alias (the answer's key) or its name."""
    if isinstance(source, dict):
        return source.get(info.path.key, source.get(info.field_name))
    return None


def _commit_type(value: Any, info: Any, abstract: Any) -> str:
    """The GitObject an answered ``object`` is: every one these documents read is a Commit."""
    return str(value.get("__typename", "Commit")) if isinstance(value, dict) else "Commit"


def _repo_id(ask: Any) -> str:
    answer = ask(repository_id_query("acme", "app"))
    _conforms(repository_id_query("acme", "app"), {}, answer["data"])
    return str(answer["data"]["repository"]["id"])


def test_bumpers_documents_are_valid_against_githubs_schema() -> None:
    ranges = graphql_query([range_field("r0", "up", "lib", "a" * 40)])
    for text in (
        UPDATE_REFS,
        repository_id_query("acme", "app"),
        OPEN_WITH_BRANCH,
        EDIT_WITH_BRANCH,
        ranges,
    ):
        assert validate(SCHEMA, parse(text)) == []


def test_repository_id_is_the_rest_node_id(sandbox: Any, repo: Any, ask: Any) -> None:
    rest = httpx.get(
        f"{sandbox.api_url}/repos/acme/app",
        headers={"Authorization": f"token {sandbox.token}"},
        timeout=30,
    ).json()
    assert _repo_id(ask) == rest["node_id"]


def test_update_refs_moves_only_from_the_expected_head(repo: Any, ask: Any) -> None:
    first = _commit(repo, "b", "1")
    other = _commit(repo, "main", "2")
    variables = {"input": update_refs_input(_repo_id(ask), "b", first, other)}
    answer = ask(UPDATE_REFS, variables)
    assert answer == {"data": {"updateRefs": {"clientMutationId": None}}}
    _conforms(UPDATE_REFS, variables, answer["data"])
    assert update_refs_done(answer) == (True, "")
    assert repo.ref("acme/app", "b") == other

    # The same write again: "b" is no longer at ``first``; nothing changes (GitHub's shape).
    stale = ask(UPDATE_REFS, variables)
    assert stale["data"] == {"updateRefs": None}
    _conforms(UPDATE_REFS, variables, stale["data"])
    (error,) = stale["errors"]
    assert error["type"] == "STALE_DATA" and error["path"] == ["updateRefs"]
    assert "refs/heads/b" in error["message"] and error["locations"]
    assert update_refs_done(stale)[0] is False
    assert repo.ref("acme/app", "b") == other


def test_update_refs_is_atomic_and_deletes_with_zeros(repo: Any, ask: Any) -> None:
    a = _commit(repo, "a", "1")
    b = _commit(repo, "b", "2")
    repo_id = _repo_id(ask)
    both = {
        "repositoryId": repo_id,
        "refUpdates": [
            {"name": "refs/heads/a", "beforeOid": a, "afterOid": NO_OID},
            {"name": "refs/heads/b", "beforeOid": a, "afterOid": NO_OID},  # b is not at a
        ],
    }
    assert ask(UPDATE_REFS, {"input": both})["data"] == {"updateRefs": None}
    assert repo.ref("acme/app", "a") == a and repo.ref("acme/app", "b") == b

    gone = ask(UPDATE_REFS, {"input": update_refs_input(repo_id, "a", a, NO_OID)})
    assert update_refs_done(gone) == (True, "")
    assert repo.ref("acme/app", "a") is None
    # beforeOid of zeros: "must not exist yet"
    exists = ask(UPDATE_REFS, {"input": update_refs_input(repo_id, "b", NO_OID, a)})
    assert exists["data"] == {"updateRefs": None} and repo.ref("acme/app", "b") == b


def test_the_request_log_tells_mutations_from_queries(sandbox: Any, repo: Any, ask: Any) -> None:
    sandbox.clear_requests()
    repo_id = _repo_id(ask)
    head = str(repo.ref("acme/app", "main"))
    ask(UPDATE_REFS, {"input": update_refs_input(repo_id, "main", head, head)})
    kinds = [r.get("graphql") for r in sandbox.requests() if r["path"] == "/api/graphql"]
    assert kinds == ["query", "mutation"]
    assert all("graphql" not in r for r in sandbox.requests() if r["path"] != "/api/graphql")


def test_a_fault_can_hit_mutations_only(sandbox: Any, repo: Any, ask: Any) -> None:
    sandbox.add_fault(r"^/api/graphql$", None, 502, -1, graphql="mutation")
    repo_id = _repo_id(ask)  # a query: not faulted
    head = str(repo.ref("acme/app", "main"))
    with httpx.Client(headers={"Authorization": f"bearer {sandbox.token}"}) as client:
        body = {
            "query": UPDATE_REFS,
            "variables": {"input": update_refs_input(repo_id, "main", head, head)},
        }
        assert client.post(sandbox.graphql_url, json=body).status_code == 502


def test_a_hook_pushes_right_before_the_nth_matching_request(
    sandbox: Any, repo: Any, ask: Any
) -> None:
    admin = httpx.Client(base_url=sandbox.url, timeout=30)
    bad = admin.post("/_sandbox/hooks", json={"path": "x", "nth": 0})
    assert bad.status_code == 422 and "nth" in bad.json()["message"]
    hook = {
        "path": "^/api/graphql$",
        "graphql": "mutation",
        "nth": 2,
        "repository": "acme/app",
        "branch": "b",
        "files": {"person.txt": "mine\n"},
    }
    assert admin.post("/_sandbox/hooks", json=hook).status_code == 201
    first = _commit(repo, "b", "1")
    repo_id = _repo_id(ask)
    keep = ask(UPDATE_REFS, {"input": update_refs_input(repo_id, "b", first, first)})
    assert update_refs_done(keep)[0] and repo.ref("acme/app", "b") == first  # 1st: no push
    # The 2nd mutation meets the person's push first: its beforeOid no longer matches.
    lost = ask(UPDATE_REFS, {"input": update_refs_input(repo_id, "b", first, NO_OID)})
    assert lost["data"] == {"updateRefs": None}
    (listed,) = admin.get("/_sandbox/hooks").json()
    assert listed["pushed"] == repo.ref("acme/app", "b") != first
    assert admin.delete("/_sandbox/hooks").json() == {"removed": 1}
    admin.close()


def _rest_pulls(sandbox: Any) -> list[dict[str, Any]]:
    listed = httpx.get(
        f"{sandbox.api_url}/repos/acme/app/pulls",
        headers={"Authorization": f"token {sandbox.token}"},
        timeout=30,
    )
    return list(listed.json())


def _open(ask: Any, repo_id: str, branch: str, sha: str) -> tuple[dict[str, Any], dict[str, Any]]:
    variables = {
        "ref": update_refs_input(repo_id, branch, NO_OID, sha),
        "pull": create_pull_input(repo_id, branch, "main", "Bump lib", "the body"),
    }
    return ask(OPEN_WITH_BRANCH, variables), variables


def test_one_document_makes_the_branch_and_opens_its_pr(sandbox: Any, repo: Any, ask: Any) -> None:
    sha = _commit(repo, "work", "1")
    answer, variables = _open(ask, _repo_id(ask), "bumper/lib", sha)
    assert "errors" not in answer, answer
    _conforms(OPEN_WITH_BRANCH, variables, answer["data"])
    pull = answer["data"]["pull"]["pullRequest"]
    assert pull["headRefName"] == "bumper/lib" and pull["headRefOid"] == sha
    assert pull["state"] == "OPEN" and pull["title"] == "Bump lib"
    assert repo.ref("acme/app", "bumper/lib") == sha
    (rest,) = _rest_pulls(sandbox)
    assert rest["number"] == pull["number"] and rest["node_id"] == pull["id"]
    assert rest["user"]["login"] == USER  # the token's account, as over REST
    assert rest["body"] == "the body"


def test_a_refused_branch_does_not_stop_the_pr_after_it(sandbox: Any, repo: Any, ask: Any) -> None:
    """As on GitHub, the mutations of a document are not conditional on each other: with the
    branch there already (another pass made it), its creation is refused but the PR opens
    from what the branch holds; a second PR from it is refused."""
    theirs = _commit(repo, "bumper/lib", "theirs")
    mine = _commit(repo, "work", "mine")
    repo_id = _repo_id(ask)
    answer, variables = _open(ask, repo_id, "bumper/lib", mine)
    _conforms(OPEN_WITH_BRANCH, variables, answer["data"])
    assert answer["data"]["ref"] is None
    (error,) = answer["errors"]
    assert error["type"] == "STALE_DATA" and error["path"] == ["ref"]
    assert written(answer, "ref").done is False and written(answer, "pull").done is True
    assert answer["data"]["pull"]["pullRequest"]["headRefOid"] == theirs
    assert repo.ref("acme/app", "bumper/lib") == theirs

    again, _ = _open(ask, repo_id, "bumper/lib", mine)
    assert again["data"] == {"ref": None, "pull": None}
    refused = written(again, "pull")
    assert refused.kind == "UNPROCESSABLE"
    assert refused.message == "A pull request already exists for acme:bumper/lib."
    assert len(_rest_pulls(sandbox)) == 1


def test_a_pr_needs_its_head_branch(repo: Any, ask: Any) -> None:
    variables = {"input": create_pull_input(_repo_id(ask), "nowhere", "main", "t", "b")}
    document = (
        "mutation($input: CreatePullRequestInput!) {"
        " createPullRequest(input: $input) { pullRequest { number } } }"
    )
    answer = ask(document, variables)
    assert answer["data"] == {"createPullRequest": None}
    (error,) = answer["errors"]
    assert error["type"] == "UNPROCESSABLE" and error["path"] == ["createPullRequest"]


def test_the_pr_edit_runs_even_when_the_branch_move_is_refused(
    sandbox: Any, repo: Any, ask: Any
) -> None:
    first = _commit(repo, "work", "1")
    repo_id = _repo_id(ask)
    opened, _ = _open(ask, repo_id, "bumper/lib", first)
    pull = opened["data"]["pull"]["pullRequest"]
    person = _commit(repo, "bumper/lib", "a person's push")
    newer = _commit(repo, "work", "2")
    variables = {
        "ref": update_refs_input(repo_id, "bumper/lib", first, newer),  # no longer there
        "pull": update_pull_input(pull["id"], None, "says newer"),
    }
    answer = ask(EDIT_WITH_BRANCH, variables)
    _conforms(EDIT_WITH_BRANCH, variables, answer["data"])
    assert written(answer, "ref").kind == "STALE_DATA"
    assert answer["data"]["pull"]["pullRequest"] == {
        "id": pull["id"],
        "title": "Bump lib",
        "body": "says newer",
    }
    assert repo.ref("acme/app", "bumper/lib") == person
    (rest,) = _rest_pulls(sandbox)
    assert rest["body"] == "says newer"


def test_update_pull_request_refuses_what_it_cannot_do(repo: Any, ask: Any) -> None:
    document = (
        "mutation($input: UpdatePullRequestInput!) {"
        " updatePullRequest(input: $input) { pullRequest { id } } }"
    )
    unknown = ask(document, {"input": update_pull_input("nope", "t", None)})
    assert unknown["data"] == {"updatePullRequest": None}
    assert unknown["errors"][0]["type"] == "NOT_FOUND"
    sha = _commit(repo, "work", "1")
    opened, _ = _open(ask, _repo_id(ask), "bumper/lib", sha)
    pull_id = opened["data"]["pull"]["pullRequest"]["id"]
    closing = ask(document, {"input": {"pullRequestId": pull_id, "state": "CLOSED"}})
    assert closing["errors"][0]["type"] == "INVALID_ARGUMENTS"


def test_a_range_is_the_history_cut_at_the_old_commit(repo: Any, ask: Any) -> None:
    old = _commit(repo, "main", "1")
    middle = _commit(repo, "main", "2")
    new = _commit(repo, "main", "3")
    query = graphql_query([range_field("r0", "acme", "app", new)])
    answer = ask(query)
    _conforms(query, {}, answer["data"])
    found = range_from(answer["data"]["r0"], old)
    assert found is not None and found.complete
    assert found.commits == ((new, "set f to 3"), (middle, "set f to 2"))
    assert range_from(answer["data"]["r0"], "f" * 40) is None  # not behind it: REST says


def test_a_range_past_one_page_of_history_is_incomplete(repo: Any, ask: Any) -> None:
    old = _commit(repo, "main", "0")
    for n in range(1, 102):
        _commit(repo, "main", str(n))
    new = str(repo.ref("acme/app", "main"))
    answer = ask(graphql_query([range_field("r0", "acme", "app", new)]))
    found = range_from(answer["data"]["r0"], old)
    assert found is not None and not found.complete and len(found.commits) == 100
    assert found.commits[0] == (new, "set f to 101")
