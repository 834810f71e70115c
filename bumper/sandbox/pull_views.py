"""Pull requests as REST and GraphQL both answer them: head and base read from git now.

One function for both APIs, so a listing through either shows the same head sha, labels and
state. An open pull request whose head or base branch is gone is closed here, as GitHub does.
"""

from __future__ import annotations

import time

from bumper.sandbox import gitdata as g
from bumper.sandbox.pulls import Board, Pull, Tracker
from bumper.sandbox.shapes import PullView
from bumper.sandbox.store import RepoInfo, Store


def read_views(
    store: Store,
    tracker: Tracker,
    repo: RepoInfo,
    board: Board,
    pulls: list[Pull],
    branches: dict[str, dict[str, str]] | None = None,
) -> list[PullView]:
    """``pulls`` of ``repo`` with their current heads (one for-each-ref per repository).

    ``branches`` caches each repository's branch heads across calls within one request.
    """
    by_id = {info.id: info for info in store.repos()}
    branches = {} if branches is None else branches

    def heads(info: RepoInfo) -> dict[str, str]:
        if info.full_name not in branches:
            branches[info.full_name] = store.refs(info.full_name, "refs/heads/")
        return branches[info.full_name]

    # git is read outside the lock (it serialises every writer); only closing needs it
    current: dict[int, tuple[str | None, str | None]] = {}
    for pull in pulls:
        if pull.state == "open":
            head_repo = by_id.get(pull.head_repo, repo)
            current[pull.number] = (
                heads(head_repo).get(f"refs/heads/{pull.head_ref}"),
                heads(repo).get(f"refs/heads/{pull.base_ref}"),
            )
    views, closed = [], False
    with store.lock:
        for pull in pulls:
            head, base = current.get(pull.number, (pull.head_sha, pull.base_sha))
            if pull.state == "open" and pull.number in current:
                if head is None or base is None:
                    pull.state, pull.closed_at = "closed", time.time()
                    pull.updated_at, closed = pull.closed_at, True
                else:
                    pull.head_sha, pull.base_sha = head, base
            labels = tuple(board.label(name) for name in pull.labels)
            views.append(
                PullView(
                    pull,
                    board.pull_id(pull.number),
                    repo,
                    by_id.get(pull.head_repo, repo),
                    pull.head_sha,
                    pull.base_sha,
                    labels,
                )
            )
        if closed:
            tracker.save(board)
    return views


def mergeable(store: Store, view: PullView) -> bool | None:
    """Whether the open pull request merges cleanly into its base now (a real merge-tree of
    base and head); None once merged or closed, where GitHub no longer says. REST's
    ``mergeable`` and GraphQL's MERGEABLE/CONFLICTING both come from here."""
    if view.pull.state != "open" or view.pull.merged_at is not None:
        return None
    full = view.base_repo.full_name
    g.fetch_objects(store, full, view.head_repo.full_name, view.head_sha)
    if g.merge_base(store, full, view.base_sha, view.head_sha) is None:
        return False
    return g.merge_tree(store, full, view.base_sha, view.head_sha) is not None
