"""The write side as publish needs it: a small Protocol and the plain data it returns.

``bumper.forge.github.GitHubForge`` implements it with PyGithub. Every call names the branch
or pull request it acts on; the forge knows the target repository, its base branch and (with
``target.push_to``) the fork the branches live in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from bumper.errors import ForgeError

MOVED = "the branch moved under this pass (someone pushed); left as it is"


class BranchMoved(ForgeError):
    """A conditional ref write found the branch elsewhere than planned: nothing was written."""


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
class BranchInfo:
    """A branch where bumper pushes: its name and head commit."""

    name: str
    head: CommitInfo


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

    def comment_once(self, number: int, text: str, mark: str) -> None:
        """Comment ``text`` on the PR unless a comment of it holds the line ``mark`` already
        (a retried or repeated comment is never posted twice)."""
        ...
