"""REST handlers for pull requests and their issue side: comments and labels.

Heads are read from git when a pull request is answered, so ``head.sha`` is always the
branch's current commit; an open pull request whose head or base branch is gone is
closed, as GitHub does.
"""

from __future__ import annotations

import time
from typing import Any

from bumper.sandbox import automerge, shapes
from bumper.sandbox import gitdata as g
from bumper.sandbox.http import Response, json_response
from bumper.sandbox.pull_views import mergeable as pull_mergeable
from bumper.sandbox.pull_views import read_views
from bumper.sandbox.pulls import Board, Pull
from bumper.sandbox.rest_git import network_repo
from bumper.sandbox.routing import Call, Route, custom, fail, invalid, not_found, route
from bumper.sandbox.shapes import USER, PullDetail, PullView
from bumper.sandbox.store import BOT_EMAIL, BOT_NAME, RepoInfo, Store

# -- reading -------------------------------------------------------------------------


def _board(call: Call) -> Board:
    return call.tracker.board(call.info.id)


def _views(call: Call, board: Board, pulls: list[Pull]) -> list[PullView]:
    """Pull requests with their head and base read from git now (see pull_views.py)."""
    return read_views(call.store, call.tracker, call.info, board, pulls)


def _pull(call: Call) -> tuple[Board, Pull]:
    board = _board(call)
    found = board.pulls.get(int(call.params["number"]))
    if found is None:
        raise not_found()
    return board, found


def _detail(call: Call, board: Board, view: PullView) -> PullDetail:
    store, full, pull = call.store, call.full, view.pull
    base, head = view.base_sha, view.head_sha
    g.fetch_objects(store, full, view.head_repo.full_name, head)
    merge_base = g.merge_base(store, full, base, head)
    changes = g.diff(store, full, merge_base, head, patches=False) if merge_base else []
    mergeable: bool | None = None
    state = "unknown"
    if pull.merged_at is None:
        mergeable = bool(pull_mergeable(store, view))
        state = (
            "dirty"
            if not mergeable
            else "draft"
            if pull.draft
            else automerge.checks_state(store, view.base_repo, pull.base_ref, head)
        )
    return PullDetail(
        mergeable=mergeable,
        mergeable_state=state,
        comments=len(board.comments_on(pull.number)),
        commits=g.count(store, full, [f"{base}..{head}"]),
        additions=sum(c.additions for c in changes),
        deletions=sum(c.deletions for c in changes),
        changed_files=len(changes),
    )


def views_of(call: Call, board: Board) -> list[PullView]:
    """Every pull request of the repository, read from git now (the issue listing's half)."""
    return _views(call, board, list(board.pulls.values()))


def label_names(board: Board, raw: Any) -> list[str]:
    """Label names as an issue or pull request write gives them (see _label_names)."""
    return _label_names(board, raw)


def merge_state(store: Store, view: PullView) -> str:
    """REST ``mergeable_state`` of an open pull request: dirty, draft, blocked, unstable or
    clean (see automerge.py)."""
    pull, full = view.pull, view.base_repo.full_name
    g.fetch_objects(store, full, view.head_repo.full_name, view.head_sha)
    if g.merge_tree(store, full, view.base_sha, view.head_sha) is None:
        return "dirty"
    if pull.draft:
        return "draft"
    return automerge.checks_state(store, view.base_repo, pull.base_ref, view.head_sha)


def _full_pull(call: Call, board: Board, pull: Pull, status: int = 200) -> Response:
    view = _views(call, board, [pull])[0]
    return json_response(status, shapes.pull(call.urls, view, _detail(call, board, view)))


# -- pulls ---------------------------------------------------------------------------

_SORTS = {
    "created": lambda p, board: p.created_at,
    "updated": lambda p, board: p.updated_at,
    "popularity": lambda p, board: len(board.comments_on(p.number)),
    "long-running": lambda p, board: -p.created_at if p.state == "open" else 0,
}


