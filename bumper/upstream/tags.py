"""Release tags: what a look-up that follows tags answers (pure).

A row with ``follow: tags`` is looked up under its tags_key (``tags:v1.*``) like a branch;
the answer is the Head of the newest matching release (versions.choose), its commit peeled
from an annotated tag, or an UpstreamError when no tag qualifies. GraphQL reads the tags in
pages (``Pages`` keeps them between the pass's queries); git reads them in the same
``ls-refs`` as the repository's branches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bumper.errors import UpstreamError
from bumper.model import Head, Repository, is_sha, tag_selection
from bumper.upstream.resolve import Answer, Pair
from bumper.versions import Choice, ahead_of, choose

TAG_REFS = "refs/tags/"
# More pages of tags than this and the repository's git ls-refs answers instead: one request
# whatever the count (5,000 tags: 1 request, not 50), and outside the API's rate limit.
GRAPHQL_TAG_PAGES = 3


def is_tags(branch: str) -> bool:
    """Does this look-up key follow tags (a tags_key) rather than a branch?"""
    return tag_selection(branch) is not None


def tag_head(
    upstream: Repository, key: str, tags: Iterable[tuple[str, str]], moved_to: str | None
) -> Answer:
    """The Head of the newest release among ``tags`` ((name, commit) pairs) for ``key``."""
    selection = tag_selection(key)
    assert selection is not None
    pattern, prerelease = selection
    listed = list(tags)
    choice = choose(listed, None if pattern == "*" else pattern, prerelease=prerelease)
    if choice is None:
        which = "release" if not prerelease else "version"
        matching = f" matching {pattern!r}" if pattern != "*" else ""
        note = f" (moved to {moved_to}: update the matrix)" if moved_to else ""
        return UpstreamError(
            f"{upstream.display}: no {which} tag{matching} among its {len(listed)} tags{note}"
        )
    return Head(upstream.text, key, choice.sha, moved_to, tag=choice.name, above=choice.above)


def from_refs(refs: dict[str, str]) -> list[tuple[str, str]]:
    """(tag name, commit) of an ls-refs answer's tags (already peeled)."""
    return [(name[len(TAG_REFS) :], sha) for name, sha in refs.items() if name.startswith(TAG_REFS)]


@dataclass(slots=True)
class Pages:
    """GraphQL's pages of tags so far, per look-up, across one pass's queries: the tags read,
    the cursor of the next page, and the look-ups to ask again in the next query."""

    found: dict[Pair, list[tuple[str, str]]] = field(default_factory=dict)
    cursors: dict[Pair, str] = field(default_factory=dict)
    again: list[tuple[Repository, str]] = field(default_factory=list)


def target_value(head: Head, pin: str) -> str:
    """What a pin following ``head`` is set to: the release's name where the pin holds a tag
    (``v1.65.0`` -> ``v1.66.1``), its commit where the pin holds a sha (or follows a branch)."""
    if head.tag is not None and not is_sha(pin):
        return head.tag
    return head.sha


def already_past(head: Head, pin: str) -> str | None:
    """Why ``pin`` is left as it is although it differs from the newest matching release
    (it is a later version: bumper never downgrades), or None."""
    if head.tag is None:
        return None
    return ahead_of(pin, Choice(head.tag, head.sha, head.above))
