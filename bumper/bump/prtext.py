"""PURE: the words bumper writes (branch, title, commit message, PR body) and reads back.

Two things let bumper recognise its own work without extra reads:
- bumper's part of a PR body (its section) runs from a hidden opening line to a hidden marker
  line (an HTML comment holding JSON) saying which pin the PR is for, which upstream sha it
  carries and which base commit its commit was built on; what a person writes above or below
  the section is theirs and is kept when bumper rewrites it;
- every commit bumper makes has a ``Bumper-Pin:`` trailer, so a branch head without one was
  pushed by a person.

Outside text (upstream commit subjects, hold reasons, server messages) goes through
``neutral``, which can never yield ``<!--``: so neither line of bumper's section can be forged
by it, and the marker is read only from a line that is exactly what ``format_marker`` writes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from bumper.config.settings import PrSettings
from bumper.config.templates import render_template, sanitise_branch
from bumper.model import Entry, is_pin_value, is_sha

MARKER_VERSION = 1
TRAILER = "Bumper-Pin"
BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters
TITLE_LIMIT = 100  # of one upstream commit title in the list

SECTION_START = "<!-- bumper: generated text, rewritten on each update; write outside it -->"
# Exactly the line format_marker writes; its JSON never holds ">" (see there).
_MARKER_LINE = re.compile(r"<!-- bumper-pin (\{[^>\r\n]*\}) -->")
_TRAILER_RE = re.compile(
    rf"^{TRAILER}:[ \t]+(?P<variable>\S+)[ \t]+(?P<sha>[0-9A-Za-z.+-]+)"
    r"[ \t]+(?P<file>\S.*?)[ \t]*$",
    re.MULTILINE,
)
_BACKTICKS = re.compile(r"`+")


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
        "short_sha": new[:7] if is_sha(new) else new,  # a release is shown whole
        "old": old,
    }


def render_branch(pr: PrSettings, entry: Entry) -> str:
    """The branch of this pin's PR: derived from the entry only, never from time or sha."""
    return sanitise_branch(render_template(pr.branch, _fields(entry)))


def render_title(
    pr: PrSettings, entry: Entry, old: str, new: str, *, release: str | None = None
) -> str:
    """The PR title; for a row following tags it says the release (``v1.65.0 -> v1.66.1``)
    unless the template already does."""
    title = " ".join(render_template(pr.title, _fields(entry, new, old)).split())
    if release is not None:
        change = f"{_short(old)} -> {release}"
        if change not in title:
            title = f"{title} ({change})"
    return title


def _short(value: str) -> str:
    """A pin's value for a line of text: a sha cut to 12, a release tag whole."""
    return value[:12] if is_sha(value) else value


