"""PURE: upstream gates (``min_age``, ``require_checks``) and holds that lift themselves.

The look-up reads a page of each gated branch's history with its head, in the same GraphQL
field (``github.graphql.gated_head_field``): newest first, each commit with its committer
date and the combined state of its statuses and check runs. ``choose`` then picks the
newest commit that passes the entry's gates, so a nothing-changed pass costs no extra
request. A hold ``until_upstream_contains`` asks, in that same field, whether the branch
contains the fix (``Ref.compare`` of the branch to that sha), so it costs nothing either.

Over plain git (no token, or an upstream off the configured GitHub) there is no history
with check state and no cheap date: a gated entry fails with a clear message rather than
being bumped ungated, and a hold waiting for a commit stays held, saying why.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from bumper.config.values import duration_seconds
from bumper.errors import UpstreamError
from bumper.model import Entry, Head, HistoryCommit

GREEN = "SUCCESS"


@dataclass(frozen=True, slots=True)
class Probe:
    """What a pair's look-up reads beyond its head."""

    history: bool = False  # a page of the branch's history (some entry on it is gated)
    contains: tuple[str, ...] = ()  # commits whose presence on the branch lifts a hold


def probes_of(entries: Iterable[Entry]) -> dict[tuple[str, str], Probe]:
    """PURE: the probe of each (repository, branch) its entries need; pairs needing none are
    left out, so their look-up is the plain head field."""
    probes: dict[tuple[str, str], Probe] = {}
    for entry in entries:
        history = entry.gated
        contains = (
            (entry.hold_until_upstream_contains,) if entry.hold_until_upstream_contains else ()
        )
        if not history and not contains:
            continue
        pair = (entry.repository, entry.branch)
        old = probes.get(pair, Probe())
        probes[pair] = Probe(
            old.history or history, tuple(dict.fromkeys((*old.contains, *contains)))
        )
    return probes


# --- holds ---------------------------------------------------------------------------------


def lifted_by_date(entry: Entry, today: datetime.date) -> str | None:
    """Why ``entry``'s hold has lifted by its date (it lifts on that day, UTC); None if not."""
    if entry.hold is None or entry.hold_until is None:
        return None
    if today < datetime.date.fromisoformat(entry.hold_until):
        return None
    return f"hold lifted: {entry.hold_until} has come (was held: {entry.hold})"


def lifted_by_upstream(entry: Entry, head: Head | UpstreamError | None) -> str | None:
    """Why ``entry``'s hold has lifted because the branch now contains the fix; None if not."""
    wanted = entry.hold_until_upstream_contains
    if entry.hold is None or wanted is None or not isinstance(head, Head):
        return None
    if head.contains is None or wanted not in head.contains:
        return None
    return f"hold lifted: {entry.branch} now contains {wanted[:12]} (was held: {entry.hold})"


def still_held_because(entry: Entry, head: Head | UpstreamError | None) -> str:
    """A held entry's message: its reason, and what it waits for where that is known."""
    condition = entry.hold_condition
    if condition is None:
        return str(entry.hold)
    if entry.hold_until_upstream_contains is not None:
        if isinstance(head, UpstreamError):
            return f"{entry.hold} (held {condition}; could not check: {head})"
        if not isinstance(head, Head) or head.contains is None:
            return (
                f"{entry.hold} (held {condition}; not checked: that needs GitHub GraphQL, "
                "a token and a GitHub-hosted upstream)"
            )
    return f"{entry.hold} (held {condition})"


# --- gates ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Waiting:
    """No commit in the page read passes the gates: the pin stays as it is."""

    message: str


def describe(entry: Entry) -> str:
    parts = []
    if entry.min_age is not None:
        parts.append(f"min_age {entry.min_age}")
    if entry.require_checks:
        parts.append("require_checks")
    return ", ".join(parts)


def _age(seconds: float) -> str:
    hours = seconds / 3600
    if hours < 48:
        return f"{max(hours, 0):.0f} h"
    return f"{hours / 24:.0f} d"


def _fails(entry: Entry, commit: HistoryCommit, now: float) -> list[str]:
    """Why ``commit`` does not pass ``entry``'s gates (empty: it passes)."""
    why = []
    wanted = duration_seconds(entry.min_age) if entry.min_age is not None else None
    if wanted is not None and now - commit.committed_at < wanted:
        why.append(f"is {_age(now - commit.committed_at)} old; min_age {entry.min_age}")
    if entry.require_checks and commit.checks != GREEN:
        state = f"checks {commit.checks.lower()}" if commit.checks else "no checks"
        why.append(f"has {state}; require_checks")
    return why


def choose(
    entry: Entry, head: Head, now: float, pinned: str | None = None
) -> Head | UpstreamError | Waiting:
    """PURE: the commit ``entry`` should be bumped to, given its branch ``head`` (with its
    history page) at time ``now``: the head itself when ungated or passing, else the newest
    commit of the page that passes, its ``note`` saying why the head was not taken.

    ``pinned`` (the pin's sha, where the pass has read it) is never moved backwards: a pin
    newer than every passing commit stays where it is.
    """
    if not entry.gated:
        return head
    gates = describe(entry)
    if head.history is None:
        return UpstreamError(
            f"{entry.repository}: {gates} needs the branch's history from GitHub GraphQL "
            "(a token and a GitHub-hosted upstream); not bumped to an unchecked head"
        )
    history: Sequence[HistoryCommit] = head.history
    if not history or history[0].sha != head.sha:
        return UpstreamError(
            f"{entry.repository}: GitHub GraphQL answered a history that does not start at "
            f"the head {head.sha[:12]}; not bumped"
        )
    head_fails = "; ".join(_fails(entry, history[0], now))
    for index, commit in enumerate(history):
        if _fails(entry, commit, now):
            if commit.sha == pinned:
                return replace(
                    head,
                    sha=commit.sha,
                    note=f"head {head.sha[:12]} {head_fails}; the pin {commit.sha[:12]} is "
                    "newer than any commit that passes, so it stays",
                )
            continue
        if index == 0:
            return head
        return replace(
            head,
            sha=commit.sha,
            note=f"head {head.sha[:12]} {head_fails}: chose {commit.sha[:12]}, the newest "
            f"commit of {entry.branch} that passes ({gates})",
        )
    return Waiting(
        f"waiting: none of the newest {len(history)} commits of {entry.branch} passes "
        f"{gates} (head {head.sha[:12]} {head_fails})"
    )
