"""GitHub's JSON shapes for sandbox objects (pure: data in, dicts out).

Every URL is built from the address the client used (``Urls.base``): PyGithub checks
that each ``url`` it follows has the host and port of its own base URL.
"""

from __future__ import annotations

import base64
import time
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from bumper.sandbox.gitdata import CommitInfo, FileChange, Person, TreeEntry
from bumper.sandbox.pulls import Comment, Issue, Label, Pull
from bumper.sandbox.store import BOT_EMAIL, RepoInfo

USER = "sandbox"  # the login of the one token's owner


@dataclass(frozen=True, slots=True)
class Urls:
    base: str  # scheme://host:port

    @property
    def api(self) -> str:
        return f"{self.base}/api/v3"

    def repo(self, full_name: str) -> str:
        return f"{self.api}/repos/{full_name}"

    def html(self, full_name: str) -> str:
        return f"{self.base}/{full_name}"


def iso(stamp: float | None) -> str | None:
    if stamp is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def stable_id(kind: str, name: str) -> int:
    """A positive id that stays the same for a name across restarts."""
    return zlib.crc32(f"{kind}:{name.lower()}".encode()) % 90_000_000 + 10_000_000


def node_id(kind: str, key: object) -> str:
    return base64.b64encode(f"0{len(kind)}:{kind}{key}".encode()).decode()


def path_quote(path: str) -> str:
    return quote(path, safe="/")


# -- users ---------------------------------------------------------------------


def user(urls: Urls, login: str) -> dict[str, Any]:
    """A simple-user: the sandbox user, an App's bot (``slug[bot]``) or an organisation."""
    kind = "User" if login.lower() == USER else "Bot" if login.endswith("[bot]") else "Organization"
    uid = stable_id(kind, login)
    api = f"{urls.api}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id(kind, uid),
        "avatar_url": f"{urls.base}/avatars/{login}",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{urls.base}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": kind,
        "user_view_type": "public",
        "site_admin": False,
    }


def public_user(urls: Urls, login: str, public_repos: int) -> dict[str, Any]:
    created = iso(0)
    return {
        **user(urls, login),
        "name": login,
        "company": None,
        "blog": "",
        "location": None,
        "email": BOT_EMAIL if login.lower() == USER else None,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": created,
        "updated_at": created,
    }


def private_user(urls: Urls, login: str, public_repos: int) -> dict[str, Any]:
    return {
        **public_user(urls, login, public_repos),
        "private_gists": 0,
        "total_private_repos": 0,
        "owned_private_repos": 0,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": False,
    }


def organization(urls: Urls, login: str, public_repos: int) -> dict[str, Any]:
    api = f"{urls.api}/orgs/{login}"
    uid = stable_id("Organization", login)
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("Organization", uid),
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": f"{urls.base}/avatars/{login}",
        "description": None,
        "name": login,
        "html_url": f"{urls.base}/{login}",
        "public_repos": public_repos,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": iso(0),
        "updated_at": iso(0),
        "type": "Organization",
        "has_organization_projects": False,
        "has_repository_projects": True,
    }


def bot_email(login: str) -> str:
    """The noreply address GitHub gives an App's bot account (``<id>+<slug>[bot]@...``)."""
    return f"{stable_id('Bot', login)}+{login}@users.noreply.sandbox.local"


def commit_user(urls: Urls, person: Person) -> dict[str, Any] | None:
    """The GitHub account behind a commit's email: the sandbox user's, or an App's bot."""
    if person.email == BOT_EMAIL:
        return user(urls, USER)
    login = person.email.partition("+")[2].partition("@")[0]
    known = login.endswith("[bot]") and person.email == bot_email(login)
    return user(urls, login) if known else None


# -- repositories --------------------------------------------------------------