def commit_message(
    pr: PrSettings, entry: Entry, old: str, new: str, signoff: str | None = None
) -> str:
    """The commit message: the template, what changed, then bumper's trailer (and sign-off)."""
    head = render_template(pr.commit_message, _fields(entry, new, old)).strip()
    lines = [
        head,
        "",
        f"{entry.variable} in {', '.join(entry.paths)}: {old} -> {new}",
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
    if found is None or not is_pin_value(found["sha"], tags=True):
        return None
    return Trailer(found["variable"], found["sha"], found["file"])


# -- body and marker ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpstreamCommit:
    sha: str
    title: str


BODY_NOTE_LIMIT = 600  # a gate's or a lifted hold's note: a sentence or two, never a page


def render_body(
    pr: PrSettings,
    entry: Entry,
    marker: Marker,
    *,
    compare_url: str | None,
    commits: Sequence[UpstreamCommit] | None,
    ahead_by: int | None,
    release: str | None = None,
    release_url: str | None = None,
    note: str = "",
    more: bool = False,
) -> str:
    """The PR body: the configured text, the change, the release and its notes (a row
    following tags), the compare link, the upstream commits in the range (newest first, at
    most ``pr.max_commits_listed``; ``more``: the range is longer than ``ahead_by``, which
    is then a lower bound) and the hidden marker.

    ``note`` says why this sha and not the branch head (a gate), or which hold lifted; it
    quotes a hold's reason, outside text, so it is shown inert."""
    old, new = marker.old, marker.upstream
    parts: list[str] = []
    if pr.body:
        parts.append(render_template(pr.body, _fields(entry, new, old)).strip())
    if release is None:
        followed = f"branch `{entry.branch}`"
    else:
        # a release name is a parsed version (bumper.versions): [0-9A-Za-z.+-] only
        followed = f"release `{release}`" + ("" if release == new else ", its commit")
    parts.append(
        f"Updates `{entry.variable}` in {', '.join(f'`{p}`' for p in entry.paths)}"
        f" from `{old}` to `{new}`"
        f" (`{entry.repository}` {followed})."
    )
    if release is not None:
        change = f"Release: {_short(old)} -> {release}"
        parts.append(f"{change}, notes: {release_url}" if release_url else change)
    if note:
        parts.append(f"Why this commit: {neutral(note, BODY_NOTE_LIMIT)}")
    if compare_url:
        parts.append(f"Compare: {compare_url}")
    if commits:
        shown = list(commits)[: max(pr.max_commits_listed, 0)]
        total = ahead_by if ahead_by is not None else len(commits)
        plus = "+" if more else ""
        lines = [f"Commits ({total}{plus}):", ""]
        lines += [f"- {c.sha[:12]} {neutral(c.title)}" for c in shown]
        if total > len(shown) or more:
            lines.append(f"- ... and {total - len(shown)}{plus} more")
        parts.append("\n".join(lines))
    text = "\n\n".join(parts)
    head = SECTION_START + "\n"
    tail = "\n\n" + format_marker(marker) + "\n"
    if len(head) + len(text) + len(tail) > BODY_LIMIT:
        text = text[: BODY_LIMIT - len(head) - len(tail) - 4] + "\n..."
    return head + text + tail


def neutral(text: str, limit: int = TITLE_LIMIT) -> str:
    """Outside text (an upstream commit subject, a hold reason, a server's message) as inert
    Markdown on one line: a code span, in which GitHub neither links, pings, closes issues nor
    renders HTML or images.

    Line breaks of any kind become spaces (a bare CR or U+2028 would end the span on GitHub);
    control and format characters (bidi overrides, zero-width marks) are dropped, as they
    could make the text read other than it is; the fence is longer than any backtick run in
    the text (CommonMark), so no backtick inside can close it; and ``<!--`` is broken up, so
    no outside text can open an HTML comment that forges or swallows bumper's marker.
    """
    # isspace() holds for CR, VT, FF, NEL, U+2028/9 and the other breaks, not only for LF.
    words = " ".join("".join(" " if c.isspace() else c for c in text).split())
    words = "".join(c for c in words if unicodedata.category(c) not in ("Cc", "Cf"))
    if len(words) > limit:
        words = words[: limit - 3] + "..."
    words = words.replace("<!--", "<\u200b!--")
    if not words:
        return "(empty)"
    runs = [len(m) for m in _BACKTICKS.findall(words)]
    if not runs:
        return f"`{words}`"
    fence = "`" * (max(runs) + 1)
    # Padded on both sides so a backtick at either end is not read as part of the fence;
    # CommonMark strips one space from each side again.
    return f"{fence} {words} {fence}"


def format_marker(marker: Marker) -> str:
    payload = {"v": MARKER_VERSION, **asdict(marker)}
    if not marker.superseded:
        del payload["superseded"]
    # "<" and ">" are escaped so no value can open or end an HTML comment.
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- bumper-pin {data} -->"


@dataclass(frozen=True, slots=True)
class _Section:
    """Where bumper's section lies in a body: ``start`` to ``end`` (after the marker line's
    line break), the marker line itself from ``marker_start`` to ``marker_end``."""

    start: int
    marker_start: int
    marker_end: int
    end: int
    data: str  # the marker's JSON


def _find_section(body: str) -> _Section | None:
    """bumper's section: the last marker line, from the last opening line above it (or from the
    top: the bodies of bumper before the opening line existed). Lines only count when they are
    exactly what bumper writes, so a marker-like text within a line is nobody's marker."""
    found = None
    offset = last_open = 0
    for line in body.splitlines(keepends=True):
        text = line.rstrip("\r\n")
        if text == SECTION_START:
            last_open = offset
        elif match := _MARKER_LINE.fullmatch(text):
            found = _Section(last_open, offset, offset + len(text), offset + len(line), match[1])
        offset += len(line)
    return found


def parse_marker(body: str | None) -> Marker | None:
    """The marker in a PR body, or None when there is none (or it is not one we can read)."""
    section = _find_section(body) if body else None
    if section is None:
        return None
    try:
        data = json.loads(section.data)
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
    # the pin's value: a sha, or a release tag for a row following tags
    if not is_pin_value(marker.upstream, tags=True):
        return None
    if not all(is_sha(s) for s in (marker.base, marker.commit)):
        return None
    return marker


def closed_mark(commit: str) -> str:
    """The hidden line of bumper's comment on a PR it closed under rule 7 at branch head
    ``commit``: how a later pass knows the comment is there (no outside text holds ``<!--``)."""
    return f"<!-- bumper-closed {commit} -->"


def replace_marker(body: str, marker: Marker) -> str:
    """``body`` with its marker replaced (or appended): used when closing, to keep the text."""
    new = format_marker(marker)
    section = _find_section(body)
    if section is None:
        return body.rstrip("\n") + "\n\n" + new + "\n"
    return body[: section.marker_start] + new + body[section.marker_end :]


def keep_notes(current: str | None, rendered: str) -> str:
    """``rendered`` (from render_body) in place of bumper's section of the PR body ``current``,
    keeping what a person wrote above and below it; a body without a section is kept whole."""
    if not current:
        return rendered
    section = _find_section(current)
    if section is None:
        return current.rstrip() + "\n\n" + rendered
    return current[: section.start] + rendered + current[section.end :]


def upstream_mark(upstream: str) -> str:
    """The hidden line of bumper's one comment per upstream sha on a PR it could not move
    there (left alone, or a replay that did not apply)."""
    return f"<!-- bumper-upstream {upstream} -->"


def carried_mark(upstream: str) -> str:
    """The hidden line of bumper's comment saying people's commits were replayed onto
    ``upstream``."""
    return f"<!-- bumper-carried {upstream} -->"


def tried_mark(upstream: str, head: str) -> str:
    """The hidden line saying carrying branch head ``head`` onto ``upstream`` did not apply:
    a later pass finding it (the head unchanged) need not fetch and try again."""
    return f"<!-- bumper-tried {upstream} {head} -->"


def left_alone_comment(entry: Entry, upstream: str, why: str, tried: str | None = None) -> str:
    """Told once per upstream sha on a PR bumper leaves alone, so a person knows upstream moved
    on; ``why`` may hold outside text (branch names, logins, git's words) and is neutralised.
    ``tried``: the branch head a carry that did not apply started from."""
    also = f"{tried_mark(upstream, tried)}\n" if tried else ""
    return (
        f"Upstream `{entry.repository}` moved on to `{upstream}`; bumper did not update this PR"
        f" to it: {neutral(why, 600)}\n\n{upstream_mark(upstream)}\n{also}"
    )


def carried_comment(entry: Entry, upstream: str, replayed: Sequence[tuple[str, str]]) -> str:
    """``replayed``: (sha, subject) of the commits people pushed, now replayed onto the pin
    commit for ``upstream``."""
    listed = "\n".join(f"- `{sha[:12]}` {neutral(subject)}" for sha, subject in replayed)
    return (
        f"bumper moved `{entry.variable}` to `{upstream}` and replayed the commits pushed to"
        f" this branch on top of its new commit (their shas changed, authors and messages"
        f" kept):\n\n{listed}\n\nWhoever pushed them: pull (`git pull --rebase`) before pushing"
        f" again.\n\n{carried_mark(upstream)}\n"
    )
