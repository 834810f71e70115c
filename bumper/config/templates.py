"""The PR templates (`pr.branch`, `pr.title`, ...): which placeholders they may use, and that
the branch template gives every pin a branch of its own.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING

from bumper.config.problems import Report, close_match
from bumper.config.values import check_branch
from bumper.model import Entry, Location

if TYPE_CHECKING:
    from bumper.config.matrix import Row

PLACEHOLDERS = ("variable", "repository", "sha", "short_sha", "old", "branch", "file")
# Placeholders that change with every upstream commit: a PR branch built from them would
# open a new PR per move instead of updating the one PR for the pin.
MOVING_PLACEHOLDERS = ("sha", "short_sha", "old")
_REF_UNSAFE = re.compile(r"[^A-Za-z0-9._/-]+")
_SAMPLE = {
    "variable": "LLAMA_VERSION",
    "repository": "ggml-org/llama.cpp",
    "sha": "0" * 40,
    "short_sha": "0" * 7,
    "old": "1" * 40,
    "branch": "master",
    "file": "backend/cpp/llama/Makefile",
}


def check_template(value: str, *, stable: bool = False) -> str | None:
    """A problem with a PR template, or None. `stable`: may not use per-commit placeholders."""
    try:
        parsed = list(string.Formatter().parse(value))
    except ValueError as exc:
        return f"malformed template: {exc}; write {{{{ or }}}} for a literal brace"
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            return "a placeholder needs a name: " + _known()
        if spec or conversion:
            # A width such as {sha:>999999999} would build a huge text for every PR.
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return (
                f"{{{written}}}: placeholders take no format spec or conversion; write {{{name}}}"
            )
        if name not in PLACEHOLDERS:
            base = re.split(r"[.\[]", name, maxsplit=1)[0]
            if base in PLACEHOLDERS:
                return f"{{{name}}}: placeholders take no attributes or indexes"
            match = close_match(name, PLACEHOLDERS)
            hint = f"did you mean {{{match}}}?" if match else _known()
            return f"unknown placeholder {{{name}}}; {hint}"
        if stable and name in MOVING_PLACEHOLDERS:
            return (
                f"{{{name}}} changes with every upstream commit; the PR branch must stay the "
                "same for a pin, so use {variable} (and {file} if needed)"
            )
    return None


def render_template(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its placeholders filled in. Format specs and conversions are ignored
    (check_template refuses them), so no template can build a text larger than itself and
    its values; an unknown placeholder is left as written."""
    out: list[str] = []
    for literal, name in _pieces(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, f"{{{name}}}"))
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _pieces(template: str) -> tuple[tuple[str, str | None], ...]:
    # A pass renders the same few templates for every pin: parse each once
    return tuple((literal, name) for literal, name, _, _ in string.Formatter().parse(template))


def sanitise_branch(raw: str) -> str:
    """A rendered pr.branch made safe for git: what bumper pushes to."""
    safe = _REF_UNSAFE.sub("-", raw)
    parts = [p.strip(".-").removesuffix(".lock") for p in safe.split("/")]
    return "/".join(p for p in parts if p)


def _known() -> str:
    return "known placeholders are " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)


def check_pr_branches(
    template: str, rows: list[Row], line: int | None, report: Report, *, base: str
) -> None:
    """Each pin needs its own PR branch, which is not the base: two pins on one branch would
    overwrite each other, and a PR branch that is the base would have bumper move the base.

    line: where pr.branch is written; None when it is the default (blame the second entry).
    """
    owners: dict[str, Entry] = {}
    for _, entry in rows:
        try:
            raw = render_template(template, _values(entry))
        except ValueError:
            return  # the template itself is already reported
        branch = sanitise_branch(raw)
        where = Location(report.filename, line) if line is not None else entry.source
        path = "pr.branch" if line is not None else f"pr.branch (default {template})"
        problem = check_branch(raw) or (check_branch(branch) if branch != raw else None)
        if problem:
            message = f"gives an invalid branch for {entry.variable}: {problem}"
            report.problems.add_at(where, path, message)
            return
        if branch == base:
            message = (
                f"gives `{branch}` for {entry.name} at {entry.source}, which would be the base"
                " branch (target.base); use a branch of its own, e.g. update/{variable}"
            )
            report.problems.add_at(where, path, message)
            return
        other = owners.setdefault(branch, entry)
        if other is not entry and other.key != entry.key:  # duplicates are reported already
            fix = "update/{variable}-{file}" if "{variable}" in template else "update/{variable}"
            hint = f"set `pr.branch`, e.g. {fix}" if line is None else f"make it unique, e.g. {fix}"
            message = (
                f"gives the same branch `{branch}` for {other.name} at {other.source} and "
                f"{entry.name} at {entry.source}; {hint}"
            )
            report.problems.add_at(where, path, message)
            return


def _values(entry: Entry) -> dict[str, str]:
    return {
        **_SAMPLE,
        "variable": entry.variable,
        "repository": entry.repository,
        "branch": entry.branch,
        "file": entry.file,
    }
