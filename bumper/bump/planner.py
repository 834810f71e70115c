"""PURE: what to do for one pin, from what is known about it. No I/O.

``plan(facts)`` returns an Action. When it needs a fact that costs a request (the branch's
head commit, the closed PRs of its branch), it says so with a LOOK_UP_* action; the caller
fetches that fact, adds it to the Facts and asks again. So a pass where nothing changed costs
no look-ups at all, and every rule in docs/pr-rules.md is decided here, in one place.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bumper import pinfiles
from bumper.bump.prtext import Marker, Trailer, parse_trailer
from bumper.errors import PinError
from bumper.github.forge import BranchInfo, CommitChange, PullInfo
from bumper.model import Entry


class Do(enum.StrEnum):
    NOTHING = "nothing"  # no write
    CREATE = "create"  # open a PR (pushing a commit first unless the branch already has it)
    UPDATE = "update"  # rebuild the commit on the base, force the branch, edit title and body
    EDIT = "edit"  # the branch is right; only title, body or labels are out of date
    CLOSE = "close"  # the base has the sha already: close the PR, delete its branch
    SKIP = "skip"  # leave it alone on purpose; the reason says why
    LOOK_UP_BRANCH = "look-up-branch"  # need Facts.branch
    LOOK_UP_CLOSED = "look-up-closed"  # need Facts.closed_unmerged
    LOOK_UP_CHANGE = "look-up-change"  # need Facts.change, parent_text and account
    CARRY = "carry"  # rebuild the pin commit for the new sha, replay people's commits on it
    LOOK_UP_MERGEABLE = "look-up-mergeable"  # need Facts.mergeable
    LOOK_UP_RIVALS = "look-up-rivals"  # need Facts.rivals


@dataclass(frozen=True, slots=True)
class Limits:
    max_open: int
    max_new_per_run: int
    open_now: int  # bumper's open PRs, counted from the listing, plus those this pass opened
    opened_this_pass: int = 0


@dataclass(frozen=True, slots=True)
class Facts:
    entry: Entry
    branch_name: str  # where the PR's branch lives (templated from the entry)
    base: str  # the base branch head
    base_branch: str  # the base branch's name (target.base)
    pin: str  # the pin's value in the base
    upstream: str  # the upstream branch head
    title: str  # the title the PR should have
    labels: tuple[str, ...]
    limits: Limits
    pr: PullInfo | None = None  # bumper's open PR from this branch, if any
    elsewhere: PullInfo | None = None  # an open PR whose marker names this pin, other branch
    foreign: PullInfo | None = None  # an open PR from this branch that another account opened
    marker: Marker | None = None  # read from that PR's body
    branch_known: bool = False
    branch: BranchInfo | None = None  # when branch_known: the branch, None when it is absent
    closed_unmerged: frozenset[str] | None = None  # upstream shas of PRs closed unmerged
    # Whether a branch head carrying bumper's trailer is bumper's: what it changed and who
    # made it, the entry's file at its parent (None: not there), the login bumper writes as.
    change: CommitChange | None = None
    parent_text: str | None = None
    account: str = ""
    rebase: str = "behind"  # pr.rebase
    mergeable: str = ""  # MERGEABLE, CONFLICTING or UNKNOWN once read ("": read the PR's)
    carry: bool = False  # pr.carry_commits
    adopted: bool = False  # ``pr`` is an earlier bot's PR (pr.adopt_authors): bumper's now
    # Open PRs from branches of the target (not bumper's, not forks) that change this pin's
    # line; None: there are such PRs, not looked into yet (only before opening a PR).
    rivals: tuple[PullInfo, ...] | None = ()
    # A row with several files: each file at the head's parent (None: not there); when
    # absent, parent_text is the text of the entry's one file.
    parent_texts: Mapping[str, str | None] | None = None
    gitlinks: frozenset[str] = frozenset()  # the entry's paths that are submodules


@dataclass(frozen=True, slots=True)
class Action:
    do: Do
    rule: int  # the row of docs/pr-rules.md that decided (0 for a look-up)
    reason: str  # for CREATE, "{pr}" stands for the PR's number, not known yet
    push: bool = False  # build a new commit on the base and point the branch at it
    branch_exists: bool = False  # the branch is there: move it rather than create it
    pr: int | None = None
    head: str | None = None  # the branch head when it is kept as it is
    # Say on the PR, once per upstream sha, that upstream moved on and bumper left it alone
    tell: bool = False
    built_on: str | None = None  # the base the kept commit sits on, when not the current one


@dataclass(frozen=True, slots=True)
class _Content:
    """What a bumper-made branch holds: the upstream sha it sets, the base it sits on."""

    upstream: str
    base: str | None
    head: str


_PERSON = "person"
_UNKNOWN = "unknown"
_UNPROVEN = "unproven"  # it carries bumper's trailer; what it changed is not read yet


def plan(facts: Facts) -> Action:
    if facts.pr is not None:
        return _plan_open(facts, facts.pr)
    return _plan_new(facts)


def _plan_open(facts: Facts, pr: PullInfo) -> Action:
    if pr.base != facts.base_branch:
        # A maintainer moved it (a release backport?): a commit built on our base would
        # rewrite their PR's branch.
        return Action(
            Do.SKIP,
            12,
            f"PR #{pr.number} was retargeted to {pr.base}; left alone",
            pr=pr.number,
            tell=_moved_on(facts),
        )
    content = _content(facts, pr)
    up_to_date = facts.pin == facts.upstream
    if content == _UNKNOWN:
        return Action(Do.LOOK_UP_BRANCH, 0, "the branch head is not the commit bumper pushed")
    if content == _UNPROVEN:
        return Action(Do.LOOK_UP_CHANGE, 0, "is the branch head exactly what bumper builds?")
    if content == _PERSON:
        if up_to_date:
            return Action(
                Do.NOTHING,
                7,
                f"up to date; PR #{pr.number} was edited by a person and is left open",
                pr=pr.number,
            )
        if not _moved_on(facts):
            marker = facts.marker
            has = (
                f" has {marker.upstream[:12]} and"
                if marker is not None and marker.key == facts.entry.key
                else ""
            )
            return Action(
                Do.SKIP, 5, f"PR #{pr.number}{has} was edited by a person; left alone", pr=pr.number
            )
        assert facts.marker is not None
        if facts.carry:
            return Action(
                Do.CARRY,
                14,
                f"{facts.marker.upstream[:12]} -> {facts.upstream[:12]}: rebuilt PR #{pr.number}"
                f" and replayed the commits pushed to it",
                pr=pr.number,
                branch_exists=True,
            )
        return Action(
            Do.SKIP,
            5,
            f"PR #{pr.number} was edited by a person; left alone (pr.carry_commits is off)",
            pr=pr.number,
            tell=True,
        )
    assert isinstance(content, _Content)
    if up_to_date:
        return Action(
            Do.CLOSE,
            7,
            f"the base already has {facts.upstream[:12]}: closed PR #{pr.number}",
            pr=pr.number,
        )
    kept_base = content.upstream == facts.upstream and content.base != facts.base
    if kept_base and facts.rebase == "conflicted":
        state = facts.mergeable or pr.mergeable
        if not state:
            return Action(Do.LOOK_UP_MERGEABLE, 0, "does the PR still merge cleanly?")
        # UNKNOWN is GitHub still computing after a push; it is no conflict: the PR is
        # kept, and the next pass reads the state again.
        if state != "CONFLICTING":
            kept = dataclasses.replace(facts, base=content.base or facts.base)
            if _text_stale(kept, pr, content.head):
                return _refresh(facts, pr, content.head, built_on=content.base)
            return Action(
                Do.NOTHING,
                4,
                f"PR #{pr.number} has {facts.upstream[:12]}; the base moved but it still"
                " merges cleanly (pr.rebase: conflicted)",
                pr=pr.number,
            )
    if content.upstream == facts.upstream and content.base == facts.base:
        if _text_stale(facts, pr, content.head):
            return _refresh(facts, pr, content.head)
        return Action(Do.NOTHING, 2, f"PR #{pr.number} has {facts.upstream[:12]}", pr=pr.number)
    if content.upstream != facts.upstream:
        reason = f"{facts.pin[:12]} -> {facts.upstream[:12]}: updated PR #{pr.number}"
        rule = 3
    elif facts.rebase == "conflicted":
        reason = f"PR #{pr.number} no longer merged cleanly: rebuilt it on {facts.base[:12]}"
        rule = 4
    else:
        reason = f"the base moved: rebuilt PR #{pr.number} on {facts.base[:12]}"
        rule = 4
    gone = facts.branch_known and facts.branch is None
    return Action(Do.UPDATE, rule, reason, push=True, branch_exists=not gone, pr=pr.number)


def _plan_new(facts: Facts) -> Action:
    if facts.pin == facts.upstream:
        return Action(Do.NOTHING, 1, "up to date")
    stranger = facts.foreign
    if stranger is not None:
        return Action(
            Do.SKIP,
            13,
            f"PR #{stranger.number} from {facts.branch_name} was opened by"
            f" {stranger.author or 'a deleted account'}, not by bumper's account; left alone",
            pr=stranger.number,
            tell=True,
        )
    other = facts.elsewhere
    if other is not None:
        return Action(
            Do.SKIP,
            11,
            f"PR #{other.number} for this pin is open from {other.head_owner}:{other.head_branch}"
            f" (pr.branch or target.push_to changed?); close it and bumper opens one from"
            f" {facts.branch_name}",
            pr=other.number,
        )
    limits = facts.limits
    if limits.open_now >= limits.max_open:
        return Action(Do.SKIP, 10, f"PR limit: {limits.max_open} bumper PRs open (pr.max_open)")
    if limits.opened_this_pass >= limits.max_new_per_run:
        return Action(
            Do.SKIP,
            10,
            f"PR limit: {limits.max_new_per_run} new PRs this pass (pr.max_new_per_run)",
        )
    if facts.closed_unmerged is None:
        return Action(Do.LOOK_UP_CLOSED, 0, "was a PR for this sha closed?")
    if facts.upstream in facts.closed_unmerged:
        return Action(
            Do.SKIP, 6, f"a PR for {facts.upstream[:12]} was closed without merging; not reopened"
        )
    if facts.rivals is None:
        return Action(Do.LOOK_UP_RIVALS, 0, "does another open PR change this pin already?")
    if facts.rivals:
        rival = facts.rivals[0]
        return Action(
            Do.SKIP,
            15,
            f"PR #{rival.number} from {rival.head_branch}"
            f" (by {rival.author or 'a deleted account'}) already changes this pin;"
            " no second PR (merge or close it)",
            pr=rival.number,
            tell=True,
        )
    if not facts.branch_known:
        return Action(Do.LOOK_UP_BRANCH, 0, "does the branch exist already?")
    change = f"{facts.pin[:12]} -> {facts.upstream[:12]}"
    if facts.branch is None:
        return Action(Do.CREATE, 0, f"{change}: opened PR {{pr}}", push=True)
    trailer = _bumper_trailer(facts, facts.branch)
    if trailer == _UNPROVEN:
        return Action(Do.LOOK_UP_CHANGE, 0, "is the branch head exactly what bumper builds?")
    if not isinstance(trailer, Trailer):
        return Action(
            Do.SKIP,
            5,
            f"branch {facts.branch_name} has a commit by a person and no PR; left alone",
        )
    head = facts.branch.head
    if trailer.upstream == facts.upstream and _parent(head.parents) == facts.base:
        return Action(
            Do.CREATE,
            8,
            f"{change}: opened PR {{pr}} from the existing branch",
            branch_exists=True,
            head=head.sha,
        )
    return Action(
        Do.CREATE,
        8,
        f"{change}: reused the branch, opened PR {{pr}}",
        push=True,
        branch_exists=True,
    )


def _moved_on(facts: Facts) -> bool:
    """Whether upstream moved past the sha bumper last put in the PR (its marker)."""
    marker = facts.marker
    return (
        marker is not None and marker.key == facts.entry.key and (marker.upstream != facts.upstream)
    )


def _content(facts: Facts, pr: PullInfo) -> _Content | str:
    """What the open PR's branch holds: from the marker when the head is what bumper pushed
    (no request), else from the branch's head commit once it has been looked up."""
    marker = facts.marker
    if marker is not None and marker.commit == pr.head_sha and marker.key == facts.entry.key:
        return _Content(marker.upstream, marker.base, pr.head_sha)
    if not facts.branch_known:
        return _UNKNOWN
    if facts.branch is None:
        # The PR's branch is gone (GitHub closes such PRs): push it again.
        return _Content("", None, "")
    trailer = _bumper_trailer(facts, facts.branch)
    if trailer == _PERSON and facts.adopted and (marker is None or marker.key != facts.entry.key):
        # An earlier bot's commit, before bumper first pushed over it: bumper's to replace.
        return _Content("", None, facts.branch.head.sha)
    if not isinstance(trailer, Trailer):
        return trailer
    head = facts.branch.head
    return _Content(trailer.upstream, _parent(head.parents), head.sha)


