"""GitHubForge with the real PyGithub against the sandbox: reads, writes, retries, counts."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bumper.config.settings import Config, GitHubSettings, Secret, TargetSettings
from bumper.errors import ForgeError
from bumper.github.http import request_kind
from bumper.github.pygithub_forge import GitHubForge

TARGET = "acme/app"


def make_config(sandbox: Any, **github: Any) -> Config:
    settings = dict(
        api_url=sandbox.api_url,
        git_url=sandbox.git_url,
        web_url=sandbox.url,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    settings.update(github)
    return Config(
        path=Path("bumper.yaml"),
        github=GitHubSettings(**settings),  # type: ignore[arg-type]
        target=TargetSettings(repository=TARGET),
    )


@pytest.fixture
def target(sandbox: Any) -> Any:
    sandbox.store.create_repo("acme", "app", auto_init=True)
    return sandbox


@pytest.fixture
def forge(target: Any) -> Iterator[GitHubForge]:
    with GitHubForge.from_config(make_config(target), Secret(target.token)) as f:
        yield f


def sandbox_counts(sandbox: Any) -> dict[str, int]:
    import httpx

    counts: Counter[str] = Counter()
    for r in sandbox.requests():
        kind = request_kind(httpx.URL(sandbox.url + r["path"]))
        counts[kind] += 1
        if r["status"]:
            counts[f"{kind}_{r['status']}"] += 1
    return dict(counts)


def test_request_counts_match_the_sandbox_log_retries_included(
    target: Any, forge: GitHubForge
) -> None:
    target.clear_requests()
    target.add_fault(r"/branches/main$", status=502)
    target.add_fault(r"/pulls$", kind="drop")
    base = forge.base_head()
    forge.read_files(base.sha, ["README.md"])
    assert forge.open_pulls() == []
    assert forge.branch("nope") is None
    counts = {k: v for k, v in forge.request_counts().items() if v}
    assert counts == sandbox_counts(target)
    assert counts["rest_502"] == 1 and counts["rest"] == 5  # base x2, listing x2, branch


def test_base_files_are_read_in_one_query_per_hundred_and_byte_exact(
    target: Any, forge: GitHubForge
) -> None:
    odd = "A?=1\r\nB := caf\u00e9 \t\n# no final newline"
    files: dict[str, str | bytes] = {f"dir/{i}.mk": f"V{i}?=x\n" for i in range(150)}
    files |= {"odd.mk": odd, "b.bin": b"\0\1\2"}
    target.store.commit_files(TARGET, "main", files, "many files")
    base = forge.base_head()
    target.clear_requests()
    got = forge.read_files(base.sha, [*files, "missing.mk", "odd.mk"])
    assert [r["path"] for r in target.requests()] == ["/api/graphql", "/api/graphql"]
    assert got["odd.mk"].text == odd
    assert got["dir/7.mk"].text == "V7?=x\n"
    assert got["b.bin"].binary and got["b.bin"].text is None
    assert got["missing.mk"].text is None and got["missing.mk"].problem is not None


def test_without_a_token_files_come_from_the_contents_api(target: Any) -> None:
    target.store.commit_files(TARGET, "main", {"Makefile": "A?=1\n", "b.bin": b"\0\1\2"}, "x")
    with GitHubForge.from_config(make_config(target), None) as forge:
        base = forge.base_head()
        got = forge.read_files(base.sha, ["Makefile", "b.bin", "gone"])
    assert got["Makefile"].text == "A?=1\n"
    assert got["b.bin"].binary
    assert got["gone"].text is None and not got["gone"].binary


def test_commit_is_built_on_the_base_without_a_clone(target: Any, forge: GitHubForge) -> None:
    base = forge.base_head()
    sha = forge.make_commit(base, "sub/Makefile", "A?=2\n", "msg\n\nBumper-Pin: A x sub/Makefile")
    assert forge.create_branch("update/A", sha) is True
    assert target.store.read_file(TARGET, "update/A", "sub/Makefile") == b"A?=2\n"
    assert target.store.read_file(TARGET, "update/A", "README.md") is not None
    branch = forge.branch("update/A")
    assert branch is not None and branch.head.sha == sha and branch.head.parents == (base.sha,)


def test_creating_a_branch_that_exists_changes_nothing(target: Any, forge: GitHubForge) -> None:
    base = forge.base_head()
    first = forge.make_commit(base, "f", "1\n", "one")
    second = forge.make_commit(base, "f", "2\n", "two")
    assert forge.create_branch("b", first) is True
    assert forge.create_branch("b", second) is False
    assert target.store.ref(TARGET, "b") == first
    forge.move_branch("b", second, expected=first)
    assert target.store.ref(TARGET, "b") == second
    forge.delete_branch("b", expected=second)
    forge.delete_branch("b", expected=second)  # gone already is fine
    assert target.store.ref(TARGET, "b") is None


def test_opening_a_pr_that_is_open_already_adopts_it(target: Any, forge: GitHubForge) -> None:
    base = forge.base_head()
    forge.create_branch("update/A", forge.make_commit(base, "f", "1\n", "one"))
    first, created = forge.create_pull("update/A", "title", "body")
    second, again = forge.create_pull("update/A", "other title", "other body")
    assert (created, again) == (True, False)
    assert second.number == first.number and second.title == "title"
    assert [p.number for p in forge.open_pulls()] == [first.number]


def test_rate_limit_reset_beyond_the_bound_fails_fast(target: Any) -> None:
    config = make_config(target, max_rate_limit_wait=5)
    with GitHubForge.from_config(config, Secret(target.token)) as forge:
        target.fault_rate_limit(r"/branches/main$", reset_in=3600)
        start = time.monotonic()
        with pytest.raises(ForgeError, match=r"(?i)rate limit"):
            forge.base_head()
    assert time.monotonic() - start < 3


def test_retry_after_is_capped_by_the_bound(target: Any) -> None:
    config = make_config(target, max_rate_limit_wait=0.2)
    with GitHubForge.from_config(config, Secret(target.token)) as forge:
        target.fault_secondary_limit(r"/branches/main$", retry_after=600, status=429)
        start = time.monotonic()
        assert forge.base_head().sha
    assert time.monotonic() - start < 3


def test_errors_name_the_call_and_never_the_token(target: Any, forge: GitHubForge) -> None:
    target.add_fault(r"/pulls$", status=404)
    with pytest.raises(ForgeError) as caught:
        forge.open_pulls()
    message = str(caught.value)
    assert "open PRs" in message and target.token not in message


def test_missing_app_key_is_a_clear_error(target: Any, tmp_path: Path) -> None:
    config = make_config(target, app_id=12, app_private_key=str(tmp_path / "app.pem"))
    with pytest.raises(ForgeError, match=r"app_private_key.*app\.pem"):
        GitHubForge.from_config(config, None)


def test_no_target_repository_is_a_clear_error(target: Any) -> None:
    config = make_config(target)
    config = Config(path=config.path, github=config.github)
    with pytest.raises(ForgeError, match=r"target\.repository"):
        GitHubForge.from_config(config, None)


def test_a_lost_answer_to_a_pr_create_adopts_the_pr_it_made(
    target: Any, forge: GitHubForge
) -> None:
    base = forge.base_head()
    forge.create_branch("update/A", forge.make_commit(base, "f", "1\n", "one"))
    target.add_fault(r"/pulls$", method="POST", status=None, kind="truncate")
    pr, _ = forge.create_pull("update/A", "title", "body")
    assert [p.number for p in forge.open_pulls()] == [pr.number]


def test_a_single_5xx_on_an_edit_is_retried(target: Any, forge: GitHubForge) -> None:
    base = forge.base_head()
    forge.create_branch("update/A", forge.make_commit(base, "f", "1\n", "one"))
    pr, _ = forge.create_pull("update/A", "title", "body")
    target.add_fault(r"/pulls/\d+$", method="PATCH", status=503)
    forge.edit_pull(pr.number, title="new title")
    assert forge.open_pulls()[0].title == "new title"


def test_open_prs_are_listed_across_pages(target: Any) -> None:
    from github import Auth, Github

    gh = Github(
        base_url=target.api_url,
        auth=Auth.Token(target.token),
        seconds_between_requests=0,
        seconds_between_writes=0,
        lazy=True,
    )
    with GitHubForge(gh, target=TARGET, base="main", page_size=2) as forge:
        base = forge.base_head()
        for n in range(3):
            forge.create_branch(f"b{n}", forge.make_commit(base, "f", f"{n}\n", f"c{n}"))
            forge.create_pull(f"b{n}", f"t{n}", "")
        target.clear_requests()
        assert sorted(p.title for p in forge.open_pulls()) == ["t0", "t1", "t2"]
    assert [r["path"] for r in target.requests()] == [f"/api/v3/repos/{TARGET}/pulls"] * 2
