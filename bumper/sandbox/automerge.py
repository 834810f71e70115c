"""Auto-merge and required checks, as GitHub runs them.

A base branch may require status contexts (the sandbox's stand-in for branch protection,
set through ``POST /_sandbox/required-checks``). A pull request's merge state follows
GitHub's: ``blocked`` while a required context is not success on its head, ``unstable``
while another status is pending or failing, ``clean`` otherwise (``dirty`` on conflicts
is rest_pulls' to say). ``enablePullRequestAutoMerge`` is refused unless the repository
allows auto-merge, and, as on GitHub, when the pull request has nothing left to wait for
(``Pull request Pull request is in clean status``); once on, the pull request merges
itself when a status posted to its head makes it clean.
"""

from __future__ import annotations

import time
from typing import Any

from bumper.sandbox.pull_views import read_views
from bumper.sandbox.pulls import Board, Pull, tracker
from bumper.sandbox.routing import ApiError
from bumper.sandbox.shapes import USER, PullView, node_id
from bumper.sandbox.statuses import statuses
from bumper.sandbox.store import RepoInfo, Store

METHODS = {"MERGE": "merge", "SQUASH": "squash", "REBASE": "rebase"}


class AutoMergeRefused(Exception):
    """``enablePullRequestAutoMerge`` refused; ``kind`` and ``message`` as GitHub's error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def _latest(store: Store, info: RepoInfo, sha: str) -> dict[str, str]:
    """Each status context's newest state on commit ``sha``."""
    return {s.context: s.state for s in statuses(store).latest(info.id, sha)}


def missing_checks(store: Store, info: RepoInfo, branch: str, sha: str) -> list[str]:
    """The contexts the base ``branch`` requires that are not success on ``sha``."""
    required = info.required_checks.get(branch, [])
    if not required:
        return []
    states = _latest(store, info, sha)
    return [c for c in required if states.get(c) != "success"]


def checks_state(store: Store, info: RepoInfo, branch: str, sha: str) -> str:
    """REST ``mergeable_state`` of a conflict-free, non-draft pull request."""
    if missing_checks(store, info, branch, sha):
        return "blocked"
    if any(state != "success" for state in _latest(store, info, sha).values()):
        return "unstable"
    return "clean"


def pull_by_node_id(store: Store, pull_id: Any) -> tuple[RepoInfo, Board, Pull] | None:
    boards = tracker(store)
    for info in store.repos():
        board = boards.board(info.id)
        for pull in board.pulls.values():
            if node_id("PullRequest", board.pull_id(pull.number)) == pull_id:
                return info, board, pull
    return None


def enable(store: Store, given: Any, login: str | None) -> PullView:
    """Apply one ``enablePullRequestAutoMerge`` input; the pull request, auto-merge on."""
    from bumper.sandbox import rest_pulls  # here: it imports this module

    if not isinstance(given, dict):
        raise AutoMergeRefused("INVALID_ARGUMENTS", "enablePullRequestAutoMerge needs an input")
    method = given.get("mergeMethod") or "MERGE"
    if method not in METHODS:
        raise AutoMergeRefused("INVALID_ARGUMENTS", f"mergeMethod: {method!r} is not one")
    with store.lock:
        found = pull_by_node_id(store, given.get("pullRequestId"))
        if found is None:
            raise AutoMergeRefused(
                "NOT_FOUND",
                f"Could not resolve to a node with the global id of '{given.get('pullRequestId')}'",
            )
        info, board, pull = found
        view = read_views(store, tracker(store), info, board, [pull])[0]
        if not info.allow_auto_merge:
            raise AutoMergeRefused(
                "UNPROCESSABLE", "Pull request Auto merge is not allowed for this repository"
            )
        if pull.state != "open":
            raise AutoMergeRefused("UNPROCESSABLE", "Pull request Pull request is closed")
        expected = given.get("expectedHeadOid")
        if expected is not None and expected != view.head_sha:
            raise AutoMergeRefused(
                "UNPROCESSABLE", "Pull request Head branch was modified. Review and try again."
            )
        state = rest_pulls.merge_state(store, view)
        if state != "blocked":
            raise AutoMergeRefused(
                "UNPROCESSABLE", f"Pull request Pull request is in {state} status"
            )
        pull.auto_merge = {
            "enabled_by": login or USER,
            "merge_method": METHODS[method],
            "enabled_at": time.time(),
            "commit_title": given.get("commitHeadline"),
            "commit_message": given.get("commitBody"),
        }
        tracker(store).save(board)
        return view


def on_status(store: Store, info: RepoInfo, sha: str) -> list[int]:
    """After a status was posted to ``sha``: merge the pull requests of ``info`` with
    auto-merge on whose head it is and that it made clean; their numbers."""
    from bumper.sandbox import rest_pulls  # here: it imports this module

    merged = []
    with store.lock:
        board = tracker(store).board(info.id)
        waiting = [p for p in board.pulls.values() if p.state == "open" and p.auto_merge]
        for view in read_views(store, tracker(store), info, board, waiting):
            if view.head_sha != sha or rest_pulls.merge_state(store, view) != "clean":
                continue
            assert view.pull.auto_merge is not None
            try:
                rest_pulls.merge_now(
                    store,
                    board,
                    view,
                    method=view.pull.auto_merge["merge_method"],
                    login=str(view.pull.auto_merge["enabled_by"]),
                    title=view.pull.auto_merge.get("commit_title"),
                    message=view.pull.auto_merge.get("commit_message"),
                )
            except ApiError:
                continue  # GitHub leaves it waiting (a moved base merges on a later status)
            merged.append(view.pull.number)
        if merged:
            tracker(store).save(board)
    return merged
