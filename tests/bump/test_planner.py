"""The rules of docs/pr-rules.md, one row each, decided by the pure planner."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from bumper.bump.planner import Do, Facts, Limits, plan, would
from bumper.bump.prtext import Marker, commit_message
from bumper.config.settings import PrSettings
from bumper.github.forge import BranchInfo, CommitChange, CommitInfo, PullInfo
from bumper.model import Entry

ENTRY = Entry(repository="up/lib", variable="LIB_VERSION", branch="main", file="Makefile")
OLD, NEW, NEWER = "a" * 40, "b" * 40, "c" * 40
BASE, BASE2 = "1" * 40, "2" * 40
PUSHED, PERSONS = "e" * 40, "f" * 40
TITLE = "chore: update"


def marker(**changes: Any) -> Marker:
    fields = dict(
        file="Makefile",
        variable="LIB_VERSION",
        repository="up/lib",
        upstream=NEW,
        old=OLD,
        base=BASE,
        commit=PUSHED,
    )
    fields.update(changes)
    return Marker(**fields)  # type: ignore[arg-type]


def pull(head: str = PUSHED, **changes: Any) -> PullInfo:
    fields = dict(
        number=7,
        url="http://x/pull/7",
        head_branch="update/LIB_VERSION",
        head_owner="me",
        head_sha=head,
        base="main",
        title=TITLE,
        body="",
        state="open",
        merged=False,
        labels=("dependencies",),
    )
    fields.update(changes)
    return PullInfo(**fields)  # type: ignore[arg-type]


def bumper_branch(upstream: str = NEW, parent: str = BASE, sha: str = PUSHED) -> BranchInfo:
    message = commit_message(PrSettings(), ENTRY, OLD, upstream)
    return BranchInfo("update/LIB_VERSION", CommitInfo(sha, message, (parent,)))


BASE_TEXT = f"# pins\nLIB_VERSION ?= {OLD}\n"


def _blob(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def bumpers(branch: BranchInfo, **change: Any) -> dict[str, Any]:
    """Facts of a looked-up branch whose head is exactly what bumper builds (``change``:
    what differs from that)."""
    trailer = branch.head.message.split("Bumper-Pin: LIB_VERSION ")[1][:40]
    fields = dict(
        sha=branch.head.sha,
        files=(("Makefile", _blob(BASE_TEXT.replace(OLD, trailer))),),
        author="bumper-bot",
        committer="bumper-bot",
    )
    fields.update(change)
    return dict(
        branch_known=True,
        branch=branch,
        change=CommitChange(**fields),  # type: ignore[arg-type]
        parent_text=BASE_TEXT,
        account="Bumper-Bot",
    )


def persons_branch() -> BranchInfo:
    return BranchInfo("update/LIB_VERSION", CommitInfo(PERSONS, "fix the build\n", (PUSHED,)))


def facts(**changes: Any) -> Facts:
    base = Facts(
        entry=ENTRY,
        branch_name="update/LIB_VERSION",
        base=BASE,
        base_branch="main",
        pin=OLD,
        upstream=NEW,
        title=TITLE,
        labels=("dependencies",),
        limits=Limits(max_open=10, max_new_per_run=10, open_now=0),
    )
    return dataclasses.replace(base, **changes)


OPEN = dict(pr=pull(), marker=marker())

# (rule, situation, facts, expected action, push)
TABLE = [
    (1, "nothing moved, no PR", facts(pin=NEW), Do.NOTHING, False),
    (2, "open PR carries the sha, base unmoved", facts(**OPEN), Do.NOTHING, False),
    (3, "upstream moved again", facts(upstream=NEWER, **OPEN), Do.UPDATE, True),
    (4, "the base moved", facts(base=BASE2, **OPEN), Do.UPDATE, True),
    (
        5,
        "a person pushed to the PR branch",
        facts(pr=pull(head=PERSONS), marker=marker(), branch_known=True, branch=persons_branch()),
        Do.SKIP,
        False,
    ),
    (
        5,
        "a person's branch without a PR",
        facts(branch_known=True, branch=persons_branch(), closed_unmerged=frozenset()),
        Do.SKIP,
        False,
    ),
    (6, "closed unmerged for this sha", facts(closed_unmerged=frozenset({NEW})), Do.SKIP, False),
    (7, "the base has the sha, PR still open", facts(pin=NEW, **OPEN), Do.CLOSE, False),
    (
        8,
        "branch with bumper's commit, no PR",
        facts(**bumpers(bumper_branch()), closed_unmerged=frozenset()),
        Do.CREATE,
        False,
    ),
    (
        8,
        "branch with bumper's commit for an older sha, no PR",
        facts(**bumpers(bumper_branch(upstream=OLD)), closed_unmerged=frozenset()),
        Do.CREATE,
        True,
    ),
    (
        10,
        "max_open reached",
        facts(limits=Limits(max_open=3, max_new_per_run=10, open_now=3)),
        Do.SKIP,
        False,
    ),
    (
        10,
        "max_new_per_run reached",
        facts(limits=Limits(max_open=10, max_new_per_run=1, open_now=1, opened_this_pass=1)),
        Do.SKIP,
        False,
    ),
    (
        11,
        "this pin's PR is open from another branch",
        facts(elsewhere=pull(head_branch="bump/LIB_VERSION")),
        Do.SKIP,
        False,
    ),
    (
        12,
        "bumper's PR was moved to another base",
        facts(upstream=NEWER, pr=pull(base="release"), marker=marker()),
        Do.SKIP,
        False,
    ),
    (
        13,
        "a PR from bumper's branch that another account opened",
        facts(foreign=pull(author="alice")),
        Do.SKIP,
        False,
    ),
    (
        4,
        "the base moved; the PR still merges (pr.rebase: conflicted)",
        facts(base=BASE2, rebase="conflicted", pr=pull(mergeable="MERGEABLE"), marker=marker()),
        Do.NOTHING,
        False,
    ),
    (
        4,
        "the base moved; the PR conflicts (pr.rebase: conflicted)",
        facts(base=BASE2, rebase="conflicted", pr=pull(mergeable="CONFLICTING"), marker=marker()),
        Do.UPDATE,
        True,
    ),
    (
        14,
        "upstream moved past a PR a person pushed to (pr.carry_commits)",
        facts(
            upstream=NEWER,
            carry=True,
            pr=pull(head=PERSONS),
            marker=marker(),
            branch_known=True,
            branch=persons_branch(),
        ),
        Do.CARRY,
        False,
    ),
    (
        15,
        "a maintainer's open PR changes this pin already",
        facts(closed_unmerged=frozenset(), rivals=(pull(number=9, head_branch="alice/lib"),)),
        Do.SKIP,
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule", "situation", "given", "expected", "push"),
    TABLE,
    ids=[f"rule{row[0]}-{row[1]}" for row in TABLE],
)
def test_rule(rule: int, situation: str, given: Facts, expected: Do, push: bool) -> None:
    action = plan(given)
    assert action.do is expected, action
    assert action.push is push
    assert action.rule == rule


def test_every_rule_but_nine_has_a_row() -> None:
    # Rule 9 (422 "already exists" on create) is the forge's answer, tested end to end.
    assert {row[0] for row in TABLE} == {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15}


def test_unknown_mergeable_is_no_conflict_and_unread_is_looked_up() -> None:
    moved = dict(base=BASE2, rebase="conflicted", marker=marker())
    assert plan(facts(pr=pull(), **moved)).do is Do.LOOK_UP_MERGEABLE
    kept = plan(facts(pr=pull(mergeable="UNKNOWN"), **moved))
    assert kept.do is Do.NOTHING and "still merges cleanly" in kept.reason
    read = plan(facts(pr=pull(), mergeable="CONFLICTING", **moved))
    assert read.do is Do.UPDATE and "no longer merged cleanly" in read.reason


def test_a_pr_kept_on_an_older_base_is_refreshed_without_moving_its_base() -> None:
    action = plan(
        facts(
            base=BASE2,
            rebase="conflicted",
            pr=pull(mergeable="MERGEABLE", title="old"),
            marker=marker(),
        )
    )
    assert action.do is Do.EDIT and action.built_on == BASE and not action.push


def test_upstream_moving_always_rebuilds_even_when_the_pr_merges() -> None:
    action = plan(
        facts(
            upstream=NEWER,
            base=BASE2,
            rebase="conflicted",
            pr=pull(mergeable="MERGEABLE"),
            marker=marker(),
        )
    )
    assert action.do is Do.UPDATE and action.push


def test_a_pr_left_alone_says_so_once_upstream_moved_on() -> None:
    touched = dict(pr=pull(head=PERSONS), branch_known=True, branch=persons_branch())
    off = plan(facts(upstream=NEWER, carry=False, marker=marker(), **touched))
    assert off.do is Do.SKIP and off.tell and "carry_commits is off" in off.reason
    # upstream has not moved past what bumper pushed: nothing to tell
    same = plan(facts(carry=True, marker=marker(), **touched))
    assert same.do is Do.SKIP and not same.tell
    moved = plan(facts(upstream=NEWER, pr=pull(base="release"), marker=marker()))
    assert moved.tell
    assert not plan(facts(pr=pull(base="release"), marker=marker())).tell


def test_rivals_are_looked_up_only_before_opening_a_pr() -> None:
    asked = plan(facts(closed_unmerged=frozenset(), rivals=None))
    assert asked.do is Do.LOOK_UP_RIVALS
    assert plan(facts(pin=NEW, rivals=None)).do is Do.NOTHING  # up to date: no look-up
    assert plan(facts(rivals=None, **OPEN)).do is Do.NOTHING  # bumper's PR is open


def test_an_adopted_pr_is_updated_in_place_over_the_old_bots_commit() -> None:
    old_bot = BranchInfo("update/LIB_VERSION", CommitInfo(PERSONS, "Bump lib\n", (BASE,)))
    given = facts(pr=pull(head=PERSONS), adopted=True, branch_known=True, branch=old_bot)
    action = plan(given)
    assert action.do is Do.UPDATE and action.push and action.branch_exists


def test_nothing_changed_needs_no_look_up() -> None:
    assert plan(facts(**OPEN)).do is Do.NOTHING
    assert plan(facts(pin=NEW)).do is Do.NOTHING


def test_a_new_pr_asks_for_closed_prs_then_the_branch_then_creates() -> None:
    first = facts()
    assert plan(first).do is Do.LOOK_UP_CLOSED
    second = dataclasses.replace(first, closed_unmerged=frozenset())
    assert plan(second).do is Do.LOOK_UP_BRANCH
    third = dataclasses.replace(second, branch_known=True, branch=None)
    action = plan(third)
    assert (action.do, action.push, action.branch_exists) == (Do.CREATE, True, False)


def test_limits_are_checked_before_any_look_up() -> None:
    limited = facts(limits=Limits(max_open=0, max_new_per_run=10, open_now=0))
    assert plan(limited).do is Do.SKIP


def test_limits_do_not_stop_updating_an_open_pr() -> None:
    limited = facts(upstream=NEWER, limits=Limits(1, 0, 5, 0), **OPEN)
    assert plan(limited).do is Do.UPDATE


def test_head_not_pushed_by_bumper_is_looked_up_before_deciding() -> None:
    assert plan(facts(pr=pull(head=PERSONS), marker=marker())).do is Do.LOOK_UP_BRANCH


def test_crash_after_push_before_body_edit_only_refreshes_the_text() -> None:
    # The branch has bumper's commit for NEW (pushed by a pass killed before editing the body).
    given = facts(
        upstream=NEW,
        pr=pull(head=PERSONS),
        marker=marker(upstream=OLD, commit="9" * 40),
        **bumpers(bumper_branch(upstream=NEW, sha=PERSONS)),
    )
    action = plan(given)
    assert (action.do, action.head) == (Do.EDIT, PERSONS)


def test_merge_commit_from_update_branch_button_counts_as_a_person() -> None:
    merge = BranchInfo("update/LIB_VERSION", CommitInfo(PERSONS, "Merge main", (PUSHED, BASE2)))
    given = facts(pr=pull(head=PERSONS), marker=marker(), branch_known=True, branch=merge)
    assert plan(given).do is Do.SKIP


def test_person_edited_pr_is_not_closed_when_the_base_caught_up() -> None:
    given = facts(
        pin=NEW, pr=pull(head=PERSONS), marker=marker(), branch_known=True, branch=persons_branch()
    )
    action = plan(given)
    assert action.do is Do.NOTHING
    assert "edited by a person" in action.reason


def test_changed_title_or_missing_label_is_refreshed_without_a_push() -> None:
    for changes in (dict(title="old title"), dict(labels=())):
        given = facts(pr=pull(**changes), marker=marker())
        action = plan(given)
        assert (action.do, action.push) == (Do.EDIT, False)


def test_pr_without_marker_is_judged_by_its_branch_head() -> None:
    assert plan(facts(pr=pull())).do is Do.LOOK_UP_BRANCH
    given = facts(pr=pull(), **bumpers(bumper_branch()))
    assert plan(given).do is Do.EDIT  # puts the marker back


def test_a_head_with_bumpers_trailer_is_proven_bumpers_before_it_is_trusted() -> None:
    unproven = facts(pr=pull(), branch_known=True, branch=bumper_branch())
    assert plan(unproven).do is Do.LOOK_UP_CHANGE
    # the same sha as a head read before (another pass moved the branch since): look again
    stale = facts(pr=pull(), **bumpers(bumper_branch()))
    stale = dataclasses.replace(stale, branch=bumper_branch(sha=PERSONS))
    assert plan(stale).do is Do.LOOK_UP_CHANGE


@pytest.mark.parametrize(
    "change",
    [
        dict(files=(("Makefile", _blob(BASE_TEXT.replace(OLD, NEW))), ("debian/rules", "9" * 40))),
        dict(files=(("Makefile", _blob(BASE_TEXT.replace(OLD, NEW) + "CFLAGS += -O0\n")),)),
        dict(committer="a-person"),  # git commit --amend keeps the author, not the committer
        dict(author="a-person"),
        dict(author="", committer=""),  # an email GitHub links to no account
    ],
    ids=["another-file", "another-line", "committer", "author", "unlinked"],
)
def test_a_head_keeping_bumpers_trailer_but_not_bumpers_commit_is_a_persons(
    change: dict[str, Any],
) -> None:
    upstream_moved = facts(
        upstream=NEWER, pr=pull(head=PERSONS), **bumpers(bumper_branch(sha=PERSONS), **change)
    )
    action = plan(upstream_moved)
    assert (action.do, action.rule) == (Do.SKIP, 5), action
    assert "edited by a person" in action.reason
    no_pr = facts(closed_unmerged=frozenset(), **bumpers(bumper_branch(), **change))
    assert (plan(no_pr).do, plan(no_pr).rule) == (Do.SKIP, 5)


def test_open_pr_whose_branch_vanished_is_pushed_again() -> None:
    given = facts(upstream=NEWER, pr=pull(head=PERSONS), branch_known=True, branch=None)
    action = plan(given)
    assert (action.do, action.push, action.branch_exists) == (Do.UPDATE, True, False)


def test_a_pr_closed_for_an_older_sha_does_not_stop_a_new_one() -> None:
    given = facts(upstream=NEWER, closed_unmerged=frozenset({NEW}), branch_known=True)
    assert plan(given).do is Do.CREATE


@pytest.mark.parametrize(
    ("done", "dry"),
    [
        ("aaa -> bbb: opened PR {pr}", "aaa -> bbb: would open a PR"),
        (
            "aaa -> bbb: reused the branch, opened PR {pr}",
            "aaa -> bbb: would reuse the branch and open a PR",
        ),
        ("aaa -> bbb: updated PR #4", "aaa -> bbb: would update PR #4"),
        ("the base moved: rebuilt PR #4 on ccc", "the base moved: would rebuild PR #4 on ccc"),
        ("the base already has bbb: closed PR #4", "the base already has bbb: would close PR #4"),
        (
            "aaa -> bbb: rebuilt PR #4 and replayed the commits pushed to it",
            "aaa -> bbb: would rebuild PR #4 and replay the commits pushed to it",
        ),
        (
            "PR #4 no longer merged cleanly: rebuilt it on ccc",
            "PR #4 no longer merged cleanly: would rebuild it on ccc",
        ),
    ],
)
def test_a_dry_run_says_what_it_would_do(done: str, dry: str) -> None:
    assert would(done) == dry
