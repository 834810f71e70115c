"""REST handlers for issues that are not pull requests, and the issue listing of both.

GitHub numbers issues and pull requests from one sequence, and ``GET /issues`` lists both:
a pull request carries a ``pull_request`` object there, an issue does not. Reads and edits
of a number that is a pull request are answered by rest_pulls.py; these handlers answer the
rest and hand pull requests over to it.
"""

from __future__ import annotations

import time
from typing import Any

from bumper.sandbox import rest_pulls, shapes
from bumper.sandbox.http import Response, json_response
from bumper.sandbox.pulls import Board, Issue
from bumper.sandbox.routing import Call, Route, fail, invalid, not_found, route
from bumper.sandbox.shapes import USER


def _board(call: Call) -> Board:
    return call.tracker.board(call.info.id)


def _plain(call: Call, board: Board, item: Issue) -> dict[str, Any]:
    labels = [board.label(name) for name in item.labels]
    comments = len(board.comments_on(item.number))
    ident = board.pull_id(item.number)  # numbers are unique across issues and PRs
    return shapes.plain_issue(call.urls, call.full, ident, item, labels, comments)


def _issue(call: Call) -> tuple[Board, Issue] | None:
    """The plain issue the path names; None when the number is a pull request's."""
    board = _board(call)
    number = int(call.params["number"])
    if number in board.pulls:
        return None
    found = board.issues.get(number)
    if found is None:
        raise not_found()
    return board, found


def list_issues(call: Call) -> Response:
    state = call.arg("state") or "open"
    sort = call.arg("sort") or "created"
    if state not in ("open", "closed", "all") or sort not in ("created", "updated", "comments"):
        raise fail(
            422, "Validation Failed", [{"resource": "Issue", "field": "state", "code": "invalid"}]
        )
    descending = (call.arg("direction") or "desc") == "desc"
    creator = (call.arg("creator") or "").lower()
    wanted_labels = {n.strip().lower() for n in (call.arg("labels") or "").split(",") if n.strip()}
    board = _board(call)
    rows: list[tuple[tuple[float, int], dict[str, Any]]] = []
    views = rest_pulls.views_of(call, board)
    for view in views:
        p = view.pull
        if (state != "all" and p.state != state) or (creator and p.user.lower() != creator):
            continue
        if wanted_labels - {n.lower() for n in p.labels}:
            continue
        key = p.updated_at if sort == "updated" else p.created_at
        if sort == "comments":
            key = len(board.comments_on(p.number))
        comments = len(board.comments_on(p.number))
        rows.append(((key, p.number), shapes.issue(call.urls, view, comments)))
    for item in board.issues.values():
        if (state != "all" and item.state != state) or (creator and item.user.lower() != creator):
            continue
        if wanted_labels - {n.lower() for n in item.labels}:
            continue
        key = item.updated_at if sort == "updated" else item.created_at
        if sort == "comments":
            key = len(board.comments_on(item.number))
        rows.append(((key, item.number), _plain(call, board, item)))
    rows.sort(key=lambda row: row[0], reverse=descending)
    return call.paged([data for _, data in rows])


def create_issue(call: Call) -> Response:
    title = call.obj().get("title")
    if isinstance(title, int) and not isinstance(title, bool):
        title = str(title)  # GitHub takes a number for a title, as text
    if not isinstance(title, str) or not title.strip():
        raise invalid("Issue", "title", "missing_field")
    body = call.obj().get("body")
    if body is not None and not isinstance(body, str):
        raise fail(422, "Invalid request.\n\nbody must be a string.")
    with call.store.lock:
        board = _board(call)
        labels = call.obj().get("labels")
        names = rest_pulls.label_names(board, labels) if labels is not None else []
        item = board.add_issue(title=title, body=body, user=call.req.login or USER, labels=names)
        call.tracker.save(board)
        return json_response(201, _plain(call, board, item))


def get_issue(call: Call) -> Response:
    found = _issue(call)
    if found is None:
        return rest_pulls.get_issue(call)
    board, item = found
    return json_response(200, _plain(call, board, item))


def edit_issue(call: Call) -> Response:
    with call.store.lock:
        found = _issue(call)
        if found is None:
            return rest_pulls.edit_issue(call)
        board, item = found
        given = call.obj()
        title, body, state = (
            given.get("title", item.title),
            given.get("body", item.body),
            given.get("state"),
        )
        if not isinstance(title, str) or not title.strip():
            raise invalid("Issue", "title")
        if body is not None and not isinstance(body, str):
            raise fail(422, "Invalid request.\n\nbody must be a string.")
        if state not in (None, "open", "closed"):
            raise invalid("Issue", "state")
        reason = given.get("state_reason")
        if reason not in (None, "completed", "not_planned", "reopened"):
            raise invalid("Issue", "state_reason")
        now = time.time()
        item.title, item.body = title, body
        if state == "closed" and item.state == "open":
            item.state, item.closed_at, item.state_reason = "closed", now, reason or "completed"
        elif state == "open" and item.state == "closed":
            item.state, item.closed_at, item.state_reason = "open", None, "reopened"
        if given.get("labels") is not None:
            item.labels = rest_pulls.label_names(board, given["labels"])
        item.updated_at = now
        call.tracker.save(board)
        return json_response(200, _plain(call, board, item))


def list_comments(call: Call) -> Response:
    found = _issue(call)
    if found is None:
        return rest_pulls.list_comments(call)
    board, item = found
    return call.paged(
        [shapes.comment(call.urls, call.full, c) for c in board.comments_on(item.number)]
    )


def create_comment(call: Call) -> Response:
    found = _issue(call)
    if found is None:
        return rest_pulls.create_comment(call)
    text = call.field("body", resource="IssueComment", required=True)
    with call.store.lock:
        board, item = found
        comment = board.add_comment(item.number, text, call.req.login or USER)
        item.updated_at = comment.created_at
        call.tracker.save(board)
    return json_response(201, shapes.comment(call.urls, call.full, comment))


N = r"(?P<number>[0-9]+)"
# Before rest_pulls' routes: these answer plain issues and pass pull requests on.
ROUTES: list[Route] = [
    route("GET", r"/issues", list_issues),
    route("POST", r"/issues", create_issue),
    route("GET", rf"/issues/{N}", get_issue),
    route("PATCH", rf"/issues/{N}", edit_issue),
    route("GET", rf"/issues/{N}/comments", list_comments),
    route("POST", rf"/issues/{N}/comments", create_comment),
]
