"""What opening and updating one PR costs in requests, counted in the sandbox's request log.

A `bumper run-once` pass with a token reads everything it plans from in one GraphQL query
(upstream heads, the target's base, files, open PRs, bumper's branches and the repository's
node id); every request after it is spent on the PR, except one GraphQL query per pass
reading the upstream commits of every moved pin for the PR bodies (ceil(moved/50) queries,
however many PRs are written). An open is the git data API's tree and commit, one GraphQL
document making the branch (updateRefs) and opening the PR (createPullRequest), and the
labels (4: issue 18's target); an update is the tree and commit and one GraphQL document
moving the branch and editing the PR (3). Before issue 18 they were 6 and 5 plus a node id
read per pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from bumper.cli import main

TARGET = "acme/app"
TOKEN_ENV = "BUMPER_WRITE_REQUESTS_TOKEN"
OPEN_AT_MOST = 4  # tree, commit, branch + PR, labels
UPDATE_AT_MOST = 3  # tree, commit, branch move + PR edit


def _config(sandbox: Any, root: Path) -> Path:
    path = root / "bumper.yaml"
    path.write_text(
        "\n".join(
            [
                "github:",
                f"  api_url: {sandbox.api_url}",
                f"  git_url: {sandbox.git_url}",
                f"  token_env: {TOKEN_ENV}",
                "  seconds_between_requests: 0",
                "  seconds_between_writes: 0",
                "target:",
                f"  repository: {TARGET}",
                "lookup:",
                "  allow_http: true",
                "matrix:",
                "  - repository: up/lib",
                "    variable: LIB_VERSION",
                "    branch: main",
                "    file: Makefile",
            ]
        )
        + "\n"
    )
    return path


def _advance(sandbox: Any) -> None:
    n = len(sandbox.store.git("up/lib", "rev-list", "main").split())
    sandbox.store.commit_files("up/lib", "main", {f"f{n}": f"{n}\n"}, f"change {n}")


def _pass(sandbox: Any, config: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The requests of one pass spent on its PR, as ``METHOD path`` (``POST /api/graphql
    mutation`` for a mutation): all after its reading query but the per-pass read of the
    commit lists, which this checks is at most one query."""
    sandbox.clear_requests()
    code = main(["run-once", "--config", str(config), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"bumped"' in out, out
    log = [
        f"{r['method']} {r['path']} {r.get('graphql') or ''}".strip() for r in sandbox.requests()
    ]
    assert log[0] == "POST /api/graphql query", log  # the pass's one read
    per_pass = [line for line in log[1:] if line == "POST /api/graphql query"]
    assert len(per_pass) <= 1, log  # the commit lists of every moved pin, together
    return [line for line in log[1:] if line != "POST /api/graphql query"]


def test_opening_and_updating_a_pr_stay_within_the_counted_requests(
    sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.setenv(TOKEN_ENV, sandbox.token)
    store = sandbox.store
    store.create_repo("up", "lib", auto_init=True)
    store.create_repo("acme", "app", auto_init=True)
    pin = store.ref("up/lib", "main")
    store.commit_files(TARGET, "main", {"Makefile": f"LIB_VERSION ?= {pin}\n"}, "Pin lib")
    config = _config(sandbox, tmp_path)

    _advance(sandbox)
    opened = _pass(sandbox, config, capsys)
    assert len(opened) <= OPEN_AT_MOST, "\n".join(opened)

    _advance(sandbox)
    updated = _pass(sandbox, config, capsys)
    assert len(updated) <= UPDATE_AT_MOST, "\n".join(updated)
    assert not any(line == f"POST /api/v3/repos/{TARGET}/pulls" for line in updated)
    # the body lists the upstream commits (read with GraphQL, no REST compare per PR)
    assert not any("/compare/" in line for line in opened + updated)
    listed = httpx.get(
        f"{sandbox.api_url}/repos/{TARGET}/pulls",
        headers={"Authorization": f"token {sandbox.token}"},
        timeout=30,
    )
    (pr,) = listed.json()
    assert "Commits (2):" in pr["body"] and "change 2" in pr["body"], pr["body"]
