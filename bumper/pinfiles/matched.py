"""`match:` rows, in any text file: the sha right after a literal text on its line.

`go install pkg@<sha>` in a script, a Dockerfile or a workflow `run:` step, pip's
`git+https://...@<sha>`, `GIT_TAG <sha>`, `git checkout <sha>` inside `bash -c '...'`, an
archive URL `.../archive/<sha>.tar.gz`: the text before the sha says which sha is the pin.
Comment lines (`#` first) are not read: a sha there is prose.
"""

from __future__ import annotations

from bumper.errors import PinError
from bumper.pinfiles.spots import LineIndex, Spot, code_line, show, value_at


def read(text: str, match: str, path: str) -> list[Spot]:
    lines = LineIndex(text)
    spots = []
    pos = text.find(match)
    while pos >= 0:
        if code_line(text, pos):
            value, end = value_at(text, pos + len(match))
            spots.append(Spot(path, lines.line(pos), pos + len(match), end, value))
        pos = text.find(match, pos + 1)
    if not spots:
        raise PinError(f"{path}: no line holds {show(match)} (the row's `match`) outside comments")
    return spots
