"""PURE: one pin written in several files (the same sha from the same upstream) is one finding.

Monorepos copy a tool's pin into every backend's script; a finding per copy buries the report
and invites one matrix row per copy, which then drift apart. The merged finding keeps the
first copy's file and line, lists every copy in `locations`, and takes its name and suggestion
from a copy whose upstream is known, so it is named after the upstream, not a directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bumper.audit.findings import Finding
from bumper.model import Location

# Hidden pins and other tools' pins. An untracked Makefile pin is a matrix row already, named
# by its variable, and `--fix` writes one row per Makefile for it.
_MERGED = frozenset({"hidden", "tracked"})
_LISTED = 6  # places named in the message; `locations` has them all


def merge_repeated(findings: Sequence[Finding]) -> list[Finding]:
    """`findings` with each repeated pin folded into its first copy, order otherwise kept."""
    known: dict[tuple[str, bool, str], set[str]] = {}
    for f in findings:
        if _mergeable(f) and f.repository:
            known.setdefault(_family(f), set()).add(f.repository.lower())
    groups: dict[tuple[str, bool, str, str | None], list[Finding]] = {}
    order: list[Finding | tuple[str, bool, str, str | None]] = []
    for f in findings:
        if not _mergeable(f):
            order.append(f)
            continue
        repository = f.repository.lower() if f.repository else None
        upstreams = known.get(_family(f), set())
        if repository is None and len(upstreams) == 1:
            repository = next(iter(upstreams))  # a copy that does not say where it is from
        key = (*_family(f), repository)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(f)
    merged: list[Finding] = []
    for item in order:
        merged.append(item if isinstance(item, Finding) else _merge(groups[item]))
    return merged


def _mergeable(f: Finding) -> bool:
    # A matrix row (tracked/held Makefile entries) is one pin already: its own file and line.
    return (
        f.category in _MERGED
        and f.value is not None
        and f.kind != "matrix-entry"
        and (f.category != "tracked" or f.managed_by is not None)
    )


def _family(f: Finding) -> tuple[str, bool, str]:
    return (f.category, f.managed_by is None, f.value or "")


def _merge(copies: list[Finding]) -> Finding:
    if len(copies) == 1:
        return copies[0]
    copies = sorted(copies, key=lambda f: (f.file, f.line))
    first = copies[0]
    named = next((f for f in copies if f.repository), first)
    variables = {f.variable for f in copies}
    places = tuple(dict.fromkeys(Location(f.file, f.line) for f in copies))
    files = len({p.file for p in places})
    listed = ", ".join(f"{p.file}:{p.line}" for p in places[:_LISTED])
    more = f" and {len(places) - _LISTED} more" if len(places) > _LISTED else ""
    where = f"{files} files" if files > 1 else f"{len(places)} places"
    message = f"{named.message}; the same pin in {where}: {listed}{more}"
    suggestion = named.suggestion
    if suggestion and first.category != "tracked":
        suggestion = f"change all {len(places)} copies together; {suggestion}"
    return replace(
        first,
        variable=variables.pop() if len(variables) == 1 else None,
        repository=named.repository,
        message=message,
        suggestion=suggestion,
        branch=named.branch,
        branch_guessed=named.branch_guessed,
        locations=places,
    )
