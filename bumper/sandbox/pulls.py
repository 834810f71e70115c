"""Pull requests, comments and labels of sandbox repositories, kept as JSON under store.root.

State is keyed by repository id, so a renamed repository keeps its pull requests.
Pull requests and issues share one number sequence per repository, as on GitHub.
"""

from __future__ import annotations

import json
import time
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bumper.sandbox.store import Store

# Ids are unique across the sandbox: repository id times this, plus a per-repository counter.
ID_SPAN = 1_000_000


@dataclass(slots=True)
class Pull:
    number: int
    head_repo: int  # repository id of the head branch's repository
    head_ref: str  # branch name
    base_ref: str
    title: str
    body: str | None
    user: str
    created_at: float
    updated_at: float
    state: str = "open"
    draft: bool = False
    maintainer_can_modify: bool = False
    closed_at: float | None = None
    merged_at: float | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None
    head_sha: str = ""  # last seen; the branch itself is the truth while the PR is open
    base_sha: str = ""
    labels: list[str] = field(default_factory=list)
    # GitHub's auto-merge request: {"enabled_by", "merge_method", "enabled_at"} or None
    auto_merge: dict[str, Any] | None = None


@dataclass(slots=True)
class Issue:
    """An issue that is not a pull request (it shares the numbers with them)."""

    number: int
    title: str
    body: str | None
    user: str
    created_at: float
    updated_at: float
    state: str = "open"
    closed_at: float | None = None
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Comment:
    id: int
    number: int
    body: str
    user: str
    created_at: float
    updated_at: float


@dataclass(slots=True)
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass(slots=True)
class Board:
    """Everything issue-like of one repository."""

    repo_id: int
    next_number: int = 1
    next_id: int = 1
    pulls: dict[int, Pull] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    labels: dict[str, Label] = field(default_factory=dict)  # lower-cased name -> label
    issues: dict[int, Issue] = field(default_factory=dict)  # the numbers that are not PRs

    def new_id(self) -> int:
        value = self.repo_id * ID_SPAN + self.next_id
        self.next_id += 1
        return value

    def pull_id(self, number: int) -> int:
        # Fixed per number so ids survive reloads; the high half keeps them apart from comments.
        return self.repo_id * ID_SPAN + ID_SPAN // 2 + number

    def label(self, name: str) -> Label:
        """The repository's label ``name``, created on first use as GitHub's API does."""
        found = self.labels.get(name.lower())
        if found is None:
            found = self.labels[name.lower()] = Label(self.new_id(), name)
        return found

    def open_pull(self, head_repo: int, head_ref: str, base_ref: str) -> Pull | None:
        for pull in self.pulls.values():
            if (pull.state, pull.head_repo, pull.head_ref, pull.base_ref) == (
                "open",
                head_repo,
                head_ref,
                base_ref,
            ):
                return pull
        return None

    def add_pull(self, **fields: Any) -> Pull:
        now = time.time()
        pull = Pull(number=self.next_number, created_at=now, updated_at=now, **fields)
        self.pulls[pull.number] = pull
        self.next_number += 1
        return pull

    def add_issue(self, **fields: Any) -> Issue:
        now = time.time()
        issue = Issue(number=self.next_number, created_at=now, updated_at=now, **fields)
        self.issues[issue.number] = issue
        self.next_number += 1
        return issue

    def add_comment(self, number: int, body: str, user: str) -> Comment:
        now = time.time()
        comment = Comment(self.new_id(), number, body, user, now, now)
        self.comments.append(comment)
        return comment

    def comments_on(self, number: int) -> list[Comment]:
        return [c for c in self.comments if c.number == number]

    def to_json(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "next_number": self.next_number,
            "next_id": self.next_id,
            "pulls": [asdict(p) for p in self.pulls.values()],
            "comments": [asdict(c) for c in self.comments],
            "labels": [asdict(label) for label in self.labels.values()],
            "issues": [asdict(i) for i in self.issues.values()],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Board:
        board = cls(int(data["repo_id"]), int(data["next_number"]), int(data["next_id"]))
        for raw in data["pulls"]:
            pull = Pull(**raw)
            board.pulls[pull.number] = pull
        board.comments = [Comment(**raw) for raw in data["comments"]]
        board.labels = {raw["name"].lower(): Label(**raw) for raw in data["labels"]}
        for raw in data.get("issues", []):
            issue = Issue(**raw)
            board.issues[issue.number] = issue
        return board


class Tracker:
    """Boards of all repositories of one store, loaded lazily and written through on save.

    Callers hold ``store.lock`` around a read-modify-save, the same lock git writes take.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._dir = Path(store.root) / "issues"
        self._dir.mkdir(parents=True, exist_ok=True)
        self._boards: dict[int, Board] = {}

    def board(self, repo_id: int) -> Board:
        with self.store.lock:
            board = self._boards.get(repo_id)
            if board is None:
                path = self._dir / f"{repo_id}.json"
                if path.exists():
                    board = Board.from_json(json.loads(path.read_text()))
                else:
                    board = Board(repo_id)
                self._boards[repo_id] = board
            return board

    def save(self, board: Board) -> None:
        with self.store.lock:
            path = self._dir / f"{board.repo_id}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(board.to_json(), indent=1))
            tmp.replace(path)


_TRACKERS: weakref.WeakKeyDictionary[Store, Tracker] = weakref.WeakKeyDictionary()


def tracker(store: Store) -> Tracker:
    """The one Tracker of ``store`` (handlers may be built per request; state must not be)."""
    with store.lock:
        found = _TRACKERS.get(store)
        if found is None:
            found = _TRACKERS[store] = Tracker(store)
        return found
