"""Typed settings that config.py builds from config/bumper.yaml. Defaults live here."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bumper.model import Entry


class Secret:
    """A token that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    api_url: str = "https://api.github.com"
    git_url: str = "https://github.com"
    web_url: str = "https://github.com"  # compare links in PR bodies
    token_env: str = "GITHUB_TOKEN"
    app_id: int | None = None
    app_private_key: str | None = None  # path to a PEM file
    app_installation_id: int | None = None
    # PyGithub's pacing and retries, chosen on purpose (its defaults sleep 0.25 s per read and
    # retry 10 times): GitHub asks for a second between content-creating requests and for
    # serial requests, which a pass makes; reads need no pause. Tests set both to 0.
    seconds_between_requests: float = 0.0
    seconds_between_writes: float = 1.0
    retries: int = 3  # per request, on 5xx, dropped connections and rate limits
    max_rate_limit_wait: float = 60.0  # longest rate-limit or Retry-After sleep; beyond: fail
    timeout_seconds: int = 30

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
    repository: str | None = None  # owner/name of the repository holding the Makefiles
    base: str = "main"
    push_to: str | None = None  # owner of a fork to push branches to


@dataclass(frozen=True, slots=True)
class PrSettings:
    branch: str = "update/{variable}"
    title: str = "chore: :arrow_up: Update {repository} to `{sha}`"
    commit_message: str = ":arrow_up: Update {repository}"
    body: str | None = None  # extra text placed above the generated body
    labels: tuple[str, ...] = ("dependencies",)
    signoff: bool = False
    max_open: int = 50
    max_new_per_run: int = 50
    max_commits_listed: int = 20
    author: str | None = None  # "Name <email>" for Signed-off-by; default: the token's account


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    cron: str = "0 3 * * *"  # standard crontab: day-of-week 0 and 7 are Sunday
    timezone: str = "UTC"
    jitter_seconds: int = 0
    interval_seconds: float | None = None  # when set, replaces cron (tests, demos)
    admin_token_env: str | None = None  # names the variable; POST /run is off without it


@dataclass(frozen=True, slots=True)
class LookupSettings:
    concurrency: int = 8
    timeout_seconds: float = 20.0
    retries: int = 4
    max_wait_seconds: float = 60.0  # longest Retry-After / rate-limit reset we sleep for
    backoff_seconds: float = 1.0  # first retry's wait; it doubles per attempt (tests: ~0)
    allow_http: bool = False  # plain-http upstreams are refused unless allowed


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    github: GitHubSettings = field(default_factory=GitHubSettings)
    target: TargetSettings = field(default_factory=TargetSettings)
    pr: PrSettings = field(default_factory=PrSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    lookup: LookupSettings = field(default_factory=LookupSettings)
    matrix: tuple[Entry, ...] = ()
    matrix_from: tuple[str, str] | None = None  # (workflow path, job name) it was imported from
