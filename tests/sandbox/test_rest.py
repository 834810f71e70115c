"""REST behaviour of the sandbox that a client notices beyond PyGithub's happy path."""

from __future__ import annotations

import base64
import json
import threading

import httpx
import pytest

from bumper.sandbox.app import Sandbox
from bumper.sandbox.http import Request
from bumper.sandbox.rest import RestApi
from bumper.sandbox.store import Store


@pytest.fixture
def api(sandbox):
    headers = {"Authorization": f"token {sandbox.token}"}
    with httpx.Client(base_url=sandbox.api_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def repo(sandbox):
    sandbox.store.create_repo("acme", "w", auto_init=True)
    return "/repos/acme/w"


def branch_with(sandbox, branch: str, files: dict, parent: str = "main") -> str:
    store = sandbox.store
    return store.commit_files(
        "acme/w", branch, files, f"{branch}", parent=store.ref("acme/w", parent)
    )


def test_writes_without_a_token_are_401_but_reads_work(sandbox, repo):
    with httpx.Client(base_url=sandbox.api_url, timeout=10) as anonymous:
        assert anonymous.get(repo).status_code == 200
        reply = anonymous.post(f"{repo}/git/blobs", json={"content": "x"})
        assert reply.status_code == 401
        assert reply.json()["message"] == "Requires authentication"
        assert anonymous.get("/user").status_code == 401


def test_malformed_json_is_400(api, repo):
    reply = api.post(f"{repo}/pulls", content=b'{"title": ')
    assert reply.status_code == 400
    assert reply.json()["message"] == "Problems parsing JSON"


def test_sha_media_type_answers_the_bare_sha(api, repo, sandbox):
    reply = api.get(f"{repo}/commits/main", headers={"Accept": "application/vnd.github.sha"})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    assert reply.text == sandbox.store.ref("acme/w", "main")


def test_raw_media_type_answers_file_bytes(api, repo):
    reply = api.get(f"{repo}/contents/README.md", headers={"Accept": "application/vnd.github.raw"})
    assert reply.content == b"# w\n"


def test_urls_follow_the_host_the_client_used(sandbox, repo):
    port = sandbox.port
    with httpx.Client(base_url=f"http://localhost:{port}/api/v3", timeout=10) as client:
        data = client.get(repo).json()
    assert data["url"] == f"http://localhost:{port}/api/v3/repos/acme/w"
    assert data["html_url"] == f"http://localhost:{port}/acme/w"
    assert data["owner"]["url"].startswith(f"http://localhost:{port}/api/v3/")


def test_renamed_repository_redirects_sub_paths_with_their_query(api, repo, sandbox):
    sandbox.rename("acme/w", "acme/v")
    reply = api.get(f"{repo}/pulls", params={"state": "all"}, follow_redirects=False)
    assert reply.status_code == 301
    assert reply.headers["location"] == f"{sandbox.api_url}/repos/acme/v/pulls?state=all"
    assert reply.json()["message"] == "Moved Permanently"
    assert api.get(f"{repo}/pulls", follow_redirects=True).status_code == 200


def test_pulls_list_links_to_every_page(api, repo, sandbox):
    for n in range(5):
        branch_with(sandbox, f"b{n}", {f"f{n}": "x"})
        api.post(f"{repo}/pulls", json={"title": f"t{n}", "head": f"b{n}", "base": "main"})
    first = api.get(f"{repo}/pulls", params={"per_page": 2})
    assert [p["title"] for p in first.json()] == ["t4", "t3"]  # newest first by default
    links = first.links
    assert links["last"]["url"].endswith("page=3")
    seen = [p["title"] for p in first.json()]
    url = links["next"]["url"]
    while url:
        page = api.get(url)
        seen += [p["title"] for p in page.json()]
        url = page.links.get("next", {}).get("url")
    assert seen == ["t4", "t3", "t2", "t1", "t0"]
    assert "next" not in api.get(f"{repo}/pulls", params={"per_page": 5}).links


def test_head_filter_needs_the_owner_form(api, repo, sandbox):
    branch_with(sandbox, "a", {"a": "1"})
    branch_with(sandbox, "b", {"b": "1"})
    for head in ("a", "b"):
        api.post(f"{repo}/pulls", json={"title": head, "head": head, "base": "main"})
    by_owner = api.get(f"{repo}/pulls", params={"head": "acme:a"}).json()
    assert [p["head"]["ref"] for p in by_owner] == ["a"]
    # as on GitHub, a bare branch name does not filter at all
    assert len(api.get(f"{repo}/pulls", params={"head": "a"}).json()) == 2


def test_duplicate_pull_is_422_with_githubs_wording(api, repo, sandbox):
    branch_with(sandbox, "dup", {"d": "1"})
    body = {"title": "t", "head": "dup", "base": "main"}
    assert api.post(f"{repo}/pulls", json=body).status_code == 201
    reply = api.post(f"{repo}/pulls", json=body)
    assert reply.status_code == 422
    assert reply.json()["message"] == "Validation Failed"
    assert reply.json()["errors"] == [
        {
            "resource": "PullRequest",
            "code": "custom",
            "message": "A pull request already exists for acme:dup.",
        }
    ]


def test_concurrent_creates_make_one_pull(api, repo, sandbox):
    branch_with(sandbox, "race", {"r": "1"})
    statuses: list[int] = []

    def create() -> None:
        with httpx.Client(base_url=sandbox.api_url, timeout=10) as client:
            reply = client.post(
                f"{repo}/pulls",
                json={"title": "t", "head": "race", "base": "main"},
                headers={"Authorization": f"token {sandbox.token}"},
            )
            statuses.append(reply.status_code)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 422, 422, 422]


