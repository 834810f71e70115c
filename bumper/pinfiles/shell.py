"""Shell variables: `X=<sha>`, `export X=<sha>`, `X="${X:-<sha>}"` (a default the caller may
override), `: "${X:=<sha>}"`.

The audit's shell lexer says which words are code (not comments, not here-doc bodies, not
inside other quotes); the raw text at each assignment word gives the value's bytes.
"""

from __future__ import annotations

import re

from bumper.errors import PinError
from bumper.pinfiles.spots import LineIndex, Spot, value_at
from bumper.shell_lexer import commands

_DECLARE = {"export", "local", "readonly", "declare", "typeset"}
_PREFIXES = {"then", "do", "else", "elif", "if", "while", "until", "!", "{", "}", "time"}


def read(text: str, variable: str, path: str) -> list[Spot]:
    # X=, X="...", X='...', X=${X:-...}, X="${X:-...}", and `: ${X:=...}`
    assign = re.compile(
        rf"{re.escape(variable)}=(?P<q>[\"']?)(?:\$\{{{re.escape(variable)}:?[-=](?P<q2>[\"']?))?"
    )
    default = re.compile(rf"(?P<q>[\"']?)\$\{{{re.escape(variable)}:?=(?P<q2>[\"']?)")
    lines = LineIndex(text)
    spots: list[Spot] = []
    for command in commands(text):
        words = command.words
        i = 0
        while i < len(words) and words[i].text in _PREFIXES:
            i += 1
        if i < len(words) and words[i].text == ":":
            for word in words[i + 1 :]:
                if found := default.match(text, word.start):
                    spots.append(_spot(text, found.end(), path, lines, braced=True))
            continue
        if i < len(words) and words[i].text in _DECLARE:
            i += 1
            while i < len(words) and words[i].text.startswith("-"):
                i += 1
        while i < len(words) and re.match(r"[A-Za-z_]\w*\+?=", words[i].text):
            word = words[i]
            if word.text.startswith(f"{variable}+="):
                raise PinError(
                    f"{path}:{lines.line(word.start)}: {variable} is appended to (+=), "
                    "so it is more than a sha"
                )
            if found := assign.match(text, word.start):
                braced = "${" in found[0]  # the `${X:-` of a default was matched
                spots.append(_spot(text, found.end(), path, lines, braced=braced))
            i += 1
    if not spots:
        raise PinError(f"{variable} is not assigned in {path}")
    return spots


def _spot(text: str, pos: int, path: str, lines: LineIndex, *, braced: bool) -> Spot:
    value, _ = value_at(text, pos)
    if braced and value.endswith("}"):
        value = value[:-1]  # `${X:-v}` unquoted: the brace closes the default
    return Spot(path, lines.line(pos), pos, pos + len(value), value)
