"""PURE: the words bumper writes (branch, title, commit message, PR body) and reads back.

Two things let bumper recognise its own work without extra reads:
- the PR body ends with a hidden marker (an HTML comment holding JSON) saying which pin the PR
  is for, which upstream sha it carries and which base commit its commit was built on;
- every commit bumper makes has a ``Bumper-Pin:`` trailer, so a branch head without one was
  pushed by a person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bumper.config.settings import PrSettings
from bumper.config.templates import render_template, sanitise_branch
from bumper.model import Entry, is_sha

MARKER_VERSION = 1
TRAILER = "Bumper-Pin"
BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
TITLE_LIMIT = 100  # of one upstream commit title in the list

_MARKER_RE = re.compile(r"<!--\s*bumper-pin\s+(\{.*?\})\s*-->", re.DOTALL)
_TRAILER_RE = re.compile(
    rf"^{TRAILER}:[ \t]+(?P<variable>\S+)[ \t]+(?P<sha>[0-9a-f]{{40,64}})"
    r"[ \t]+(?P<file>\S.*?)[ \t]*$",
    re.MULTILINE,
)
_REF_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]+")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_ISSUE_REF = re.compile(r"(?<![\w/])#(?=\d)")
_GH_KEYWORD = re.compile(r"(?i)\b(close[sd]?|fix(e[sd])?|resolve[sd]?)\b(?=\s*:?\s+\S)")


@dataclass(frozen=True, slots=True)
class Marker:
    """What a bumper PR carries, as written in its body. ``commit`` is the branch head bumper
    pushed; a different head means someone (or a crashed pass) moved the branch since."""

    file: str
    variable: str
    repository: str
    upstream: str  # the sha the PR sets the pin to
    old: str  # the pin in the base the commit was built on
    base: str  # the base commit the PR's commit sits on
    commit: str  # the commit bumper pushed
    superseded: bool = False  # bumper closed it because the base already had `upstream`

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.variable)


@dataclass(frozen=True, slots=True)
class Trailer:
    """The ``Bumper-Pin:`` trailer of a commit bumper made."""

    variable: str
    upstream: str
    file: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.file, self.variable)


# -- templates --------------------------------------------------------------------------


def _fields(entry: Entry, new: str = "", old: str = "") -> dict[str, str]:
    # The placeholders config.check_template accepts.
    return {
        "repository": entry.repository,
        "variable": entry.variable,
        "file": entry.file,
        "branch": entry.branch,
        "sha": new,
        "short_sha": new[:7],
        "old": old,
    }


def render_branch(pr: PrSettings, entry: Entry) -> str:
    """The branch of this pin's PR: derived from the entry only, never from time or sha."""
    return sanitise_branch(render_template(pr.branch, _fields(entry)))


def render_title(pr: PrSettings, entry: Entry, old: str, new: str) -> str:
    return " ".join(render_template(pr.title, _fields(entry, new, old)).split())


def commit_message(
    pr: PrSettings, entry: Entry, old: str, new: str, signoff: str | None = None
) -> str:
    """The commit message: the template, what changed, then bumper's trailer (and sign-off)."""
    head = render_template(pr.commit_message, _fields(entry, new, old)).strip()
    lines = [
        head,
        "",
        f"{entry.variable} in {entry.file}: {old} -> {new}",
        "",
        f"{TRAILER}: {entry.variable} {new} {entry.file}",
    ]
    if signoff:
        lines.append(f"Signed-off-by: {signoff}")
    return "\n".join(lines) + "\n"


def parse_trailer(message: str) -> Trailer | None:
    """The ``Bumper-Pin:`` trailer of a commit message, or None when a person wrote it."""
    found = None
    for match in _TRAILER_RE.finditer(message):
        found = match  # the last one wins, as with git trailers
    if found is None or not is_sha(found["sha"]):
        return None
    return Trailer(found["variable"], found["sha"], found["file"])


# -- body and marker ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpstreamCommit:
    sha: str
    title: str


def render_body(
    pr: PrSettings,
    entry: Entry,
    marker: Marker,
    *,
    compare_url: str | None,
    commits: Sequence[UpstreamCommit] | None,
    ahead_by: int | None,
) -> str:
    """The PR body: the configured text, the change, the compare link, the upstream commits in
    the range (newest first, at most ``pr.max_commits_listed``) and the hidden marker."""
    old, new = marker.old, marker.upstream
    parts: list[str] = []
    if pr.body:
        parts.append(render_template(pr.body, _fields(entry, new, old)).strip())
    parts.append(
        f"Updates `{entry.variable}` in `{entry.file}` from `{old}` to `{new}`"
        f" (`{entry.repository}` branch `{entry.branch}`)."
    )
    if compare_url:
        parts.append(f"Compare: {compare_url}")
    if commits:
        shown = list(commits)[: max(pr.max_commits_listed, 0)]
        total = ahead_by if ahead_by is not None else len(commits)
        lines = [f"Commits ({total}):", ""]
        lines += [f"- {c.sha[:12]} {_neutral(c.title)}" for c in shown]
        if total > len(shown):
            lines.append(f"- ... and {total - len(shown)} more")
        parts.append("\n".join(lines))
    text = "\n\n".join(parts)
    tail = "\n\n" + format_marker(marker) + "\n"
    if len(text) + len(tail) > BODY_LIMIT:
        text = text[: BODY_LIMIT - len(tail) - 4] + "\n..."
    return text + tail


def _neutral(title: str) -> str:
    """An upstream commit title made inert here: no @mentions that ping people, no #123 that
    links this repository's issues, no closing keywords, no HTML."""
    if len(title) > TITLE_LIMIT:
        title = title[: TITLE_LIMIT - 3] + "..."
    if "`" not in title:
        return f"`{title}`"  # nothing in a code span pings, links or closes
    title = title.replace("<", "&lt;").replace(">", "&gt;")
    title = _MENTION.sub("@\u200b", title)
    title = _ISSUE_REF.sub("#\u200b", title)
    return _GH_KEYWORD.sub(lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], title)


def format_marker(marker: Marker) -> str:
    payload = {"v": MARKER_VERSION, **asdict(marker)}
    if not marker.superseded:
        del payload["superseded"]
    # ">" is escaped so no value can end the HTML comment early.
    data = json.dumps(payload, sort_keys=True, separators=(",", ":")).replace(">", "\\u003e")
    return f"<!-- bumper-pin {data} -->"


def parse_marker(body: str | None) -> Marker | None:
    """The marker in a PR body, or None when there is none (or it is not one we can read)."""
    if not body:
        return None
    found = None
    for match in _MARKER_RE.finditer(body):
        found = match
    if found is None:
        return None
    try:
        data = json.loads(found.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("v") != MARKER_VERSION:
        return None
    try:
        marker = Marker(
            file=str(data["file"]),
            variable=str(data["variable"]),
            repository=str(data["repository"]),
            upstream=str(data["upstream"]),
            old=str(data["old"]),
            base=str(data["base"]),
            commit=str(data["commit"]),
            superseded=bool(data.get("superseded", False)),
        )
    except KeyError:
        return None
    if not all(is_sha(s) for s in (marker.upstream, marker.base, marker.commit)):
        return None
    return marker


def replace_marker(body: str, marker: Marker) -> str:
    """``body`` with its marker replaced (or appended): used when closing, to keep the text."""
    new = format_marker(marker)
    matches = list(_MARKER_RE.finditer(body))
    if not matches:
        return body.rstrip("\n") + "\n\n" + new + "\n"
    last = matches[-1]
    return body[: last.start()] + new + body[last.end() :]
