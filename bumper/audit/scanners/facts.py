"""Facts gathered from shell-like text (assignments, git uses, remotes), resolved into hits.

A scanner records what each command of a file does; only at the end of the file, with every
assignment known, can a variable used as `git checkout $REV` be told a pin and its clone found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bumper.audit.repositories import (
    looks_like_url,
    only_repository_url,
    sibling,
    templated_repositories,
)
from bumper.audit.scanners.base import (
    NOT_COMMIT,
    Hit,
    abbreviated_commit,
    plausible_commit_variable,
)
from bumper.model import is_sha
from bumper.shell_lexer import DEFAULT, var_names

_CHECKSUM_TOOL = re.compile(
    r"\b(?:sha\d*sum|shasum|md5sum|b2sum|cksum|openssl\s+dgst|checksum)\b", re.I
)


@dataclass(frozen=True, slots=True)
class Assign:
    name: str
    value: str  # the sha, or a URL / other text for the variable table
    line: int
    kind: str  # shell-assign, shell-default, dockerfile-arg, ...
    default: bool = False  # ${NAME:-value}


@dataclass(frozen=True, slots=True)
class GitUse:
    line: int
    offset: int  # position in the file, to find the nearest clone
    sub: str
    literal: str | None  # a sha written in the command
    variables: tuple[str, ...]  # variables used as the revision
    url: str | None  # a URL in the same command (git fetch URL sha, git clone --revision)
    branch: str | None = None


@dataclass(frozen=True, slots=True)
class Remote:
    offset: int
    url: str  # raw, may reference a variable
    branch: str | None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the commands of one file assign, fetch and check out; resolved once at its end."""

    path: str
    assigns: list[Assign] = field(default_factory=list)
    uses: list[GitUse] = field(default_factory=list)
    remotes: list[Remote] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    where: str = "a shell script"  # for messages: "a Dockerfile RUN", "a workflow run: step"


def resolve(facts: Facts, text: str) -> list[Hit]:
    """The hits of a file (`text`) whose commands left `facts`: each with its repository."""
    hits = list(facts.hits)
    table: dict[str, str] = {}
    for assign in facts.assigns:
        if assign.value and not is_sha(assign.value):
            table.setdefault(assign.name, assign.value)
    used_as_rev = {name for use in facts.uses for name in use.variables}
    checked = _checksum_variables(text)

    def repo_of_use(use: GitUse) -> tuple[str | None, str | None]:
        if use.url:
            return expand(use.url, table), use.branch
        remote = nearest_remote(facts.remotes, use.offset, text)
        if remote is None:
            return None, None
        return expand(remote.url, table), remote.branch

    uses_by_var: dict[str, list[GitUse]] = {}
    for use in facts.uses:
        for name in use.variables:
            uses_by_var.setdefault(name, []).append(use)
        if use.literal is not None:
            repo, branch = repo_of_use(use)
            hits.append(
                Hit(
                    use.line,
                    "git-command",
                    use.literal,
                    None,
                    repo,
                    branch,
                    detail=f"`git {use.sub} <sha>` in {facts.where}",
                )
            )
    templated = templated_repositories(text)

    def value_of(name: str) -> str | None:
        value = table.get(name)
        return expand(value, table) if value else None

    for assign in facts.assigns:
        value = assign.value
        if is_sha(value):
            if assign.name not in used_as_rev and (
                assign.name in checked or not plausible_commit_variable(assign.name, value)
            ):
                continue
        elif not abbreviated_commit(assign.name, value, assign.name in used_as_rev):
            continue
        if (
            assign.name in used_as_rev
            and NOT_COMMIT.search(assign.name)
            and "SHA" not in assign.name.upper()
        ):
            continue
        repo = sibling(assign.name, value_of) or templated.get(assign.name)
        branch = None
        if repo is None and assign.name in uses_by_var:
            repo, branch = repo_of_use(uses_by_var[assign.name][0])
        if repo is None:
            repo = only_repository_url(
                (other, expand(known, table)) for other, known in table.items()
            )
        hits.append(
            Hit(
                assign.line,
                assign.kind,
                value,
                assign.name,
                repo,
                branch,
                detail=_describe(assign, facts.where),
            )
        )
    return hits


def _checksum_variables(text: str) -> set[str]:
    """Variables that a checksum tool reads (`echo "$X  f" | sha256sum -c`): digests, not pins."""
    if not _CHECKSUM_TOOL.search(text):
        return set()
    names: set[str] = set()
    for line in text.split("\n"):
        if _CHECKSUM_TOOL.search(line):
            names.update(m[1] or m[2] for m in re.finditer(r"\$\{(\w+)[^}]*\}|\$(\w+)", line))
    return names


# The report's words for each kind of assignment; `{where}` is the Facts' own.
_DESCRIPTIONS = {
    "shell-default": 'the default in `{name}="${{{name}:-<sha>}}"` in {where}',
    "dockerfile-arg": "`ARG {name}=<sha>` in a Dockerfile",
    "dockerfile-env": "`ENV {name}=<sha>` in a Dockerfile",
    "command-arg": "`{name}=<sha>` passed on a command line in {where}",
    "workflow-env": "`{name}: <sha>` in a workflow",
    "cmake-set": "`set({name} <sha>)` in CMake",
}


def _describe(assign: Assign, where: str) -> str:
    template = _DESCRIPTIONS.get(assign.kind, "`{name}=<sha>` in {where}")
    return template.format(name=assign.name, where=where)


def expand(value: str, table: dict[str, str], depth: int = 0) -> str | None:
    """Resolve `$X`, `${X}`, `${X:-default}` and `$(X)` against the file's own assignments."""
    value = value.strip().strip("\"'")
    if depth > 4:
        return None
    default = DEFAULT.match(value)
    if default:
        known = table.get(default[1])
        return expand(known, table, depth + 1) if known else expand(default[3], table, depth + 1)
    names = var_names(value)
    if names:
        known = table.get(names[0])
        return expand(known, table, depth + 1) if known else None
    if "$" in value:
        return None
    return value if looks_like_url(value) else None


def nearest_remote(remotes: list[Remote], offset: int, text: str) -> Remote | None:
    """The clone/remote closest before `offset` (within 60 lines), else just after (10 lines)."""
    before = [r for r in remotes if r.offset <= offset]
    if before:
        remote = before[-1]
        if text.count("\n", remote.offset, offset) <= 60:
            return remote
    after = [r for r in remotes if r.offset > offset]
    if after and text.count("\n", offset, after[0].offset) <= 10:
        return after[0]
    return None
