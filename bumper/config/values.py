"""Checks on single config values: owner/name, repository, branch, path, URL, variable, author.

Each returns a message saying what is wrong, or None when the value is fine. They are the one
home for these rules; the matrix rows and the settings sections both use them.
"""

from __future__ import annotations

import datetime
import re
from pathlib import PurePosixPath
from urllib.parse import SplitResult, urlsplit

from bumper.config.problems import shown

_VARIABLE_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
# GitHub logins: letters, digits and hyphens, at most 39, not starting with a hyphen.
_OWNER_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9-]{0,38}\Z")
_REPO_NAME_RE = re.compile(r"\A[A-Za-z0-9._-]{1,100}\Z")
_BAD_REF_CHARS = set("~^:?*[\\")
# One scan each for what the checks below look for character by character: a matrix of 1,000
# rows runs them 4,000 times on the way to the first request.
_SPACE = re.compile(r"\s")
_BAD_IN_REF = re.compile(r"[~^:?*\[\\\x00-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x1f]")
# A relative path PurePosixPath leaves as it is: names that are not `.` or `..`, one `/` apart
_PLAIN_PATH = re.compile(r"(?!\.\.?(?:/|\Z))[^/]+(?:/(?!\.\.?(?:/|\Z))[^/]+)*")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
_AUTHOR_RE = re.compile(r"\A[^<>\n]+ <[^<>\s@]+@[^<>\s@]+>\Z")


def is_loopback_host(host: str | None) -> bool:
    return host is not None and (host.lower() in _LOOPBACK_HOSTS or host.startswith("127."))


def check_variable(value: str) -> str | None:
    if not value:
        return "is empty"
    if _VARIABLE_RE.match(value):
        return None
    if value[0].isdigit():
        return f"{shown(value)} starts with a digit; a make variable cannot"
    return f"{shown(value)} is not a make variable name (letters, digits and underscores only)"


def check_owner(value: str) -> str | None:
    if _OWNER_RE.match(value):
        return None
    return (
        f"{shown(value)} is not a GitHub owner "
        "(letters, digits and hyphens, at most 39, not starting with a hyphen)"
    )


def check_owner_name(value: str) -> str | None:
    """`owner/name` as GitHub allows it."""
    parts = value.split("/")
    if len(parts) != 2 or not all(parts):
        return f"{shown(value)} is not `owner/name`"
    owner, name = parts
    if check_owner(owner) is not None:
        return check_owner(owner)
    if name.endswith(".git"):
        return f"{shown(value)}: write the name without `.git`"
    if name in (".", "..") or not _REPO_NAME_RE.match(name):
        return (
            f"{shown(name)} is not a repository name "
            "(letters, digits, `.`, `-` and `_`, at most 100)"
        )
    return None


def check_url(value: str, *, allow_http: bool, what: str = "URL") -> str | None:
    """An http(s) URL with a host, no credentials, query or fragment."""
    try:
        parts: SplitResult = urlsplit(value)
        port = parts.port
    except ValueError:
        return f"is not a valid {what}"
    del port
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        # Never echo the value: it carries a credential.
        return "credentials do not belong in a URL here; the token comes from `github.token_env`"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return f"{shown(value)} must start with https://"
    if not parts.hostname:
        return f"{shown(value)} has no host"
    if scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        return (
            f"{shown(value)} is plain http, which anyone on the path can read or change; "
            "use https, or set `lookup.allow_http: true`"
        )
    if parts.query or parts.fragment:
        return f"{shown(value)} must not have a query or fragment"
    if _SPACE.search(value):
        return f"{shown(value)} contains whitespace"
    return None


def split_owner_name(value: str) -> tuple[str, str] | None:
    """``owner/name`` as (owner, name) when GitHub allows it, else None: the one parse of that
    form, for matrix repositories, the target and renamed upstreams alike."""
    if check_owner_name(value) is not None:
        return None
    owner, name = value.split("/")
    return owner, name


