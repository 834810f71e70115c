"""Which upstream repository a pin follows: the one heuristic every part of the audit uses.

A pin rarely names its repository itself. It sits beside a variable that does (LLAMA_REPO for
LLAMA_VERSION), or the file holds a single repository URL, or a URL interpolates the pin. The
names, the suffixes and the URL tests live here so the Makefile, the scanners and the report
agree; `normalize_repository` turns what was written into `owner/name`. Pure: text in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bumper import pins

# Name endings that make a variable a pin (LLAMA_VERSION) and those of its repository beside
# it (LLAMA_REPO). The first repository name that holds a URL wins, so the order matters.
PIN_SUFFIXES: tuple[str, ...] = ("_VERSION", "_COMMIT", "_SHA", "_SHA1", "_REVISION", "_REV")
PIN_SUFFIXES += ("_REF", "_HASH", "_PIN", "_TAG", "_CHECKOUT")
REPO_SUFFIXES: tuple[str, ...] = ("_REPO", "_REPOSITORY", "_URL", "_GIT", "_GIT_URL", "_REPO_URL")
REPO_SUFFIXES += ("_REMOTE", "_SOURCE", "_SRC")
# A file's lone repository URL, when no sibling name settles it (REPO covers REPOSITORY).
_REPOSITORY_NAME = re.compile(r"REPO|GIT_URL|REMOTE", re.I)
_GIT_REPOSITORY = re.compile(r"github\.com[/:]\S|\.git\Z")

_URL = re.compile(r"\A(?:[a-z][a-z0-9+.-]*://|git@[\w.-]+:)\S+\Z")
_GITHUB_PATH = re.compile(r"github\.com[/:]([\w.-]+)/([\w.-]+?)(?:\.git)?(?:[/#?@].*)?\Z")
_URL_TEMPLATE = re.compile(
    r"(?:github\.com/(?P<a>[\w.-]+/[\w.-]+?)(?:\.git)?/(?:archive|tarball|zipball|raw|blob|tree|"
    r"commit)/(?:refs/heads/)?|raw\.githubusercontent\.com/(?P<b>[\w.-]+/[\w.-]+)/|"
    r"codeload\.github\.com/(?P<c>[\w.-]+/[\w.-]+)/(?:tar\.gz|zip)/|"
    r"git\+(?P<d>[a-z][a-z0-9+.-]*://[^\s\"'@]+?)@|"
    r"(?:go|go\s+install|go\s+get)\s+(?P<e>github\.com/[\w.-]+/[\w.-]+)[^\s@]*@)"
    r"\$\{?(?P<var>[A-Za-z_]\w*)"
)


def looks_like_url(value: str) -> bool:
    """A URL git could clone: `scheme://...` or scp-like `git@host:path`."""
    return bool(_URL.match(value))


def normalize_repository(url: str, hosts: Iterable[str] = ()) -> str:
    """`owner/name` for a github.com URL (or one under `hosts`), else the URL itself."""
    url = url.strip().strip("\"'")
    url = re.sub(r"\Agit\+", "", url)
    for host in hosts:
        base = host.rstrip("/")
        if base and url.startswith(base + "/"):
            rest = url[len(base) + 1 :]
            match = re.match(r"([\w.-]+)/([\w.-]+?)(?:\.git)?(?:[/#?@].*)?\Z", rest)
            if match:
                return f"{match[1]}/{match[2]}"
    match = _GITHUB_PATH.search(url)
    if match and re.match(r"\A(?:[a-z+]+://(?:[^/@]+@)?(?:www\.)?|git@)github\.com", url):
        return f"{match[1]}/{match[2]}"
    return url.rstrip("/").removesuffix(".git")


# Go import paths on vanity hosts whose code lives on GitHub, as their `go-import` meta
# tags say: the well-known ones, so a pin there is named after its upstream.
_GO_VANITY = (
    (re.compile(r"google\.golang\.org/grpc(?:/|\Z)"), "grpc/grpc-go"),
    (re.compile(r"google\.golang\.org/protobuf(?:/|\Z)"), "protocolbuffers/protobuf-go"),
    (re.compile(r"golang\.org/x/([\w.-]+)"), "golang/{0}"),
    (re.compile(r"go\.uber\.org/([\w.-]+)"), "uber-go/{0}"),
    (re.compile(r"sigs\.k8s\.io/([\w.-]+)"), "kubernetes-sigs/{0}"),
    (re.compile(r"k8s\.io/([\w.-]+)"), "kubernetes/{0}"),
)


def go_module_repository(module: str) -> str | None:
    """`owner/name` of a Go module path on github.com or a well-known vanity host, else None."""
    match = re.match(r"github\.com/([\w.-]+)/([\w.-]+)", module)
    if match:
        return f"{match[1]}/{match[2]}"
    for pattern, repository in _GO_VANITY:
        if vanity := pattern.match(module):
            return repository.format(*vanity.groups())
    return None


def variable_stem(variable: str) -> str:
    """LLAMA for LLAMA_VERSION, '' when the name has no pin-like suffix."""
    upper = variable.upper()
    for suffix in sorted(PIN_SUFFIXES, key=len, reverse=True):
        if upper.endswith(suffix) and len(variable) > len(suffix):
            return variable[: -len(suffix)]
    return ""


def sibling(variable: str, value_of: Callable[[str], str | None]) -> str | None:
    """The URL in the first neighbouring variable (LLAMA_REPO for LLAMA_VERSION) that holds one.

    `value_of` reads a variable the way its file means it (a Makefile, a shell script).
    """
    stem = variable_stem(variable)
    if not stem:
        return None
    for suffix in REPO_SUFFIXES:
        url = value_of(stem + (suffix.lower() if stem.islower() else suffix))
        if url and looks_like_url(url):
            return url
    return None


def sibling_repository(text: str, variable: str) -> str | None:
    """The URL in a Makefile's neighbouring variable such as LLAMA_REPO, if it has exactly one."""
    values: dict[str, set[str]] = {}
    for pin in pins.find_assignments(text):
        plain = pin.operator not in ("+=", "!=", "define") and not pin.continued
        values.setdefault(pin.variable, set()).add(pin.value if plain else "")

    def only_value(name: str) -> str | None:
        found = values.get(name, set())
        # Assigned twice to different URLs, or built from other variables: not one upstream.
        if len(found) != 1 or "$" in (value := next(iter(found))):
            return None
        return value

    return sibling(variable, only_value)


def only_repository_url(variables: Iterable[tuple[str, str | None]]) -> str | None:
    """The one git repository URL that (name, value) pairs hold in *_REPO / *_URL names, if one."""
    urls = {
        url
        for name, url in variables
        if url
        and _REPOSITORY_NAME.search(name)
        and looks_like_url(url)
        and _GIT_REPOSITORY.search(url)
    }
    return urls.pop() if len(urls) == 1 else None


def templated_repositories(text: str) -> dict[str, str]:
    """Variables interpolated as the revision of a GitHub URL or package spec, and its repo."""
    if "$" not in text:
        return {}
    found: dict[str, str] = {}
    for match in _URL_TEMPLATE.finditer(text):
        repo = match["a"] or match["b"] or match["c"] or match["d"]
        if match["e"]:
            repo = match["e"].removeprefix("github.com/")
        if repo:
            found.setdefault(match["var"], repo)
    return found
