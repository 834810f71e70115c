"""GitHub's REST API (the part bumper and PyGithub use) over the sandbox's store.

The server hands every request under /api/v3 to ``RestApi.handle``; handlers live in
rest_git.py (git data, contents, commits) and rest_pulls.py (pull requests, issues).

Answered (under /api/v3): GET /user, /users/{u}, /orgs/{org}, their /repos lists;
POST /user/repos and /orgs/{org}/repos; and under /repos/{owner}/{repo}: GET itself,
forks (GET, POST), branches[/{b}], tags, git/ref/{ref}, git/matching-refs/{ref},
git/refs[/{ref}] (GET, POST, PATCH, DELETE), git/blobs, git/trees, git/commits (GET, POST),
contents/{path} (GET, PUT, DELETE), commits[/{ref}[/status|/statuses|/check-runs]],
statuses/{sha} (POST),
compare/{base}...{head}, releases/latest (always 404), pulls (GET, POST),
pulls/{n} (GET, PATCH), pulls/{n}/merge (GET, PUT), pulls/{n}/commits, pulls/{n}/files,
PATCH itself (allow_auto_merge), issues (GET, POST: rest_issues.py),
issues/{n} (GET, PATCH), issues/{n}/comments (GET, POST), issues/{n}/labels (GET, POST,
PUT, DELETE) and issues/{n}/labels/{name} (DELETE). A renamed repository answers 301.
GitHub App endpoints (/app..., /repos/{owner}/{repo}/installation) are in apps.py.

An App installation token writes like the sandbox's token, but only to repositories of the
account the App is installed on, and GET /user refuses it, as GitHub does.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from bumper.sandbox import apps as github_apps
from bumper.sandbox import rest_git, rest_issues, rest_pulls, shapes, statuses
from bumper.sandbox.http import DOCS, Request, Response, error, json_response
from bumper.sandbox.pulls import tracker
from bumper.sandbox.routing import ApiError, Call, Route, dispatch, fail, invalid, not_found, route
from bumper.sandbox.shapes import USER
from bumper.sandbox.store import GitError, RepoInfo, Store

_NAME = re.compile(r"\A[A-Za-z0-9_.-]{1,100}\Z")
_OWNER = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\Z")
_REPO_PATH = re.compile(r"\A/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)(?P<rest>/.*)?\Z")


def _repo_json(call: Call, info: RepoInfo, status: int = 200) -> Response:
    store = call.store
    parent = store.info(info.fork_of) if info.fork_of and store.exists(info.fork_of) else None
    source = parent
    while source is not None and source.fork_of and store.exists(source.fork_of):
        source = store.info(source.fork_of)
    board = call.tracker.board(info.id)
    open_count = sum(1 for p in list(board.pulls.values()) if p.state == "open")
    data = shapes.repository(
        call.urls,
        info,
        parent=parent,
        source=source,
        open_issues=open_count,
        admin=call.req.authenticated,
    )
    return json_response(status, data)


def _owned(call: Call, owner: str) -> list[RepoInfo]:
    return [r for r in call.store.repos() if r.owner.lower() == owner.lower()]


# -- users and organisations -----------------------------------------------------------


def get_me(call: Call) -> Response:
    if not call.req.authenticated:
        raise fail(401, "Requires authentication")
    if call.req.auth == "installation":
        raise fail(403, "Resource not accessible by integration")
    return json_response(200, shapes.private_user(call.urls, USER, len(_owned(call, USER))))


def get_user(call: Call) -> Response:
    login = call.params["login"]
    if not _OWNER.match(login):
        raise not_found()
    return json_response(200, shapes.public_user(call.urls, login, len(_owned(call, login))))


def get_org(call: Call) -> Response:
    # Every name but the user's is an organisation here: they come into being on first use.
    org = call.params["org"]
    if org.lower() == USER or not _OWNER.match(org):
        raise not_found()
    return json_response(200, shapes.organization(call.urls, org, len(_owned(call, org))))


def _list_repos(call: Call, owner: str) -> Response:
    return call.paged([shapes.repository(call.urls, r) for r in _owned(call, owner)])


def list_my_repos(call: Call) -> Response:
    if not call.req.authenticated:
        raise fail(401, "Requires authentication")
    return _list_repos(call, USER)


def list_org_repos(call: Call) -> Response:
    return _list_repos(call, call.params["org"])


def list_user_repos(call: Call) -> Response:
    return _list_repos(call, call.params["login"])


def _create_repo(call: Call, owner: str) -> Response:
    name = call.field("name", resource="Repository", required=True)
    if not _NAME.match(name) or name in (".", ".."):
        raise invalid("Repository", "name")
    if not _OWNER.match(owner):
        raise not_found()
    branch = call.field("default_branch") or "main"
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch):
        raise invalid("Repository", "default_branch")
    with call.store.lock:
        if call.store.exists(f"{owner}/{name}"):
            raise fail(
                422,
                "Repository creation failed.",
                [
                    {
                        "resource": "Repository",
                        "code": "custom",
                        "field": "name",
                        "message": "name already exists on this account",
                    }
                ],
            )
        info = call.store.create_repo(
            owner,
            name,
            auto_init=bool(call.field("auto_init", bool)),
            default_branch=branch,
            description=call.field("description") or "",
        )
    return _repo_json(call, info, 201)


def create_my_repo(call: Call) -> Response:
    return _create_repo(call, USER)


def create_org_repo(call: Call) -> Response:
    org = call.params["org"]
    if org.lower() == USER:
        raise not_found()
    return _create_repo(call, org)


# -- one repository ------------------------------------------------------------------


def get_repo(call: Call) -> Response:
    return _repo_json(call, call.info)


def edit_repo(call: Call) -> Response:
    """PATCH /repos/{o}/{r}: the settings the sandbox keeps (``allow_auto_merge``,
    ``description``); other keys are accepted and ignored, as settings it does not model."""
    given = call.obj()
    allow = given.get("allow_auto_merge")
    if allow is not None and not isinstance(allow, bool):
        raise invalid("Repository", "allow_auto_merge")
    description = given.get("description")
    if description is not None and not isinstance(description, str):
        raise invalid("Repository", "description")
    with call.store.lock:
        call.store.update_repo(
            call.full,
            allow_auto_merge=allow,
            description=description,
        )
        info = call.store.info(call.full)
    return _repo_json(call, info)


def create_fork(call: Call) -> Response:
    owner = call.field("organization") or USER
    name = call.field("name")
    if not _OWNER.match(owner) or (name is not None and not _NAME.match(name)):
        raise invalid("Fork", "organization")
    with call.store.lock:
        target = f"{owner}/{name or call.info.name}"
        if call.store.exists(target) and call.store.info(target).fork_of is None:
            raise invalid("Fork", "name", "already_exists")
        try:
            info = call.store.fork(call.full, owner, name)
        except GitError as exc:
            raise fail(422, f"Fork failed: {exc}") from None
    return _repo_json(call, info, 202)


def list_forks(call: Call) -> Response:
    forks = [r for r in call.store.repos() if (r.fork_of or "").lower() == call.full.lower()]
    return call.paged([shapes.repository(call.urls, r) for r in forks])


def latest_release(call: Call) -> Response:
    raise not_found()  # the sandbox has no releases


TOP_ROUTES: list[Route] = [
    route("GET", r"/user", get_me),
    route("GET", r"/user/repos", list_my_repos),
    route("POST", r"/user/repos", create_my_repo),
    route("GET", r"/users/(?P<login>[^/]+)", get_user),
    route("GET", r"/users/(?P<login>[^/]+)/repos", list_user_repos),
    route("GET", r"/orgs/(?P<org>[^/]+)", get_org),
    route("GET", r"/orgs/(?P<org>[^/]+)/repos", list_org_repos),
    route("POST", r"/orgs/(?P<org>[^/]+)/repos", create_org_repo),
]

REPO_ROUTES: list[Route] = [
    route("GET", r"", get_repo),
    route("PATCH", r"", edit_repo),
    route("POST", r"/forks", create_fork),
    route("GET", r"/forks", list_forks),
    route("GET", r"/releases/latest", latest_release),
    # before rest_git's /commits/{ref}, which would take /commits/{ref}/status(es) too
    *statuses.ROUTES,
    *rest_git.ROUTES,
    *rest_issues.ROUTES,
    *rest_pulls.ROUTES,
]


class RestApi:
    """Answers one REST request; holds no per-request state, so one instance serves all."""

    def __init__(self, store: Store, token: str, apps: github_apps.Apps | None = None) -> None:
        self.store = store
        self.token = token  # the server checks it; kept so handlers never need to see it
        self.tracker = tracker(store)
        self.app_routes = github_apps.routes(apps) if apps is not None else []

    def handle(self, req: Request) -> Response:
        path = req.path.removeprefix("/api/v3") or "/"
        if path != "/" and path.endswith("/"):
            path = path.rstrip("/")
        call = Call(req, self.store, self.tracker)
        try:
            # An App's endpoints take its JWT, which is no write token: they check it first.
            found = dispatch(self.app_routes, req.method, path)
            if found is not None:
                handler, call.params = found
                return handler(call)
            if req.method not in ("GET", "HEAD") and not req.authenticated:
                raise fail(401, "Requires authentication")
            repo_path = _REPO_PATH.match(path)
            if repo_path:
                return self._repo_call(
                    call, repo_path["owner"], repo_path["name"], repo_path["rest"] or ""
                )
            found = dispatch(TOP_ROUTES, req.method, path)
            if found is None:
                raise not_found()
            handler, call.params = found
            return handler(call)
        except ApiError as exc:
            return exc.response

    def _repo_call(self, call: Call, owner: str, name: str, rest: str) -> Response:
        full = f"{owner}/{name}"
        if not self.store.exists(full):
            moved = self.store.redirect(full)
            if moved is None:
                raise not_found()
            return self._moved(call.req, moved, rest)
        found = dispatch(REPO_ROUTES, call.req.method, rest)
        if found is None:
            raise not_found()
        account = call.req.account
        if (
            account is not None
            and call.req.method not in ("GET", "HEAD")
            and self.store.info(full).owner.lower() != account.lower()
        ):
            raise fail(403, "Resource not accessible by integration")
        handler, call.params = found
        call.repo = self.store.info(full)
        try:
            return handler(call)
        except GitError as exc:
            # A git failure we did not foresee: say so plainly, as GitHub's 409/422 do.
            return error(422, f"Git error: {exc}")

    @staticmethod
    def _moved(req: Request, full_name: str, rest: str) -> Response:
        url = f"{req.base_url}/api/v3/repos/{full_name}{quote(rest)}"
        if req.query:
            url += "?" + urlencode(req.query, doseq=True)
        body = {"message": "Moved Permanently", "url": url, "documentation_url": DOCS}
        return json_response(301, body, {"Location": url})