def test_deleting_the_head_branch_closes_the_pull(api, repo, sandbox):
    branch_with(sandbox, "tmp", {"t": "1"})
    number = api.post(f"{repo}/pulls", json={"title": "t", "head": "tmp", "base": "main"}).json()[
        "number"
    ]
    assert api.delete(f"{repo}/git/refs/heads/tmp").status_code == 204
    pull = api.get(f"{repo}/pulls/{number}").json()
    assert pull["state"] == "closed" and pull["merged"] is False


def test_fast_forward_ref_update_needs_no_force(api, repo, sandbox):
    main = sandbox.store.ref("acme/w", "main")
    ahead = branch_with(sandbox, "next", {"n": "1"})
    reply = api.patch(f"{repo}/git/refs/heads/main", json={"sha": ahead})
    assert reply.status_code == 200
    assert sandbox.store.ref("acme/w", "main") == ahead
    reply = api.patch(f"{repo}/git/refs/heads/main", json={"sha": main})
    assert reply.status_code == 422
    assert reply.json()["message"] == "Update is not a fast forward"


def test_trees_nest_paths_delete_with_null_and_take_content(api, repo, sandbox):
    main = sandbox.store.ref("acme/w", "main")
    base = api.get(f"{repo}/git/commits/{main}").json()["tree"]["sha"]
    tree = api.post(
        f"{repo}/git/trees",
        json={
            "base_tree": base,
            "tree": [
                {"path": "a/b/c.txt", "mode": "100644", "type": "blob", "content": "deep\n"},
                {"path": "README.md", "mode": "100644", "type": "blob", "sha": None},
                {"path": "run.sh", "mode": "100755", "type": "blob", "content": "#!/bin/sh\n"},
            ],
        },
    )
    assert tree.status_code == 201
    listing = api.get(f"{repo}/git/trees/{tree.json()['sha']}", params={"recursive": 1}).json()
    entries = {e["path"]: (e["mode"], e["type"]) for e in listing["tree"]}
    assert entries == {
        "a": ("040000", "tree"),
        "a/b": ("040000", "tree"),
        "a/b/c.txt": ("100644", "blob"),
        "run.sh": ("100755", "blob"),
    }


def test_bad_tree_entries_are_422(api, repo):
    bad = [
        {"path": "x", "mode": "100644", "type": "blob", "sha": "f" * 40},
        {"path": "x", "mode": "040000", "type": "blob", "content": "x"},
    ]
    for entry in bad:
        assert api.post(f"{repo}/git/trees", json={"tree": [entry]}).status_code == 422


def test_blobs_round_trip_bytes(api, repo):
    raw = bytes(range(256))
    sha = api.post(
        f"{repo}/git/blobs", json={"content": base64.b64encode(raw).decode(), "encoding": "base64"}
    ).json()["sha"]
    blob = api.get(f"{repo}/git/blobs/{sha}").json()
    assert base64.b64decode(blob["content"]) == raw
    assert blob["size"] == 256