def list_pulls(call: Call) -> Response:
    state = call.arg("state") or "open"
    sort = call.arg("sort") or "created"
    if state not in ("open", "closed", "all") or sort not in _SORTS:
        raise fail(
            422, "Validation Failed", [{"resource": "Search", "field": "q", "code": "invalid"}]
        )
    default_direction = "desc" if sort == "created" else "asc"
    descending = (call.arg("direction") or default_direction) == "desc"
    board = _board(call)
    views = _views(call, board, list(board.pulls.values()))
    head = call.arg("head") or ""
    base = call.arg("base")
    owner, sep, branch = head.partition(":")
    picked = []
    for view in views:
        p = view.pull
        if state != "all" and p.state != state:
            continue
        if base and p.base_ref != base:
            continue
        # GitHub filters by head only in the "owner:branch" form; a bare name is ignored.
        if sep and (view.head_repo.owner.lower(), p.head_ref) != (owner.lower(), branch):
            continue
        picked.append(view)
    picked.sort(key=lambda v: (_SORTS[sort](v.pull, board), v.pull.number), reverse=descending)
    page, per_page = call.window()
    shown = picked[(page - 1) * per_page : page * per_page]
    items = [shapes.pull(call.urls, v) for v in shown]
    return json_response(200, items, call.link_header(len(picked)))


