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
class Entry:
    """One row of the bump matrix."""

    repository: str  # "owner/name" on the configured GitHub host, or an https URL
    variable: str
    branch: str
    file: str  # path relative to the target repository's root
    hold: str | None = None  # reason; a held entry is reported, never bumped
    source: Location | None = None

    @property
    def name(self) -> str:
        return f"{self.variable} ({self.file})"

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
