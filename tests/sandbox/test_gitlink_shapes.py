"""Submodules in the sandbox as on GitHub: a tree entry of mode 160000 and type commit is
accepted by the git data API, and the contents API and tree listings show it, each answer
validated against GitHub's published OpenAPI description."""

from __future__ import annotations

from typing import Any

from test_openapi import Checker, check  # noqa: F401 - the fixture

SHA = "a" * 40


def test_gitlink_written_and_read_back_as_github_shows_it(check: Checker, sandbox: Any) -> None:  # noqa: F811
    c = check
    c.call("POST", "/orgs/acme/repos", 201, json={"name": "w", "auto_init": True})
    repo = "/repos/acme/w"
    main = c.call("GET", f"{repo}/branches/main", 200)["commit"]["sha"]
    base_tree = c.call("GET", f"{repo}/git/commits/{main}", 200)["tree"]["sha"]
    modules = '[submodule "sub"]\n\tpath = third_party/sub\n\turl = https://github.com/o/sub\n'
    tree = c.call(
        "POST",
        f"{repo}/git/trees",
        201,
        json={
            "base_tree": base_tree,
            "tree": [
                {"path": "third_party/sub", "mode": "160000", "type": "commit", "sha": SHA},
                {"path": ".gitmodules", "mode": "100644", "type": "blob", "content": modules},
            ],
        },
    )["sha"]
    listed = c.call("GET", f"{repo}/git/trees/{tree}?recursive=1", 200)["tree"]
    assert {"path": "third_party/sub", "mode": "160000", "type": "commit", "sha": SHA}.items() <= {
        k: v for e in listed if e["path"] == "third_party/sub" for k, v in e.items()
    }.items()
    commit = c.call(
        "POST", f"{repo}/git/commits", 201, json={"message": "m", "tree": tree, "parents": [main]}
    )["sha"]
    item = c.call("GET", f"{repo}/contents/third_party/sub?ref={commit}", 200)
    assert (item["type"], item["sha"]) == ("submodule", SHA)
    assert item["submodule_git_url"] == "https://github.com/o/sub"
    # a gitlink with a mode that does not fit its type is refused, as on GitHub
    c.call(
        "POST",
        f"{repo}/git/trees",
        422,
        json={"tree": [{"path": "x", "mode": "160000", "type": "blob", "sha": SHA}]},
    )