_REPO_LINKS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def repository(
    urls: Urls,
    info: RepoInfo,
    *,
    parent: RepoInfo | None = None,
    source: RepoInfo | None = None,
    open_issues: int = 0,
    admin: bool = False,
) -> dict[str, Any]:
    """A full-repository; also valid where GitHub embeds a shorter repository object."""
    api = urls.repo(info.full_name)
    host = urlsplit(urls.base).netloc
    created = iso(info.created_at)
    data: dict[str, Any] = {
        "id": info.id,
        "node_id": node_id("Repository", info.id),
        "name": info.name,
        "full_name": info.full_name,
        "owner": user(urls, info.owner),
        "private": False,
        "visibility": "public",
        "html_url": urls.html(info.full_name),
        "description": info.description or None,
        "fork": info.fork_of is not None,
        "url": api,
        **{key: api + suffix for key, suffix in _REPO_LINKS.items()},
        "git_url": f"git://{host}/{info.full_name}.git",
        "ssh_url": f"git@{host}:{info.full_name}.git",
        "clone_url": f"{urls.base}/{info.full_name}.git",
        "svn_url": urls.html(info.full_name),
        "mirror_url": None,
        "homepage": None,
        "language": None,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "forks_count": 0,
        "forks": 0,
        "open_issues_count": open_issues,
        "open_issues": open_issues,
        "network_count": 0,
        "subscribers_count": 0,
        "default_branch": info.default_branch,
        "master_branch": info.default_branch,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "is_template": False,
        "allow_forking": True,
        "allow_merge_commit": True,
        "allow_squash_merge": True,
        "allow_rebase_merge": True,
        "allow_auto_merge": info.allow_auto_merge,
        "delete_branch_on_merge": False,
        "web_commit_signoff_required": False,
        "topics": [],
        "license": None,
        "pushed_at": created,
        "created_at": created,
        "updated_at": created,
        "permissions": {
            "admin": admin,
            "maintain": admin,
            "push": admin,
            "triage": admin,
            "pull": True,
        },
    }
    if parent is not None:
        data["parent"] = repository(urls, parent)
    if source is not None:
        data["source"] = repository(urls, source)
    return data


# -- git objects ---------------------------------------------------------------


def git_person(person: Person) -> dict[str, str]:
    return {"name": person.name, "email": person.email, "date": person.date}


_UNSIGNED = {
    "verified": False,
    "reason": "unsigned",
    "signature": None,
    "payload": None,
    "verified_at": None,
}


def git_commit(urls: Urls, full_name: str, commit: CommitInfo) -> dict[str, Any]:
    """The git-commit shape of /git/commits."""
    api = urls.repo(full_name)
    return {
        "sha": commit.sha,
        "node_id": node_id("Commit", commit.sha),
        "url": f"{api}/git/commits/{commit.sha}",
        "html_url": f"{urls.html(full_name)}/commit/{commit.sha}",
        "author": git_person(commit.author),
        "committer": git_person(commit.committer),
        "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
        "message": commit.message,
        "parents": [
            {
                "sha": p,
                "url": f"{api}/git/commits/{p}",
                "html_url": f"{urls.html(full_name)}/commit/{p}",
            }
            for p in commit.parents
        ],
        "verification": dict(_UNSIGNED),
    }


def commit(
    urls: Urls, full_name: str, info: CommitInfo, files: list[FileChange] | None = None
) -> dict[str, Any]:
    """The commit shape of /commits (and of compare and pull commits)."""
    api = urls.repo(full_name)
    data: dict[str, Any] = {
        "sha": info.sha,
        "node_id": node_id("Commit", info.sha),
        "url": f"{api}/commits/{info.sha}",
        "html_url": f"{urls.html(full_name)}/commit/{info.sha}",
        "comments_url": f"{api}/commits/{info.sha}/comments",
        "commit": {
            "author": git_person(info.author),
            "committer": git_person(info.committer),
            "message": info.message.rstrip("\n"),
            "tree": {"sha": info.tree, "url": f"{api}/git/trees/{info.tree}"},
            "url": f"{api}/git/commits/{info.sha}",
            "comment_count": 0,
            "verification": dict(_UNSIGNED),
        },
        "author": commit_user(urls, info.author),
        "committer": commit_user(urls, info.committer),
        "parents": [
            {
                "sha": p,
                "url": f"{api}/commits/{p}",
                "html_url": f"{urls.html(full_name)}/commit/{p}",
            }
            for p in info.parents
        ],
    }
    if files is not None:
        adds = sum(f.additions for f in files)
        dels = sum(f.deletions for f in files)
        data["stats"] = {"additions": adds, "deletions": dels, "total": adds + dels}
        data["files"] = [file_change(urls, full_name, info.sha, f) for f in files]
    return data


def file_change(urls: Urls, full_name: str, ref: str, change: FileChange) -> dict[str, Any]:
    path = path_quote(change.filename)
    data: dict[str, Any] = {
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": f"{urls.html(full_name)}/blob/{ref}/{path}",
        "raw_url": f"{urls.html(full_name)}/raw/{ref}/{path}",
        "contents_url": f"{urls.repo(full_name)}/contents/{path}?ref={ref}",
    }
    if change.patch is not None:
        data["patch"] = change.patch
    if change.previous_filename is not None:
        data["previous_filename"] = change.previous_filename
    return data


