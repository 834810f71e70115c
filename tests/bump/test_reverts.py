"""Revert memory: a sha a merged bumper PR brought in and the base undid is not proposed
again; the next upstream sha is. Through the sandbox, with real merges and a real revert."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from test_publish import LIB, TARGET, World, one

from bumper.bump.run import run_pass
from bumper.model import Result, Status


@pytest.fixture
def world(sandbox: Any) -> Iterator[World]:
    w = World(sandbox)
    yield w
    w.close()


def _pass(world: World, snapshot: bool) -> Result:
    """One pass: run-once's (the pass's GraphQL reads, with a token) or publish's own reads."""
    if not snapshot:
        return one(world.run())
    config = dataclasses.replace(world.config, matrix=(LIB,))
    report = run_pass(config, environ={"GITHUB_TOKEN": world.sb.token})
    return one(list(report.results))


def _merge_then_revert(world: World, snapshot: bool) -> tuple[Result, str]:
    upstream = world.upstream_commit(title="Broken in synthesis")
    opened = _pass(world, snapshot)
    assert opened.status is Status.BUMPED, opened.message
    world.gh.get_repo(TARGET).get_pull(opened.pr).merge(merge_method="squash")
    assert upstream in world.base_file()
    world.store.commit_files(
        TARGET, "main", {"Makefile": world.makefile}, f"Revert LIB_VERSION to {upstream[:12]}"
    )
    return opened, upstream


@pytest.mark.parametrize("snapshot", [True, False], ids=["graphql-reads", "rest-reads"])
def test_a_reverted_sha_is_not_proposed_again_but_the_next_one_is(
    world: World, snapshot: bool
) -> None:
    opened, upstream = _merge_then_revert(world, snapshot)
    world.sb.clear_requests()
    again = _pass(world, snapshot)
    assert again.status is Status.SKIPPED
    assert again.message.startswith(
        f"upstream {upstream[:12]} came in with PR #{opened.pr} and was undone on main since"
    )
    assert "the next upstream commit will be" in again.message
    assert world.writes() == [] and world.pulls() == []

    later = world.upstream_commit(title="Fix synthesis")
    bumped = _pass(world, snapshot)
    assert bumped.status is Status.BUMPED, bumped.message
    assert bumped.new == later and bumped.pr != opened.pr
    [pr] = world.pulls()
    assert pr.number == bumped.pr and later in pr.body


def test_remembering_costs_no_request_with_the_passs_graphql_reads(world: World) -> None:
    _merge_then_revert(world, snapshot=True)
    world.sb.clear_requests()
    assert _pass(world, snapshot=True).status is Status.SKIPPED
    # the same as a pass where nothing changed: the one GraphQL query
    assert [(r["method"], r["path"]) for r in world.sb.requests()] == [("POST", "/api/graphql")]


def test_a_fresh_pass_that_never_saw_the_pr_decides_the_same(world: World) -> None:
    # nothing is kept between passes: a new World-less pass from the config alone
    _, upstream = _merge_then_revert(world, snapshot=False)
    for snapshot in (True, False):
        result = _pass(world, snapshot)
        assert result.status is Status.SKIPPED and upstream[:12] in result.message


def test_a_merged_sha_the_base_still_holds_is_simply_up_to_date(world: World) -> None:
    upstream = world.upstream_commit()
    opened = _pass(world, snapshot=True)
    world.gh.get_repo(TARGET).get_pull(opened.pr).merge()
    result = _pass(world, snapshot=True)
    assert result.status is Status.UP_TO_DATE and result.new == upstream
