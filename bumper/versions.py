"""PURE: which tag is a release, in what order, and which one a row follows.

A tag is a version when its whole name reads as one: an optional ``v``, one to four numbers
joined by dots (``1.66.1``, ``1.2.3.4``, calendar forms ``2024.06.1`` and ``20240601``), an
optional pre-release (``-rc1``, ``-beta.2``, ``a1``, ``rc.3``, ``.dev4``) and optional build
metadata (``+build.5``, ignored in the order, as semver says). Anything else (``latest``,
``nightly-2024``, ``1.2.x``) is not a release and is never chosen. Because a chosen name
matches that grammar, it is safe to write into a file: only ``[0-9A-Za-z.+-]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

_VERSION = re.compile(
    r"""
    (?P<prefix>[vV]?)
    (?P<core>\d+(?:\.\d+){0,3})
    (?:
        [-.](?P<pre>[A-Za-z]+\d*(?:[.-]?(?:[A-Za-z]+\d*|\d+))*)  # -rc1, -beta.2, .dev4
        | (?P<pep>[A-Za-z]+\d*)  # PEP 440's 3.12.0a1, 1.0rc1
    )?
    (?:\+(?P<build>[0-9A-Za-z]+(?:[.-][0-9A-Za-z]+)*))?
    """,
    re.VERBOSE,
)
_WORD = re.compile(r"[A-Za-z]+|\d+")
# The pre-release words read, by rank (earliest first); a tag with any other word is junk.
_PRE_RANK = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "pre": 3, "preview": 3, "c": 3}
_PRE_RANK |= {"rc": 3, "cr": 3}
_LONGEST_PART = 18  # more digits than any real version: a sha-like tag is not one


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A tag read as a version. Ordered: compare two with < and >."""

    release: tuple[int, ...]  # padded to four numbers, so 1.2 == 1.2.0.0
    final: bool  # a release sorts after every pre-release of the same numbers
    pre: tuple[tuple[int, int, str], ...]  # () for a release

    @property
    def prerelease(self) -> bool:
        return not self.final


def parse(name: str) -> Version | None:
    """The version a tag name spells, or None when it is not one."""
    found = _VERSION.fullmatch(name)
    if found is None:
        return None
    parts = found["core"].split(".")
    if any(len(part) > _LONGEST_PART for part in parts):
        return None
    release = tuple(int(part) for part in parts) + (0,) * (4 - len(parts))
    pre = found["pre"] or found["pep"]
    if pre is None:
        return Version(release, True, ())
    words = _WORD.findall(pre)
    if not words or words[0].lower() not in _PRE_RANK:
        # "1.2.3-1", "1.2.x", "1.0-foo": not a pre-release word anyone agrees how to order
        return None
    key = tuple(
        (0, int(word), "") if word.isdigit() else (1, _PRE_RANK.get(word.lower(), 9), word.lower())
        for word in words
    )
    return Version(release, False, key)


def newer(a: str, b: str) -> bool:
    """Is tag ``a`` a later version than tag ``b``? False when either is not a version."""
    va, vb = parse(a), parse(b)
    return va is not None and vb is not None and va > vb


@dataclass(frozen=True, slots=True)
class Choice:
    """What a row follows: the newest matching release, and the tags newer than it
    (pre-releases, or ones the glob leaves out) so a pin already past it is never pulled back."""

    name: str
    sha: str  # the commit the tag names (annotated tags peeled)
    above: tuple[tuple[str, str], ...] = ()  # (name, commit) of later versions not chosen


def matches(name: str, pattern: str | None) -> bool:
    """Does a tag name match the row's ``tags`` glob (fnmatch, case-sensitive)?"""
    return pattern is None or fnmatchcase(name, pattern)


def choose(
    tags: Iterable[tuple[str, str]], pattern: str | None, *, prerelease: bool
) -> Choice | None:
    """The newest tag that is a version, matches ``pattern`` and is a release (or any when
    ``prerelease``); None when no tag qualifies. Ties (``v1.0`` and ``1.0.0``) go to the
    longer, then the lexically larger name, so the answer never depends on listing order."""
    read = [(version, name, sha) for name, sha in tags if (version := parse(name)) is not None]
    eligible = [
        item
        for item in read
        if matches(item[1], pattern) and (prerelease or not item[0].prerelease)
    ]
    if not eligible:
        return None
    best = max(eligible, key=lambda item: (item[0], len(item[1]), item[1]))
    above = tuple(sorted((name, sha) for version, name, sha in read if version > best[0]))
    return Choice(best[1], best[2], above)


def ahead_of(pin: str, choice: Choice) -> str | None:
    """Why ``pin`` (a tag name or a commit) is already past ``choice``, or None when it is not:
    a later version, or the commit of a tag later than the choice."""
    if newer(pin, choice.name):
        return f"{pin} is newer than every matching tag (newest {choice.name}); left as it is"
    for name, sha in choice.above:
        if pin in (name, sha):
            return (
                f"the pin is at {name}, newer than the newest matching tag {choice.name};"
                " left as it is"
            )
    return None


_BOUNDARY = re.compile(r"[^0-9A-Za-z]")


def version_at(text: str, pos: int, end: int) -> str | None:
    """The longest version written at ``pos`` that ends before ``end`` at a character that is
    not a letter or digit: ``v1.65.0`` in ``v1.65.0/grpc-1.65.0.tar.gz`` or in ``1.65.0.tar``."""
    stops = {m.start() for m in _BOUNDARY.finditer(text, pos, end)} | {end}
    for stop in sorted(stops, reverse=True):
        if stop > pos and parse(text[pos:stop]) is not None:
            return text[pos:stop]
    return None
