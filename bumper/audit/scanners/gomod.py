"""go.mod: pseudo-versions (`v0.0.0-<date>-<sha12>`), which Dependabot/Renovate keep current."""

from __future__ import annotations

import re

from bumper.audit.repositories import go_module_repository
from bumper.audit.scanners.base import MANAGED, Hit

GO_PSEUDO = re.compile(r"v\d+\.\d+\.\d+-(?:[0-9A-Za-z]+\.)*?(?:0\.)?\d{14}-(?P<rev>[0-9a-f]{12})")
_GOMOD_LINE = re.compile(
    r"(?P<module>[\w.~/-]+)\s+(?P<version>" + GO_PSEUDO.pattern + r")(?:\+incompatible)?"
)


def scan(path: str, text: str) -> list[Hit]:
    hits: list[Hit] = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.split("//", 1)[0]
        for match in _GOMOD_LINE.finditer(line):
            hits.append(
                Hit(
                    number,
                    "go-mod",
                    match["rev"],
                    None,
                    go_module_repository(match["module"]) or match["module"],
                    managed_by=MANAGED,
                    detail=f"pseudo-version {match['version']} in go.mod",
                )
            )
    return hits