def tree_entry(urls: Urls, full_name: str, entry: TreeEntry) -> dict[str, Any]:
    data: dict[str, Any] = {
        "path": entry.path,
        "mode": entry.mode,
        "type": entry.type,
        "sha": entry.sha,
    }
    if entry.type == "blob":
        data["size"] = entry.size
        data["url"] = f"{urls.repo(full_name)}/git/blobs/{entry.sha}"
    elif entry.type == "tree":
        data["url"] = f"{urls.repo(full_name)}/git/trees/{entry.sha}"
    return data


def git_ref(urls: Urls, full_name: str, name: str, sha: str, kind: str) -> dict[str, Any]:
    api = urls.repo(full_name)
    plural = "tags" if kind == "tag" else f"{kind}s"
    return {
        "ref": name,
        "node_id": node_id("Ref", f"{full_name}:{name}"),
        "url": f"{api}/git/{path_quote(name)}",
        "object": {"sha": sha, "type": kind, "url": f"{api}/git/{plural}/{sha}"},
    }


def content_entry(
    urls: Urls, full_name: str, ref: str, entry: TreeEntry, name: str
) -> dict[str, Any]:
    """A contents-API item; ``type`` is file, dir, symlink or submodule."""
    kind = {"blob": "file", "tree": "dir", "commit": "submodule"}[entry.type]
    if entry.mode == "120000":
        kind = "symlink"
    path = path_quote(entry.path)
    self_url = f"{urls.repo(full_name)}/contents/{path}?ref={quote(ref, safe='')}"
    plural = "trees" if entry.type == "tree" else "blobs"
    git_url = f"{urls.repo(full_name)}/git/{plural}/{entry.sha}"
    html_url = f"{urls.html(full_name)}/{'tree' if kind == 'dir' else 'blob'}/{ref}/{path}"
    return {
        "type": kind,
        "name": name,
        "path": entry.path,
        "sha": entry.sha,
        "size": entry.size or 0,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": f"{urls.html(full_name)}/raw/{ref}/{path}" if kind == "file" else None,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def encode_content(data: bytes) -> str:
    """Base64 in 60-character lines with a final newline, as GitHub sends it."""
    text = base64.b64encode(data).decode()
    return "".join(text[i : i + 60] + "\n" for i in range(0, len(text), 60))


# -- pull requests and issues --------------------------------------------------


def label(urls: Urls, full_name: str, item: Label) -> dict[str, Any]:
    return {
        "id": item.id,
        "node_id": node_id("Label", item.id),
        "url": f"{urls.repo(full_name)}/labels/{quote(item.name, safe='')}",
        "name": item.name,
        "description": item.description,
        "color": item.color,
        "default": False,
    }


def comment(urls: Urls, full_name: str, item: Comment) -> dict[str, Any]:
    api = urls.repo(full_name)
    return {
        "id": item.id,
        "node_id": node_id("IssueComment", item.id),
        "url": f"{api}/issues/comments/{item.id}",
        "html_url": f"{urls.html(full_name)}/pull/{item.number}#issuecomment-{item.id}",
        "issue_url": f"{api}/issues/{item.number}",
        "body": item.body,
        "user": user(urls, item.user),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "author_association": "OWNER",
    }


@dataclass(frozen=True, slots=True)
class PullView:
    """A pull request with what must be read from git at answer time."""

    pull: Pull
    id: int
    base_repo: RepoInfo
    head_repo: RepoInfo
    head_sha: str
    base_sha: str
    labels: tuple[Label, ...]


@dataclass(frozen=True, slots=True)
class PullDetail:
    """What only GET /pulls/{number} answers: counts and mergeability."""

    mergeable: bool | None
    mergeable_state: str
    comments: int
    commits: int
    additions: int
    deletions: int
    changed_files: int


def _side(urls: Urls, repo: RepoInfo, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user(urls, repo.owner),
        "repo": repository(urls, repo),
    }


def pull(urls: Urls, view: PullView, detail: PullDetail | None = None) -> dict[str, Any]:
    """pull-request-simple, or with ``detail`` the full pull-request of GET /pulls/{number}."""
    p = view.pull
    full = view.base_repo.full_name
    api = urls.repo(full)
    number = p.number
    links = {
        "self": f"{api}/pulls/{number}",
        "html": f"{urls.html(full)}/pull/{number}",
        "issue": f"{api}/issues/{number}",
        "comments": f"{api}/issues/{number}/comments",
        "review_comments": f"{api}/pulls/{number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{number}/commits",
        "statuses": f"{api}/statuses/{view.head_sha}",
    }
    data: dict[str, Any] = {
        "url": links["self"],
        "id": view.id,
        "node_id": node_id("PullRequest", view.id),
        "html_url": links["html"],
        "diff_url": f"{links['html']}.diff",
        "patch_url": f"{links['html']}.patch",
        "issue_url": links["issue"],
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "number": number,
        "state": p.state,
        "locked": False,
        "title": p.title,
        "user": user(urls, p.user),
        "body": p.body,
        "labels": [label(urls, full, item) for item in view.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "closed_at": iso(p.closed_at),
        "merged_at": iso(p.merged_at),
        "merge_commit_sha": p.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _side(urls, view.head_repo, p.head_ref, view.head_sha),
        "base": _side(urls, view.base_repo, p.base_ref, view.base_sha),
        "_links": {key: {"href": href} for key, href in links.items()},
        "author_association": "OWNER",
        "auto_merge": _auto_merge(urls, p),
        "draft": p.draft,
    }
    if detail is not None:
        data.update(
            merged=p.merged_at is not None,
            mergeable=detail.mergeable,
            rebaseable=detail.mergeable,
            mergeable_state=detail.mergeable_state,
            merged_by=user(urls, p.merged_by) if p.merged_by else None,
            comments=detail.comments,
            review_comments=0,
            maintainer_can_modify=p.maintainer_can_modify,
            commits=detail.commits,
            additions=detail.additions,
            deletions=detail.deletions,
            changed_files=detail.changed_files,
        )
    return data


def _auto_merge(urls: Urls, p: Pull) -> dict[str, Any] | None:
    """GitHub's auto-merge object of a pull request, or None when it is off."""
    if p.auto_merge is None:
        return None
    return {
        "enabled_by": user(urls, str(p.auto_merge["enabled_by"])),
        "merge_method": p.auto_merge["merge_method"],
        # GitHub answers empty strings when no commit title or message were given
        "commit_title": p.auto_merge.get("commit_title") or "",
        "commit_message": p.auto_merge.get("commit_message") or "",
    }


def plain_issue(
    urls: Urls, full: str, ident: int, item: Issue, labels: list[Label], comments: int
) -> dict[str, Any]:
    """An issue that is not a pull request: as the issues API answers it, without
    ``pull_request`` (which marks the ones that are)."""
    api = urls.repo(full)
    number = item.number
    return {
        "id": ident,
        "node_id": node_id("Issue", ident),
        "url": f"{api}/issues/{number}",
        "repository_url": api,
        "labels_url": f"{api}/issues/{number}/labels{{/name}}",
        "comments_url": f"{api}/issues/{number}/comments",
        "events_url": f"{api}/issues/{number}/events",
        "html_url": f"{urls.html(full)}/issues/{number}",
        "number": number,
        "state": item.state,
        "state_reason": item.state_reason,
        "title": item.title,
        "body": item.body,
        "user": user(urls, item.user),
        "labels": [label(urls, full, x) for x in labels],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": comments,
        "closed_at": iso(item.closed_at),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "closed_by": None,
        "author_association": "OWNER",
    }


def issue(urls: Urls, view: PullView, comments: int) -> dict[str, Any]:
    """The issue side of a pull request (GET /issues/{number})."""
    p = view.pull
    full = view.base_repo.full_name
    api = urls.repo(full)
    html = f"{urls.html(full)}/pull/{p.number}"
    return {
        "id": view.id,
        "node_id": node_id("Issue", view.id),
        "url": f"{api}/issues/{p.number}",
        "repository_url": api,
        "labels_url": f"{api}/issues/{p.number}/labels{{/name}}",
        "comments_url": f"{api}/issues/{p.number}/comments",
        "events_url": f"{api}/issues/{p.number}/events",
        "html_url": html,
        "number": p.number,
        "state": p.state,
        "state_reason": "completed" if p.state == "closed" else None,
        "title": p.title,
        "body": p.body,
        "user": user(urls, p.user),
        "labels": [label(urls, full, item) for item in view.labels],
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": comments,
        "pull_request": {
            "url": f"{api}/pulls/{p.number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": iso(p.merged_at),
        },
        "closed_at": iso(p.closed_at),
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "closed_by": None,
        "author_association": "OWNER",
        "draft": p.draft,
    }
