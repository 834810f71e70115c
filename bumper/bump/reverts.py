"""PURE: revert memory. A sha bumper's merged PR brought in, and the base later undid, is
not proposed again; the next upstream sha is.

Decided from what GitHub holds, never from local state, so a fresh container decides the
same: the markers in the bodies of bumper's merged PRs (prtext.py) say which upstream sha
each brought in, and the base's pin says whether it still holds it. A base whose pin is no
longer the sha a merged PR set, while upstream's head is still that sha, was reverted (a
revert commit, or the pin put back by hand): proposing it again is what re-broke the
project that asked for this.

Cost: nothing in a pass with a token (the pass's GraphQL queries already list each PR
branch's closed PRs, merged ones included, for rule 6); otherwise one listing of the
branch's closed PRs, only for a pin that would get a PR (publish reads it for rule 6 then
too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bumper.bump.prtext import parse_marker
from bumper.model import Entry


@dataclass(frozen=True, slots=True)
class Undone:
    """Upstream sha ``upstream`` came in with merged PR ``number`` and was undone since."""

    upstream: str
    number: int

    def reason(self, pin: str, base: str) -> str:
        return (
            f"upstream {self.upstream[:12]} came in with PR #{self.number} and was undone on"
            f" {base} since (the pin is {pin[:12]} now): not proposed again; the next"
            " upstream commit will be"
        )


def undone(
    entry: Entry, pin: str, upstream: str, merged: Sequence[tuple[int, str]]
) -> Undone | None:
    """Whether proposing ``upstream`` for ``entry``, whose base pin is ``pin``, would bring
    back a sha one of its merged PRs (``(number, body)``) set and the base undid."""
    if pin == upstream:
        return None
    for number, body in merged:
        marker = parse_marker(body)
        if marker is None or marker.key != entry.key or marker.superseded:
            continue
        if marker.upstream == upstream:
            return Undone(upstream, number)
    return None
