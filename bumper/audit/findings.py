"""What an audit reports: a Finding per pin and the Audit holding them (render.py renders it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bumper.model import Location

CATEGORIES = ("broken", "untracked", "hidden", "held", "tracked")
PROBLEMS = frozenset({"broken", "untracked", "hidden"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report. `line` is 1-based; `category` is one of CATEGORIES."""

    file: str
    line: int
    kind: str
    variable: str | None
    value: str | None
    repository: str | None
    category: str
    message: str
    suggestion: str = ""
    managed_by: str | None = None
    branch: str | None = None
    behind: int | None = None  # commits the pin lags its upstream branch (with look-ups)
    head: str | None = None  # the upstream branch's head (with look-ups)
    age_days: int | None = None  # how old the pinned commit is (with look-ups and a token)
    # Every place this one pin is written (the same sha from the same upstream), in path
    # order; `file`/`line` are the first. Empty means just `file`/`line`.
    locations: tuple[Location, ...] = ()
    branch_guessed: bool = False  # `branch` is main/master by guess, not read or looked up
    baselined: bool = False  # already in the --baseline file: reported, not a failure

    @property
    def places(self) -> tuple[Location, ...]:
        return self.locations or (Location(self.file, self.line),)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "kind": self.kind,
            "variable": self.variable,
            "value": self.value,
            "repository": self.repository,
            "category": self.category,
            "message": self.message,
            "suggestion": self.suggestion,
            "managed_by": self.managed_by,
            "branch": self.branch,
            "behind": self.behind,
            "head": self.head,
            "age_days": self.age_days,
            "locations": [{"file": p.file, "line": p.line} for p in self.places],
            "branch_guessed": self.branch_guessed,
            "baselined": self.baselined,
        }


@dataclass(frozen=True, slots=True)
class Audit:
    findings: tuple[Finding, ...]
    checkout: str
    files_listed: int = 0
    files_read: int = 0
    seconds: float = 0.0
    looked_up: bool = False
    requests: Mapping[str, int] = field(default_factory=dict)
    entries: int = 0
    ignored: int = 0  # places left out by `audit.ignore` rules and `bumper: ignore` comments

    @property
    def has_problems(self) -> bool:
        """Problems that fail `--strict`: those a baseline already knows do not."""
        return any(f.category in PROBLEMS and not f.baselined for f in self.findings)

    @property
    def baselined(self) -> int:
        return sum(1 for f in self.findings if f.baselined)

    def counts(self) -> dict[str, int]:
        """Findings per category; pins other tools keep current (`--all`) are counted apart:
        bumper does not track them, so calling them tracked would overstate its coverage."""
        counts = dict.fromkeys(CATEGORIES, 0)
        for finding in self.findings:
            if finding.managed_by is None:
                counts[finding.category] += 1
        return counts

    @property
    def managed(self) -> int:
        return sum(1 for f in self.findings if f.managed_by)

    def summary(self) -> dict[str, Any]:
        return {
            "total": len(self.findings),
            **self.counts(),
            "managed": self.managed,
            "ignored": self.ignored,
            "baselined": self.baselined,
            "problems": sum(1 for f in self.findings if f.category in PROBLEMS),
            "matrix_entries": self.entries,
            "files_listed": self.files_listed,
            "files_read": self.files_read,
            "seconds": round(self.seconds, 3),
            "lookups": self.looked_up,
            "requests": dict(self.requests),
            "checkout": self.checkout,
        }
