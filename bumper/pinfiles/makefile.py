"""Makefile variables (Makefiles, and fragments: `Makefile-*`, `Makefile.*`, `*.mk`,
`*.make`): bumper.pins reads and rewrites them; this module gives its answers the shape of
the other kinds."""

from __future__ import annotations

from bumper import pins
from bumper.errors import PinError
from bumper.pinfiles.spots import Spot


def read(text: str, variable: str, path: str, *, tags: bool = False) -> list[Spot]:
    pin = pins.read_pin(text, variable, filename=path, tags=tags)
    problem = pin.problem_for(tags)
    if problem is not None:
        raise PinError(f"{path}:{pin.line}: {variable} {problem}")
    return [Spot(path, pin.line, -1, -1, pin.value)]


def rewrite(
    text: str, variable: str, path: str, old: str | None, new: str, *, tags: bool = False
) -> str:
    return pins.rewrite_pin(text, variable, old, new, filename=path, tags=tags)
