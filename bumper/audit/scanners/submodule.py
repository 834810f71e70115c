"""Submodules: the commit a gitlink pins, placed at its `path =` line in `.gitmodules`.

Git itself records the commit (the checkout lists it); `.gitmodules` only says where it comes
from, so this scanner takes both. Dependabot/Renovate keep submodules current.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bumper.audit.scanners.base import MANAGED, Hit

_HEADER = re.compile(r'\s*\[\s*submodule\s+"(?P<name>(?:[^"\\]|\\.)*)"\s*\]')
_KEY = re.compile(r"\s*(?P<key>[A-Za-z][\w-]*)\s*=\s*(?P<value>.*?)\s*\Z")


@dataclass(frozen=True, slots=True)
class Section:
    """One `[submodule "name"]` section: its keys, and the 1-based line of each."""

    name: str
    line: int
    keys: dict[str, tuple[str, int]]

    @property
    def path(self) -> str:
        # git requires `path`; a section without one can only mean its name's path.
        return self.keys.get("path", (self.name, 0))[0]


def sections(modules: str) -> list[Section]:
    """The sections of a `.gitmodules` text, keys lower-cased as git compares them."""
    found: list[Section] = []
    for number, text in enumerate(modules.split("\n"), 1):
        if text.lstrip().startswith(("#", ";")):
            continue
        if header := _HEADER.match(text):
            found.append(Section(header["name"], number, {}))
        elif found and (pair := _KEY.match(text)):
            found[-1].keys.setdefault(pair["key"].lower(), (_unquote(pair["value"]), number))
        elif text.lstrip().startswith("["):
            found.append(Section("", number, {}))  # another kind of section: not a submodule's
    return found


def scan(path: str, sha: str, modules: str) -> Hit:
    """The pin of submodule `path` at `sha`, with its URL from `.gitmodules` text `modules`."""
    line, url, branch = 1, None, None
    for section in sections(modules):
        if section.name and section.path == path:
            line = section.keys.get("path", ("", section.line))[1]
            url = section.keys.get("url", (None, 0))[0]
            branch = section.keys.get("branch", (None, 0))[0]
            break
    return Hit(
        line,
        "submodule",
        sha,
        None,
        url,
        branch=branch if branch not in (None, ".") else None,  # ".": the superproject's
        managed_by=MANAGED,
        detail=f"the commit of submodule {path}",
    )


def _unquote(value: str) -> str:
    value = re.sub(r'\s[#;][^"]*\Z', "", value)
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