class PullRefused(Exception):
    """Opening a pull request refused: ``field`` names the input at fault (REST's
    ``invalid``), or ``message`` says why (REST's ``custom``); GraphQL words it alike."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def open_pull(
    store: Store,
    board: Board,
    info: RepoInfo,
    head_repo: RepoInfo | None,
    branch: str,
    base: str,
    **fields: Any,
) -> Pull:
    """Open a pull request of ``info`` from ``head_repo``'s ``branch`` into ``base``, as
    GitHub checks it (REST and GraphQL alike); the caller holds the store's lock and saves
    the board. ``fields``: title, body, user, draft, maintainer_can_modify."""
    full = info.full_name
    base_sha = store.ref(full, f"refs/heads/{base}")
    if base_sha is None:
        raise PullRefused(f"Base ref {base} is not a branch", "base")
    head_sha = store.ref(head_repo.full_name, f"refs/heads/{branch}") if head_repo else None
    if head_repo is None or head_sha is None:
        raise PullRefused(f"Head sha can't be blank, Head ref {branch} must be a branch", "head")
    if board.open_pull(head_repo.id, branch, base) is not None:
        raise PullRefused(f"A pull request already exists for {head_repo.owner}:{branch}.")
    g.fetch_objects(store, full, head_repo.full_name, head_sha)
    if g.count(store, full, [f"{base_sha}..{head_sha}"]) == 0:
        raise PullRefused(f"No commits between {base} and {branch}")
    if fields.get("maintainer_can_modify") is None:
        fields["maintainer_can_modify"] = head_repo != info
    fields["maintainer_can_modify"] = bool(fields["maintainer_can_modify"])
    return board.add_pull(
        head_repo=head_repo.id,
        head_ref=branch,
        base_ref=base,
        head_sha=head_sha,
        base_sha=base_sha,
        **fields,
    )


def create_pull(call: Call) -> Response:
    title = call.field("title", resource="PullRequest", required=True)
    head = call.field("head", resource="PullRequest", required=True)
    base = call.field("base", resource="PullRequest", required=True)
    body = call.field("body")
    draft = bool(call.field("draft", bool))
    can_modify = call.field("maintainer_can_modify", bool)
    owner, sep, branch = head.partition(":")
    if not sep:
        owner, branch = call.info.owner, head
    head_repo = network_repo(call, owner)
    store = call.store
    with store.lock:
        board = _board(call)
        try:
            pull = open_pull(
                store,
                board,
                call.info,
                head_repo,
                branch,
                base,
                title=title,
                body=body,
                user=call.req.login or USER,
                draft=draft,
                maintainer_can_modify=can_modify,
            )
        except PullRefused as exc:
            if exc.field:
                raise invalid("PullRequest", exc.field) from None
            raise custom("PullRequest", exc.message) from None
        call.tracker.save(board)
        return _full_pull(call, board, pull, 201)


def get_pull(call: Call) -> Response:
    board, pull = _pull(call)
    return _full_pull(call, board, pull)


def _edit(call: Call, board: Board, pull: Pull) -> None:
    """Apply title/body/state/base edits shared by PATCH /pulls/N and PATCH /issues/N."""
    title = call.field("title")
    body = call.obj().get("body", pull.body)
    state = call.field("state")
    base = call.field("base")
    if body is not None and not isinstance(body, str):
        raise fail(422, "Invalid request.\n\nbody must be a string.")
    if state not in (None, "open", "closed"):
        raise invalid("PullRequest", "state")
    view = _views(call, board, [pull])[0]
    if base is not None and base != pull.base_ref:
        if call.store.ref(call.full, f"refs/heads/{base}") is None:
            raise invalid("PullRequest", "base")
        if pull.state == "closed":
            raise custom("PullRequest", "Cannot change the base branch of a closed pull request.")
    if state == "open" and pull.state == "closed":
        if pull.merged_at is not None:
            raise custom(
                "PullRequest", "state cannot be changed. The pull request has been merged."
            )
        head = call.store.ref(view.head_repo.full_name, f"refs/heads/{pull.head_ref}")
        if head is None:
            raise custom("PullRequest", "state cannot be changed. The head branch was deleted.")
        if board.open_pull(pull.head_repo, pull.head_ref, base or pull.base_ref) is not None:
            owner = view.head_repo.owner
            raise custom(
                "PullRequest", f"A pull request already exists for {owner}:{pull.head_ref}."
            )
    now = time.time()
    if title is not None:
        pull.title = title
    pull.body = body
    if base is not None:
        pull.base_ref = base
    if state == "closed" and pull.state == "open":
        pull.state, pull.closed_at = "closed", now
    elif state == "open" and pull.state == "closed":
        pull.state, pull.closed_at = "open", None
    can_modify = call.field("maintainer_can_modify", bool)
    if can_modify is not None:
        pull.maintainer_can_modify = can_modify
    pull.updated_at = now


def edit_pull(call: Call) -> Response:
    with call.store.lock:
        board, pull = _pull(call)
        _edit(call, board, pull)
        call.tracker.save(board)
        return _full_pull(call, board, pull)


def is_merged(call: Call) -> Response:
    _, pull = _pull(call)
    if pull.merged_at is None:
        raise not_found()
    return Response(204)


def _pick(store: Store, full: str, parent: str | None, onto: str, commit: str) -> str | None:
    """The tree of applying ``commit`` (a child of ``parent``) onto ``onto``; None on conflict.

    git 2.39's merge-tree has no --merge-base, so both sides get a stand-in parent whose
    tree is ``parent``'s: their merge base is then exactly that tree.
    """
    base_tree = g.resolve(store, full, parent, "tree") if parent else g.EMPTY_TREE
    assert base_tree is not None
    stand_in = g.commit_tree(store, full, base_tree, [], "base")
    ours = g.commit_tree(store, full, f"{onto}^{{tree}}", [stand_in], "ours")
    theirs = g.commit_tree(store, full, f"{commit}^{{tree}}", [stand_in], "theirs")
    return g.merge_tree(store, full, ours, theirs)


def _rebase(store: Store, full: str, base: str, head: str) -> str | None:
    if g.is_ancestor(store, full, base, head):
        return head
    current = base
    for commit in g.log(store, full, [f"{base}..{head}"], reverse=True):
        if len(commit.parents) > 1:
            return None
        tree = _pick(
            store, full, commit.parents[0] if commit.parents else None, current, commit.sha
        )
        if tree is None:
            return None
        author = shapes.git_person(commit.author)
        committer = {"name": BOT_NAME, "email": BOT_EMAIL}
        current = g.commit_tree(
            store, full, tree, [current], commit.message, author=author, committer=committer
        )
    return current


def merge_now(
    store: Store,
    board: Board,
    view: PullView,
    *,
    method: str,
    login: str,
    title: str | None = None,
    message: str | None = None,
    expected: str | None = None,
) -> str:
    """Merge the open pull request ``view`` into its base, for real; the merge's sha.

    Shared by PUT /pulls/{n}/merge and auto-merge (automerge.py); the caller holds the
    store's lock and saves the board. ApiError as GitHub answers a merge it refuses.
    """
    pull, full = view.pull, view.base_repo.full_name
    if pull.state != "open":
        raise fail(405, "Pull Request is not mergeable")
    base, head = view.base_sha, view.head_sha
    if expected is not None and expected != head:
        raise fail(409, "Head branch was modified. Review and try the merge again.")
    missing = automerge.missing_checks(store, view.base_repo, pull.base_ref, head)
    if missing:
        raise fail(405, f'Required status check "{missing[0]}" is expected.')
    g.fetch_objects(store, full, view.head_repo.full_name, head)
    tree = g.merge_tree(store, full, base, head)
    if tree is None:
        raise fail(405, "Pull Request is not mergeable")
    me = {"name": BOT_NAME, "email": BOT_EMAIL}
    if method == "merge":
        subject = (
            title
            or f"Merge pull request #{pull.number} from {view.head_repo.owner}/{pull.head_ref}"
        )
        text = f"{subject}\n\n{message if message is not None else pull.title}\n"
        sha = g.commit_tree(store, full, tree, [base, head], text, committer=me)
    elif method == "squash":
        subject = title or f"{pull.title} (#{pull.number})"
        if message is None:
            picked = g.log(store, full, [f"{base}..{head}"], reverse=True)
            message = "\n".join(f"* {c.message.splitlines()[0]}" for c in picked if c.message)
        sha = g.commit_tree(store, full, tree, [base], f"{subject}\n\n{message}\n", committer=me)
    else:
        rebased = _rebase(store, full, base, head)
        if rebased is None:
            raise fail(405, "Rebase merge is not possible for this pull request")
        sha = rebased
    if not g.update_ref(store, full, f"refs/heads/{pull.base_ref}", sha, base):
        raise fail(409, "Base branch was modified. Review and try the merge again.")
    now = time.time()
    pull.state, pull.closed_at, pull.merged_at, pull.updated_at = "closed", now, now, now
    pull.merged_by, pull.merge_commit_sha = login, sha
    return sha


def merge_pull(call: Call) -> Response:
    title = call.field("commit_title")
    message = call.field("commit_message")
    expected = call.field("sha")
    method = call.field("merge_method") or "merge"
    if method not in ("merge", "squash", "rebase"):
        raise invalid("PullRequest", "merge_method")
    with call.store.lock:
        board, pull = _pull(call)
        view = _views(call, board, [pull])[0]
        sha = merge_now(
            call.store,
            board,
            view,
            method=method,
            login=call.req.login or USER,
            title=title,
            message=message,
            expected=expected,
        )
        call.tracker.save(board)
    return json_response(
        200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}
    )


def pull_commits(call: Call) -> Response:
    board, pull = _pull(call)
    view = _views(call, board, [pull])[0]
    g.fetch_objects(call.store, call.full, view.head_repo.full_name, view.head_sha)
    commits = g.log(
        call.store, call.full, [f"{view.base_sha}..{view.head_sha}"], limit=250, reverse=True
    )
    return call.paged([shapes.commit(call.urls, call.full, c) for c in commits])


def pull_files(call: Call) -> Response:
    board, pull = _pull(call)
    view = _views(call, board, [pull])[0]
    store, full = call.store, call.full
    g.fetch_objects(store, full, view.head_repo.full_name, view.head_sha)
    merge_base = g.merge_base(store, full, view.base_sha, view.head_sha)
    changes = g.diff(store, full, merge_base, view.head_sha) if merge_base else []
    return call.paged([shapes.file_change(call.urls, full, view.head_sha, c) for c in changes])


# -- issues: the pull requests' other side -------------------------------------------


def get_issue(call: Call) -> Response:
    board, pull = _pull(call)
    view = _views(call, board, [pull])[0]
    return json_response(200, shapes.issue(call.urls, view, len(board.comments_on(pull.number))))


def edit_issue(call: Call) -> Response:
    with call.store.lock:
        board, pull = _pull(call)
        _edit(call, board, pull)
        labels = call.obj().get("labels")
        if labels is not None:
            pull.labels = _label_names(board, labels)
        call.tracker.save(board)
        view = _views(call, board, [pull])[0]
        return json_response(
            200, shapes.issue(call.urls, view, len(board.comments_on(pull.number)))
        )


def list_comments(call: Call) -> Response:
    board, pull = _pull(call)
    return call.paged(
        [shapes.comment(call.urls, call.full, c) for c in board.comments_on(pull.number)]
    )


def create_comment(call: Call) -> Response:
    text = call.field("body", resource="IssueComment", required=True)
    with call.store.lock:
        board, pull = _pull(call)
        item = board.add_comment(pull.number, text, call.req.login or USER)
        pull.updated_at = item.created_at
        call.tracker.save(board)
    return json_response(201, shapes.comment(call.urls, call.full, item))


def _label_names(board: Board, raw: Any) -> list[str]:
    """Label names from a list of names or {"name": ...}, created in the repository if new."""
    if isinstance(raw, dict):
        raw = raw.get("labels")
    if not isinstance(raw, list):
        raise fail(422, "Invalid request.\n\nlabels must be a list.")
    names = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else item
        if not isinstance(name, str) or not name.strip():
            raise invalid("Label", "name", "missing_field")
        names.append(board.label(name.strip()).name)
    return list(dict.fromkeys(names))


def _labels_response(call: Call, board: Board, pull: Pull) -> Response:
    items = [shapes.label(call.urls, call.full, board.label(n)) for n in pull.labels]
    return call.paged(items)


def list_labels(call: Call) -> Response:
    board, pull = _pull(call)
    return _labels_response(call, board, pull)


def add_labels(call: Call) -> Response:
    with call.store.lock:
        board, pull = _pull(call)
        added = _label_names(board, call.body())
        pull.labels = list(dict.fromkeys([*pull.labels, *added]))
        call.tracker.save(board)
        return _labels_response(call, board, pull)


def set_labels(call: Call) -> Response:
    with call.store.lock:
        board, pull = _pull(call)
        pull.labels = _label_names(board, call.body())
        call.tracker.save(board)
        return _labels_response(call, board, pull)


def clear_labels(call: Call) -> Response:
    with call.store.lock:
        board, pull = _pull(call)
        pull.labels = []
        call.tracker.save(board)
    return Response(204)


def remove_label(call: Call) -> Response:
    name = call.params["name"]
    with call.store.lock:
        board, pull = _pull(call)
        kept = [n for n in pull.labels if n.lower() != name.lower()]
        if len(kept) == len(pull.labels):
            raise fail(404, "Label does not exist")
        pull.labels = kept
        call.tracker.save(board)
        return _labels_response(call, board, pull)


N = r"(?P<number>[0-9]+)"
ROUTES: list[Route] = [
    route("GET", r"/pulls", list_pulls),
    route("POST", r"/pulls", create_pull),
    route("GET", rf"/pulls/{N}", get_pull),
    route("PATCH", rf"/pulls/{N}", edit_pull),
    route("GET", rf"/pulls/{N}/merge", is_merged),
    route("PUT", rf"/pulls/{N}/merge", merge_pull),
    route("GET", rf"/pulls/{N}/commits", pull_commits),
    route("GET", rf"/pulls/{N}/files", pull_files),
    route("GET", rf"/issues/{N}", get_issue),
    route("PATCH", rf"/issues/{N}", edit_issue),
    route("GET", rf"/issues/{N}/comments", list_comments),
    route("POST", rf"/issues/{N}/comments", create_comment),
    route("GET", rf"/issues/{N}/labels", list_labels),
    route("POST", rf"/issues/{N}/labels", add_labels),
    route("PUT", rf"/issues/{N}/labels", set_labels),
    route("DELETE", rf"/issues/{N}/labels", clear_labels),
    route("DELETE", rf"/issues/{N}/labels/(?P<name>.+)", remove_label),
]
