"""pip requirements and constraints files: `git+URL@<sha>` and GitHub archive URLs."""

from __future__ import annotations

import re

from bumper.audit.scanners.base import Hit
from bumper.audit.scanners.urls import archive_hits, vcs_url_hits

_REQ_COMMENT = re.compile(r"(?:\A|[ \t])#.*\Z")


def scan(path: str, text: str) -> list[Hit]:
    hits: list[Hit] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = _REQ_COMMENT.sub("", raw)
        if not line.strip():
            continue
        hits.extend(vcs_url_hits(line, number, "a requirements file"))
        if "github" in line:
            hits.extend(archive_hits(line, number))
    return hits
