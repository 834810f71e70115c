"""Plain data passed between modules. Frozen: change with dataclasses.replace."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

SHA_RE = re.compile(r"\A(?:[0-9a-f]{40}|[0-9a-f]{64})\Z")


def is_sha(value: str) -> bool:
    """A full lowercase hex object id (sha1 or sha256)."""
    return SHA_RE.match(value) is not None


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


class PinBy(enum.StrEnum):
    """How a row selects its pin's value in the file (the matrix keys it gives)."""

    VARIABLE = "variable"  # `variable`: a make, shell, Dockerfile or CMake variable
    MATCH = "match"  # `match`: the literal text just before the sha on its line
    WHOLE = "whole"  # neither: the file holds only the sha, or the path is a submodule


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

    @property
    def name(self) -> str:
        return f"{self.variable} ({self.file})"

    @property
    def paths(self) -> tuple[str, ...]:
        """Every file the pin lives in, `file` first: the one PR changes all of them."""
        return self.files or (self.file,)

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.variable)


@dataclass(frozen=True, slots=True)
class Head:
    """A validated upstream branch head."""

    repository: str
    branch: str
    sha: str
    moved_to: str | None = None  # the repository answered with a redirect to this name


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
