"""PURE: where a matrix ``repository`` (owner/name on the configured GitHub, or a URL) is read,
how a repository that moved is written back into the matrix, and the pair every look-up
answers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from bumper.config.settings import GitHubSettings
from bumper.errors import UpstreamError
from bumper.github.http import sanitize
from bumper.model import Head

Pair = tuple[str, str]  # (repository as written in the matrix, branch)
Answer = Head | UpstreamError

OWNER_NAME = re.compile(r"\A([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+)\Z")


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where one matrix repository is read from."""

    repository: str  # as written in the matrix
    display: str  # for messages: owner/name, or host/path of a URL without its scheme
    git_url: str  # the repository's smart-HTTP base URL, no trailing slash
    owner_name: tuple[str, str] | None = None  # set when hosted on the configured GitHub
    github_git_base: str | None = None  # {github.git_url} without a trailing slash

    @property
    def is_url(self) -> bool:
        return "://" in self.repository


def resolve_upstream(repository: str, github: GitHubSettings, *, allow_http: bool) -> Upstream:
    """Where a matrix ``repository`` (owner/name on GitHub, or a URL) is read; UpstreamError if
    it cannot be used."""
    git_base = github.git_url.rstrip("/")
    match = OWNER_NAME.match(repository)
    if match and match[2] not in (".", ".."):
        owner, name = match[1], match[2]
        return Upstream(
            repository, repository, f"{git_base}/{owner}/{name}.git", (owner, name), git_base
        )
    if "://" not in repository:
        raise UpstreamError(
            f"{sanitize(repository)}: not owner/name or an https URL of a git repository"
        )
    parts = urlsplit(repository)
    display = sanitize(repository).split("://", 1)[1].rstrip("/")
    if "@" in parts.netloc:
        raise UpstreamError(f"{display}: the URL must not carry credentials")
    scheme = parts.scheme.lower()
    if scheme == "http" and not allow_http:
        raise UpstreamError(f"{display}: plain http refused (set lookup.allow_http to allow it)")
    if scheme not in ("http", "https") or not parts.hostname:
        raise UpstreamError(f"{display}: not an https URL of a git repository")
    if parts.query or parts.fragment or parts.path.strip("/") == "":
        raise UpstreamError(f"{display}: URL needs a repository path and no query or fragment")
    url = repository.rstrip("/")
    base = git_base.lower() + "/"
    if url.lower().startswith(base):
        rest = OWNER_NAME.match(url[len(base) :].removesuffix(".git"))
        if rest:
            owner, name = rest[1], rest[2]
            return Upstream(
                repository, display, f"{git_base}/{owner}/{name}.git", (owner, name), git_base
            )
    # Used as written, like `git ls-remote URL`: not every server accepts an added ".git".
    return Upstream(repository, display, url)


def moved_name(upstream: Upstream, base: str) -> str:
    """How to write the new location in the matrix, in the same form as the old one."""
    if upstream.owner_name is not None and upstream.github_git_base is not None:
        prefix = upstream.github_git_base + "/"
        rest = base[len(prefix) :].removesuffix(".git")
        if base.lower().startswith(prefix.lower()) and OWNER_NAME.match(rest):
            if not upstream.is_url:
                return rest
            base = f"{upstream.github_git_base}/{rest}.git"
    return base if upstream.repository.endswith(".git") else base.removesuffix(".git")
