"""pr.automerge through the sandbox: GitHub's auto-merge turned on where it has something
to wait for, else bumper merges once the checks are green; never a PR with people's commits
unless `always`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_publish import LIB, TARGET, World, one

from bumper.bump.automerge import Candidate, Next, decide
from bumper.bump.run import run_pass
from bumper.config.settings import PrSettings
from bumper.github.forge import PullInfo
from bumper.model import Result, Status


@pytest.fixture
def world(sandbox: Any) -> Iterator[World]:
    w = World(sandbox)
    w.config = dataclasses.replace(w.config, pr=PrSettings(automerge=True), matrix=(LIB,))
    yield w
    w.close()


def _pass(world: World, snapshot: bool = True) -> Result:
    if not snapshot:
        return one(world.run())
    return one(list(run_pass(world.config, environ={"GITHUB_TOKEN": world.sb.token}).results))


def _allow(world: World, *, required: list[str]) -> None:
    api = world.sb.api_url
    headers = {"Authorization": f"token {world.sb.token}"}
    httpx.patch(f"{api}/repos/{TARGET}", json={"allow_auto_merge": True}, headers=headers)
    httpx.post(
        f"{world.sb.url}/_sandbox/required-checks",
        json={"repository": TARGET, "contexts": required},
    ).raise_for_status()


def _status(world: World, sha: str, state: str) -> None:
    headers = {"Authorization": f"token {world.sb.token}"}
    httpx.post(
        f"{world.sb.api_url}/repos/{TARGET}/statuses/{sha}",
        json={"state": state, "context": "ci"},
        headers=headers,
    ).raise_for_status()


def _mutations(world: World) -> int:
    return sum(1 for r in world.sb.requests() if r.get("graphql") == "mutation")


def _merges(world: World) -> list[str]:
    return [path for method, path in world.writes() if method == "PUT"]


@pytest.mark.parametrize("snapshot", [True, False], ids=["graphql-reads", "rest-reads"])
def test_auto_merge_is_turned_on_and_the_pr_merges_itself_once_green(
    world: World, snapshot: bool
) -> None:
    _allow(world, required=["ci"])
    upstream = world.upstream_commit()
    opened = _pass(world, snapshot)
    assert opened.status is Status.BUMPED, opened.message
    assert f"auto-merge is on for PR #{opened.pr}" in opened.message
    pr = world.gh.get_repo(TARGET).get_pull(opened.pr)
    assert pr.raw_data["auto_merge"]["merge_method"] == "merge"

    world.sb.clear_requests()
    assert _pass(world, snapshot).status is Status.UP_TO_DATE
    assert world.writes() == [] and _mutations(world) == 0  # on already: GitHub merges it

    _status(world, pr.head.sha, "success")
    assert world.gh.get_repo(TARGET).get_pull(opened.pr).merged
    assert upstream in world.base_file()
    world.sb.clear_requests()
    assert _pass(world, snapshot).status is Status.UP_TO_DATE
    assert world.writes() == [] and _mutations(world) == 0


def test_where_github_has_nothing_to_wait_for_bumper_merges_once_green(world: World) -> None:
    _allow(world, required=[])
    upstream = world.upstream_commit()
    opened = _pass(world)
    assert opened.status is Status.BUMPED
    assert opened.message.endswith(
        f"PR #{opened.pr} is merged by bumper once its checks are green (none reported yet)"
    )
    head = world.gh.get_repo(TARGET).get_pull(opened.pr).head.sha

    _status(world, head, "pending")
    world.sb.clear_requests()
    waiting = _pass(world)
    assert waiting.status is Status.UP_TO_DATE and "(pending)" in waiting.message
    assert world.writes() == [] and _mutations(world) == 0
    # the PR's head checks ride in the pass's one GraphQL query: waiting costs nothing more
    assert [(r["method"], r["path"]) for r in world.sb.requests()] == [("POST", "/api/graphql")]

    _status(world, head, "failure")
    assert "(failure)" in _pass(world).message
    assert not world.gh.get_repo(TARGET).get_pull(opened.pr).merged

    _status(world, head, "success")
    world.sb.clear_requests()
    merged = _pass(world)
    assert merged.message.endswith(f"; merged PR #{opened.pr}: its checks are green")
    assert _merges(world) == [f"/api/v3/repos/{TARGET}/pulls/{opened.pr}/merge"]
    assert upstream in world.base_file()
    world.sb.clear_requests()
    assert _pass(world).status is Status.UP_TO_DATE
    assert world.writes() == [] and _mutations(world) == 0


def test_a_repository_without_auto_merge_gets_github_s_reason(world: World) -> None:
    world.upstream_commit()
    opened = _pass(world)
    assert opened.status is Status.BUMPED
    assert "auto-merge: turn on auto-merge for PR" in opened.message
    assert "Auto merge is not allowed for this repository" in opened.message
    assert not world.gh.get_repo(TARGET).get_pull(opened.pr).merged


def test_a_row_can_turn_it_off(world: World) -> None:
    _allow(world, required=["ci"])
    world.config = dataclasses.replace(
        world.config, matrix=(dataclasses.replace(LIB, automerge=False),)
    )
    world.upstream_commit()
    opened = _pass(world)
    assert "auto-merge" not in opened.message
    assert world.gh.get_repo(TARGET).get_pull(opened.pr).raw_data["auto_merge"] is None


def _candidate(*, written: bool, bumpers: bool, on: bool = False) -> Candidate:
    pr = PullInfo(1, "", "update/X", "acme", "a" * 40, "main", "", "", "open", False)
    return Candidate(dataclasses.replace(pr, auto_merge=on), "a" * 40, written, bumpers)


@pytest.mark.parametrize(
    ("setting", "written", "bumpers", "on", "expected"),
    [
        (False, True, True, False, Next.NOTHING),
        (True, True, True, False, Next.ENABLE),
        (True, False, True, False, Next.MERGE_IF_GREEN),
        (True, False, True, True, Next.NOTHING),
        (True, True, False, False, Next.PEOPLE),  # people's commits: never with `true`
        (True, False, False, True, Next.PEOPLE),
        ("always", True, False, False, Next.ENABLE),
        ("always", False, False, False, Next.MERGE_IF_GREEN),
    ],
)
def test_who_gets_auto_merged(
    setting: bool | str, written: bool, bumpers: bool, on: bool, expected: Next
) -> None:
    assert decide(setting, _candidate(written=written, bumpers=bumpers, on=on)) is expected
