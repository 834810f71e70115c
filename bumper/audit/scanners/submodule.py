"""Submodules: the commit a gitlink pins, placed at its `path =` line in `.gitmodules`.

Git itself records the commit (the checkout lists it); `.gitmodules` only says where it comes
from, so this scanner takes both. Dependabot/Renovate keep submodules current.
"""

from __future__ import annotations

import re

from bumper.audit.scanners.base import MANAGED, Hit


def scan(path: str, sha: str, modules: str) -> Hit:
    """The pin of submodule `path` at `sha`, with its URL from `.gitmodules` text `modules`."""
    line, url = 1, None
    lines = modules.split("\n")
    for index, text in enumerate(lines):
        match = re.match(r"\s*path\s*=\s*(.+?)\s*\Z", text)
        if match and match[1] == path:
            line = index + 1
            for other in lines[max(0, index - 4) : index + 5]:
                found = re.match(r"\s*url\s*=\s*(.+?)\s*\Z", other)
                if found:
                    url = found[1]
                    break
            break
    return Hit(
        line,
        "submodule",
        sha,
        None,
        url,
        managed_by=MANAGED,
        detail=f"the commit of submodule {path}",
    )
