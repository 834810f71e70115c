"""The write side as publish needs it: a small Protocol and the plain data it returns.

``bumper.forge.github.GitHubForge`` implements it with PyGithub. Every call names the branch
or pull request it acts on; the forge knows the target repository, its base branch and (with
``target.push_to``) the fork the branches live in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bumper.errors import ForgeError

MOVED = "the branch moved under this pass (someone pushed); left as it is"


class BranchMoved(ForgeError):
    """A conditional ref write found the branch elsewhere than planned: nothing was written.
    ``head``: where the branch is now, where the write read it ("" when it did not)."""

    def __init__(self, message: str, head: str = "") -> None:
        super().__init__(message)
        self.head = head


@dataclass(frozen=True, slots=True)
class PullInfo:
    number: int
    url: str  # the web page of the PR
    head_branch: str
    head_owner: str  # owner of the repository the head branch lives in
    head_sha: str
    base: str
    title: str
    body: str
    state: str  # "open" or "closed"
    merged: bool
    labels: tuple[str, ...] = ()
    author: str = ""  # the login that opened it (an App's bot as ``slug[bot]``)
    head_repo: str = ""  # ``owner/name`` of the head branch's repository ("" when deleted)
    node_id: str = ""  # its GraphQL id (auto-merge names the PR by it)
    auto_merge: bool = False  # GitHub's auto-merge is on: it merges once its checks pass
    # its head's statusCheckRollup state ("" for none), where the listing read it; None:
    # unread (REST lists no checks; not compared, so both listings give equal PullInfos)
    head_checks: str | None = field(default=None, compare=False)
    # MERGEABLE, CONFLICTING or UNKNOWN (GitHub still computing it); "" when not read (the
    # REST listing has no such field)
    mergeable: str = ""


class AutoMerge(enum.StrEnum):
    """What GitHub answered ``enablePullRequestAutoMerge``."""

    ON = "on"  # it merges the PR itself once the required checks pass
    NOTHING_PENDING = "nothing-pending"  # "is in clean/unstable status": nothing to wait for


@dataclass(frozen=True, slots=True)
class IssueInfo:
    """An issue of the target that is not a pull request."""

    number: int
    title: str
    body: str
    author: str  # the login that opened it
    url: str = ""


@dataclass(frozen=True, slots=True)
class BaseHead:
    """The target's base branch head: the commit new commits are built on, and its tree."""

    sha: str
    tree: str


REGULAR = "100644"  # git's mode of a file that is not executable
EXECUTABLE = "100755"
GITLINK = "160000"  # a submodule: the tree entry's id is the commit it pins, not a blob


@dataclass(frozen=True, slots=True)
class FileChange:
    """One path a commit sets: its text (for a gitlink, the commit's sha) and git mode."""

    path: str
    text: str
    mode: str = REGULAR

    def tree_entry(self) -> dict[str, str]:
        """The entry as the git data API takes it: a gitlink names its commit, a file its text."""
        if self.mode == GITLINK:
            return {"path": self.path, "mode": GITLINK, "type": "commit", "sha": self.text}
        return {"path": self.path, "mode": self.mode, "type": "blob", "content": self.text}


@dataclass(frozen=True, slots=True)
class FileAtRef:
    """A file's text at a commit. ``text`` is None when the file is missing or not text; a
    submodule's gitlink (mode GITLINK) reads as the sha of the commit it pins."""

    path: str
    commit: str
    text: str | None
    binary: bool = False
    refused: str | None = None  # why bumper will not edit it (too large, not UTF-8, ...)
    mode: str = REGULAR  # its git tree mode, kept by the commit bumper builds (debian/rules)

    @property
    def problem(self) -> str | None:
        if self.refused is not None:
            return self.refused
        if self.binary:
            return f"{self.path}: is a binary file in the target, not a Makefile"
        if self.text is None:
            return f"{self.path}: no such file in the target at {self.commit[:12]}"
        return None


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    message: str
    parents: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CommitChange:
    """What a commit changed against its first parent, and who GitHub says made it."""

    sha: str
    files: tuple[tuple[str, str], ...]  # (path, blob sha at the commit), every changed path
    author: str  # the login GitHub links the author's email to; "" when none
    committer: str


@dataclass(frozen=True, slots=True)
class CommitAuthor:
    """Who wrote one commit of a PR: git's name and email, and the login GitHub links."""

    sha: str
    name: str
    email: str
    login: str  # "" when GitHub links no account


@dataclass(frozen=True, slots=True)
class BranchInfo:
    """A branch where bumper pushes: its name and head commit."""

    name: str
    head: CommitInfo


@dataclass(frozen=True, slots=True)
class Opened:
    """What opening a PR together with its branch did. ``branch``: the branch now holds the
    commit asked for (made, or made by an earlier attempt of the same request); False: it
    existed at another commit and was left as it is. ``pr``: the PR from the branch, opened
    now (``created``) or open already; None with ``branch`` False: nothing was written."""

    pr: PullInfo | None
    created: bool
    branch: bool


