"""Typed settings read from config/bumper.yaml: each key once, with its default and its rule.

A section's keys are its dataclass's fields; ``setting(default, converter)`` says how the key
is read (see convert.py), so adding a setting is adding a field here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bumper import logs
from bumper.config import convert as c
from bumper.config.convert import setting
from bumper.config.values import (
    check_author,
    check_branch,
    check_duration,
    check_owner,
    check_owner_name,
    split_owner_name,
)
from bumper.model import Entry


class Secret:
    """A token that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        # Held means sent: a server may echo it, so every output hides it from now on.
        logs.add_secret(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    api_url: str = setting("https://api.github.com", c.url)
    git_url: str = setting("https://github.com", c.url)
    web_url: str = setting("https://github.com", c.url)  # compare links; default: git_url
    token_env: str = setting("GITHUB_TOKEN", c.token_env)
    app_id: int | None = setting(None, c.optional(c.int_range(1, None)))
    app_private_key: str | None = setting(None, c.pem_path)  # path to a PEM file
    app_installation_id: int | None = setting(None, c.optional(c.int_range(1, None)))
    # PyGithub's pacing and retries, chosen on purpose (its defaults sleep 0.25 s per read and
    # retry 10 times): GitHub asks for a second between content-creating requests and for
    # serial requests, which a pass makes; reads need no pause. Tests set both to 0.
    seconds_between_requests: float = setting(0.0, c.number_range(0, 60))
    seconds_between_writes: float = setting(1.0, c.number_range(0, 60))
    retries: int = setting(3, c.int_range(0, 20))  # per request: 5xx, dropped, rate limits
    # The longest rate-limit or Retry-After sleep; beyond it, fail.
    max_rate_limit_wait: float = setting(60.0, c.number_range(0, 86_400))
    timeout_seconds: int = setting(30, c.int_range(1, 600))

    @property
    def graphql_url(self) -> str:
        # api.github.com -> /graphql; Enterprise and the sandbox: /api/v3 -> /api/graphql
        base = self.api_url.rstrip("/")
        if base.endswith("/api/v3"):
            return base[: -len("/v3")] + "/graphql"
        return base + "/graphql"

    def token(self, environ: dict[str, str] | None = None) -> Secret | None:
        value = (os.environ if environ is None else environ).get(self.token_env, "")
        return Secret(value) if value else None


@dataclass(frozen=True, slots=True)
class TargetSettings:
    # owner/name of the repository holding the Makefiles
    repository: str | None = setting(None, c.checked(check_owner_name))
    base: str = setting("main", c.checked(check_branch))
    push_to: str | None = setting(None, c.checked(check_owner))  # owner of a fork to push to

    @property
    def owner_name(self) -> tuple[str, str] | None:
        """``repository`` as (owner, name); None when it is not set (the loader checks its
        form, so this is the one place it is split)."""
        return None if self.repository is None else split_owner_name(self.repository)


_AUTOMERGE_OFF: bool | str = False  # typed so, as "always" is the third value


@dataclass(frozen=True, slots=True)
class PrSettings:
    branch: str = setting("update/{variable}", c.template(stable=True))
    title: str = setting("chore: :arrow_up: Update {repository} to `{sha}`", c.template())
    commit_message: str = setting(":arrow_up: Update {repository}", c.template())
    # Extra text placed above the generated body.
    body: str | None = setting(None, c.optional(c.template()))
    labels: tuple[str, ...] = setting(("dependencies",), c.labels)
    signoff: bool = setting(False, c.boolean)
    # "Name <email>" for Signed-off-by; default: the token's account.
    author: str | None = setting(None, c.optional(c.checked(check_author)))
    max_open: int = setting(50, c.int_range(0, None))
    max_new_per_run: int = setting(50, c.int_range(0, None))
    max_commits_listed: int = setting(20, c.int_range(0, 250))
    # true: GitHub's auto-merge is turned on for bumper's PRs (or bumper merges one whose
    # checks are green when there is nothing for GitHub to wait for); "always": also when
    # the PR carries commits people pushed to it. A matrix row's `automerge` wins.
    automerge: bool | str = setting(_AUTOMERGE_OFF, c.automerge)
    # "conflicted": a moved base rebuilds an open PR only once it no longer merges cleanly;
    # "behind": whenever the base moved (every rebuild re-runs the PR's CI).
    rebase: Literal["conflicted", "behind"] = setting(
        "conflicted", c.choice("conflicted", "behind")
    )
    # Replay the commits people pushed onto bumper's branch when upstream moves.
    carry_commits: bool = setting(True, c.boolean)
    # Commit authors (names, emails, logins) whose open PRs from the pin's branch bumper
    # takes over as its own: an earlier bump bot's.
    adopt_authors: tuple[str, ...] = setting((), c.identities)


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    cron: str = setting("0 3 * * *", c.cron)  # standard crontab: day-of-week 0 and 7 are Sunday
    timezone: str = setting("UTC", c.timezone)
    jitter_seconds: int = setting(0, c.int_range(0, 86_400))
    # When set, replaces cron (tests, demos).
    interval_seconds: float | None = setting(None, c.optional(c.number_range(0.01, 7 * 86_400)))
    # Names the variable holding the admin token; POST /run is off without it.
    admin_token_env: str | None = setting(None, c.optional(c.token_env))


@dataclass(frozen=True, slots=True)
class LookupSettings:
    # Git look-ups in flight at once (GraphQL look-ups are serial): 100 repositories at 50 ms
    # are 13 round trips at 8 and 7 at 16, far under GitHub's cap of 100 concurrent requests.
    concurrency: int = setting(16, c.int_range(1, 64))
    timeout_seconds: float = setting(20.0, c.number_range(0.1, 600))
    retries: int = setting(4, c.int_range(0, 20))
    # The longest Retry-After / rate-limit reset we sleep for.
    max_wait_seconds: float = setting(60.0, c.number_range(0, 86_400))
    # The first retry's wait; it doubles per attempt (tests: ~0).
    backoff_seconds: float = setting(1.0, c.number_range(0, 600))
    allow_http: bool = setting(False, c.boolean)  # plain-http upstreams are refused unless allowed


@dataclass(frozen=True, slots=True)
class IgnoreRule:
    """An `audit.ignore` item: the findings it matches are left out of the audit, and why."""

    reason: str
    path: str | None = None  # a glob on checkout-relative paths (`*`, `?`, `**/`)
    sha: str | None = None  # the pinned sha, or 7+ of its first hex digits


@dataclass(frozen=True, slots=True)
class AuditSettings:
    # Pins kept as they are on purpose; sections.py reads each item at its own line.
    ignore: tuple[IgnoreRule, ...] = ()


@dataclass(frozen=True, slots=True)
class DashboardSettings:
    """`dashboard: true` or `{title: ...}`: one issue in the target listing every pin."""

    title: str = setting("bumper dashboard", c.title)


@dataclass(frozen=True, slots=True)
class GateSettings:
    """Defaults for every matrix row's gates; a row's own `min_age`/`require_checks` win."""

    min_age: str | None = setting(None, c.optional(c.checked(check_duration)))
    require_checks: bool = setting(False, c.boolean)


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    github: GitHubSettings = field(default_factory=GitHubSettings)
    target: TargetSettings = field(default_factory=TargetSettings)
    pr: PrSettings = field(default_factory=PrSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    lookup: LookupSettings = field(default_factory=LookupSettings)
    gates: GateSettings = field(default_factory=GateSettings)
    matrix: tuple[Entry, ...] = ()
    matrix_from: tuple[str, str] | None = None  # (workflow path, job name) it was imported from
    audit: AuditSettings = field(default_factory=AuditSettings)
    dashboard: DashboardSettings | None = None  # None: no dashboard issue
