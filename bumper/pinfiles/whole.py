"""A pin with neither `variable` nor `match`: a file holding only the sha (`*-hash.txt`, a
`*_VERSION` file a build reads), or a submodule, whose gitlink reads as its commit's sha.

Only a final line ending may follow the sha; anything else means the file is more than a pin.
"""

from __future__ import annotations

import re

from bumper.errors import PinError
from bumper.pinfiles.spots import Spot, show

_WHOLE = re.compile(r"\A([^\r\n]*)(\r?\n)?\Z")


def read(text: str, path: str) -> list[Spot]:
    found = _WHOLE.match(text)
    if found is None:
        lines = text.count("\n") + (0 if text.endswith("\n") else 1)
        raise PinError(
            f"{path}: holds {lines} lines; a row with neither `variable` nor `match` needs a "
            "file holding only the sha (or a submodule's path); give `match:` for this one"
        )
    value = found[1]
    if value != value.strip():
        raise PinError(f"{path}:1: {show(value)} has spaces around the sha; refusing to guess")
    return [Spot(path, 1, 0, len(value), value)]
