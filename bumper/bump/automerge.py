"""Auto-merge for bumper's PRs: GitHub's own where it has something to wait for, else a
merge by bumper once the PR's checks are green.

``decide`` is pure; ``apply`` does what it decided through the Forge and says so in a note
appended to the entry's message. GitHub refuses ``enablePullRequestAutoMerge`` on a PR with
nothing left to wait for ("is in clean status": no required check pending), which is the
usual case in a repository without branch protection; bumper then merges the PR itself, but
only once its head's checks (``statusCheckRollup``) are SUCCESS, with the head it read them
on (a push in between makes GitHub refuse the merge). A PR that carries commits people
pushed is never auto-merged unless the setting is ``always``.

Cost: a PR bumper wrote this pass: one mutation (plus, when GitHub has nothing to wait for,
one checks read and maybe the merge). An open PR it did not write: nothing while GitHub's
auto-merge is on (the pass's PR listing says so); otherwise its head's checks, which the
pass's GraphQL PR listing carries (no request of their own; one read each over REST), until
they are green and it is merged.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bumper.config.settings import PrSettings
from bumper.errors import ForgeError
from bumper.github.forge import AutoMerge, Forge, PullInfo
from bumper.model import Entry


def mode(pr: PrSettings, entry: Entry) -> bool | str:
    """The entry's setting: its matrix row's ``automerge``, else ``pr.automerge``."""
    return pr.automerge if entry.automerge is None else entry.automerge


@dataclass(frozen=True, slots=True)
class Candidate:
    """bumper's open PR for an entry as the pass left it."""

    pr: PullInfo
    head: str  # the PR's head now
    written: bool  # this pass pushed ``head``
    bumpers: bool  # ``head`` is exactly bumper's commit: no one else's commits on it


class Next(enum.Enum):
    NOTHING = "nothing"
    ENABLE = "enable"  # ask GitHub; merge when it has nothing to wait for and checks are green
    MERGE_IF_GREEN = "merge-if-green"  # GitHub said there was nothing to wait for before
    PEOPLE = "people"  # not for a PR carrying people's commits


def decide(setting: bool | str, candidate: Candidate) -> Next:
    """PURE: what auto-merge does for ``candidate``."""
    if setting is False:
        return Next.NOTHING
    if not candidate.bumpers and setting != "always":
        return Next.PEOPLE
    if candidate.pr.auto_merge:
        return Next.NOTHING  # on already (a push keeps it on): GitHub merges it
    return Next.ENABLE if candidate.written else Next.MERGE_IF_GREEN


def apply(forge: Forge, setting: bool | str, candidate: Candidate) -> str:
    """Do what ``decide`` says; the note for the entry's message ("" when nothing to say)."""
    number = candidate.pr.number
    step = decide(setting, candidate)
    if step is Next.NOTHING:
        return ""
    if step is Next.PEOPLE:
        return (
            f"; auto-merge left off for PR #{number}: it carries commits people pushed"
            " (automerge: always would merge it)"
        )
    try:
        enabled = step is Next.ENABLE and forge.enable_auto_merge(candidate.pr, candidate.head)
        if enabled is AutoMerge.ON:
            return f"; auto-merge is on for PR #{number}: GitHub merges it once checks pass"
        known = candidate.pr.head_checks if candidate.pr.head_sha == candidate.head else None
        # the pass's PR listing read them (with a token); else one read
        checks = (known or None) if known is not None else forge.commit_checks(candidate.head)
        if checks != "SUCCESS":
            state = "none reported yet" if checks is None else checks.lower()
            return f"; PR #{number} is merged by bumper once its checks are green ({state})"
        forge.merge_pull(number, candidate.head)
    except ForgeError as exc:
        return f"; auto-merge: {exc}"
    return f"; merged PR #{number}: its checks are green"