class Forge(Protocol):
    """Reads and writes one pass needs, against one target repository and base branch."""

    @property
    def head_owner(self) -> str:
        """The owner of the repository bumper's branches live in (the target's, or the fork's)."""
        ...

    def request_counts(self) -> dict[str, int]:
        """Requests sent so far, by kind (for the pass report)."""
        ...

    # -- reads ----------------------------------------------------------------------------
    def base_head(self) -> BaseHead: ...

    def read_files(self, commit: str, paths: Sequence[str]) -> Mapping[str, FileAtRef]:
        """The text of each path at ``commit``, batched: a few requests for any number."""
        ...

    def open_pulls(self) -> list[PullInfo]:
        """Every open PR, whatever its base: one bumper opened may have been moved to another
        (one paginated listing)."""
        ...

    def closed_pulls(self, branch: str) -> list[PullInfo]:
        """Closed PRs whose head is ``branch`` (where bumper pushes), newest first."""
        ...

    def branch(self, name: str) -> BranchInfo | None:
        """The branch and its head commit, or None when it does not exist."""
        ...

    def commit_change(self, sha: str) -> CommitChange:
        """What commit ``sha`` of the push repository changed, and its author and committer."""
        ...

    def account(self) -> str:
        """The login bumper writes as (the token's user, or the App's ``slug[bot]``)."""
        ...

    def mergeable(self, number: int) -> str:
        """Whether PR ``number`` merges cleanly: MERGEABLE, CONFLICTING or UNKNOWN."""
        ...

    def pull_commits(self, number: int) -> list[CommitAuthor]:
        """The commits of PR ``number`` with their authors, oldest first."""
        ...

    def pull_patches(self, number: int) -> list[tuple[str, str]]:
        """(path, patch) of each file PR ``number`` changes ("" where GitHub shows none)."""
        ...

    def user_identity(self) -> str:
        """``Name <email>`` of the authenticated account, for Signed-off-by."""
        ...

    # -- writes ---------------------------------------------------------------------------
    def make_commit(
        self, base: BaseHead, path: str, text: str, message: str, mode: str = REGULAR
    ) -> str:
        """A commit on ``base`` whose only change is ``path`` set to ``text`` (tree mode
        ``mode``, the base's); returns its sha. Nothing points at it yet."""
        ...

    def commit_files(self, base: BaseHead, changes: Sequence[FileChange], message: str) -> str:
        """One commit on ``base`` setting every one of ``changes`` (files and gitlinks
        alike); returns its sha. Nothing points at it yet."""
        ...

    def know_repository_id(self, node_id: str) -> None:
        """The target repository's GraphQL id, as the pass read it (snapshot.py): the
        branch writes name the repository by it, so it costs no read of its own."""
        ...

    def open_with_branch(self, branch: str, sha: str, title: str, body: str) -> Opened:
        """Create ``branch`` at ``sha`` (only where it does not exist) and open a PR from it
        into the base, in one request where GitHub allows it (see Opened)."""
        ...

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
        """``move_branch`` and ``edit_pull`` of ``pr`` (what is not None), in one request
        where GitHub allows it. BranchMoved (with the branch's head) when the branch was not
        at ``expected``: then the PR says what it said before."""
        ...

    def create_branch(self, name: str, sha: str) -> bool:
        """Create the branch at ``sha``; False (and no change) when it exists already."""
        ...

    def move_branch(self, name: str, sha: str, *, expected: str) -> None:
        """Point the branch at ``sha`` (fast forward or not) only if it is still at
        ``expected``, the head the pass planned from; BranchMoved when it is not."""
        ...

    def delete_branch(self, name: str, *, expected: str) -> None:
        """Delete the branch only if it is still at ``expected``; gone already is fine,
        BranchMoved when it holds another commit."""
        ...

    def create_pull(self, branch: str, title: str, body: str) -> tuple[PullInfo, bool]:
        """Open a PR from ``branch`` into the base; (pr, False) when one was open already and
        was adopted instead (GitHub answers 422 "already exists")."""
        ...

    def edit_pull(
        self, number: int, *, title: str | None = None, body: str | None = None
    ) -> None: ...

    def add_labels(self, number: int, labels: Sequence[str]) -> None: ...

    def close_pull(self, number: int, *, body: str | None = None) -> None:
        """Close the PR (setting ``body`` in the same edit when given)."""
        ...

    def git_urls(self) -> tuple[str, str]:
        """The git smart-HTTP URLs of the target and of the repository bumper's branches
        live in (the same unless ``target.push_to``)."""
        ...

    def git_token(self) -> str | None:
        """The token git pushes with: the one this forge writes with (an App's installation
        token, renewed as needed); None without one."""
        ...

    def has_comment(self, number: int, mark: str) -> bool:
        """Whether a comment on the PR holds the line ``mark``."""
        ...

    def comment_once(self, number: int, text: str, mark: str) -> None:
        """Comment ``text`` on the PR unless a comment of it holds the line ``mark`` already
        (a retried or repeated comment is never posted twice)."""
        ...

    # -- the dashboard issue (bump/dashboard_sync.py) -------------------------------------
    def own_issues(self, account: str) -> list[IssueInfo]:
        """The open issues (not PRs) of the target that ``account`` opened, oldest first."""
        ...

    def create_issue(self, title: str, body: str) -> IssueInfo:
        """Open an issue; sent once (a retried create could open two): ForgeError when its
        answer broke off, and the caller looks for it."""
        ...

    def edit_issue(
        self, number: int, *, title: str | None = None, body: str | None = None
    ) -> None: ...

    def close_issue(self, number: int, *, body: str | None = None) -> None:
        """Close the issue as not planned (setting ``body`` in the same edit when given)."""
        ...

    # -- auto-merge (bump/automerge.py) ---------------------------------------------------
    def enable_auto_merge(self, pr: PullInfo, head: str) -> AutoMerge:
        """Turn GitHub's auto-merge on for ``pr`` while its head is ``head``; ForgeError
        when GitHub refuses for another reason than having nothing to wait for."""
        ...

    def commit_checks(self, sha: str) -> str | None:
        """The combined state of the commit's statuses and check runs in the target
        (GraphQL ``statusCheckRollup``: SUCCESS, PENDING, FAILURE, ...); None when it has
        neither."""
        ...

    def merge_pull(self, number: int, head: str) -> None:
        """Merge the PR, only if its head is still ``head`` (GitHub answers 409 otherwise);
        ForgeError when GitHub refuses."""
        ...
