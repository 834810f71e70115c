"""What every file kind shares: where a pin's value sits, and the rewrite that proves itself.

A kind's reader finds the Spots of a pin (the offsets of its value's bytes); the rewrite
replaces exactly those bytes, then reads the result again with the same reader: it must find
the pin at the same lines with the new value, and every other byte must be as it was.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from bumper.errors import PinError
from bumper.model import is_pin_value
from bumper.versions import version_at

SHA_AT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?(?![0-9A-Za-z_])")
_TOKEN = re.compile(r"[^\s\"'`;&|()<>]*")


@dataclass(frozen=True, slots=True)
class Spot:
    """One place a pin's value is written: its file, 1-based line, and the value's offsets."""

    file: str
    line: int
    start: int
    end: int
    value: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


Reader = Callable[[str], list[Spot]]  # a file's text in, the pin's spots out (PinError: why)


class LineIndex:
    """Offset to 1-based line number."""

    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)

    def start_of(self, line: int) -> int:
        return self.starts[line - 1]


def value_at(text: str, pos: int) -> tuple[str, int]:
    """The sha starting at ``pos`` and where it ends; a value that is not one is returned
    whole (up to a space or quote) so the caller can say what it is."""
    match = SHA_AT.match(text, pos)
    if match:
        return match[0], match.end()
    token = _TOKEN.match(text, pos)
    end = token.end() if token else pos
    # a release a row follows may sit inside a longer word: .../v1.65.0/grpc-1.65.0.tar.gz
    version = version_at(text, pos, end)
    if version is not None:
        return version, pos + len(version)
    return text[pos:end], end


def one_value(spots: list[Spot], name: str, where: str, *, tags: bool = False) -> str:
    """The value every spot holds, or PinError listing them: a pin read two ways is not one.
    With ``tags`` (a row following releases) a release tag is a value too."""
    for spot in spots:
        if not is_pin_value(spot.value, tags=tags):
            raise PinError(f"{spot}: {name} {not_a_sha(spot.value, tags=tags)}")
    values = {spot.value for spot in spots}
    if len(values) > 1:
        places = ", ".join(f"line {s.line}: {show(s.value)}" for s in spots)
        raise PinError(f"{where}: {name} is set to different values ({places})")
    return spots[0].value


def not_a_sha(value: str, *, tags: bool = False) -> str:
    if tags and value and "$" not in value:
        return f"value {show(value)} is neither a sha nor a release tag"
    if not value:
        return "value is empty, not a sha"
    if "$" in value:
        return f"value {show(value)} refers to other variables, not a sha"
    if re.fullmatch(r"[0-9a-fA-F]+", value):
        return f"value {show(value)} is not a full lowercase sha (40 or 64 hex digits)"
    return f"value {show(value)} is not a sha (a tag or branch name?)"


def splice(text: str, spots: list[Spot], new: str) -> str:
    """``text`` with each spot's bytes replaced by ``new``; nothing else touched."""
    pieces, last = [], 0
    for spot in sorted(spots, key=lambda s: s.start):
        pieces += [text[last : spot.start], new]
        last = spot.end
    return "".join([*pieces, text[last:]])


def rewrite_spots(
    text: str,
    read: Reader,
    name: str,
    where: str,
    old: str | None,
    new: str,
    *,
    tags: bool = False,
) -> str:
    """Set the pin ``read`` finds in ``text`` to ``new``, proven by reading it again.

    ``old``, when given, must be the current value, so a pin a person changed meanwhile is
    not overwritten. With ``tags`` the values may be release tags.
    """
    if not is_pin_value(new, tags=tags):
        raise PinError(f"{where}: refusing to write {name}: new value {show(new)} is not a sha")
    spots = read(text)
    value = one_value(spots, name, where, tags=tags)
    if value == new:  # already bumped, perhaps by an earlier pass that crashed after
        return text
    if old is not None and value != old:
        raise PinError(
            f"{spots[0]}: {name} is {value}, not {show(old)} as expected; changed by someone else?"
        )
    result = splice(text, spots, new)
    again = read(result)
    same_lines = [s.line for s in again] == [s.line for s in spots]
    proven = all(s.value == new for s in again) and _only_values(text, result, spots, again)
    if not (same_lines and proven):
        raise PinError(
            f"rewriting {name} in {where} would change more than its value; nothing written"
        )
    return result


def _only_values(before: str, after: str, was: list[Spot], now: list[Spot]) -> bool:
    """Every byte outside the value spans is the same before and after."""

    def outside(text: str, spots: list[Spot]) -> list[str]:
        out, last = [], 0
        for spot in sorted(spots, key=lambda s: s.start):
            out.append(text[last : spot.start])
            last = spot.end
        return [*out, text[last:]]

    return outside(before, was) == outside(after, now)


def show(value: str) -> str:
    """A value quoted for a message, cut short: an HTML error page must not flood a log."""
    return repr(value if len(value) <= 72 else f"{value[:64]}...")


def code_line(text: str, start: int, comment: str = "#") -> bool:
    """Whether the line holding offset ``start`` is not a comment line (``#`` first)."""
    line_start = text.rfind("\n", 0, start) + 1
    return not text[line_start:start].lstrip().startswith(comment)