def check_repository(value: str, *, allow_http: bool) -> str | None:
    """`owner/name` on the configured GitHub host, or an https URL of any git server."""
    if not value.strip():
        return "is empty"
    if "${{" in value:
        return "a GitHub Actions expression cannot be resolved here; write the repository"
    if _SPACE.search(value):
        return f"{shown(value)} contains whitespace"
    if "://" in value:
        scheme, rest = value.split("://", 1)
        if "@" in rest.split("/", 1)[0]:
            # Checked first and never echoed: the part before `@` is a credential.
            return (
                "credentials do not belong in a URL here; the token comes from `github.token_env`"
            )
        scheme = scheme.lower()
        if scheme == "http" and not allow_http:
            return (
                f"{shown(value)} is plain http, which anyone on the path can change; "
                "use https, or set `lookup.allow_http: true`"
            )
        if scheme not in ("https", "http"):
            return f"{shown(value)}: only https:// git URLs are supported (or `owner/name`)"
        problem = check_url(value, allow_http=True, what="repository URL")
        if problem:
            return problem
        if not urlsplit(value).path.strip("/"):
            return f"{shown(value)} names a host but no repository"
        return None
    if value.startswith("git@") or re.match(r"\A[\w.-]+@?[\w.-]+:", value):
        return "ssh addresses are not supported; write `owner/name` or an https:// URL"
    parts = value.split("/")
    if len(parts) >= 3 and "." in parts[0]:
        return f"{shown(value)} looks like a URL without its scheme; write https://{value}"
    return check_owner_name(value)


def check_branch(value: str) -> str | None:
    """A branch name git accepts (the rules of `git check-ref-format --branch`)."""
    if not value:
        return "is empty"
    if "${{" in value:
        return "a GitHub Actions expression cannot be resolved here; write the branch"
    if _SPACE.search(value):
        return f"{shown(value)} contains whitespace"
    if value.startswith("refs/"):
        return f"{shown(value)}: write the branch name alone, without `refs/heads/`"
    if ".." in value:
        return f"{shown(value)} contains `..`, which git does not allow in a branch name"
    bad = _BAD_IN_REF.search(value) and sorted(
        {c for c in value if c in _BAD_REF_CHARS or ord(c) < 32 or ord(c) == 127}
    )
    if bad:
        listed = " ".join(repr(c) for c in bad)
        return f"{shown(value)} contains {listed}, which git does not allow in a branch name"
    if (
        value.startswith(("-", "/"))
        or value.endswith(("/", ".", ".lock"))
        or "//" in value
        or "@{" in value
        or value == "@"
        or any(part.startswith(".") for part in value.split("/"))
    ):
        return f"{shown(value)} is not a valid git branch name"
    return None


def check_file(value: str) -> tuple[str, str | None]:
    """A path relative to the repository root: (normalised path, problem)."""
    if not value.strip():
        return value, "is empty"
    if "${{" in value:
        return value, "a GitHub Actions expression cannot be resolved here; write the path"
    if "\\" in value:
        return value, f"{shown(value)}: use forward slashes"
    if _CONTROL.search(value):
        return value, "contains control characters"
    if value.startswith("/") or re.match(r"\A[A-Za-z]:", value):
        return value, f"{shown(value)} is absolute; give the path from the repository root"
    if value.startswith("~"):
        return value, f"{shown(value)}: `~` is not expanded; give the path from the repository root"
    if _PLAIN_PATH.fullmatch(value):
        return value, None  # already normal, as most are: no PurePosixPath per row
    path = PurePosixPath(value)
    if ".." in path.parts:
        return value, f"{shown(value)} goes up with `..`; it must stay inside the repository"
    if value.endswith("/") or path.as_posix() == ".":
        return value, f"{shown(value)} names a directory, not a Makefile"
    return path.as_posix(), None


def check_author(value: str) -> str | None:
    """`Name <email>`, as a Signed-off-by trailer spells it."""
    if _AUTHOR_RE.match(value):
        return None
    return "expected `Name <email>`, as in a Signed-off-by line"


_DURATION_RE = re.compile(r"\A(\d+(?:\.\d+)?)\s*([mhdw])\Z")
_DURATION_UNITS = {"m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
_DATE_RE = re.compile(r"\A\d{4}-\d{2}-\d{2}\Z")


def duration_seconds(text: str) -> float | None:
    """``36h``, ``2d``, ``90m``, ``1w`` in seconds; None when it is not such a duration."""
    match = _DURATION_RE.match(text.strip())
    if match is None:
        return None
    return float(match[1]) * _DURATION_UNITS[match[2]]


def check_duration(value: str) -> str | None:
    if duration_seconds(value) is None:
        return (
            f"{value!r} is not a duration: a number and a unit, m (minutes), h (hours), "
            "d (days) or w (weeks), e.g. 36h or 2d"
        )
    return None


def check_date(value: str) -> str | None:
    """A calendar date written YYYY-MM-DD."""
    if _DATE_RE.match(value):
        try:
            datetime.date.fromisoformat(value)
            return None
        except ValueError:
            pass
    return f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2026-12-31"
