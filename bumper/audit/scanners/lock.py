"""Lock files (package-lock.json, Cargo.lock, poetry.lock, ...): git dependencies locked to a
sha, which their package manager (and Dependabot/Renovate) keep current.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from bumper.audit.scanners.base import MANAGED, Hit

_LOCK_URL = re.compile(
    r"(?:git\+)?(?P<url>(?:https?|ssh|git)://[^\s\"'#?]+)(?:\?[^\s\"'#]*)?#(?P<rev>[0-9a-f]{40})\b"
)
_LOCK_REF = re.compile(r"(?:resolved_reference|\"ref\"|\brev)\s*[:=]\s*\"(?P<rev>[0-9a-f]{40})\"")
_LOCK_REPO_KEY = re.compile(r"(?:\burl|\"git\"|\brepo)\s*[:=]\s*\"(?P<url>[^\"]+)\"")


def scan(path: str, text: str) -> list[Hit]:
    hits: list[Hit] = []
    physical = text.split("\n")
    for number, line in enumerate(physical, 1):
        for match in _LOCK_URL.finditer(line):
            hits.append(
                Hit(
                    number,
                    "lock",
                    match["rev"],
                    None,
                    match["url"],
                    managed_by=MANAGED,
                    detail=f"a git dependency locked in {PurePosixPath(path).name}",
                )
            )
        ref = _LOCK_REF.search(line)
        if ref:
            url = None
            for back in range(number - 1, max(-1, number - 8), -1):
                found = _LOCK_REPO_KEY.search(physical[back])
                if found:
                    url = found["url"]
                    break
            hits.append(
                Hit(
                    number,
                    "lock",
                    ref["rev"],
                    None,
                    url,
                    managed_by=MANAGED,
                    detail=f"a git dependency locked in {PurePosixPath(path).name}",
                )
            )
    return hits