def test_commit_author_and_date_are_kept(api, repo, sandbox):
    main = sandbox.store.ref("acme/w", "main")
    tree = api.get(f"{repo}/git/commits/{main}").json()["tree"]["sha"]
    author = {"name": "Ann", "email": "ann@example.invalid", "date": "2020-01-02T03:04:05Z"}
    made = api.post(
        f"{repo}/git/commits",
        json={"message": "m\n", "tree": tree, "parents": [main], "author": author},
    ).json()
    assert made["author"] == author
    assert made["parents"][0]["sha"] == main
    assert (
        api.post(f"{repo}/git/commits", json={"message": "m", "tree": "0" * 40}).status_code == 422
    )


def test_contents_put_without_sha_on_an_existing_file_is_422(api, repo):
    body = {"message": "m", "content": base64.b64encode(b"x").decode()}
    assert api.put(f"{repo}/contents/README.md", json=body).status_code == 422


def test_contents_put_into_an_empty_repository_makes_the_first_commit(api, sandbox):
    sandbox.store.create_repo("acme", "empty")
    body = {"message": "first", "content": base64.b64encode(b"hi\n").decode()}
    reply = api.put("/repos/acme/empty/contents/hello.txt", json=body)
    assert reply.status_code == 201
    assert sandbox.store.read_file("acme/empty", "main", "hello.txt") == b"hi\n"


def test_compare_reports_divergence(api, repo, sandbox):
    branch_with(sandbox, "left", {"l": "1"})
    branch_with(sandbox, "right", {"r": "1"})
    data = api.get(f"{repo}/compare/left...right").json()
    assert (data["status"], data["ahead_by"], data["behind_by"]) == ("diverged", 1, 1)
    assert data["merge_base_commit"]["sha"] == sandbox.store.ref("acme/w", "main")


def test_empty_repository_lists_are_409(api, sandbox):
    sandbox.store.create_repo("acme", "bare")
    assert api.get("/repos/acme/bare/commits").status_code == 409
    assert api.get("/repos/acme/bare/branches").json() == []


def test_organisations_exist_on_first_use_but_the_user_is_no_organisation(api):
    assert api.get("/orgs/anything").json()["login"] == "anything"
    assert api.get("/orgs/sandbox").status_code == 404
    assert api.post("/orgs/fresh/repos", json={"name": "r"}).status_code == 201
    assert api.get("/users/fresh").json()["type"] == "Organization"
    assert api.get("/users/sandbox").json()["type"] == "User"


def test_unknown_paths_are_404(api, repo):
    assert api.get(f"{repo}/nothing").status_code == 404
    assert api.get("/nothing").status_code == 404
    assert api.delete(f"{repo}/pulls").status_code == 404


def test_pull_state_survives_a_restart(tmp_path):
    with Sandbox(data_dir=tmp_path) as first:
        first.store.create_repo("acme", "w", auto_init=True)
        first.store.commit_files(
            "acme/w", "p", {"p": "1"}, "p", parent=first.store.ref("acme/w", "main")
        )
        with httpx.Client(base_url=first.api_url, timeout=10) as client:
            client.post(
                "/repos/acme/w/pulls",
                json={"title": "kept", "head": "p", "base": "main"},
                headers={"Authorization": f"token {first.token}"},
            )
    with (
        Sandbox(data_dir=tmp_path) as second,
        httpx.Client(base_url=second.api_url, timeout=10) as client,
    ):
        assert [p["title"] for p in client.get("/repos/acme/w/pulls").json()] == ["kept"]


def test_handlers_are_plain_functions_of_a_request(tmp_path):
    store = Store(tmp_path)
    store.create_repo("o", "r", auto_init=True)
    api = RestApi(store, token="t")
    req = Request(
        method="GET",
        path="/api/v3/repos/o/r/branches/main",
        query={},
        headers={},
        body=b"",
        base_url="http://example.invalid:1",
    )
    reply = api.handle(req)
    assert reply.status == 200
    assert json.loads(reply.body)["commit"]["sha"] == store.ref("o/r", "main")
