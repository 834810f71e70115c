"""Plain data passed between modules. Frozen: change with dataclasses.replace."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bumper import versions

SHA_RE = re.compile(r"\A(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")


def is_sha(value: str) -> bool:
    """A full lowercase hex object id (sha1 or sha256)."""
    return SHA_RE.match(value) is not None


def is_pin_value(value: str, *, tags: bool = False) -> bool:
    """A value bumper reads and writes as a pin: a sha, or with ``tags`` (a row following
    releases) a release tag (bumper.versions reads it; only ``[0-9A-Za-z.+-]``)."""
    return is_sha(value) or (tags and versions.parse(value) is not None)


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was written: a file and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Repository:
    """A matrix ``repository``, parsed once (``bumper.upstream.resolve_upstream``): where its
    git lives and, when it is on the configured GitHub, its owner and name. Every place that
    needs a URL or an owner/name asks this value instead of reading the string again."""

    text: str  # as written in the matrix: the key of every look-up answer
    display: str  # for messages: owner/name, or host/path of a URL without its scheme
    git_url: str  # the repository's smart-HTTP base URL, no trailing slash
    owner_name: tuple[str, str] | None = None  # set when hosted on the configured GitHub
    github_git_base: str | None = None  # {github.git_url} without a trailing slash

    @property
    def is_url(self) -> bool:
        return "://" in self.text

    def web_url(self, web_base: str) -> str | None:
        """Where a person sees it: on the configured GitHub's web host, or its URL as written."""
        if self.owner_name is not None:
            owner, name = self.owner_name
            return f"{web_base.rstrip('/')}/{owner}/{name}"
        if self.is_url:
            return self.text.rstrip("/").removesuffix(".git")
        return None

    def compare_url(self, web_base: str, old: str, new: str) -> str | None:
        """GitHub's compare view of ``old...new``; None off the configured GitHub, whose hosts
        lay their pages out in ways bumper does not know."""
        if self.owner_name is None:
            return None
        return f"{self.web_url(web_base)}/compare/{old}...{new}"

    def release_url(self, web_base: str, tag: str) -> str | None:
        """GitHub's page of the release (or bare tag) ``tag``: its notes; None off GitHub."""
        if self.owner_name is None:
            return None
        return f"{self.web_url(web_base)}/releases/tag/{tag}"


FOLLOW_TAGS = "tags"


def tags_key(pattern: str | None, prerelease: bool) -> str:
    """The `branch` of a row that follows tags: ``tags:*``, ``tags+pre:*``, ``tags:v1.*``...
    A ``:`` (or ``*``) is never in a branch name, so it never collides with a branch."""
    return f"{FOLLOW_TAGS}{'+pre' if prerelease else ''}:{pattern or '*'}"


def tag_selection(branch: str) -> tuple[str, bool] | None:
    """(glob, prerelease) of a tags_key; None for a branch name."""
    head, colon, pattern = branch.partition(":")
    if not colon or head not in (FOLLOW_TAGS, f"{FOLLOW_TAGS}+pre"):
        return None
    return pattern, head.endswith("+pre")


class PinBy(enum.StrEnum):
    """How a row selects its pin's value in the file (the matrix keys it gives)."""

    VARIABLE = "variable"  # `variable`: a make, shell, Dockerfile or CMake variable
    MATCH = "match"  # `match`: the literal text just before the sha on its line
    WHOLE = "whole"  # neither: the file holds only the sha, or the path is a submodule


