"""CMake variables: `set(X "<sha>" ...)`, typically feeding a FetchContent `GIT_TAG ${X}`.

A `GIT_TAG <sha>` or an archive URL written in place is a `match:` row (`match: "GIT_TAG "`).
A `set()` on a comment line is not read.
"""

from __future__ import annotations

import re

from bumper.errors import PinError
from bumper.pinfiles.spots import LineIndex, Spot, code_line, value_at


def read(text: str, variable: str, path: str) -> list[Spot]:
    found = re.compile(rf"\bset\s*\(\s*{re.escape(variable)}\s+\"?", re.I)
    lines = LineIndex(text)
    spots = []
    for hit in found.finditer(text):
        if not code_line(text, hit.start()):
            continue
        value, _ = value_at(text, hit.end())
        spots.append(Spot(path, lines.line(hit.end()), hit.end(), hit.end() + len(value), value))
    if not spots:
        raise PinError(f"{variable} is not set (`set({variable} ...)`) in {path}")
    return spots


_BLOCK = r"\b(?:FetchContent_Declare|ExternalProject_Add|CPMAddPackage|CPMDeclarePackage)\s*\(\s*"


def in_block(text: str, spots: list[Spot], name: str) -> list[Spot]:
    """The spots inside the FetchContent/ExternalProject block declaring ``name``: a CMake
    file often holds one `GIT_TAG` per dependency, and the row's `name` says which."""
    head = re.compile(rf"{_BLOCK}\"?{re.escape(name)}(?=[\s\")])", re.I)
    inside = []
    for found in head.finditer(text):
        end = _block_end(text, found.end())
        inside += [spot for spot in spots if found.start() <= spot.start < end]
    return inside


def _block_end(text: str, pos: int) -> int:
    depth = 1
    while pos < len(text) and depth:
        if text[pos] == "(":
            depth += 1
        elif text[pos] == ")":
            depth -= 1
        pos += 1
    return pos
