"""Makefiles, beyond their `VAR?=<sha>` pins (bumper.pins reads those): the shell in recipes,
URLs embedding a sha, and where a recipe fetches a pinned variable from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from bumper import pins
from bumper.audit.scanners.base import CANDIDATE, Hit, Lines, TextLines
from bumper.audit.scanners.commands import scan_shell_text
from bumper.audit.scanners.facts import Assign, Facts, expand, nearest_remote, resolve
from bumper.audit.scanners.urls import archive_hits
from bumper.model import is_sha


def scan(path: str, text: str) -> list[Hit]:
    """Recipe shell (literal shas in git commands, pip, go) and URLs embedding a sha."""
    facts = Facts(path, where="a Makefile recipe")
    lines = Lines(text)
    table: dict[str, str] | None = None  # make variables, read only when a recipe needs them
    for start, recipe in _recipes(text, lines):
        if CANDIDATE.search(recipe):
            if table is None:
                table = _make_table(text)
                facts.assigns.extend(Assign(n, v, 0, "make") for n, v in table.items())
            scan_shell_text(facts, recipe, start, TextLines(lines, recipe, start))
    for number, line in enumerate(text.split("\n"), 1):
        if not line.startswith("\t") and "github" in line:
            facts.hits.extend(archive_hits(re.split(r"(?<!\\)#", line, maxsplit=1)[0], number))
    hits = resolve(facts, text)
    made = table or {}
    return [
        h for h in hits if h.kind not in ("shell-assign", "shell-default") or h.variable not in made
    ]


def recipe_repositories(text: str, variables: Iterable[str]) -> dict[str, str]:
    """Where a Makefile's recipes fetch each of `variables` from: for `git checkout $(VAR)`, the
    URL of the clone (or remote) nearby, resolved through the Makefile's own variables."""
    wanted = set(variables)
    if not wanted:
        return {}
    facts = Facts("")
    lines = Lines(text)
    for start, recipe in _recipes(text, lines):
        if "git" in recipe:
            scan_shell_text(facts, recipe, start, TextLines(lines, recipe, start))
    table = _make_table(text)
    found: dict[str, str] = {}
    for use in facts.uses:
        for name in use.variables:
            if name not in wanted or name in found:
                continue
            remote = None if use.url else nearest_remote(facts.remotes, use.offset, text)
            url = expand(use.url or (remote.url if remote else ""), table)
            if url:
                found[name] = url
    return found


def _make_table(text: str) -> dict[str, str]:
    """Make variables whose values are not shas (URLs, mostly), for resolving `$(X_REPO)`."""
    return {
        a.variable: a.value for a in pins.find_assignments(text) if a.value and not is_sha(a.value)
    }


def _recipes(text: str, lines: Lines) -> Iterator[tuple[int, str]]:
    """(offset, shell text) of each recipe line, with its continuation lines joined."""
    physical = text.split("\n")
    i = 0
    while i < len(physical):
        if physical[i].startswith("\t"):
            first = i
            parts = [_recipe_line(physical[i])]
            while physical[i].rstrip("\r").endswith("\\") and i + 1 < len(physical):
                i += 1
                parts.append(_recipe_line(physical[i]))
            yield lines.starts[first], "\n".join(parts)
        i += 1


def _recipe_line(line: str) -> str:
    line = line[1:] if line.startswith("\t") else line
    line = re.sub(r"\A[@+\-]+", "", line)
    line = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", r"${\1}", line)
    return line.replace("$$", "$")