def _bumper_trailer(facts: Facts, branch: BranchInfo) -> Trailer | str:
    """The head's trailer when the head is bumper's commit for this pin; else _PERSON, or
    _UNPROVEN until what it changed has been looked up.

    A trailer alone proves nothing: `git commit --amend`, `cherry-pick -x` and squashes keep
    it. The head is bumper's only when it is exactly what bumper builds: made by bumper's
    account, and changing the entry's files alone, to the parent's texts with the pin rewritten.
    """
    head = branch.head
    trailer = parse_trailer(head.message)
    if trailer is None or trailer.key != facts.entry.key or len(head.parents) != 1:
        return _PERSON
    change = facts.change
    if change is None or change.sha != head.sha:
        return _UNPROVEN
    me = facts.account.lower()
    if not me or change.author.lower() != me or change.committer.lower() != me:
        return _PERSON
    texts = facts.parent_texts
    if texts is None:
        texts = {facts.entry.file: facts.parent_text}
    expected = _rewritten(facts, texts, trailer.upstream)
    return trailer if expected is not None and dict(change.files) == expected else _PERSON


def _rewritten(
    facts: Facts, texts: Mapping[str, str | None], upstream: str
) -> dict[str, str] | None:
    """The object ids of the files a commit setting the entry's pin to ``upstream`` on
    ``texts`` sets: a file's git blob sha, a gitlink's commit. None when it cannot be
    built (a file missing, the pin unreadable)."""
    entry = facts.entry
    present = {path: text for path, text in texts.items() if text is not None}
    if any(path not in present for path in entry.paths):
        return None
    try:
        new = pinfiles.rewrite(entry, present, None, upstream)
    except PinError:
        return None
    ids = {}
    for path in entry.paths:
        data = new[path].encode()
        blob = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        ids[path] = new[path] if path in facts.gitlinks else blob
    return ids


