"""The dashboard: one issue in the target listing every pin, edited only when its text
changes; through the sandbox, plus the pure render's guarantees about outside text."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from test_publish import LIB, TARGET, TOOL, World

from bumper.bump.dashboard import MARK, render
from bumper.bump.run import PassReport, run_pass
from bumper.config.settings import DashboardSettings
from bumper.model import Entry, Result, Status
from bumper.sandbox.pulls import tracker

HELD = dataclasses.replace(TOOL, hold="upstream broke CUDA, see #123 @maintainer")


@pytest.fixture
def world(sandbox: Any) -> Iterator[World]:
    w = World(sandbox)
    w.config = dataclasses.replace(
        w.config, matrix=(LIB, HELD), dashboard=DashboardSettings(title="Pins")
    )
    yield w
    w.close()


def _pass(world: World) -> PassReport:
    return run_pass(world.config, environ={"GITHUB_TOKEN": world.sb.token})


def _issues(world: World) -> list[Any]:
    repo = world.gh.get_repo(TARGET)
    return [i for i in repo.get_issues(state="all") if i.pull_request is None]


def _issue_writes(world: World) -> list[tuple[str, str]]:
    return [(m, p) for m, p in world.writes() if "/issues" in p and "/labels" not in p]


def test_one_issue_lists_every_pin_and_unchanged_passes_write_nothing(world: World) -> None:
    world.upstream_commit()
    first = _pass(world)
    assert first.dashboard is not None and first.dashboard.written == "created"
    [issue] = _issues(world)
    assert issue.number == first.dashboard.issue and issue.title == "Pins"
    assert issue.user.login == "sandbox" and issue.state == "open"
    body = issue.body
    assert body.splitlines()[0] == MARK
    lib = next(r for r in first.results if r.entry == LIB)
    assert "### Held (1)" in body and "### Pull request open (1)" in body
    assert f"pinned `{lib.old[:12]}` · upstream `{lib.new[:12]}` · 1 commit behind" in body
    assert f"PR #{lib.pr}" in body
    assert "hold: `upstream broke CUDA, see #123 @maintainer`" in body

    for _ in range(2):  # the PR is current now: the text must not differ from what it says
        world.sb.clear_requests()
        again = _pass(world)
        assert again.dashboard is not None and again.dashboard.written == ""
        assert world.writes() == []
        assert _issues(world)[0].body == body
    assert len(_issues(world)) == 1


def test_a_change_edits_the_same_issue(world: World) -> None:
    first = _pass(world)
    assert first.dashboard is not None
    world.upstream_commit()
    world.sb.clear_requests()
    moved = _pass(world)
    assert moved.dashboard is not None and moved.dashboard.written == "edited"
    number = first.dashboard.issue
    assert _issue_writes(world) == [("PATCH", f"/api/v3/repos/{TARGET}/issues/{number}")]
    [issue] = _issues(world)
    assert "### Pull request open (1)" in issue.body

    world.config = dataclasses.replace(world.config, dashboard=DashboardSettings(title="New"))
    _pass(world)
    [issue] = _issues(world)
    assert issue.number == number and issue.title == "New"


def test_someone_elses_issue_with_the_mark_is_never_taken(world: World) -> None:
    repo = world.gh.get_repo(TARGET)
    forged = repo.create_issue(title="Pins", body=f"{MARK}\nmine, do not touch")
    board_of = tracker(world.store)
    with world.store.lock:  # the sandbox has one user's token: seed who opened it
        board = board_of.board(world.store.info(TARGET).id)
        board.issues[forged.number].user = "mallory"
        board_of.save(board)
    report = _pass(world)
    assert report.dashboard is not None and report.dashboard.issue != forged.number
    assert repo.get_issue(forged.number).body == f"{MARK}\nmine, do not touch"
    assert repo.get_issue(forged.number).state == "open"


def test_a_failing_pin_shows_its_failure_inert(world: World) -> None:
    broken = Entry(repository="up/gone", variable="GONE_VERSION", branch="main", file="Makefile")
    world.config = dataclasses.replace(world.config, matrix=(LIB, broken))
    report = _pass(world)
    assert report.failed
    [issue] = _issues(world)
    assert "### Failing (1)" in issue.body and "failure: `" in issue.body


def test_dry_run_and_only_leave_the_dashboard_alone(world: World) -> None:
    dry = run_pass(world.config, dry_run=True, environ={"GITHUB_TOKEN": world.sb.token})
    only = run_pass(world.config, only=["LIB_VERSION"], environ={"GITHUB_TOKEN": world.sb.token})
    assert dry.dashboard is None and only.dashboard is None and _issues(world) == []


# -- the pure render ------------------------------------------------------------------


def _result(**fields: Any) -> Result:
    base: dict[str, Any] = {"entry": LIB, "status": Status.UP_TO_DATE, "old": "a" * 40}
    base["new"] = base["old"]
    return Result(**{**base, **fields})


def test_outside_text_cannot_ping_link_or_forge_the_mark() -> None:
    evil = "fixes #1 @here <!-- bumper-dashboard --> ![x](http://e/x.png) `code`\nline2"
    held = dataclasses.replace(LIB, hold=evil)
    body = render(
        [
            _result(entry=held, status=Status.HELD, new=None),
            _result(status=Status.FAILED, message=evil + " token ghp_" + "A" * 36),
        ]
    )
    assert body.count("<!--") == 2  # the mark and the state line, nothing else
    assert "ghp_" not in body
    for line in body.splitlines():
        if "fixes #1" in line:
            assert "`` fixes #1 @here <\u200b!-- bumper-dashboard --> ![x](http://e/x.png)" in line
    assert "\nline2" not in body


def test_pins_are_grouped_by_state_trouble_first() -> None:
    waiting = _result(status=Status.SKIPPED, gate="min_age 2d: waiting: none of ...")
    skipped = _result(entry=TOOL, status=Status.SKIPPED, message="closed without merging")
    body = render([waiting, skipped, _result(status=Status.FAILED, message="boom")])
    assert body.index("### Failing (1)") < body.index("### Waiting for a gate (1)")
    assert body.index("### Waiting for a gate (1)") < body.index("### Left alone (1)")
    assert "why: `closed without merging`" in body and "gate: `min_age 2d" in body


def test_the_text_depends_on_state_not_on_what_the_pass_did() -> None:
    opened = _result(status=Status.BUMPED, new="b" * 40, pr=3, behind=4, message="opened PR #3")
    later = dataclasses.replace(
        opened, status=Status.UP_TO_DATE, behind=None, message="PR #3 is current"
    )
    first = render([opened])
    assert render([later], first) == first  # the behind count is kept from the issue
    gated = _result(gate="head cccccccccccc is 3 h old; min_age 36h: chose ...")
    assert render([gated]) == render(
        [dataclasses.replace(gated, gate=gated.gate.replace("is 3 h", "is 5 h"))]
    )
