"""What every scanner shares: the Hit it returns, how a sha is written, which names hold commits.

The sha patterns live only here (whole values go through bumper.model.is_sha): a full sha is
40 or 64 hex digits; a sha token is 7 to 64 of them where the context says it is a revision;
an abbreviated sha is 7 to 39 with both a digit and a letter, as a name's value.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from bumper.model import is_sha

MANAGED = "Dependabot/Renovate"

# A sha as a whole token: full (40 or 64 hex) anywhere, abbreviated (7+) only where the context
# makes it a revision (a git command, a package reference), and then with a digit in it.
FULL_SHA = r"[0-9a-f]{40}(?:[0-9a-f]{24})?"
SHA_TOKEN = r"[0-9a-f]{7,64}"
_SHA_TOKEN_RE = re.compile(rf"\A{SHA_TOKEN}\Z")
QUOTE = "[\"']"  # either quote, in patterns below
CANDIDATE = re.compile(rf"(?<![0-9A-Za-z]){SHA_TOKEN}(?![0-9A-Za-z])")
# A value that is a sha cut short: both a digit and a letter, so neither a number nor a word.
ABBREVIATED_SHA = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,39}")

# Names that hold checksums, digests or secrets: 40 and 64 hex digits there are not commits.
NOT_COMMIT = re.compile(
    r"SHA(?:224|256|384|512)|SHA1?SUM|CHECKSUM|DIGEST|(?:^|_)SUMS?(?:_|$)|MD5|INTEGRITY|"
    r"TOKEN|SECRET|PASSW|(?:^|_)(?:API_?)?KEY(?:_|$)|SALT|NONCE|UUID|FINGERPRINT|GPG|SIGNATURE|"
    r"(?:^|_)ID(?:_|$)|HMAC|NODE_ID|CERT",
    re.IGNORECASE,
)
_GIT_HINT = re.compile(r"COMMIT|REVISION|(?:^|_)REV(?:_|$)|GIT|(?:^|_)REF(?:_|$)", re.I)
_SHORT_GIT_NAME = re.compile(
    r"COMMIT|REVISION|(?:^|_)REV(?:_|$)|(?:^|_)SHA1?(?:_|$)|GIT_?HASH", re.I
)

SHELLS = {"sh", "bash", "zsh", "dash", "ksh"}
# Constants every git user meets: the null sha (new or deleted refs in hooks), the empty tree
# (`git diff $EMPTY_TREE`) and the empty blob. Never something a build checks out.
NOT_PINS = {"0" * 40, "0" * 64, "4b825dc642cb6eb9a060e54bf8d69288fbee4904"}
NOT_PINS |= {"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"}


@dataclass(frozen=True, slots=True)
class Hit:
    """One pin found in one file. `line` is 1-based; `repository` is as written (a URL or o/n)."""

    line: int
    kind: str
    value: str
    variable: str | None = None
    repository: str | None = None
    branch: str | None = None  # when the text names one, e.g. `git clone -b main`
    managed_by: str | None = None  # another tool keeps it current; listed only with --all
    detail: str = ""  # the context that makes it a pin, for the report's message


# What each file kind's module provides: (path, text) in, the pins it holds out.
Scanner = Callable[[str, str], list[Hit]]


def is_rev(value: str, *, short: bool) -> bool:
    """A sha token: full always; abbreviated (>= 7) only when allowed and it holds a digit."""
    if is_sha(value):
        return True
    return short and bool(_SHA_TOKEN_RE.match(value)) and any(c.isdigit() for c in value)


def plausible_commit_variable(name: str, value: str) -> bool:
    """Could `name=value` be a commit pin rather than a checksum, digest or secret?"""
    if NOT_COMMIT.search(name):
        return False
    if len(value) == 40:
        return True
    # 64 hex digits are nearly always a SHA-256 checksum; a sha256 git object needs a telling name.
    return bool(_GIT_HINT.search(name))


def abbreviated_commit(name: str, value: str, used_as_rev: bool) -> bool:
    """`X_COMMIT=869034b4`: an abbreviated sha under a name that says it is a commit."""
    if not ABBREVIATED_SHA.fullmatch(value) or NOT_COMMIT.search(name):
        return False
    return used_as_rev or bool(_SHORT_GIT_NAME.search(name))


class Lines:
    """Offset to 1-based line number."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


class TextLines(Lines):
    """Lines of a file for offsets into a text derived from one of its passages, line for line.

    A run: block is dedented and a recipe loses its tab before they are lexed, so an offset
    into that text drifts from the file's by what was cut from each line before it. Counting
    the derived text's own newlines from the passage's first line cannot drift. Offsets
    outside the derived text (`base` .. `base + len(text)`) fall back to the file's lines.
    """

    def __init__(self, lines: Lines, text: str, base: int) -> None:
        self.starts = lines.starts
        self.base = base
        self.end = base + len(text)
        self.first = lines.line(base)
        self.local = [base] + [base + m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        if self.base <= offset <= self.end:
            return self.first + bisect.bisect_right(self.local, offset) - 1
        return bisect.bisect_right(self.starts, offset)
