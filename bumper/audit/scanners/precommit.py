"""`.pre-commit-config.yaml`: a hook repository's `rev: <sha>`, which `pre-commit autoupdate`
(or Renovate) moves.
"""

from __future__ import annotations

import re

from bumper.audit.scanners.base import FULL_SHA, MANAGED, QUOTE, Hit

_PRECOMMIT_REPO = re.compile(r"\A[ \t]*-[ \t]+repo[ \t]*:[ \t]*[\"']?(?P<url>[^\s\"'#]+)")
_PRECOMMIT_REV = re.compile(
    rf"\A[ \t]*rev[ \t]*:[ \t]*{QUOTE}?(?P<rev>{FULL_SHA}){QUOTE}?[ \t]*(?:#.*)?\Z"
)


def scan(path: str, text: str) -> list[Hit]:
    """`rev: <sha>` of a hook repository: `pre-commit autoupdate` (or Renovate) moves it."""
    hits: list[Hit] = []
    repo: str | None = None
    for number, line in enumerate(text.split("\n"), 1):
        if match := _PRECOMMIT_REPO.match(line):
            repo = match["url"]
        elif (match := _PRECOMMIT_REV.match(line.rstrip("\r"))) and repo:
            hits.append(
                Hit(
                    number,
                    "pre-commit",
                    match["rev"],
                    None,
                    repo,
                    managed_by=MANAGED,
                    detail="a hook repository's `rev:` in .pre-commit-config.yaml",
                )
            )
    return hits
