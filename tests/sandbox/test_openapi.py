"""Every REST answer of a scripted flow validates against GitHub's own OpenAPI description.

The description and its conversion for jsonschema are in openapi.py (schemas/ holds the
prose-free subset of GitHub's description that it reads).
"""

from __future__ import annotations

import base64
import re
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest
from openapi import spec


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    found = []
    for template in spec()["paths"]:
        last = template.endswith("{path}") or template.endswith("{ref}")
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if last:  # a path or ref may hold slashes
            pattern = pattern[: -len("[^/]+")] + ".+"
        found.append((re.compile(pattern + r"\Z"), template))
    # the most specific template first: fewer placeholders, then more literal text
    found.sort(key=lambda item: (item[1].count("{"), -len(item[1])))
    return found


def template_of(path: str) -> str:
    for pattern, template in _templates():
        if pattern.match(path):
            return template
    raise AssertionError(f"no OpenAPI path for {path}")


def response_schema(template: str, method: str, status: int) -> dict[str, Any] | None:
    operation = spec()["paths"][template][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {template} may not answer {status}"
    if "$ref" in response:
        response = spec()["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


class Checker:
    """Validates replies and remembers which operations were covered."""

    def __init__(self, client: httpx.Client, api: str) -> None:
        self.client = client
        self.api = api
        self.covered: set[tuple[str, str, int]] = set()

    def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        reply = self.client.request(method, self.api + path, **kwargs)
        assert reply.status_code == status, (method, path, reply.status_code, reply.text)
        template = template_of(path.split("?", 1)[0])
        schema = response_schema(template, method, status)
        data = reply.json() if reply.content else None
        if schema is not None:
            root = {"allOf": [schema], "components": spec()["components"]}
            jsonschema.Draft4Validator(root).validate(data)
        self.covered.add((method.upper(), template, status))
        return data


@pytest.fixture
def check(sandbox):
    headers = {"Authorization": f"token {sandbox.token}"}
    with httpx.Client(headers=headers, timeout=10, follow_redirects=False) as client:
        yield Checker(client, sandbox.api_url)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_the_scripted_flow_matches_githubs_schemas(check):
    c = check
    c.call("GET", "/user", 200)
    c.call("POST", "/user/repos", 201, json={"name": "mine"})
    c.call("POST", "/orgs/acme/repos", 201, json={"name": "w", "auto_init": True})
    c.call("POST", "/orgs/acme/repos", 422, json={"name": "w"})
    c.call("GET", "/orgs/acme/repos", 200)
    c.call("GET", "/user/repos", 200)
    repo = "/repos/acme/w"
    c.call("GET", repo, 200)
    c.call("GET", "/repos/acme/nope", 404)
    c.call("GET", f"{repo}/branches", 200)
    main = c.call("GET", f"{repo}/branches/main", 200)["commit"]["sha"]
    c.call("GET", f"{repo}/tags", 200)

    blob = c.call("POST", f"{repo}/git/blobs", 201, json={"content": "X?=1\n"})["sha"]
    c.call("GET", f"{repo}/git/blobs/{blob}", 200)
    base_tree = c.call("GET", f"{repo}/git/commits/{main}", 200)["tree"]["sha"]
    tree = c.call(
        "POST",
        f"{repo}/git/trees",
        201,
        json={
            "base_tree": base_tree,
            "tree": [{"path": "mk/Makefile", "mode": "100644", "type": "blob", "sha": blob}],
        },
    )["sha"]
    c.call("GET", f"{repo}/git/trees/{tree}?recursive=1", 200)
    commit = c.call(
        "POST", f"{repo}/git/commits", 201, json={"message": "m", "tree": tree, "parents": [main]}
    )["sha"]
    c.call("POST", f"{repo}/git/refs", 201, json={"ref": "refs/heads/bump", "sha": commit})
    c.call("POST", f"{repo}/git/refs", 422, json={"ref": "refs/heads/bump", "sha": commit})
    c.call("GET", f"{repo}/git/ref/heads/bump", 200)
    c.call("GET", f"{repo}/git/ref/heads/none", 404)
    c.call("GET", f"{repo}/git/matching-refs/heads/b", 200)
    c.call("PATCH", f"{repo}/git/refs/heads/bump", 422, json={"sha": main})
    c.call("PATCH", f"{repo}/git/refs/heads/bump", 200, json={"sha": commit, "force": True})
    c.call("POST", f"{repo}/git/refs", 201, json={"ref": "refs/heads/gone", "sha": main})
    c.call("DELETE", f"{repo}/git/refs/heads/gone", 204)

    c.call("GET", f"{repo}/commits?sha=bump&per_page=1", 200)
    c.call("GET", f"{repo}/commits/bump", 200)
    c.call("GET", f"{repo}/commits/nothing-here", 422)
    c.call("GET", f"{repo}/compare/main...bump", 200)

    readme = c.call("GET", f"{repo}/contents/README.md?ref=main", 200)
    c.call("GET", f"{repo}/contents/mk?ref=bump", 200)
    c.call("GET", f"{repo}/contents/missing.txt", 404)
    put = {"message": "edit", "content": b64("new\n"), "sha": readme["sha"], "branch": "bump"}
    c.call("PUT", f"{repo}/contents/README.md", 200, json=put)
    c.call("PUT", f"{repo}/contents/README.md", 409, json=put)
    created = c.call(
        "PUT", f"{repo}/contents/new.txt", 201, json={"message": "add", "content": b64("n")}
    )
    c.call(
        "DELETE",
        f"{repo}/contents/new.txt",
        200,
        json={"message": "rm", "sha": created["content"]["sha"]},
    )

    pull = c.call("POST", f"{repo}/pulls", 201, json={"title": "t", "head": "bump", "base": "main"})
    number = pull["number"]
    c.call("POST", f"{repo}/pulls", 422, json={"title": "t", "head": "bump", "base": "main"})
    c.call("GET", f"{repo}/pulls?head=acme:bump&state=all", 200)
    c.call("GET", f"{repo}/pulls/{number}", 200)
    # the commit list with authors (pr.adopt_authors) and the patches (a maintainer's PR)
    commits = c.call("GET", f"{repo}/pulls/{number}/commits", 200)
    assert commits[0]["sha"] == commit and all(x["commit"]["author"]["email"] for x in commits)
    files = c.call("GET", f"{repo}/pulls/{number}/files", 200)
    assert "+X?=1" in {f["filename"]: f.get("patch") for f in files}["mk/Makefile"]
    c.call("PATCH", f"{repo}/pulls/{number}", 200, json={"body": "b"})
    c.call("POST", f"{repo}/issues/{number}/comments", 201, json={"body": "hi"})
    c.call("GET", f"{repo}/issues/{number}/comments", 200)
    c.call("POST", f"{repo}/issues/{number}/labels", 200, json={"labels": ["bump"]})
    c.call("PUT", f"{repo}/issues/{number}/labels", 200, json=["a", "b"])
    c.call("GET", f"{repo}/issues/{number}/labels", 200)
    c.call("DELETE", f"{repo}/issues/{number}/labels", 204)
    c.call("GET", f"{repo}/pulls/{number}/merge", 404)
    c.call("PUT", f"{repo}/pulls/{number}/merge", 200, json={"merge_method": "merge"})
    c.call("GET", f"{repo}/pulls/{number}/merge", 204)
    c.call("PUT", f"{repo}/pulls/{number}/merge", 405)
    c.call("GET", f"{repo}/pulls/{number}", 200)

    issue = c.call("POST", f"{repo}/issues", 201, json={"title": "i", "body": "b"})
    c.call("GET", f"{repo}/issues?state=all", 200)
    c.call("GET", f"{repo}/issues/{issue['number']}", 200)
    c.call("PATCH", f"{repo}/issues/{issue['number']}", 200, json={"state": "closed"})
    c.call("PATCH", repo, 200, json={"allow_auto_merge": True})

    head = c.call("GET", f"{repo}/commits/main", 200)["sha"]
    c.call("POST", f"{repo}/statuses/{head}", 201, json={"state": "success", "context": "ci"})
    c.call("GET", f"{repo}/commits/main/status", 200)
    c.call("GET", f"{repo}/commits/main/statuses", 200)
    c.call("GET", f"{repo}/commits/main/check-runs", 200)
    c.call("GET", f"{repo}/releases/latest", 404)
    c.call("POST", f"{repo}/forks", 202, json={"organization": "bots"})
    c.call("GET", f"{repo}/forks", 200)

    check.client.post(
        check.api.removesuffix("/api/v3") + "/_sandbox/rename",
        json={"from": "acme/w", "to": "acme/w2"},
    )
    moved = c.call("GET", repo, 301)
    assert moved["url"].endswith("/api/v3/repos/acme/w2")

    implemented = {
        (method, template)
        for template, operations in spec()["paths"].items()
        for method in operations
        if template.startswith(("/repos/{owner}/{repo}", "/user", "/orgs/{org}/repos"))
    }
    covered = {(method.lower(), template) for method, template, _ in check.covered}
    unimplemented = {
        ("delete", "/repos/{owner}/{repo}"),
        ("patch", "/user"),
        ("get", "/repos/{owner}/{repo}/installation"),
    }
    assert implemented - unimplemented - covered == set()


def test_errors_match_githubs_schemas(check):
    c = check
    c.call("POST", "/orgs/acme/repos", 201, json={"name": "e", "auto_init": True})
    c.call("POST", "/repos/acme/e/pulls", 422, json={"title": "t", "head": "main", "base": "main"})
    c.call("POST", "/repos/acme/e/pulls", 422, json={"head": "x", "base": "main"})
    c.call("GET", "/repos/acme/e/git/blobs/" + "0" * 40, 404)
    reply = check.client.post(check.api + "/repos/acme/e/git/refs", content=b"{not json")
    assert reply.status_code == 400
    assert reply.json()["message"] == "Problems parsing JSON"
