"""PURE: which commits of a PR branch are replayed onto bumper's rebuilt pin commit."""

from __future__ import annotations

import pytest

from bumper.bump.carry import Commit, NotReplayed, replay_plan

PIN = Commit("a" * 40, ("0" * 40,), "Update lib\n", ("bumper", "b@x", "1 +0000"), "e" * 40)
FIX = Commit("b" * 40, (PIN.sha,), "Fix the build\n", ("A Person", "p@x", "2 +0000"))
MORE = Commit("c" * 40, (FIX.sha,), "And the docs\n", ("A Person", "p@x", "3 +0000"))


def test_the_commits_above_bumpers_are_replayed_oldest_first() -> None:
    plan = replay_plan([MORE, FIX, PIN])
    assert plan.pin == PIN and plan.above == (FIX, MORE)


def test_a_branch_of_bumpers_commit_alone_replays_nothing() -> None:
    assert replay_plan([PIN]).above == ()


@pytest.mark.parametrize(
    ("branch", "why"),
    [
        ([FIX], "no longer holds bumper's commit"),
        ([Commit("d" * 40, (FIX.sha, "9" * 40), "Merge main\n", FIX.author), PIN], "merge"),
        ([FIX, PIN, Commit("d" * 40, ("0" * 40,), "Earlier\n", FIX.author)], "would be lost"),
    ],
    ids=["amended", "merge-above", "commits-below"],
)
def test_what_cannot_be_carried_says_why(branch: list[Commit], why: str) -> None:
    with pytest.raises(NotReplayed, match=why):
        replay_plan(branch)