def _parent(parents: tuple[str, ...]) -> str | None:
    return parents[0] if len(parents) == 1 else None


def _refresh(facts: Facts, pr: PullInfo, head: str, built_on: str | None = None) -> Action:
    """Rule 2: the branch already holds the upstream sha; only the PR's title and body are
    stale (a template changed, or the base moved under a PR kept by pr.rebase: conflicted)."""
    return Action(
        Do.EDIT,
        2,
        f"PR #{pr.number} has {facts.upstream[:12]}; refreshed its title and body",
        branch_exists=True,
        pr=pr.number,
        head=head,
        built_on=built_on,
    )


def _text_stale(facts: Facts, pr: PullInfo, head: str) -> bool:
    marker = facts.marker
    return (
        pr.title != facts.title
        or not set(facts.labels) <= set(pr.labels)
        or marker is None
        or marker.key != facts.entry.key
        or marker.upstream != facts.upstream
        or marker.base != facts.base
        or marker.commit != head
        or marker.old != facts.pin
    )


# The reasons above that say what a pass did, as a dry run says them instead.
_WOULD = (
    (re.compile(r"reused the branch, opened PR \{pr\}"), "would reuse the branch and open a PR"),
    (re.compile(r"opened PR \{pr\}"), "would open a PR"),
    (re.compile(r"\bclosed PR #"), "would close PR #"),
    (re.compile(r"\bupdated PR #"), "would update PR #"),
    (re.compile(r"\brebuilt PR #"), "would rebuild PR #"),
    (re.compile(r"\band replayed the commits"), "and replay the commits"),
    (re.compile(r"\brebuilt it on"), "would rebuild it on"),
    (re.compile(r"\brefreshed its title and body"), "would refresh its title and body"),
)


def would(reason: str) -> str:
    """PURE: a reason as a dry run says it: "would open a PR", never "opened PR"."""
    for pattern, conditional in _WOULD:
        reason = pattern.sub(conditional, reason)
    return reason
