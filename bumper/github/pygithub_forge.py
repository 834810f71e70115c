"""The Forge on GitHub (or the sandbox), through PyGithub.

What is chosen on purpose here:
- Calls go through PyGithub's Requester, set up by ``pygithub_client.connect`` (auth, App
  installation tokens, pacing, retries: all from the config's ``github`` section, there and
  nowhere else), and read the JSON themselves. PyGithub's objects fetch missing attributes
  with extra GETs and trust whatever came back; a pass must do neither.
- Retried writes are safe only because every write here is idempotent or detects its own
  earlier success: trees and commits are content-addressed, creating a branch that exists
  answers 422 and is reported as "exists", and creating a PR that exists answers 422 "already
  exists" and is adopted. The one exception, a comment, is never made again blindly: the PR's
  comments are read for its hidden mark first (``comment_once``).
- No clone: commits are built with the Git Data API (one tree with the file's text inline,
  one commit on the base head), then a ref is created, moved or deleted with GraphQL's
  ``updateRefs``, only if it is still at the head the pass planned from (or, created, does
  not exist): a person's push meanwhile is never erased. A new branch and its PR
  (``createPullRequest``), or a moved branch and its PR's text (``updatePullRequest``), go
  in one GraphQL document; its mutations run in order and each stands alone, so both
  answers are read: a PR written beside a refused branch write is re-planned (opened) or
  put back as it was (edited). Branches in a fork (``target.push_to``) keep REST's ref
  creation and PR calls.
- Base files are read in one GraphQL query per 100 files (contents API when GraphQL is not
  available, e.g. without a token).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, urlsplit

from bumper import pins
from bumper.config.settings import Config, Secret
from bumper.errors import ForgeError, PinError
from bumper.github.forge import (
    GITLINK,
    MOVED,
    REGULAR,
    AutoMerge,
    BaseHead,
    BranchInfo,
    BranchMoved,
    CommitAuthor,
    CommitChange,
    CommitInfo,
    FileAtRef,
    FileChange,
    IssueInfo,
    Opened,
    PullInfo,
)
from bumper.github.graphql import (
    EDIT_WITH_BRANCH,
    ENABLE_AUTO_MERGE,
    GRAPHQL_BATCH,
    NO_OID,
    NOTHING_PENDING,
    OPEN_WITH_BRANCH,
    UPDATE_REFS,
    checks_query,
    create_pull_input,
    files_from,
    files_query,
    opened_pull,
    repository_id_query,
    update_pull_input,
    update_refs_done,
    update_refs_input,
    written,
)
from bumper.github.http import RequestCounter
from bumper.model import is_sha

# PyGithub and requests (~0.1 s of imports) are loaded when the forge first talks to GitHub:
# a pass where nothing moved never does.
if TYPE_CHECKING:
    from github import Github, GithubException

log = logging.getLogger(__name__)

CLOSED_PULLS_LOOKED_AT = 100  # the newest closed PRs of a branch that rule 6 considers
T = TypeVar("T")


def _broken_answer() -> tuple[type[Exception], ...]:
    import requests

    return (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)


def _again_if_broken(call: Callable[[], T], attempts: int) -> T:
    """``call()``, made again when its answer broke off mid-way.

    urllib3 retries failed connections and 5xx, but not a body cut short after the status
    line: that request reached GitHub, so it is made again only because every call here may
    be: reads, content-addressed objects, forced refs and edits are idempotent, and a branch or
    PR created by the broken attempt answers 422 "already exists" the second time, which the
    caller adopts.
    """
    broken = _broken_answer()
    for _ in range(attempts - 1):
        try:
            return call()
        except broken as exc:
            log.info("answer broke off (%s); asking again", type(exc).__name__)
    return call()


def _already_exists(exc: GithubException) -> bool:
    return exc.status == 422 and "already exists" in json.dumps(exc.data).lower()


class GitHubForge:
    """Forge for one target repository and base branch; branches live in ``push_to``'s fork
    when set. Close it (or use ``with``) to release its connection.

    Calls go through PyGithub's Requester (auth, App tokens, pacing, retries) and read the JSON
    themselves: every answer is checked before it is believed, so an error page or a cut-off
    body is a ForgeError, never a write reported done that was not.
    """

    def __init__(
        self,
        gh: Github | Callable[[], Github],
        *,
        target: str,
        base: str,
        push_to: str | None = None,
        counter: RequestCounter | None = None,
        attempts: int = 3,
        page_size: int = 100,
        git_url: str = "https://github.com",
    ) -> None:
        self._git_url = git_url.rstrip("/")
        # a callable: connect when the first call needs it (see from_config)
        self._client: Github | None = None if callable(gh) else gh
        self._connect = gh if callable(gh) else None
        self._page_size = page_size
        self._attempts = max(1, attempts)
        self.target = target
        self.base = base
        owner, name = target.split("/", 1)
        self.push_repo = f"{push_to}/{name}" if push_to else target
        self._head_owner = push_to or owner
        self._fork = push_to is not None and push_to.lower() != owner.lower()
        self._counter = counter if counter is not None else RequestCounter()
        self._user: dict[str, Any] | None = None
        self._repo_node_id: str | None = None  # for updateRefs, read once when first needed

    @classmethod
    def from_config(cls, config: Config, token: Secret | None) -> GitHubForge:
        """PyGithub against ``config.github.api_url``, for ``config.target``."""
        target = config.target.repository
        if not target:
            raise ForgeError("target.repository is not set: bumper needs a repository to open PRs")
        github = config.github
        counter = RequestCounter()

        def connect() -> Github:
            from bumper.github import pygithub_client

            return pygithub_client.connect(config, token, target, counter)[0]

        # A GitHub App's first token is fetched now, so a wrong key fails the pass at once;
        # with a token nothing can fail before the first call, so PyGithub waits for it.
        app = github.app_id is not None and bool(github.app_private_key)
        return cls(
            connect() if app else connect,
            target=target,
            base=config.target.base,
            push_to=config.target.push_to,
            counter=counter,
            attempts=1 + config.github.retries,
            git_url=config.github.git_url,
        )

    # -- housekeeping ---------------------------------------------------------------------
    @property
    def head_owner(self) -> str:
        return self._head_owner

    def request_counts(self) -> dict[str, int]:
        return self._counter.as_dict()

    @property
    def _gh(self) -> Github:
        if self._client is None:
            assert self._connect is not None
            self._client = self._connect()
        return self._client

    @property
    def _requester(self) -> Any:
        return self._gh.requester

    def close(self) -> None:
        if self._client is not None:
            from bumper.github.pygithub_client import close_client

            close_client(self._client)

    def __enter__(self) -> GitHubForge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------
    def _call(
        self,
        what: str,
        verb: str,
        url: str,
        *,
        input: Any = None,
        params: Any = None,
        absent: Callable[[GithubException], bool] | None = None,
        once: bool = False,
    ) -> Any:
        """The JSON answer; None when ``absent(error)`` says the error means "not there".
        ``once``: not made again when its answer breaks off (a write that is not idempotent)."""
        answer = self._answer(what, verb, url, input=input, params=params, absent=absent, once=once)
        return answer[1]

    def _answer(
        self,
        what: str,
        verb: str,
        url: str,
        *,
        input: Any = None,
        params: Any = None,
        absent: Callable[[GithubException], bool] | None = None,
        once: bool = False,
    ) -> tuple[dict[str, Any], Any]:
        def call() -> tuple[dict[str, Any], Any]:
            return self._requester.requestJsonAndCheck(verb, url, parameters=params, input=input)

        from github import GithubException

        from bumper.github.pygithub_client import as_forge_error

        with as_forge_error(what):
            try:
                headers, data = _again_if_broken(call, 1 if once else self._attempts)
            except GithubException as exc:
                if absent is not None and absent(exc):
                    return {}, None
                raise
        if isinstance(data, dict) and list(data) == ["data"] and isinstance(data["data"], str):
            # PyGithub's wrapping of a body that is not JSON (an HTML error page, a proxy)
            raise ForgeError(f"{what}: the answer is not JSON (a proxy or an outage?)")
        return headers, data

    def _list(self, what: str, url: str, params: dict[str, Any], limit: int) -> list[Any]:
        """Every item of a paginated listing (following its Link header), up to ``limit``."""
        items: list[Any] = []
        next_url: str | None = url
        query: dict[str, Any] | None = {**params, "per_page": self._page_size}
        while next_url is not None and len(items) < limit:
            headers, page = self._answer(what, "GET", next_url, params=query)
            if not isinstance(page, list):
                raise ForgeError(f"{what}: unexpected answer (not a list)")
            items += page
            next_url, query = _next_link(headers.get("link", "")), None
        return items[:limit]

    def _ref_url(self, name: str) -> str:
        return f"/repos/{self.push_repo}/git/refs/heads/{quote(name, safe='/')}"

    # -- reads ----------------------------------------------------------------------------
    def base_head(self) -> BaseHead:
        what = f"read {self.target} branch {self.base}"
        data = self._call(
            what, "GET", f"/repos/{self.target}/branches/{quote(self.base, safe='/')}"
        )
        try:
            return BaseHead(
                _sha(data["commit"]["sha"]), _sha(data["commit"]["commit"]["tree"]["sha"])
            )
        except (KeyError, TypeError, ValueError):
            raise ForgeError(f"{what}: unexpected answer") from None

    def read_files(self, commit: str, paths: Sequence[str]) -> dict[str, FileAtRef]:
        wanted = list(dict.fromkeys(paths))
        found: dict[str, FileAtRef] = {}
        try:
            for chunk in _chunks(wanted, GRAPHQL_BATCH):
                found.update(self._graphql_files(commit, chunk))
        except ForgeError as exc:
            log.info("reading files through GraphQL failed (%s); using the contents API", exc)
        for path in wanted:
            if path not in found:
                found[path] = self._contents_file(commit, path)
        return found

    def _graphql_files(self, commit: str, paths: Sequence[str]) -> dict[str, FileAtRef]:
        owner, name = self.target.split("/", 1)
        query = files_query(owner, name, commit, paths)
        from bumper.github.pygithub_client import as_forge_error

        with as_forge_error("GraphQL"):
            _, data = _again_if_broken(
                lambda: self._requester.graphql_query(query, {}), self._attempts
            )
        found = files_from(commit, paths, data.get("data") if isinstance(data, dict) else None)
        if found is None:
            raise ForgeError("GraphQL: no repository in the answer")
        return found  # a path left out is read through the contents API

    def _contents_file(self, commit: str, path: str) -> FileAtRef:
        what = f"read {self.target}:{path}"
        data = self._call(
            what,
            "GET",
            f"/repos/{self.target}/contents/{quote(path, safe='/')}",
            params={"ref": commit},
            absent=lambda exc: exc.status == 404,
        )
        if data is None or isinstance(data, list):  # missing, or a directory's listing
            return FileAtRef(path, commit, None)
        if not isinstance(data, dict) or "type" not in data:
            raise ForgeError(f"{what}: unexpected answer")
        if data["type"] == "submodule" and is_sha(str(data.get("sha"))):
            return FileAtRef(path, commit, str(data["sha"]), mode=GITLINK)  # the pinned commit
        if data["type"] != "file":  # a symlink: not a file bumper can edit
            return FileAtRef(path, commit, None)
        try:
            raw = base64.b64decode(data.get("content") or "")
        except ValueError:
            raise ForgeError(f"{what}: content is not base64") from None
        if b"\0" in raw[:8192]:  # git's own test for a binary file
            return FileAtRef(path, commit, None, binary=True)
        try:
            text = pins.decode_makefile(raw, path)
        except PinError as exc:
            return FileAtRef(path, commit, None, refused=str(exc))
        return FileAtRef(path, commit, text, mode=self._mode(commit, path))

    def _mode(self, commit: str, path: str) -> str:
        """The git mode of ``path`` at ``commit`` (the contents API gives none): one tree
        listing per directory level, spent only when GraphQL could not read the file."""
        what = f"read the mode of {self.target}:{path}"
        tree = commit  # GitHub lists a commit's tree under the commit's sha too
        parts = path.split("/")
        for depth, part in enumerate(parts):
            data = self._call(what, "GET", f"/repos/{self.target}/git/trees/{tree}")
            listed = data.get("tree") if isinstance(data, dict) else None
            found = [e for e in listed or [] if isinstance(e, dict) and e.get("path") == part]
            if len(found) != 1 or not isinstance(found[0].get("mode"), str):
                raise ForgeError(f"{what}: unexpected answer")
            if depth == len(parts) - 1:
                return str(found[0]["mode"])
            tree = _answered_sha(what, found[0])
        raise ForgeError(f"{what}: empty path")

    def open_pulls(self) -> list[PullInfo]:
        return self._pulls(f"list open PRs of {self.target}", {"state": "open"})

    def closed_pulls(self, branch: str) -> list[PullInfo]:
        query = {
            "state": "closed",
            "head": f"{self._head_owner}:{branch}",
            "sort": "created",
            "direction": "desc",
        }
        return self._pulls(f"list closed PRs from {branch}", query, CLOSED_PULLS_LOOKED_AT)

    def _pulls(self, what: str, query: dict[str, str], limit: int = 10_000) -> list[PullInfo]:
        items = self._list(what, f"/repos/{self.target}/pulls", query, limit)
        return [_pull_info(what, item) for item in items]

    def branch(self, name: str) -> BranchInfo | None:
        what = f"read branch {name} of {self.push_repo}"
        data = self._call(
            what,
            "GET",
            f"/repos/{self.push_repo}/branches/{quote(name, safe='/')}",
            absent=lambda exc: exc.status == 404,
        )
        if data is None:
            return None
        try:
            commit = data["commit"]
            parents = tuple(_sha(p["sha"]) for p in commit.get("parents") or [])
            head = CommitInfo(_sha(commit["sha"]), str(commit["commit"]["message"]), parents)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ForgeError(f"{what}: unexpected answer") from None
        return BranchInfo(str(data.get("name") or name), head)

    def commit_change(self, sha: str) -> CommitChange:
        # One request: the single-commit answer lists every changed file with its blob sha.
        what = f"read commit {sha[:12]} of {self.push_repo}"
        data = self._call(what, "GET", f"/repos/{self.push_repo}/commits/{sha}")
        try:
            files = tuple((str(f["filename"]), str(f.get("sha") or "")) for f in data["files"])
            return CommitChange(
                _sha(data["sha"]), files, _login(data.get("author")), _login(data.get("committer"))
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ForgeError(f"{what}: unexpected answer") from None

    def account(self) -> str:
        from bumper.github.pygithub_client import app_login

        bot = app_login(self._gh)
        if bot is not None:
            return bot
        return str(self._account()["login"])

    def _account(self) -> dict[str, Any]:
        if self._user is None:
            data = self._call("read the authenticated account", "GET", "/user")
            if not isinstance(data, dict) or not data.get("login"):
                raise ForgeError("read the authenticated account: unexpected answer; set pr.author")
            self._user = data
        return self._user

    def mergeable(self, number: int) -> str:
        what = f"read PR #{number}"
        found = _pull_info(what, self._call(what, "GET", f"/repos/{self.target}/pulls/{number}"))
        return found.mergeable or "UNKNOWN"

    def pull_commits(self, number: int) -> list[CommitAuthor]:
        what = f"list the commits of PR #{number}"
        items = self._list(what, f"/repos/{self.target}/pulls/{number}/commits", {}, 250)
        try:
            return [
                CommitAuthor(
                    _sha(item["sha"]),
                    str(item["commit"]["author"]["name"] or ""),
                    str(item["commit"]["author"]["email"] or ""),
                    _login(item.get("author")),
                )
                for item in items
            ]
        except (KeyError, TypeError, ValueError):
            raise ForgeError(f"{what}: unexpected answer") from None

    def pull_patches(self, number: int) -> list[tuple[str, str]]:
        what = f"list the files of PR #{number}"
        items = self._list(what, f"/repos/{self.target}/pulls/{number}/files", {}, 3000)
        try:
            return [(str(item["filename"]), str(item.get("patch") or "")) for item in items]
        except (KeyError, TypeError):
            raise ForgeError(f"{what}: unexpected answer") from None

    def user_identity(self) -> str:
        data = self._account()
        login = str(data["login"])
        name = str(data.get("name") or login)
        email = data.get("email")
        if not email:
            host = urlsplit(str(data.get("html_url") or "https://github.com")).hostname
            email = f"{data.get('id', 0)}+{login}@users.noreply.{host or 'github.com'}"
        return f"{name} <{email}>"

    # -- writes ---------------------------------------------------------------------------
    def make_commit(
        self, base: BaseHead, path: str, text: str, message: str, mode: str = REGULAR
    ) -> str:
        return self.commit_files(base, [FileChange(path, text, mode)], message)

    def commit_files(self, base: BaseHead, changes: Sequence[FileChange], message: str) -> str:
        # One tree and one commit whatever the number of files: a pin in three files is one
        # commit, and a crash between the two writes leaves only unreferenced objects.
        what = f"write a commit in {self.push_repo}"
        tree = self._call(
            what,
            "POST",
            f"/repos/{self.push_repo}/git/trees",
            input={"base_tree": base.tree, "tree": [c.tree_entry() for c in changes]},
        )
        commit = self._call(
            what,
            "POST",
            f"/repos/{self.push_repo}/git/commits",
            input={"message": message, "tree": _answered_sha(what, tree), "parents": [base.sha]},
        )
        return _answered_sha(what, commit)

    def know_repository_id(self, node_id: str) -> None:
        if not self._fork and self.push_repo == self.target and node_id:
            self._repo_node_id = node_id

    def open_with_branch(self, branch: str, sha: str, title: str, body: str) -> Opened:
        repository = None
        if not self._fork:  # createPullRequest would need the fork's id beside the target's
            try:
                repository = self._repository_id()
            except ForgeError as exc:
                # GraphQL cannot be read and nothing is written yet: REST can create a branch
                log.info("opening the PR over REST: %s", exc)
        if repository is None:
            if not self.create_branch(branch, sha):
                return Opened(None, False, False)
            pr, created = self.create_pull(branch, title, body)
            return Opened(pr, created, True)
        what = f"open a PR from {branch}"
        variables = {
            "ref": update_refs_input(repository, branch, NO_OID, sha),
            "pull": create_pull_input(repository, branch, self.base, title, body),
        }
        answer = self._graphql_write(what, OPEN_WITH_BRANCH, variables)
        ref, pull = written(answer, "ref"), written(answer, "pull")
        made = ref.done or self._branch_at(branch) == sha  # a retried request made it
        if pull.done:
            try:
                pr = opened_pull(pull.payload, self._head_owner, self.push_repo)
            except ValueError as exc:
                raise ForgeError(f"{what}: unexpected answer ({exc})") from None
            return Opened(pr, True, made)
        if "already exists" in pull.message.lower():
            found = self._pulls(what, {"state": "open", "head": f"{self._head_owner}:{branch}"})
            if found:
                return Opened(found[0], False, made)
        if not made and not ref.done and ref.kind != "STALE_DATA":
            raise ForgeError(f"{what}: {ref.message}")
        if made:
            # the branch is there and no PR: the next pass opens one from it
            raise ForgeError(f"{what}: {pull.message}")
        return Opened(None, False, False)

    def move_and_edit(
        self,
        name: str,
        sha: str,
        *,
        expected: str,
        pr: PullInfo,
        title: str | None,
        body: str | None,
    ) -> None:
        if title is None and body is None:
            return self.move_branch(name, sha, expected=expected)
        if self._fork or not pr.node_id:
            self.move_branch(name, sha, expected=expected)
            return self.edit_pull(pr.number, title=title, body=body)
        what = f"update branch {name} in {self.push_repo} and PR #{pr.number}"
        variables = {
            "ref": update_refs_input(self._repository_id(), name, expected, sha),
            "pull": update_pull_input(pr.node_id, title, body),
        }
        answer = self._graphql_write(what, EDIT_WITH_BRANCH, variables)
        ref, pull = written(answer, "ref"), written(answer, "pull")
        if not ref.done:
            at = self._branch_at(name)
            if at != sha:  # not an earlier attempt of this very request: refused
                if pull.done:
                    # The edit ran although the move did not: the PR must not claim a commit
                    # its branch lacks, so it gets its text back.
                    self.edit_pull(
                        pr.number,
                        title=None if title is None else pr.title,
                        body=None if body is None else pr.body,
                    )
                if at != expected:
                    raise BranchMoved(f"{what}: {MOVED}", "" if at == NO_OID else at)
                raise ForgeError(f"{what}: {ref.message}")
        if not pull.done:
            self.edit_pull(pr.number, title=title, body=body)
        return None

    def _graphql_write(self, what: str, document: str, variables: dict[str, Any]) -> Any:
        answer = self._call(
            what,
            "POST",
            self._requester.graphql_url,
            input={"query": document, "variables": variables},
        )
        if not isinstance(answer, dict) or not ("data" in answer or "errors" in answer):
            raise ForgeError(f"{what}: unexpected answer")
        return answer

    def _branch_at(self, name: str) -> str:
        found = self.branch(name)
        return found.head.sha if found is not None else NO_OID

    def create_branch(self, name: str, sha: str) -> bool:
        what = f"create branch {name} in {self.push_repo}"
        created = self._call(
            what,
            "POST",
            f"/repos/{self.push_repo}/git/refs",
            input={"ref": f"refs/heads/{name}", "sha": sha},
            absent=_already_exists,
        )
        if created is None:
            return False
        _check_ref(what, created, sha)
        return True

    def move_branch(self, name: str, sha: str, *, expected: str) -> None:
        self._swap_ref(f"update branch {name} in {self.push_repo}", name, expected, sha)

    def delete_branch(self, name: str, *, expected: str) -> None:
        self._swap_ref(f"delete branch {name} in {self.push_repo}", name, expected, NO_OID)

    def _swap_ref(self, what: str, name: str, before: str, after: str) -> None:
        """``updateRefs``: the branch goes from ``before`` to ``after`` or stays as it is.

        A refusal is judged by where the branch is now: at ``after``, an earlier attempt of
        this very write (a retried request) did it (gone, for a delete: someone deleted it, or
        GitHub did with its PR); elsewhere than ``before``, someone pushed.
        """
        variables = {"input": update_refs_input(self._repository_id(), name, before, after)}
        body = {"query": UPDATE_REFS, "variables": variables}
        answer = self._call(what, "POST", self._requester.graphql_url, input=body)
        done, why = update_refs_done(answer)
        if done:
            return
        found = self.branch(name)
        at = found.head.sha if found is not None else NO_OID
        if at == after:
            return
        if at != before:
            raise BranchMoved(f"{what}: {MOVED}")
        raise ForgeError(f"{what}: {why}")

    def _repository_id(self) -> str:
        if self._repo_node_id is None:
            owner, name = self.push_repo.split("/", 1)
            what = f"read the node id of {self.push_repo} (moving a branch needs GraphQL)"
            body = {"query": repository_id_query(owner, name), "variables": {}}
            data = self._call(what, "POST", self._requester.graphql_url, input=body)
            try:
                found = data["data"]["repository"]["id"]
            except (KeyError, TypeError):
                found = None
            if not isinstance(found, str) or not found:
                raise ForgeError(f"{what}: unexpected answer")
            self._repo_node_id = found
        return self._repo_node_id

    def create_pull(self, branch: str, title: str, body: str) -> tuple[PullInfo, bool]:
        head = f"{self._head_owner}:{branch}" if self._fork else branch
        what = f"open a PR from {branch}"
        created = self._call(
            what,
            "POST",
            f"/repos/{self.target}/pulls",
            input={"base": self.base, "head": head, "title": title, "body": body},
            absent=_already_exists,
        )
        if created is not None:
            return _pull_info(what, created), True
        # A PR from this branch is open already (a retried create, or another pass): adopt it.
        found = self._pulls(what, {"state": "open", "head": f"{self._head_owner}:{branch}"})
        if not found:
            raise ForgeError(f"{what}: GitHub says one exists, but none is open")
        return found[0], False

    def edit_pull(self, number: int, *, title: str | None = None, body: str | None = None) -> None:
        fields = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        if fields:
            what = f"edit PR #{number}"
            url = f"/repos/{self.target}/pulls/{number}"
            _pull_info(what, self._call(what, "PATCH", url, input=fields))

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            what = f"label PR #{number}"
            url = f"/repos/{self.target}/issues/{number}/labels"
            if not isinstance(self._call(what, "POST", url, input={"labels": list(labels)}), list):
                raise ForgeError(f"{what}: unexpected answer")

    def close_pull(self, number: int, *, body: str | None = None) -> None:
        fields = {"state": "closed"} if body is None else {"state": "closed", "body": body}
        what = f"close PR #{number}"
        closed = _pull_info(
            what, self._call(what, "PATCH", f"/repos/{self.target}/pulls/{number}", input=fields)
        )
        if closed.state != "closed":
            raise ForgeError(f"{what}: it is still {closed.state}")

    def git_urls(self) -> tuple[str, str]:
        return f"{self._git_url}/{self.target}.git", f"{self._git_url}/{self.push_repo}.git"

    def git_token(self) -> str | None:
        from bumper.github.pygithub_client import as_forge_error

        auth = self._requester.auth
        with as_forge_error("read the token to push with"):
            token = getattr(auth, "token", None) if auth is not None else None
        return token if isinstance(token, str) and token else None

    def has_comment(self, number: int, mark: str) -> bool:
        what = f"read the comments of PR #{number}"
        return self._commented(what, f"/repos/{self.target}/issues/{number}/comments", mark)

    def comment_once(self, number: int, text: str, mark: str) -> None:
        what = f"comment on PR #{number}"
        url = f"/repos/{self.target}/issues/{number}/comments"
        if self._commented(what, url, mark):
            return
        for left in reversed(range(self._attempts)):
            try:
                posted = self._call(what, "POST", url, input={"body": text}, once=True)
                if not isinstance(posted, dict) or "id" not in posted:
                    raise ForgeError(f"{what}: unexpected answer")
                return
            except ForgeError:
                # A comment whose answer broke off (or came back garbled) may be there all the
                # same: look before posting again, or the PR gets it twice.
                if self._commented(what, url, mark):
                    return
                if not left:
                    raise

    # -- the dashboard issue ------------------------------------------------------------------
    def own_issues(self, account: str) -> list[IssueInfo]:
        what = f"list the issues {account} opened in {self.target}"
        query = {"state": "open", "creator": account, "sort": "created", "direction": "asc"}
        items = self._list(what, f"/repos/{self.target}/issues", query, 1_000)
        found = []
        for item in items:
            # the listing holds PRs too, marked by ``pull_request``; ``creator`` is GitHub's
            # filter, and the author is checked again here, as the whole point is that no
            # one else's issue is ever taken for bumper's
            if not isinstance(item, dict) or "pull_request" in item:
                continue
            issue = _issue_info(what, item)
            if issue.author.lower() == account.lower():
                found.append(issue)
        return sorted(found, key=lambda i: i.number)

    def create_issue(self, title: str, body: str) -> IssueInfo:
        what = f"open an issue in {self.target}"
        url = f"/repos/{self.target}/issues"
        return _issue_info(
            what, self._call(what, "POST", url, input={"title": title, "body": body}, once=True)
        )

    def edit_issue(self, number: int, *, title: str | None = None, body: str | None = None) -> None:
        fields = {k: v for k, v in (("title", title), ("body", body)) if v is not None}
        if fields:
            what = f"edit issue #{number}"
            url = f"/repos/{self.target}/issues/{number}"
            _issue_info(what, self._call(what, "PATCH", url, input=fields))

    def close_issue(self, number: int, *, body: str | None = None) -> None:
        what = f"close issue #{number}"
        fields: dict[str, str] = {"state": "closed", "state_reason": "not_planned"}
        if body is not None:
            fields["body"] = body
        closed = self._call(what, "PATCH", f"/repos/{self.target}/issues/{number}", input=fields)
        if not isinstance(closed, dict) or closed.get("state") != "closed":
            raise ForgeError(f"{what}: it is still open")

    # -- auto-merge -------------------------------------------------------------------------
    def enable_auto_merge(self, pr: PullInfo, head: str) -> AutoMerge:
        what = f"turn on auto-merge for PR #{pr.number}"
        if not pr.node_id:
            raise ForgeError(f"{what}: its GraphQL id was not read")
        variables = {
            "input": {"pullRequestId": pr.node_id, "mergeMethod": "MERGE", "expectedHeadOid": head}
        }
        body = {"query": ENABLE_AUTO_MERGE, "variables": variables}
        answer = self._call(what, "POST", self._requester.graphql_url, input=body)
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if not errors:
            try:
                request = answer["data"]["enablePullRequestAutoMerge"]["pullRequest"]
                if request["autoMergeRequest"] is not None:
                    return AutoMerge.ON
            except (KeyError, TypeError):
                pass
            raise ForgeError(f"{what}: unexpected answer")
        messages = [str(e.get("message") or "") for e in errors if isinstance(e, dict)]
        if any(m.endswith(NOTHING_PENDING) for m in messages):
            return AutoMerge.NOTHING_PENDING
        raise ForgeError(f"{what}: {'; '.join(messages) or 'refused'}")

    def commit_checks(self, sha: str) -> str | None:
        what = f"read the checks of {sha[:12]}"
        owner, name = self.target.split("/", 1)
        body = {"query": checks_query(owner, name, sha), "variables": {}}
        answer = self._call(what, "POST", self._requester.graphql_url, input=body)
        try:
            commit = answer["data"]["repository"]["object"]
            rollup = commit.get("statusCheckRollup") if commit is not None else None
            return None if rollup is None else str(rollup["state"])
        except (KeyError, TypeError, AttributeError):
            raise ForgeError(f"{what}: unexpected answer") from None

    def merge_pull(self, number: int, head: str) -> None:
        what = f"merge PR #{number}"
        url = f"/repos/{self.target}/pulls/{number}/merge"
        # ``sha``: GitHub merges only the head the checks were read on (409 otherwise); a
        # merge is never retried, as its second attempt could only be refused.
        merged = self._call(
            what, "PUT", url, input={"sha": head, "merge_method": "merge"}, once=True
        )
        if not isinstance(merged, dict) or merged.get("merged") is not True:
            raise ForgeError(f"{what}: unexpected answer")

    def _commented(self, what: str, url: str, mark: str) -> bool:
        comments = self._list(what, url, {}, 10_000)
        return any(
            isinstance(c, dict) and mark in str(c.get("body") or "").splitlines() for c in comments
        )


def _sha(value: Any) -> str:
    if not isinstance(value, str) or not is_sha(value):
        raise ValueError("not a sha")
    return value


def _login(user: Any) -> str:
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def _answered_sha(what: str, data: Any) -> str:
    try:
        return _sha(data["sha"])
    except (KeyError, TypeError, ValueError):
        raise ForgeError(f"{what}: unexpected answer") from None


def _check_ref(what: str, data: Any, sha: str) -> None:
    """A ref write is done only when the answer shows the ref at ``sha``."""
    try:
        at = data["object"]["sha"]
    except (KeyError, TypeError):
        raise ForgeError(f"{what}: unexpected answer") from None
    if at != sha:
        raise ForgeError(f"{what}: the branch is at {str(at)[:12]}, not {sha[:12]}")


def _pull_info(what: str, data: Any) -> PullInfo:
    try:
        head, labels = data["head"], data.get("labels") or []
        owner = str(head.get("label") or "").partition(":")[0] or str(
            ((head.get("repo") or {}).get("owner") or {}).get("login") or ""
        )
        return PullInfo(
            number=int(data["number"]),
            url=str(data.get("html_url") or ""),
            head_branch=str(head["ref"]),
            head_owner=owner,
            head_sha=_sha(head["sha"]),
            base=str(data["base"]["ref"]),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            state=str(data["state"]),
            merged=bool(data.get("merged_at")),
            labels=tuple(str(label["name"]) for label in labels),
            author=_login(data.get("user")),
            head_repo=str((head.get("repo") or {}).get("full_name") or ""),
            node_id=str(data.get("node_id") or ""),
            auto_merge=data.get("auto_merge") is not None,
            mergeable=_MERGEABLE.get(data["mergeable"], "") if "mergeable" in data else "",
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ForgeError(f"{what}: unexpected answer (not a pull request)") from None


def _issue_info(what: str, data: Any) -> IssueInfo:
    try:
        return IssueInfo(
            number=int(data["number"]),
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            author=_login(data.get("user")),
            url=str(data.get("html_url") or ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ForgeError(f"{what}: unexpected answer (not an issue)") from None


# REST's mergeable as GraphQL's MergeableState: null while GitHub is still computing it
_MERGEABLE = {True: "MERGEABLE", False: "CONFLICTING", None: "UNKNOWN"}


def _next_link(header: str) -> str | None:
    """The rel="next" URL of a Link header, or None on the last page."""
    for part in header.split(","):
        url, _, rest = part.partition(";")
        if 'rel="next"' in rest.replace(" ", ""):
            return url.strip().strip("<>")
    return None


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