@dataclass(frozen=True, slots=True)
class Also:
    """A row's `also`: the same value written elsewhere (a wheel URL holding its version),
    found as the text right after ``match`` in ``file``; it moves with the pin."""

    match: str
    file: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One row of the bump matrix."""

    repository: str  # "owner/name" on the configured GitHub host, or an https URL
    variable: str  # the pin's name: the row's `variable`, or its `name` when it has none
    branch: str
    file: str  # path relative to the target repository's root; the first of `files`
    hold: str | None = None  # reason; a held entry is reported, never bumped
    source: Location | None = None
    files: tuple[str, ...] = ()  # every file holding the pin (empty: just `file`)
    match: str | None = None  # with PinBy.MATCH: the text just before the sha
    by: PinBy = PinBy.VARIABLE
    # `follow: tags`: the newest release tag, not a branch head. `branch` then holds
    # tags_key(...), which no branch can be named, so every (repository, branch) look-up key
    # stays one value per selection and rows choosing alike share one look-up.
    follow: str = "branch"  # "branch" or "tags"
    tags: str | None = None  # with follow: tags, a glob on tag names
    prerelease: bool = False  # with follow: tags, pre-releases count too
    also: tuple[Also, ...] = ()  # more places holding the same value, moved together

    @property
    def follows_tags(self) -> bool:
        return self.follow == FOLLOW_TAGS

    automerge: bool | str | None = None  # True, False, "always"; None: pr.automerge decides
    # Gates (None: the config's `gates:` default applies, then none): bump only to the newest
    # commit of the branch at least this old ("36h", "2d"), or whose checks are all green.
    min_age: str | None = None
    require_checks: bool | None = None
    # A hold that lifts itself: on this date (YYYY-MM-DD, UTC), or once the followed branch
    # contains this commit. Set only with `hold`.
    hold_until: str | None = None
    hold_until_upstream_contains: str | None = None

    @property
    def hold_condition(self) -> str | None:
        """When the hold lifts by itself, in words; None for a plain reason (or no hold)."""
        if self.hold_until is not None:
            return f"until {self.hold_until}"
        if self.hold_until_upstream_contains is not None:
            return f"until {self.branch} contains {self.hold_until_upstream_contains[:12]}"
        return None

    @property
    def gated(self) -> bool:
        # gates pick among a branch's commits; a row following tags picks a release instead
        if self.follows_tags:
            return False
        return self.min_age is not None or bool(self.require_checks)

    @property
    def name(self) -> str:
        return f"{self.variable} ({self.file})"

    @property
    def paths(self) -> tuple[str, ...]:
        """Every file the pin lives in, `file` first, then `also`'s: the one PR changes all."""
        own = self.pin_paths
        if not self.also:
            return own
        return own + tuple(dict.fromkeys(a.file for a in self.also if a.file not in own))

    @property
    def pin_paths(self) -> tuple[str, ...]:
        """The files of `file`/`files`, where the pin itself (not an `also`) is read."""
        return self.files or (self.file,)

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.variable)


@dataclass(frozen=True, slots=True)
class Head:
    """A validated upstream branch head, or for a row following tags, the newest release."""

    repository: str
    branch: str
    sha: str  # always a commit (an annotated tag is peeled)
    moved_to: str | None = None  # the repository answered with a redirect to this name
    tag: str | None = None  # following tags: the chosen tag's name (a parsed version)
    # following tags: (name, commit) of the versions later than `tag` (pre-releases, other
    # globs), so a pin already at one of them is left alone
    above: tuple[tuple[str, str], ...] = ()
    # A page of the branch's recent history, newest first, when a gate asked for it.
    history: tuple[HistoryCommit, ...] | None = None
    # Of the commits a hold waits for, those the branch contains (None: not asked).
    contains: frozenset[str] | None = None
    # Why this sha and not the branch's head, or which hold lifted: said in the PR and result.
    note: str = ""


@dataclass(frozen=True, slots=True)
class HistoryCommit:
    """One commit of a branch's recent history: when it was committed, and its checks'
    combined state (GitHub's statusCheckRollup: SUCCESS, FAILURE, ..., None when none ran)."""

    sha: str
    committed_at: float
    checks: str | None = None


class Status(enum.StrEnum):
    BUMPED = "bumped"
    UP_TO_DATE = "up-to-date"
    HELD = "held"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Result:
    """What one pass did for one entry."""

    entry: Entry
    status: Status
    old: str | None = None
    new: str | None = None
    message: str = ""
    pr: int | None = None
    pr_url: str | None = None
    behind: int | None = None  # commits the target's pin lags upstream, when known
    diff: str = ""  # a dry run's unified diff of what this entry would change
    gate: str = ""  # why the bump (or its absence) is not the branch head; "" when ungated
