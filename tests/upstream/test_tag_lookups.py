"""Rows following release tags, looked up against the sandbox: GraphQL pages of refs with a
token, one git ls-refs (ref-prefix refs/tags/, peel) without; annotated tags peeled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_upstream import settled_requests

from bumper.config.settings import GitHubSettings, LookupSettings, Secret
from bumper.errors import UpstreamError
from bumper.github import graphql as builders
from bumper.github.http import RequestCounter, new_client
from bumper.model import Entry, Head, tags_key
from bumper.sandbox.seed import advance_upstream, tag_upstream
from bumper.upstream import lookup_heads
from bumper.upstream.pktline import ls_refs_request

REPO = "grpc/grpc"


@pytest.fixture
def upstream(sandbox: Any) -> dict[str, str]:
    """Semver releases (lightweight and annotated), pre-releases newer than them, junk tags
    and a branch; tag name -> commit."""
    store = sandbox.store
    store.create_repo("grpc", "grpc", auto_init=True)
    made = {}
    for name, annotated in [
        ("v1.64.0", True),
        ("v1.65.0", False),
        ("v1.66.1", True),
        ("v1.10.0", False),  # made later, but older: version order, not tag order
        ("v1.67.0-rc1", True),
        ("latest", False),
        ("nightly-20991231", True),
        ("v2.0.0-beta.2", False),
    ]:
        made[name] = tag_upstream(store, REPO, "main", name, annotated=annotated)
    advance_upstream(store, REPO, "main")  # the branch moves on past every tag
    return made


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with new_client(timeout=5, counter=RequestCounter()) as c:
        yield c


def look(sandbox: Any, client: httpx.Client, keys: list[str], *, token: bool) -> dict[Any, Any]:
    entries = [Entry(REPO, f"V{i}", key, "Makefile", follow="tags") for i, key in enumerate(keys)]
    sandbox.clear_requests()
    return lookup_heads(
        entries,
        client=client,
        github=GitHubSettings(api_url=sandbox.api_url, git_url=sandbox.git_url),
        lookup=LookupSettings(allow_http=True, backoff_seconds=0, retries=1),
        token=Secret(sandbox.token) if token else None,
        sleep=lambda _: None,
    )


@pytest.mark.parametrize("token", [True, False], ids=["graphql", "git"])
def test_the_newest_release_is_followed_with_annotated_tags_peeled(
    sandbox: Any, client: httpx.Client, upstream: dict[str, str], token: bool
) -> None:
    keys = [tags_key(None, False), tags_key("v1.6[45].*", False), tags_key(None, True)]
    answers = look(sandbox, client, keys, token=token)
    newest = answers[(REPO, keys[0])]
    assert isinstance(newest, Head)
    # v1.66.1 is annotated: the commit, never the tag object, is what a sha pin gets
    assert (newest.tag, newest.sha) == ("v1.66.1", upstream["v1.66.1"])
    assert [name for name, _ in newest.above] == ["v1.67.0-rc1", "v2.0.0-beta.2"]
    globbed = answers[(REPO, keys[1])]
    assert isinstance(globbed, Head) and (globbed.tag, globbed.sha) == (
        "v1.65.0",
        upstream["v1.65.0"],
    )
    pre = answers[(REPO, keys[2])]
    assert isinstance(pre, Head) and pre.tag == "v2.0.0-beta.2"
    # one request answers all three rows
    paths = [r["path"] for r in settled_requests(sandbox)]
    assert paths == (["/api/graphql"] if token else ["/grpc/grpc.git/git-upload-pack"])


def test_graphql_reads_every_page_of_a_long_tag_list(
    sandbox: Any, client: httpx.Client, upstream: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builders, "TAGS_PAGE", 3)
    answers = look(sandbox, client, [tags_key(None, False)], token=True)
    head = answers[(REPO, tags_key(None, False))]
    assert isinstance(head, Head) and head.tag == "v1.66.1"
    assert [r["path"] for r in settled_requests(sandbox)] == ["/api/graphql"] * 3  # 8 tags


def test_more_tags_than_a_few_pages_are_read_in_one_git_request_instead(
    sandbox: Any, client: httpx.Client, upstream: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(builders, "TAGS_PAGE", 2)  # 8 tags: 4 pages, more than 3
    answers = look(sandbox, client, [tags_key(None, False)], token=True)
    head = answers[(REPO, tags_key(None, False))]
    assert isinstance(head, Head) and (head.tag, head.sha) == ("v1.66.1", upstream["v1.66.1"])
    assert [r["path"] for r in settled_requests(sandbox)] == [
        "/api/graphql",
        "/grpc/grpc.git/git-upload-pack",
    ]


@pytest.mark.parametrize("token", [True, False], ids=["graphql", "git"])
def test_no_matching_release_fails_the_row_saying_so(
    sandbox: Any, client: httpx.Client, upstream: dict[str, str], token: bool
) -> None:
    key = tags_key("v3.*", False)
    answer = look(sandbox, client, [key], token=token)[(REPO, key)]
    assert isinstance(answer, UpstreamError)
    assert str(answer) == "grpc/grpc: no release tag matching 'v3.*' among its 8 tags"


def test_a_branch_and_tags_of_one_repository_share_one_ls_refs(
    sandbox: Any, client: httpx.Client, upstream: dict[str, str]
) -> None:
    entries = [
        Entry(REPO, "A", "main", "Makefile"),
        Entry(REPO, "B", tags_key(None, False), "Makefile", follow="tags"),
    ]
    sandbox.clear_requests()
    answers = lookup_heads(
        entries,
        client=client,
        github=GitHubSettings(api_url=sandbox.api_url, git_url=sandbox.git_url),
        lookup=LookupSettings(allow_http=True, backoff_seconds=0, retries=1),
        token=None,
    )
    assert isinstance(answers[(REPO, "main")], Head)
    tag = answers[(REPO, tags_key(None, False))]
    assert isinstance(tag, Head) and tag.tag == "v1.66.1"
    assert len(settled_requests(sandbox)) == 1


def test_ls_refs_asks_for_tags_with_peel() -> None:
    body = ls_refs_request(["main"], tags=True)
    assert b"peel\n" in body and b"ref-prefix refs/heads/main\n" in body
    assert b"ref-prefix refs/tags/\n" in body
    assert b"refs/tags/" not in ls_refs_request(["main"])
