"""PURE: what makes a repository that starts red adoptable under `--strict`.

Three ways to say a finding is known: an `audit.ignore` rule in the config (a path glob and/or
a sha, with a reason), an inline `bumper: ignore` comment ending the pin's line or on its own
line just above it (any file kind), and a baseline (a previous `--format json` output).
Ignored findings leave the report (they are counted); baselined ones stay in it but no longer
fail `--strict`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from bumper.audit.findings import PROBLEMS, Finding
from bumper.config.settings import IgnoreRule

# After a comment leader, so prose that mentions the marker is not one.
INLINE = re.compile(r"(?:#|//|/\*|--|;|<!--|\bREM\b|\bdnl\b)[ \t]*bumper:[ \t]*ignore\b", re.I)


def inline_marks(text: str) -> frozenset[int]:
    """The 1-based lines a `bumper: ignore` comment covers: its own line, and the next one
    when the comment is the whole line (a trailing one belongs to the code before it)."""
    if not INLINE.search(text):  # the common case costs one scan
        return frozenset()
    covered: set[int] = set()
    for number, line in enumerate(text.split("\n"), 1):
        if match := INLINE.search(line):
            covered.add(number)
            if not line[: match.start()].strip():
                covered.add(number + 1)
    return frozenset(covered)


def glob_pattern(glob: str) -> re.Pattern[str]:
    """A path glob as a regex: `*` and `?` stay within a directory, `**/` spans any number of
    them, and a glob without a `/` matches the file's name in any directory (as .gitignore)."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    anywhere = "" if "/" in glob.rstrip("/") else "(?:[^/]+/)*"
    body = "".join(out)
    if glob.endswith("/"):
        body += ".*"  # a directory: everything under it
    return re.compile(rf"\A{anywhere}{body}\Z")


def _rule_matches(
    rule: IgnoreRule, pattern: re.Pattern[str] | None, file: str, value: str | None
) -> bool:
    if pattern is not None and not pattern.match(file):
        return False
    if rule.sha is None:
        return True
    return value is not None and (value.startswith(rule.sha) or rule.sha.startswith(value))


def apply_ignores(
    findings: Sequence[Finding],
    rules: Sequence[IgnoreRule],
    marks: Mapping[str, frozenset[int]],
) -> tuple[list[Finding], int]:
    """(findings left, how many places were ignored). A place (one copy of a pin) is ignored
    by a rule or a mark; a finding goes when all of its places did."""
    compiled = [(rule, glob_pattern(rule.path) if rule.path else None) for rule in rules]

    def ignored(file: str, line: int, value: str | None) -> bool:
        if line in marks.get(file, frozenset()):
            return True
        return any(_rule_matches(rule, pattern, file, value) for rule, pattern in compiled)

    kept: list[Finding] = []
    count = 0
    for finding in findings:
        places = [p for p in finding.places if not ignored(p.file, p.line, finding.value)]
        count += len(finding.places) - len(places)
        if not places:
            continue
        if len(places) != len(finding.places):
            first = places[0]
            finding = replace(
                finding,
                file=first.file,
                line=first.line,
                locations=tuple(places) if len(places) > 1 else (),
            )
        kept.append(finding)
    return kept, count


# --- baselines -------------------------------------------------------------------------------


def identity(category: str, file: str, kind: str, variable: str | None, value: str | None) -> str:
    """What a finding is, whatever line it moved to: a named pin by its name, else its sha."""
    return "\0".join([category, file, kind, variable or "", "" if variable else value or ""])


def finding_keys(finding: Finding) -> set[str]:
    return {
        identity(finding.category, place.file, finding.kind, finding.variable, finding.value)
        for place in finding.places
    }


def baseline_keys(document: Any) -> set[str]:
    """The identities of every place in a `--format json` document; ValueError if it is not one."""
    if not isinstance(document, Mapping) or not isinstance(document.get("findings"), list):
        raise ValueError("not a `bumper audit --format json` document (no findings list)")
    keys: set[str] = set()
    for row in document["findings"]:
        if not isinstance(row, Mapping):
            raise ValueError("a finding that is not an object")
        try:
            places: Iterable[Any] = row.get("locations") or [row]
            for place in places:
                keys.add(
                    identity(
                        str(row["category"]),
                        str(place["file"]),
                        str(row["kind"]),
                        row.get("variable"),
                        row.get("value"),
                    )
                )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"a finding without {exc}") from None
    return keys


def mark_baselined(findings: Sequence[Finding], known: set[str]) -> list[Finding]:
    """Problems whose every place is in the baseline are marked; a new copy is not known."""
    return [
        replace(f, baselined=True) if f.category in PROBLEMS and finding_keys(f) <= known else f
        for f in findings
    ]
