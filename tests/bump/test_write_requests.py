"""What opening and updating one PR costs in requests, counted in the sandbox's request log.

A `bumper run-once` pass with a token reads everything it plans from in one GraphQL query
(upstream heads, the target's base, files, open PRs and bumper's branches); every request
after it is spent on the PR. Today an open is the git data API's tree and commit, the branch,
the upstream comparison for the body, the PR and its labels (6); an update is the tree and
commit, the conditional branch move (GraphQL updateRefs, after one read of the repository's
node id per pass), the comparison and the PR edit (5, plus that read). Issue 18 aims at 4 and
3: these bounds keep what is reached, and are lowered as requests are folded together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bumper.cli import main

TARGET = "acme/app"
TOKEN_ENV = "BUMPER_WRITE_REQUESTS_TOKEN"
OPEN_AT_MOST = 6  # issue 18's target: 4
UPDATE_AT_MOST = 6  # 5 per PR and the node id read once per pass; issue 18's target: 3


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
    """The requests of one pass after its reading query, as ``METHOD path``."""
    sandbox.clear_requests()
    code = main(["run-once", "--config", str(config), "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"bumped"' in out, out
    log = [f"{r['method']} {r['path']}" for r in sandbox.requests()]
    assert log[0] == "POST /api/graphql", log  # the pass's one read
    return log[1:]


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
