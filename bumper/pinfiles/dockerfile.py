"""Dockerfile and Containerfile variables: `ARG X=<sha>`, `ENV X=<sha>`, `ENV X <sha>`.

A sha a `RUN` uses directly (`git checkout <sha>`) is a `match:` row. Comment lines and
parser directives are not instructions.
"""

from __future__ import annotations

import re

from bumper.errors import PinError
from bumper.pinfiles.spots import LineIndex, Spot, value_at

_INSTRUCTION = re.compile(r"^[ \t]*(ARG|ENV)[ \t]+", re.I | re.M)


def read(text: str, variable: str, path: str) -> list[Spot]:
    name = re.escape(variable)
    pair = re.compile(rf"(?<![\w$]){name}=(?P<q>[\"']?)")
    legacy = re.compile(rf"{name}[ \t]+(?P<q>[\"']?)(?=[^=\s])")
    lines = LineIndex(text)
    spots = []
    for found in _INSTRUCTION.finditer(text):
        start = found.end()
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        hit = pair.search(text, start, end)
        if hit is None and found[1].upper() == "ENV":
            hit = legacy.match(text, start, end)
        if hit is None:
            continue
        value, _ = value_at(text, hit.end())
        value = value.rstrip("\r")
        spots.append(Spot(path, lines.line(hit.end()), hit.end(), hit.end() + len(value), value))
    if not spots:
        raise PinError(f"{variable} is not set by an ARG or ENV in {path}")
    return spots
