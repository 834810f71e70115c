"""The forge's commits for pins outside one Makefile: several files in one commit, and a
submodule's gitlink, read and written through the git data API as on GitHub (no clone)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_pygithub_forge import TARGET, make_config

from bumper.config.settings import Secret
from bumper.github.forge import GITLINK, FileChange
from bumper.github.pygithub_forge import GitHubForge

OLD = "1" * 40
NEW = "a" * 40


@pytest.fixture
def target(sandbox: Any) -> Any:
    sandbox.store.create_repo("acme", "app", auto_init=True)
    sandbox.store.commit_files(
        TARGET,
        "main",
        {".gitmodules": '[submodule "sub"]\n\tpath = third_party/sub\n\turl = https://h/o/sub\n'},
        "add a submodule",
        gitlinks={"third_party/sub": OLD},
    )
    return sandbox


@pytest.fixture
def forge(target: Any) -> Iterator[GitHubForge]:
    with GitHubForge.from_config(make_config(target), Secret(target.token)) as f:
        yield f


def test_gitlink_reads_as_the_commit_it_pins_through_graphql(forge: GitHubForge) -> None:
    base = forge.base_head()
    got = forge.read_files(base.sha, ["third_party/sub"])["third_party/sub"]
    assert (got.text, got.mode, got.problem) == (OLD, GITLINK, None)


def test_gitlink_reads_as_the_commit_it_pins_through_the_contents_api(target: Any) -> None:
    with GitHubForge.from_config(make_config(target), None) as forge:
        base = forge.base_head()
        got = forge.read_files(base.sha, ["third_party/sub"])["third_party/sub"]
    assert (got.text, got.mode) == (OLD, GITLINK)


def test_one_commit_sets_a_gitlink_and_two_files(target: Any, forge: GitHubForge) -> None:
    base = forge.base_head()
    target.clear_requests()
    sha = forge.commit_files(
        base,
        [
            FileChange("third_party/sub", NEW, GITLINK),
            FileChange("a.sh", "A=1\n"),
            FileChange("tools/run", "#!/bin/sh\n", "100755"),
        ],
        "bump",
    )
    writes = [r["path"] for r in target.requests() if r["method"] == "POST"]
    assert writes == [f"/api/v3/repos/{TARGET}/git/trees", f"/api/v3/repos/{TARGET}/git/commits"]
    listing = target.store.git(TARGET, "ls-tree", "-r", sha).decode()
    assert f"160000 commit {NEW}\tthird_party/sub" in listing
    assert "100755 blob" in listing and "\ttools/run" in listing
    assert target.store.read_file(TARGET, sha, "a.sh") == b"A=1\n"
    assert target.store.read_file(TARGET, sha, "README.md") is not None  # the base's files stay
    change = forge.commit_change(sha)
    assert dict(change.files)["third_party/sub"] == NEW
