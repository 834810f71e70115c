"""PURE: where a matrix ``repository`` (owner/name on the configured GitHub, or a URL) is read,
how a repository that moved is written back into the matrix, and the pair every look-up
answers."""

from __future__ import annotations

from urllib.parse import urlsplit

from bumper.config.settings import GitHubSettings
from bumper.config.values import split_owner_name
from bumper.errors import UpstreamError
from bumper.github.http import sanitize
from bumper.model import Head, Repository

Pair = tuple[str, str]  # (repository as written in the matrix, branch)
Answer = Head | UpstreamError


def resolve_upstream(repository: str, github: GitHubSettings, *, allow_http: bool) -> Repository:
    """Where a matrix ``repository`` (owner/name on GitHub, or a URL) is read; UpstreamError if
    it cannot be used."""
    git_base = github.git_url.rstrip("/")
    found = split_owner_name(repository)
    if found is not None:
        owner, name = found
        return Repository(
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
        rest = split_owner_name(url[len(base) :].removesuffix(".git"))
        if rest is not None:
            owner, name = rest
            return Repository(
                repository, display, f"{git_base}/{owner}/{name}.git", (owner, name), git_base
            )
    # Used as written, like `git ls-remote URL`: not every server accepts an added ".git".
    return Repository(repository, display, url)


def moved_name(upstream: Repository, base: str) -> str:
    """How to write the new location in the matrix, in the same form as the old one."""
    if upstream.owner_name is not None and upstream.github_git_base is not None:
        prefix = upstream.github_git_base + "/"
        rest = base[len(prefix) :].removesuffix(".git")
        if base.lower().startswith(prefix.lower()) and split_owner_name(rest):
            if not upstream.is_url:
                return rest
            base = f"{upstream.github_git_base}/{rest}.git"
    return base if upstream.text.endswith(".git") else base.removesuffix(".git")


def compare_url(repository: str, github: GitHubSettings, old: str, new: str) -> str | None:
    """The web page comparing two commits of a matrix ``repository``, where bumper knows one:
    PR bodies, `run-once --summary` and the status page all link through here."""
    try:
        parsed = resolve_upstream(repository, github, allow_http=True)
    except UpstreamError:
        return None
    return parsed.compare_url(github.web_url, old, new)


def release_url(repository: str, github: GitHubSettings, tag: str) -> str | None:
    """The page of a release of a matrix ``repository`` (its notes), where bumper knows one."""
    try:
        parsed = resolve_upstream(repository, github, allow_http=True)
    except UpstreamError:
        return None
    return parsed.release_url(github.web_url, tag)


def web_url(repository: str, github: GitHubSettings) -> str | None:
    """Where a person sees a matrix ``repository``, or None when it cannot be used."""
    try:
        return resolve_upstream(repository, github, allow_http=True).web_url(github.web_url)
    except UpstreamError:
        return None
