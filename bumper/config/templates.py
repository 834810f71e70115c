"""The PR templates (`pr.branch`, `pr.title`, ...): which placeholders they may use, and that
the branch template gives every pin a branch of its own.
"""

from __future__ import annotations

import re
import string
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
    for _, name, _, _ in parsed:
        if name is None:
            continue
        if name == "" or name.isdigit():
            return "a placeholder needs a name: " + _known()
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
    try:
        value.format(**_SAMPLE)
    except (ValueError, KeyError, IndexError) as exc:
        return f"malformed template: {exc}"
    return None


def _known() -> str:
    return "known placeholders are " + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)


def check_pr_branches(template: str, rows: list[Row], line: int | None, report: Report) -> None:
    """Each pin needs its own PR branch; two pins on one branch would overwrite each other.

    line: where pr.branch is written; None when it is the default (blame the second entry).
    """
    owners: dict[str, Entry] = {}
    for _, entry in rows:
        try:
            branch = template.format(**_values(entry))
        except (KeyError, ValueError, IndexError):
            return  # the template itself is already reported
        where = Location(report.filename, line) if line is not None else entry.source
        path = "pr.branch" if line is not None else f"pr.branch (default {template})"
        problem = check_branch(branch)
        if problem:
            message = f"gives an invalid branch for {entry.variable}: {problem}"
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
